import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { jest } from '@jest/globals';
import pg from 'pg';

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
  verificationBody,
  verificationLoad,
  verify,
  type Deployment,
  type Scene,
} from './support.js';

jest.setTimeout(120_000);
const run = promisify(execFile);
/** The acknowledgement at whose arrival the service is killed. */
const KILL_AT = 300;

/**
 * kill -9 of the service in the middle of a write load. What a client was told (2xx, with record
 * ids and a ledger index) must be in the database after a restart; nothing may be half-written.
 */
describe('crash: kill -9 during a write load', () => {
  let database: TestDatabase;
  let deployment: Deployment;
  let pool: pg.Pool;
  let service: ServiceProcess | undefined;
  let scene: Scene;

  beforeAll(async () => {
    database = await createTestDatabase();
    deployment = createDeployment();
    pool = testPool(database.appUrl);
  });

  afterAll(async () => {
    stopAllLoads();
    await stopService(service);
    await pool.end();
    await database.drop();
  });

  it('keeps every acknowledged verification, in the ledger at the index returned, and the ledger verifies', async () => {
    service = startService(deployment, database.appUrl);
    const url = await service.listening;
    scene = await buildScene(pool, url, 8);
    const token = await loginOver(url, scene.officer);

    // The kill comes the moment a client is told "201": if acknowledgements ever ran ahead of the
    // commit, that is when the unit of work behind them is still uncommitted.
    const victim = service;
    let kill!: () => void;
    const killed = new Promise<void>((done) => (kill = done));
    const load = verificationLoad({
      urls: () => [url],
      token,
      itemIds: scene.itemIds,
      clients: 32,
      stop: Promise.race([killed, victim.exited]).then(() => sleep(300)),
      timeoutMs: 10_000,
      onAcknowledged: (count) => {
        if (count !== KILL_AT) return;
        victim.child.kill('SIGKILL');
        kill();
      },
    });
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const { results, acknowledged } = await load;

    // The kill really happened mid-load: writes were acknowledged, and others got no answer.
    const counts = statusCounts(results);
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AT);
    expect(counts[0]).toBeGreaterThan(0);
    // Nothing but success or no answer: a dying service does not answer 500.
    expect(Object.keys(counts).sort()).toEqual(['0', '201']);

    // Restart on the same database.
    service = startService(deployment, database.appUrl);
    const restarted = await service.listening;
    expect((await call(restarted, 'GET', '/health/ready')).status).toBe(200);

    expect(await missingAcknowledged(pool, acknowledged)).toEqual([]);
    expect(await halfWritten(pool)).toEqual({ rowsWithoutEntry: 0, entriesWithoutRows: 0, gaps: 0 });
    const { rows } = await pool.query<{ size: number }>('SELECT tree_size::int AS size FROM ledger_state');
    expect(await verify(database.appUrl, deployment)).toMatchObject({ ok: true, treeSize: rows[0].size });
    // Indexes the clients were given are distinct: no two acknowledgements share an entry.
    expect(new Set(acknowledged.map((a) => a.ledgerIndex)).size).toBe(acknowledged.length);

    // The restarted service goes on writing, after the last index, with the same access token.
    const after = await call(restarted, 'POST', `/api/v1/items/${scene.itemIds[0]}/hashes`, {
      token,
      body: verificationBody(scene.itemIds[0], -1),
    });
    expect(after.status).toBe(201);
    expect((after.body.records as Array<{ ledgerIndex: number }>)[0].ledgerIndex).toBe(rows[0].size);

    // And the operator's command agrees.
    const cli = resolve(process.cwd(), 'dist/src/cli.js');
    const env = {
      ...process.env,
      DATABASE_URL: database.appUrl,
      LOG_LEVEL: 'silent',
      DATA_DIR: mkdtempSync(join(deployment.dir, 'cli-')),
    };
    const verified = await run(process.execPath, [cli, 'ledger', 'verify', '--deep', '--key', deployment.verifierKey], {
      env,
    });
    expect(verified.stdout).toMatch(new RegExp(`^ledger OK: ${rows[0].size + 1} entries`, 'm'));
  });
});
