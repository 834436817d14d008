import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import type { AppConfig } from '../../src/config/config.js';
import { CheckpointService } from '../../src/ledger/checkpoint.service.js';
import { runLedgerVerify } from '../../src/ledger/ledger-verify.command.js';
import { LedgerTimestampingService } from '../../src/ledger/timestamp/ledger-timestamping.service.js';
import { noteBody, parseTrustAnchors, verifyTimeStampToken } from '../../src/ledger/timestamp/time-stamp.js';
import { createCase } from '../factories/case.factory.js';
import { hardDrive, seize } from '../factories/custody.factory.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { runCli } from '../utils/cli-process.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';
import { startTestTsa, type TestTsa } from '../utils/tsa.js';

const PYTHON_VERIFIER = resolve(process.cwd(), 'test/independent-verifier/verify_bundle.py');

interface CheckpointBody {
  treeSize: number;
  note: string;
  timestamp?: { token: string; genTime: string; tsa: string; serialNumber: string };
}

interface BundleBody extends Record<string, unknown> {
  subject: { id: string };
  checkpoint: string;
  timestamps?: Array<{ treeSize: number; token: string }>;
}

/** Polls `probe` until it returns a value (not undefined), or fails after the deadline. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * RFC 3161 timestamps of published checkpoints end to end (issue #15 items 2 and 5, ADR 0027), with
 * a real TSA (OpenSSL's `openssl ts -reply`): fetched in the background, stored once verified,
 * served with the checkpoint, carried in bundles, checked by `custos verify --tsa-ca` (a real
 * process) and `custos ledger verify --tsa-ca`; a TSA outage delays them and never a write.
 */
