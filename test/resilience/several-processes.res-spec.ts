import { setTimeout as sleep } from 'node:timers/promises';

import { jest } from '@jest/globals';
import pg from 'pg';

import { signature } from '../factories/custody.factory.js';
import type { ServiceProcess } from '../utils/service-process.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';
import {
  buildScene,
  call,
  createDeployment,
  halfWritten,
  loginOver,
  missingAcknowledged,
  startService,
  statusCounts,
  stopAllLoads,
  stopService,
  testPool,
  verificationLoad,
  verify,
  type Deployment,
  type HttpResult,
} from './support.js';

jest.setTimeout(150_000);

const PROCESSES = 3;
/** Items released concurrently through every process at once; the others carry the write load. */
const CONTESTED = 4;

/**
 * Three service processes on one database, as a scaled-out deployment runs. Writes through all of
 * them at once must form one gapless ledger that verifies, and custody must never split: one
 * pending transfer per item at most, one custodian, whatever process the requests reach.
 */
describe('several service processes on one database', () => {
  let database: TestDatabase;
  let deployment: Deployment;
  let pool: pg.Pool;
  let services: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    deployment = createDeployment();
    pool = testPool(database.appUrl);
  });

  afterAll(async () => {
    stopAllLoads();
    await Promise.all(services.map((service) => stopService(service)));
    await pool.end();
    await database.drop();
  });

  it('one gapless verifiable ledger; each contested item released once, accepted once, held by one custodian', async () => {
    services = Array.from({ length: PROCESSES }, () => startService(deployment, database.appUrl));
    const urls = await Promise.all(services.map((service) => service.listening));
    const scene = await buildScene(pool, urls[0], CONTESTED + 6);
    const contested = scene.itemIds.slice(0, CONTESTED);
    const loaded = scene.itemIds.slice(CONTESTED);
    // A token from one process is accepted by all: they share the key (JWT_SECRET_FILE).
    const officer = await loginOver(urls[1], scene.officer);
    const examiner = await loginOver(urls[2], scene.examiner);

    let stopLoad!: () => void;
    let acknowledgedSoFar = 0;
    const load = verificationLoad({
      urls: () => urls,
      token: officer,
      itemIds: loaded,
      clients: 18,
      stop: new Promise<void>((done) => (stopLoad = done)),
      onAcknowledged: (count) => (acknowledgedSoFar = count),
    });

    // Every contested item is released to the examiner through every process at the same moment.
    await sleep(300);
    const releases = await Promise.all(
      contested.flatMap((itemId) =>
        urls.map(async (url) => ({
          itemId,
          result: await call(url, 'POST', '/api/v1/transfers', {
            token: officer,
            body: {
              itemIds: [itemId],
              to: scene.examiner.username,
              purpose: 'Forensic examination',
              signature: signature('released'),
            },
          }),
        })),
      ),
    );
    const releaseOutcome = (results: HttpResult[]): Record<number, number> => statusCounts(results);
    for (const itemId of contested) {
      const mine = releases.filter((r) => r.itemId === itemId).map((r) => r.result);
      expect({ itemId, statuses: releaseOutcome(mine) }).toEqual({ itemId, statuses: { 201: 1, 409: PROCESSES - 1 } });
      expect(mine.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(
        Array(PROCESSES - 1).fill('item_transfer_pending'),
      );
    }

    // The examiner accepts each transfer through two processes at once: one acceptance wins.
    const transfers = releases
      .filter((r) => r.result.status === 201)
      .map((r) => r.result.body as { id: string; items: Array<{ id: string }> });
    const acceptances = await Promise.all(
      transfers.flatMap((transfer) =>
        [urls[1], urls[2]].map((url) =>
          call(url, 'POST', `/api/v1/transfers/${transfer.id}/accept`, {
            token: examiner,
            body: {
              items: transfer.items.map((item) => ({ itemId: item.id, sealIntact: true })),
              signature: signature('received'),
            },
          }),
        ),
      ),
    );
    expect(statusCounts(acceptances)).toEqual({ 200: CONTESTED, 409: CONTESTED });

    // The load goes on long enough to interleave with all of the above (bounded).
    for (let waited = 0; waited < 30_000 && acknowledgedSoFar < 120; waited += 100) await sleep(100);
    stopLoad();
    const { results, acknowledged } = await load;
    expect(statusCounts(results)).toEqual({ 201: results.length });
    expect(acknowledged.length).toBeGreaterThanOrEqual(120);
    // The load really went through every process.
    for (const service of services) expect(service.output()).toMatch(/"url":"\/api\/v1\/items\/[^"]+\/hashes"/);

    // Custody never split.
    const { rows: custody } = await pool.query<{
      id: string;
      custodian_id: string;
      state: string;
      pending: number;
      accepted: number;
    }>(
      `SELECT i.id, i.custodian_id, i.state,
              (SELECT count(*) FROM transfer_item ti WHERE ti.item_id = i.id AND ti.pending)::int AS pending,
              (SELECT count(*) FROM transfer_item ti JOIN transfer t ON t.id = ti.transfer_id WHERE ti.item_id = i.id AND t.status = 'accepted')::int AS accepted
         FROM item i WHERE i.id = ANY($1::uuid[]) ORDER BY i.id`,
      [contested],
    );
    expect(custody).toEqual(
      [...contested]
        .sort()
        .map((id) => ({ id, custodian_id: scene.examiner.id, state: 'in_custody', pending: 0, accepted: 1 })),
    );
    const { rows: pendingPerItem } = await pool.query<{ n: number }>(
      `SELECT coalesce(max(n), 0)::int AS n FROM (SELECT count(*) AS n FROM transfer_item WHERE pending GROUP BY item_id) AS per_item`,
    );
    expect(pendingPerItem[0].n).toBeLessThanOrEqual(1);

    // One ledger: gapless, every acknowledgement in it, custody tables replayed from it.
    expect(await missingAcknowledged(pool, acknowledged)).toEqual([]);
    expect(await halfWritten(pool)).toEqual({ rowsWithoutEntry: 0, entriesWithoutRows: 0, gaps: 0 });
    const { rows } = await pool.query<{ size: number; released: number; received: number }>(
      `SELECT (SELECT tree_size FROM ledger_state)::int AS size,
              (SELECT count(*) FROM ledger_entry WHERE type = 'transfer.released')::int AS released,
              (SELECT count(*) FROM ledger_entry WHERE type = 'transfer.accepted')::int AS received`,
    );
    expect(rows[0]).toMatchObject({ released: CONTESTED, received: CONTESTED });
    expect(await verify(database.appUrl, deployment)).toMatchObject({ ok: true, treeSize: rows[0].size });
  });
});
