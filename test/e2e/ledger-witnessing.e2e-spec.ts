import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { runBundleVerify } from '../../src/bundles/bundle-verify.command.js';
import type { AppConfig } from '../../src/config/config.js';
import { generateCosignerKeys, openCheckpoint, verifyCosignatures } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey } from '../../src/ledger/ledger-key.js';
import { runLedgerVerify } from '../../src/ledger/ledger-verify.command.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { LedgerWitnessingService } from '../../src/ledger/witnessing/ledger-witnessing.service.js';
import { createCase } from '../factories/case.factory.js';
import { hardDrive, seize } from '../factories/custody.factory.js';
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
  let caseId: string;
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
    const agency = await createAgency(db, { code: 'ES-PN' });
    const officer = await createUser(db, agency, { roles: ['officer'] });
    session = await login(app, officer);
    caseId = (await createCase(db, agency.id, officer.id)).id;
    written = Number((await sql(database.appUrl, 'SELECT tree_size FROM ledger_state')).rows[0].tree_size);
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
    expect(await witnessing().witnessNow()).toBe(written);
    const checkpoint = await published();
    expect(checkpoint.treeSize).toBe(written);
    expect(openCheckpoint(checkpoint.note, ledgerVkey).treeSize).toBe(written);
    const cosignatures = verifyCosignatures(
      checkpoint.note,
      info.map((w) => w.vkey),
    );
    expect(cosignatures.map((c) => c.name).sort()).toEqual(['witness.test/w0', 'witness.test/w1']);
  });

  it('with one witness stopped publishes nothing new, and the status names it', async () => {
    await witnesses[1].stop();
    const before = written;
    await append(2);
    expect(await witnessing().witnessNow()).toBe(before);
    expect((await published()).treeSize).toBe(before);
    const { body } = await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200);
    expect(body.witnessing).toMatchObject({ enabled: true, quorum: 2, publishedSize: before });
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
    expect(await witnessing().witnessNow()).toBe(written);
    const checkpoint = await published();
    expect(checkpoint.treeSize).toBe(written);
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
    expect(await witnessing().witnessNow()).toBe(written);
    expect(
      verifyCosignatures(
        (await published()).note,
        info.map((w) => w.vkey),
      ),
    ).toHaveLength(2);
  });

  it('serves custody bundles whose checkpoint carries both cosignatures, checked by custos verify', async () => {
    const [item] = await seize(app, session, caseId, [hardDrive()]);
    const response = await api().get(`/api/v1/items/${item.id}/bundle`).set(bearer(session)).expect(200);
    const file = join(dir, 'bundle.json');
    writeFileSync(file, response.text);
    let out = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (out += t) };
    const args = [file, '--key', ledgerVkey, '--witness', info[0].vkey, '--witness', info[1].vkey];
    expect(await runBundleVerify(args, io)).toBe(0);
    expect(out).toContain('checkpoint cosigned by witnesses: witness.test/w0, witness.test/w1');
    // The court report's verification section names each witness and when it cosigned.
    const pdf = await api()
      .get(`/api/v1/items/${item.id}/report.pdf`)
      .set(bearer(session))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    writeFileSync(join(dir, 'report.pdf'), pdf.body as Buffer);
    const text = execFileSync('pdftotext', [join(dir, 'report.pdf'), '-'])
      .toString()
      .replace(/\s+/g, ' ');
    for (const name of ['witness.test/w0', 'witness.test/w1'])
      expect(text).toMatch(
        new RegExp(`Witness cosignature ${name}, cosigned \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} \\+00:00`),
      );
  });

  it('custos ledger verify --witness requires the cosignatures on the published checkpoint', async () => {
    const verify = async (...args: string[]): Promise<{ code: number; out: string }> => {
      const chunks: Buffer[] = [];
      const out = new PassThrough();
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      const err = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
      const code = await runLedgerVerify(['--key', ledgerVkey, ...args], database.appUrl, {} as AppConfig, out, err);
      return { code, out: Buffer.concat(chunks).toString('utf8') };
    };
    const both = ['--witness', info[0].vkey, '--witness', info[1].vkey];
    const absent = generateCosignerKeys('witness.test/absent').verifierKey;
    expect(await verify(...both)).toMatchObject({
      code: 0,
      out: expect.stringContaining('carry the required cosignatures'),
    });
    const missing = await verify(...both, '--witness', absent);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/the published checkpoint: .*but 3 are required; missing: witness\.test\/absent/);
    expect((await verify(...both, '--witness', absent, '--min-witnesses', '2')).code).toBe(0);
  });
});