describe('RFC 3161 timestamps of checkpoints', () => {
  let database: TestDatabase;
  let dir: string;
  let tsa: TestTsa;
  let other: TestTsa;
  let app: NestExpressApplication;
  let session: Session;
  let caseId: string;
  let vkey: string;

  const api = () => request(app.getHttpServer());
  const checkpoint = async (): Promise<CheckpointBody> =>
    (await api().get('/api/v1/ledger/checkpoint').expect(200)).body as CheckpointBody;
  /**
   * Waits for the background fetch through the status (which never triggers one, unlike GET
   * checkpoint), then returns the checkpoint as served.
   */
  const stampedCheckpoint = async (treeSize: number): Promise<CheckpointBody> => {
    await eventually(`a token for the checkpoint of size ${treeSize}`, async () => {
      const { body } = await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200);
      return body.timestamping.stampedSize === treeSize ? true : undefined;
    });
    const body = await checkpoint();
    expect(body).toMatchObject({ treeSize, timestamp: { token: expect.any(String) } });
    return body;
  };
  const itemBundle = async (): Promise<BundleBody> => {
    const [item] = await seize(app, session, caseId, [hardDrive()]);
    return (await api().get(`/api/v1/items/${item.id}/bundle`).set(bearer(session)).expect(200)).body as BundleBody;
  };
  const verifyFile = (name: string, bundle: object, ...args: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(bundle));
    return runCli(['verify', file, '--key', vkey, ...args], {});
  };
  const ledgerVerify = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const err = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    const code = await runLedgerVerify(['--key', vkey, ...args], database.appUrl, {} as AppConfig, out, err);
    return { code, out: Buffer.concat(chunks).toString('utf8') };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'custos-timestamping-'));
    tsa = await startTestTsa(dir);
    other = await startTestTsa(dir);
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LEDGER_TSA_URL: tsa.url, LEDGER_TSA_CA_FILE: tsa.caFile, LEDGER_TSA_INTERVAL_MS: '200' },
    });
    const db = dataSourceOf(app);
    const agency = await createAgency(db, { code: 'ES-PN' });
    const officer = await createUser(db, agency, { roles: ['officer'] });
    session = await login(app, officer);
    caseId = (await createCase(db, agency.id, officer.id)).id;
    vkey = ((await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string }).vkey;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await tsa?.close();
    await other?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stamps a newly published checkpoint in the background, stores the token once, serves it', async () => {
    await seize(app, session, caseId, [hardDrive()]);
    const signed = await app.get(CheckpointService).checkpointNow();
    const body = await stampedCheckpoint(signed.treeSize);
    const verified = verifyTimeStampToken(
      Buffer.from(body.timestamp!.token, 'base64'),
      noteBody(body.note),
      parseTrustAnchors(tsa.caPem),
    );
    expect(verified.genTime.toISOString()).toBe(body.timestamp!.genTime);
    expect(body.timestamp!.tsa).toContain('CN=Custos Test TSA');
    // Asking again, from any process, stores nothing twice: one row per checkpoint.
    await Promise.all([1, 2, 3].map(() => app.get(LedgerTimestampingService).stampNow()));
    const rows = await sql(database.appUrl, 'SELECT tree_size FROM ledger_checkpoint_timestamp WHERE tree_size = $1', [
      signed.treeSize,
    ]);
    expect(rows.rows).toHaveLength(1);
    const status = await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200);
    expect(status.body.timestamping).toMatchObject({
      enabled: true,
      status: 'ok',
      stampedSize: signed.treeSize,
      pendingSize: null,
      lastError: null,
    });
  });

  it('puts the token in bundles, which custos verify --tsa-ca checks; a wrong CA or a bad token fails', async () => {
    const bundle = await itemBundle();
    const size = Number(bundle.checkpoint.split('\n')[1]);
    expect(bundle.timestamps).toEqual([{ treeSize: size, token: expect.any(String) }]);

    const ok = await verifyFile('bundle.json', bundle, '--tsa-ca', tsa.caFile);
    expect(ok.stdout).toContain(`checkpoint of size ${size} timestamped at`);
    expect(ok.stdout).toContain('chains to --tsa-ca');
    expect(ok.code).toBe(0);
    const unpinned = await verifyFile('bundle.json', bundle);
    expect(unpinned.stdout).toContain('TSA NOT checked: pass --tsa-ca');
    expect(unpinned.code).toBe(0);

    const wrongCa = await verifyFile('bundle.json', bundle, '--tsa-ca', other.caFile);
    expect(wrongCa.stdout).toMatch(/bundle FAILED: .*size \d+ does not verify: .*does not chain to the given CA/);
    expect(wrongCa.code).toBe(1);

    const { timestamps: _dropped, ...bare } = bundle;
    const missing = await verifyFile('bare.json', bare, '--tsa-ca', tsa.caFile);
    expect(missing.stdout).toContain(`bundle FAILED: no time-stamp token for the checkpoint of size ${size}`);
    expect(missing.code).toBe(1);
    expect((await verifyFile('bare.json', bare)).code).toBe(0);

    // One bit of the token's signature flipped (the signature ends the token).
    const token = Buffer.from(bundle.timestamps![0].token, 'base64');
    token[token.length - 3] ^= 0x01;
    const tampered = { ...bundle, timestamps: [{ treeSize: size, token: token.toString('base64') }] };
    for (const args of [['--tsa-ca', tsa.caFile], []]) {
      const result = await verifyFile('tampered.json', tampered, ...args);
      expect(result.stdout).toMatch(
        /bundle FAILED: the time-stamp token of the checkpoint of size \d+ does not verify/,
      );
      expect(result.code).toBe(1);
    }

    // A genuine token of another checkpoint, passed off as this one's.
    const [earlier] = (
      await sql(
        database.appUrl,
        'SELECT token FROM ledger_checkpoint_timestamp WHERE tree_size < $1 ORDER BY tree_size LIMIT 1',
        [size],
      )
    ).rows as Array<{ token: Buffer }>;
    const swapped = { ...bundle, timestamps: [{ treeSize: size, token: earlier.token.toString('base64') }] };
    const wrongImprint = await verifyFile('swapped.json', swapped, '--tsa-ca', tsa.caFile);
    expect(wrongImprint.stdout).toContain("token's imprint is not the checkpoint's note body");
    expect(wrongImprint.code).toBe(1);

    // The court report names the timestamp in its verification section.
    const pdf = await api()
      .get(`/api/v1/items/${bundle.subject.id}/report.pdf`)
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
    expect(text).toMatch(/Time-stamp \(RFC 3161\) \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+00:00 by CN=Custos Test TSA/);

    // The independent verifier (docs/bundle-format.md alone) reads bundles carrying tokens.
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle));
    const python = execFileSync('python3', [PYTHON_VERIFIER, join(dir, 'bundle.json'), '--key', vkey]).toString();
    expect(python).toContain('VERIFIED');
  }, 120_000);

  it('custos ledger verify --tsa-ca checks every stored token and requires one on the published checkpoint', async () => {
    const ok = await ledgerVerify('--tsa-ca', tsa.caFile);
    expect(ok.out).toMatch(/time-stamp tokens: \d+ verified against --tsa-ca/);
    expect(ok.code).toBe(0);
    const wrongCa = await ledgerVerify('--tsa-ca', other.caFile);
    expect(wrongCa.out).toMatch(
      /ledger FAILED: time-stamp tokens: .* does not verify: .*does not chain to the given CA/,
    );
    expect(wrongCa.code).toBe(1);
  }, 60_000);

  it('keeps writing while the TSA is down, says so in the status, and stamps when it returns', async () => {
    await tsa.stop();
    // Writes do not wait for the TSA: a seizure and a bundle both succeed.
    await seize(app, session, caseId, [hardDrive()]);
    const signed = await app.get(CheckpointService).checkpointNow();
    const status = await eventually('the status to report the outage', async () => {
      const { body } = await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200);
      return body.timestamping.status === 'failing' && body.timestamping.pendingSize === signed.treeSize
        ? (body.timestamping as { lastError: { reason: string } })
        : undefined;
    });
    expect(status.lastError.reason).toEqual(expect.any(String));
    expect((await checkpoint()).timestamp).toBeUndefined();
    const missing = await ledgerVerify('--tsa-ca', tsa.caFile);
    expect(missing.out).toContain(`no time-stamp token for the checkpoint of size ${signed.treeSize}`);
    expect(missing.code).toBe(1);

    await tsa.start();
    // No operator action: the background retry stamps it.
    await stampedCheckpoint(signed.treeSize);
    const { body } = await api().get('/api/v1/ledger/status').set(bearer(session)).expect(200);
    expect(body.timestamping).toMatchObject({ status: 'ok', stampedSize: signed.treeSize, lastError: null });
    expect((await ledgerVerify('--tsa-ca', tsa.caFile)).code).toBe(0);
  }, 90_000);

  it('stores nothing from a TSA whose certificate does not chain to LEDGER_TSA_CA_FILE', async () => {
    // A second service on its own database, pointed at a TSA its CA file does not name. Last: a
    // second app in this process invalidates the first one's sessions.
    const own = await createTestDatabase();
    const untrusting = await createTestApp({
      databaseUrl: own.appUrl,
      env: { LEDGER_TSA_URL: other.url, LEDGER_TSA_CA_FILE: tsa.caFile, LEDGER_TSA_INTERVAL_MS: '86400000' },
    });
    try {
      const signed = await untrusting.get(CheckpointService).checkpointNow();
      await expect(untrusting.get(LedgerTimestampingService).stampNow()).rejects.toThrow(
        /does not chain to the given CA/,
      );
      expect((await sql(own.appUrl, 'SELECT 1 FROM ledger_checkpoint_timestamp')).rows).toHaveLength(0);
      expect(await untrusting.get(LedgerTimestampingService).status()).toMatchObject({
        status: 'failing',
        pendingSize: signed.treeSize,
        stampedSize: null,
        lastError: { reason: expect.stringMatching(/does not chain to the given CA/) },
      });
    } finally {
      await untrusting.close();
      await own.drop();
    }
  }, 60_000);
});
