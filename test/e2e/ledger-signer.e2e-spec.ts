import { readFileSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createApp } from '../../src/app.js';
import { APP_CONFIG, type AppConfig } from '../../src/config/config.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { CheckpointService, type SignerStatus } from '../../src/ledger/checkpoint.service.js';
import { CompactRange } from '../../src/ledger/core/index.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { appendEntries, TEST_CONTEXT, testEvent } from '../utils/ledger-fixtures.js';
import { testConfig } from '../utils/test-app.js';
import { createTestDatabase, sql, withClient, type TestDatabase } from '../utils/test-database.js';

/**
 * The signer never signs a fork (issue #15 item 3, ADR 0025). The signer keeps the last head it
 * signed outside the database (ledger-signed-head.json beside its key); the attacks below are the
 * reviewer's, done as a superuser with triggers off, with everything inside the database made
 * consistent again (leaves, nodes, state recomputed; ledger_checkpoint emptied).
 */
describe('the checkpoint signer and its record of the last signed head', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let config: AppConfig;
  let logLines: string[];
  let officer: Session;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const checkpoints = (): CheckpointService => app.get(CheckpointService);
  const signerStatus = async (): Promise<SignerStatus> =>
    ((await api().get('/api/v1/ledger/status').set(bearer(officer)).expect(200)).body as { signer: SignerStatus })
      .signer;
  const storedCheckpoints = async (): Promise<number[]> =>
    (await sql(database.ownerUrl, 'SELECT tree_size FROM ledger_checkpoint ORDER BY tree_size')).rows.map((r) =>
      Number((r as { tree_size: string }).tree_size),
    );
  const asRogueAdministrator = (text: string, params: unknown[] = []): Promise<void> =>
    withClient(database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(text, params);
      await client.query('COMMIT');
    });

  /** Rebuilds the whole ledger from altered history exactly as the service would have written it. */
  async function rewriteHistory(count: number, altered: number): Promise<void> {
    await asRogueAdministrator('DELETE FROM ledger_entry; DELETE FROM ledger_node; DELETE FROM ledger_checkpoint');
    await asRogueAdministrator(`UPDATE ledger_state SET tree_size = 0, root_hash = sha256(''::bytea), frontier = '{}'`);
    const dataSource = new DataSource(dataSourceOptions({ url: database.adminUrl, poolSize: 1 }));
    await dataSource.initialize();
    try {
      const forger = new LedgerService(dataSource);
      for (let n = 0; n < count; n++) {
        const event =
          n === altered
            ? testEvent(n, { data: { kind: 'mobile_phone', description: `Phone ${n}`, seal: 'SEAL-FORGED' } })
            : testEvent(n);
        await forger.write((em) => forger.append(em, TEST_CONTEXT, event));
      }
    } finally {
      await dataSource.destroy();
    }
  }

  async function expectRefused(reason: RegExp): Promise<void> {
    const before = await storedCheckpoints();
    await expect(checkpoints().checkpointNow()).rejects.toMatchObject({ code: 'ledger_integrity_failure' });
    // The public checkpoint route signs when none is stored: it refuses too, as problem+json.
    const { body } = await api().get('/api/v1/ledger/checkpoint').expect(503);
    expect(body).toMatchObject({ code: 'ledger_integrity_failure' });
    expect(await storedCheckpoints()).toEqual(before);
    const status = await signerStatus();
    expect(status).toMatchObject({ status: 'refused', refusal: { reason: expect.stringMatching(reason) } });
    expect(logLines.some((line) => line.includes('"level":50') && line.includes('LEDGER SIGNER REFUSED'))).toBe(true);
  }

  beforeEach(async () => {
    database = await createTestDatabase();
    logLines = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    app = await createApp({
      config: testConfig(),
      databaseUrl: database.appUrl,
      logger: pino({ level: 'warn' }, stream),
    });
    config = app.get<AppConfig>(APP_CONFIG);
    const db = dataSourceOf(app);
    const agency = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    officer = await login(app, await createUser(db, agency, { roles: ['officer'] }));
    await appendEntries(db, app.get(LedgerService), 30);
  });

  afterEach(async () => {
    await app?.close();
    await database?.drop();
  });

  it('records every head it signs beside its key, and signs a grown tree that extends it', async () => {
    const first = await checkpoints().checkpointNow();
    const record = JSON.parse(readFileSync(config.ledgerSignedHeadFile, 'utf8')) as Record<string, unknown>;
    expect(record).toEqual({
      treeSize: first.treeSize,
      rootHash: first.rootHash.toString('hex'),
      signedAt: expect.any(String),
    });
    await appendEntries(dataSourceOf(app), app.get(LedgerService), 5, 30);
    const second = await checkpoints().checkpointNow();
    expect(second.treeSize).toBe(first.treeSize + 5);
    expect(await signerStatus()).toEqual({
      status: 'ok',
      signedSize: second.treeSize,
      signedAt: expect.any(String),
      refusal: null,
    });
  });

  it('refuses a second head of a signed size after the data was rewritten and ledger_checkpoint emptied', async () => {
    const signed = await checkpoints().checkpointNow();
    const size = signed.treeSize;
    // Same size, entry 10 altered: the database is self-consistent and holds no checkpoint any more.
    await rewriteHistory(size, 10);
    expect(await storedCheckpoints()).toEqual([]);
    await expectRefused(new RegExp(`tree of size ${size} has root [0-9a-f]{64}, but this signer signed root`));
    // The record still holds the honest head.
    expect(JSON.parse(readFileSync(config.ledgerSignedHeadFile, 'utf8'))).toMatchObject({
      treeSize: size,
      rootHash: signed.rootHash.toString('hex'),
    });
  });

  it('refuses a rewritten history that has grown past the signed size (no consistency proof)', async () => {
    const signed = await checkpoints().checkpointNow();
    await rewriteHistory(signed.treeSize + 4, 10);
    await expectRefused(new RegExp(`does not extend the head of size ${signed.treeSize} this signer signed`));
  });

  it('refuses a ledger rolled back to fewer entries than it signed (an old backup restored)', async () => {
    const signed = await checkpoints().checkpointNow();
    // The tail cut off with state and checkpoints recomputed: what restoring an older backup leaves.
    await withClient(database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`DELETE FROM ledger_entry WHERE idx >= 20`);
      await client.query(`DELETE FROM ledger_node WHERE (idx + 1) * (1::bigint << level) > 20`);
      await client.query('DELETE FROM ledger_checkpoint');
      const { rows } = await client.query('SELECT leaf_hash FROM ledger_entry ORDER BY idx');
      const range = new CompactRange();
      for (const row of rows) range.append((row as { leaf_hash: Buffer }).leaf_hash);
      await client.query('UPDATE ledger_state SET tree_size = 20, root_hash = $1, frontier = $2', [
        range.root(),
        range.frontier,
      ]);
      await client.query('COMMIT');
    });
    await expectRefused(
      new RegExp(`holds 20 entries but this signer already signed a checkpoint of size ${signed.treeSize}`),
    );
  });

  it('refuses to sign when its record is unreadable, rather than start over', async () => {
    await checkpoints().checkpointNow();
    writeFileSync(config.ledgerSignedHeadFile, '{"treeSize": "thirty"}\n');
    await asRogueAdministrator('DELETE FROM ledger_checkpoint');
    await expectRefused(/record of the last signed head cannot be read/);
  });
});
