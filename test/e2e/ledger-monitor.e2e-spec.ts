import { PassThrough } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import request from 'supertest';

import { createApp } from '../../src/app.js';
import { LedgerMonitorService, MONITOR_LOCK, type IntegrityStatus } from '../../src/ledger/ledger-monitor.service.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { phone, seize } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestAgency,
} from '../factories/identity.factory.js';
import { appendEntries, TEST_CONTEXT, testEvent } from '../utils/ledger-fixtures.js';
import { testConfig } from '../utils/test-app.js';
import { createTestDatabase, sql, withClient, type TestDatabase } from '../utils/test-database.js';

interface Status {
  treeSize: number;
  integrity: IntegrityStatus;
}

/**
 * The ledger monitor (issue #16 item 4): the service verifies new entries by itself, one process at
 * a time, keeps its progress, and on a failure says so (status, log, access log), stops signing
 * checkpoints and — while the ledger's own structure is broken — refuses custody writes. Each
 * test has a database and an application of its own; the monitor's timer is off (test-app), so
 * each pass is started here.
 */
describe('the ledger monitor', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let logLines: string[];
  let officer: Session;
  let agency: TestAgency;
  let caseId: string;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const monitor = (): LedgerMonitorService => app.get(LedgerMonitorService);
  const status = async (session: Session = officer): Promise<Status> =>
    (await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200)).body as Status;
  const asRogueAdministrator = (text: string, params: unknown[] = []): Promise<void> =>
    withClient(database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(text, params);
      await client.query('COMMIT');
    });
  const treeSize = async (): Promise<number> =>
    Number((await sql(database.appUrl, 'SELECT tree_size FROM ledger_state')).rows[0].tree_size);
  const alarms = async (): Promise<Array<Record<string, unknown>>> =>
    (
      await sql(
        database.ownerUrl,
        `SELECT outcome, subject_label, details FROM access_log WHERE event = 'ledger.integrity_alarm' ORDER BY id`,
      )
    ).rows as Array<Record<string, unknown>>;

  beforeEach(async () => {
    database = await createTestDatabase();
    logLines = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    app = await createApp({
      config: testConfig({ LEDGER_MONITOR_SWEEP_ENTRIES: '4096' }),
      databaseUrl: database.appUrl,
      logger: pino({ level: 'error' }, stream),
    });
    const db = dataSourceOf(app);
    agency = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    officer = await login(app, await createUser(db, agency, { roles: ['officer'] }));
    caseId = (
      (
        await api()
          .post('/api/v1/cases')
          .set(bearer(officer))
          .send({ caseNumber: 'OP-MONITOR', title: 'Operation Vigía' })
          .expect(201)
      ).body as { id: string }
    ).id;
    await seize(app, officer, caseId, [phone(), phone()]);
    await appendEntries(db, app.get(LedgerService), 20);
  });

  afterEach(async () => {
    await app?.close();
    await database?.drop();
  });

  it('verifies what was appended since its last pass, keeps its progress, and says so to any signed-in user', async () => {
    const size = await treeSize();
    expect(await status()).toEqual({
      treeSize: size,
      integrity: {
        status: 'ok',
        verifiedSize: 0,
        verifiedAt: null,
        failure: null,
        writesRefused: false,
        checkpointsStopped: false,
      },
      signer: { status: 'ok', signedSize: null, signedAt: null, refusal: null },
      witnessing: { enabled: false, quorum: 0, publishedSize: null, publishedAt: null, witnesses: [] },
      timestamping: {
        enabled: false,
        url: null,
        status: 'unknown',
        stampedSize: null,
        genTime: null,
        tsa: null,
        pendingSize: null,
        lastError: null,
        checkedAt: null,
      },
    });
    expect(await monitor().pass()).toEqual({ ran: true, verifiedSize: size });
    await seize(app, officer, caseId, [phone()]);
    expect(await monitor().pass()).toEqual({ ran: true, verifiedSize: size + 1 });
    const after = await status();
    expect(after.integrity).toMatchObject({ status: 'ok', verifiedSize: size + 1, verifiedAt: expect.any(String) });
    // Progress is stored: another process (a second application on the same database) goes on from it.
    const other = await createApp({
      config: testConfig(),
      databaseUrl: database.appUrl,
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(await other.get(LedgerMonitorService).pass()).toEqual({ ran: true, verifiedSize: size + 1 });
    } finally {
      await other.close();
    }
    await api().get('/api/v1/ledger/status').expect(401);
  });

  it('one process at a time: while another holds the lock, a pass does nothing', async () => {
    await withClient(database.appUrl, async (client) => {
      await client.query('SELECT pg_advisory_lock($1::int, $2::int)', [...MONITOR_LOCK]);
      expect(await monitor().pass()).toEqual({ ran: false });
    });
    expect(await monitor().pass()).toMatchObject({ ran: true });
  });

  it('runs by itself after 1,000 entries appended by this process, without waiting for its timer', async () => {
    const ledger = app.get(LedgerService);
    await Promise.all(
      Array.from({ length: 1000 }, (_, n) => ledger.write((em) => ledger.append(em, TEST_CONTEXT, testEvent(100 + n)))),
    );
    const size = await treeSize();
    for (let tries = 0; tries < 600 && (await status()).integrity.verifiedSize < size; tries++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await status()).integrity.verifiedSize).toBe(size);
  });

  it("the reviewer's case: an old entry's bytes changed is found, writes and checkpoints stop, and it is said everywhere", async () => {
    expect(await monitor().pass()).toMatchObject({ ran: true });
    await asRogueAdministrator(
      `UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'Phone 3', 'Phone 9'), 'UTF8') WHERE idx = $1`,
      [6],
    );
    const found = await monitor().pass();
    expect(found.failure).toEqual({
      kind: 'leaf',
      index: 6,
      reason: 'entry 6: its bytes do not hash to its stored leaf hash',
      source: 'monitor',
    });
    const { integrity } = await status();
    expect(integrity).toMatchObject({
      status: 'failed',
      failure: { index: 6, kind: 'leaf', summary: "an entry's bytes do not match its hash", source: 'monitor' },
      writesRefused: true,
      checkpointsStopped: true,
    });
    // No case data in the status: the summary says what broke, not what the entry held.
    expect(JSON.stringify(integrity)).not.toMatch(/Phone|OP-MONITOR|ES-PN-/);
    expect(logLines.some((line) => /"level":50/.test(line) && /LEDGER INTEGRITY FAILURE at index 6/.test(line))).toBe(
      true,
    );
    expect(await alarms()).toEqual([
      {
        outcome: 'failure',
        subject_label: 'leaf',
        details: expect.objectContaining({ index: 6, kind: 'leaf', structural: true, source: 'monitor' }),
      },
    ]);
    // Custody writes are refused, changing nothing; no checkpoint is signed.
    const before = await treeSize();
    const refused = await api()
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(officer))
      .send({ items: [phone()] });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'ledger_integrity_failure' });
    expect(await treeSize()).toBe(before);
    const { CheckpointService } = await import('../../src/ledger/checkpoint.service.js');
    await expect(app.get(CheckpointService).checkpointNow()).rejects.toMatchObject({
      code: 'ledger_integrity_failure',
    });
    expect((await sql(database.appUrl, 'SELECT count(*)::int AS n FROM ledger_checkpoint')).rows[0].n).toBe(0);
  });

  it("the reviewer's case: the last entry deleted — the next write is refused instead of leaving a gap, nothing is signed", async () => {
    await monitor().pass();
    const size = await treeSize();
    await asRogueAdministrator('DELETE FROM ledger_entry WHERE idx = $1', [size - 1]);
    const refused = await api()
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(officer))
      .send({ items: [phone()] });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'ledger_integrity_failure' });
    // Nothing appended after the gap.
    expect((await sql(database.appUrl, 'SELECT max(idx)::int AS last FROM ledger_entry')).rows[0].last).toBe(size - 2);
    for (let tries = 0; tries < 200 && (await status()).integrity.status === 'ok'; tries++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect((await status()).integrity).toMatchObject({
      status: 'failed',
      failure: { index: size - 1, kind: 'tail', source: 'ledger write' },
      writesRefused: true,
    });
    const { CheckpointService } = await import('../../src/ledger/checkpoint.service.js');
    await expect(app.get(CheckpointService).checkpointNow()).rejects.toMatchObject({
      code: 'ledger_integrity_failure',
    });
    expect((await alarms())[0]).toMatchObject({
      subject_label: 'tail',
      details: expect.objectContaining({ structural: true }),
    });
  });

  it('finds a deleted last entry on its own, before any write comes', async () => {
    await monitor().pass();
    const size = await treeSize();
    await asRogueAdministrator('DELETE FROM ledger_entry WHERE idx = $1', [size - 1]);
    expect((await monitor().pass()).failure).toMatchObject({ kind: 'tail', index: size - 1 });
  });

  it('finds an item row forged by the service role among the items new entries touched', async () => {
    const [item] = await seize(app, officer, caseId, [phone()]);
    const forged = `UPDATE item SET state = 'disposed', disposition = 'destroyed', disposed_at = now() WHERE id = $1`;
    await sql(database.appUrl, forged, [item.id]);
    const found = await monitor().pass();
    expect(found.failure).toMatchObject({ kind: 'item_state', index: item.lastLedgerIndex, source: 'monitor' });
    expect(found.failure!.reason).toContain(
      `its row has state disposed but ledger entry ${item.lastLedgerIndex} gives in_custody`,
    );
    // A state table that disagrees stops checkpoints, not every write.
    expect((await status()).integrity).toMatchObject({
      status: 'failed',
      writesRefused: false,
      checkpointsStopped: true,
    });
  });

  it('clears when a full verification started after the failure passes, and goes on from it', async () => {
    const [item] = await seize(app, officer, caseId, [phone()]);
    await sql(
      database.appUrl,
      `UPDATE item SET state = 'disposed', disposition = 'destroyed', disposed_at = now() WHERE id = $1`,
      [item.id],
    );
    expect((await monitor().pass()).failure).toMatchObject({ kind: 'item_state' });
    // While it is failed, a full verification fails too; repaired, one started afterwards passes and clears it.
    await sql(
      database.appUrl,
      `UPDATE item SET state = 'in_custody', disposition = NULL, disposed_at = NULL WHERE id = $1`,
      [item.id],
    );
    const auditor = await login(app, await createUser(dataSourceOf(app), agency, { roles: ['auditor'] }));
    await api().post('/api/v1/ledger/verifications').set(bearer(auditor)).expect(202);
    for (;;) {
      const { body } = await api().get('/api/v1/ledger/verifications').set(bearer(auditor)).expect(200);
      if ((body as { running: unknown }).running === null) {
        expect((body as { verifications: Array<{ outcome: string }> }).verifications[0].outcome).toBe('ok');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await monitor().pass()).toMatchObject({ ran: true, verifiedSize: await treeSize() });
    expect((await status()).integrity).toMatchObject({ status: 'ok', failure: null, checkpointsStopped: false });
    const { CheckpointService } = await import('../../src/ledger/checkpoint.service.js');
    await expect(app.get(CheckpointService).checkpointNow()).resolves.toMatchObject({ treeSize: await treeSize() });
  });
});
