import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { openCheckpoint, verifyCosignatures } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey } from '../../src/ledger/ledger-key.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { LedgerWitnessingService } from '../../src/ledger/witnessing/ledger-witnessing.service.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { appendEntries } from '../utils/ledger-fixtures.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';
import { startWitnessProcess, type WitnessProcess } from '../utils/witness-process.js';

const ORIGIN = 'test.custos.invalid/ledger';

/**
 * The log side (issue 15): two real witness processes, quorum 2. Only a checkpoint both cosigned is
 * published; with one stopped nothing new is, the status names it; when it returns, publication
 * resumes with no operator action.
 */
describe('ledger witnessing', () => {
  let database: TestDatabase;
  let dir: string;
  let app: NestExpressApplication;
  let ledgerVkey: string;
  const witnesses: WitnessProcess[] = [];
  const info: Array<{ url: string; vkey: string; dataDir: string; port: string }> = [];
  let session: Session;
  let written = 0;

  const api = () => request(app.getHttpServer());
  const witnessing = () => app.get(LedgerWitnessingService);
  const append = async (count: number): Promise<void> => {
    await appendEntries(dataSourceOf(app), app.get(LedgerService), count, written);
    written += count;
  };
  const startWitness = async (i: number, port: string): Promise<void> => {
    const process = startWitnessProcess([
      '--data-dir',
      info[i]?.dataDir ?? join(dir, `w${i}`),
      '--port',
      port,
      '--name',
      `witness.test/w${i}`,
      '--log',
      `${ORIGIN}=${ledgerVkey}`,
    ]);
    const { url, vkey } = await process.ready;
    witnesses[i] = process;
    info[i] = { url, vkey, dataDir: join(dir, `w${i}`), port: new URL(url).port };
  };
  const published = async () =>
    (await api().get('/api/v1/ledger/checkpoint').expect(200)).body as { treeSize: number; note: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'custos-witnessing-'));
    const keyFile = join(dir, 'ledger.key');
    ledgerVkey = loadOrCreateLedgerKey(keyFile, ORIGIN, { warn: () => undefined }).verifierKey;
    await startWitness(0, '0');
    await startWitness(1, '0');
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: {
        LEDGER_KEY_FILE: keyFile,
        LEDGER_WITNESSES: info.map((w) => `${w.url} ${w.vkey}`).join(','),
        LEDGER_WITNESS_INTERVAL_MS: '86400000',
      },
    });
    const db = dataSourceOf(app);
    session = await login(app, await createUser(db, await createAgency(db, { code: 'ES-PN' }), { roles: ['officer'] }));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all(witnesses.map((w) => w.stop()));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes nothing before a quorum has cosigned', async () => {
    await api().get('/api/v1/ledger/checkpoint').expect(503);
  });

  it('publishes a checkpoint with both cosignatures once both witnesses cosigned it', async () => {
    await append(3);
    expect(await witnessing().witnessNow()).toBe(3);
    const checkpoint = await published();
    expect(checkpoint.treeSize).toBe(3);
    expect(openCheckpoint(checkpoint.note, ledgerVkey).treeSize).toBe(3);
    const cosignatures = verifyCosignatures(
      checkpoint.note,
      info.map((w) => w.vkey),
    );
    expect(cosignatures.map((c) => c.name).sort()).toEqual(['witness.test/w0', 'witness.test/w1']);
  });

  it('with one witness stopped publishes nothing new, and the status names it', async () => {
    await witnesses[1].stop();
    await append(2);
    expect(await witnessing().witnessNow()).toBe(3);
    expect((await published()).treeSize).toBe(3);
    const { body } = await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200);
    expect(body.witnessing).toMatchObject({ enabled: true, quorum: 2, publishedSize: 3 });
    const byName = new Map(
      (body.witnessing.witnesses as Array<{ name: string; status: string; reason: string }>).map((w) => [w.name, w]),
    );
    expect(byName.get('witness.test/w0')).toMatchObject({ status: 'ok' });
    expect(byName.get('witness.test/w1')).toMatchObject({ status: 'unreachable', reason: expect.any(String) });
    const events = await sql(
      database.ownerUrl,
      `SELECT details FROM access_log WHERE event = 'ledger.witness_refused' ORDER BY occurred_at`,
    );
    expect(events.rows.map((row: { details: { witness: string } }) => row.details.witness)).toContain(
      'witness.test/w1',
    );
  });

  it('resumes publication when the witness returns, with no operator action', async () => {
    await startWitness(1, info[1].port);
    expect(await witnessing().witnessNow()).toBe(5);
    const checkpoint = await published();
    expect(checkpoint.treeSize).toBe(5);
    expect(
      verifyCosignatures(
        checkpoint.note,
        info.map((w) => w.vkey),
      ),
    ).toHaveLength(2);
  });

  it("follows a witness's 409 to the size it holds", async () => {
    await sql(database.ownerUrl, 'UPDATE ledger_witness SET size = 0');
    await append(4);
    expect(await witnessing().witnessNow()).toBe(9);
    expect(
      verifyCosignatures(
        (await published()).note,
        info.map((w) => w.vkey),
      ),
    ).toHaveLength(2);
  });
});
