import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import { jest } from '@jest/globals';
import pg from 'pg';

import { RELOCATED_ROOT } from '../../src/database/embedded-clusters.js';
import { attachToRunningCluster } from '../../src/database/embedded-postgres.js';
import { formatVerifierKey, parseSignerKey } from '../../src/ledger/core/index.js';
import { runCli } from '../utils/cli-process.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';
import {
  buildScene,
  call,
  halfWritten,
  loginOver,
  missingAcknowledged,
  ORIGIN,
  statusCounts,
  stopAllLoads,
  stopService,
  testPool,
  verificationBody,
  verificationLoad,
  type Acknowledged,
} from './support.js';

jest.setTimeout(600_000);

/** Acknowledged writes before the backup starts, so that the backup has a ledger to hold. */
const BEFORE_BACKUP = 150;

const relocatedClusters = (): string[] => (existsSync(RELOCATED_ROOT) ? readdirSync(RELOCATED_ROOT).sort() : []);

/** Every file under `dir` with its SHA-256: what "changes nothing" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = join(relative, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isSymbolicLink()) files[path] = `→ ${readlinkSync(join(dir, path))}`;
      else
        files[path] = createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex');
    }
  };
  visit('');
  return files;
}

/**
 * `custos backup` under a write load on the real service (embedded PostgreSQL, relocated because
 * DATA_DIR is below a private temporary directory and the suite runs as root), the data destroyed,
 * `custos restore` into an empty DATA_DIR, and the restored service: every write acknowledged
 * before the backup began is there, nothing is half-written, and `custos ledger verify` passes
 * with the key trusted before the loss. Then what a restore refuses, changing nothing.
 */
describe('backup and restore of an embedded DATA_DIR', () => {
  const root = mkdtempSync(join(tmpdir(), 'custos-backup-'));
  const dataDir = join(root, 'data');
  const backupFile = join(root, 'custos.backup');
  const env = {
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    LEDGER_ORIGIN: ORIGIN,
    LEDGER_CHECKPOINT_SECONDS: '1',
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
  };
  let service: ServiceProcess | undefined;
  const pools: pg.Pool[] = [];
  const clusters = new Set<string>();

  const start = async (): Promise<{ url: string; pool: pg.Pool }> => {
    // initdb and every migration first: on a busy machine that takes longer than the usual 45 s.
    service = startServiceProcess({ ...env, LOG_LEVEL: 'info' }, 180_000);
    const url = await service.listening;
    clusters.add(realpathSync(join(dataDir, 'postgres')));
    const attached = attachToRunningCluster(dataDir);
    if (!attached) throw new Error('the service holds no cluster in DATA_DIR');
    const pool = testPool(attached.appUrl);
    pools.push(pool);
    return { url, pool };
  };

  afterAll(async () => {
    stopAllLoads();
    await stopService(service);
    for (const pool of pools) await pool.end();
    for (const cluster of clusters) rmSync(cluster, { recursive: true, force: true });
    for (const name of relocatedClusters()) {
      // Clusters a failed restore might have left would name this test's DATA_DIRs.
      const record = join(RELOCATED_ROOT, name, 'custos-data-dir.json');
      if (existsSync(record) && readFileSync(record, 'utf8').includes(root)) {
        rmSync(join(RELOCATED_ROOT, name), { recursive: true, force: true });
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  let acknowledgedBeforeBackup: Acknowledged[] = [];
  let verifierKey = '';
  let token = '';
  let itemId = '';

  it('restores every write acknowledged before the backup began, and the ledger verifies', async () => {
    const first = await start();
    const scene = await buildScene(first.pool, first.url, 8);
    token = await loginOver(first.url, scene.officer);
    itemId = scene.itemIds[0];
    const signer = parseSignerKey(readFileSync(join(dataDir, 'ledger-signing.key'), 'utf8').trim());
    verifierKey = formatVerifierKey(signer.name, signer.publicKey);
    // What the ledger signer (issue #15) keeps beside its key: never in a backup.
    writeFileSync(join(dataDir, 'ledger-signed-head.json'), '{"size":1,"root":"x"}\n', { mode: 0o600 });

    let acknowledged = 0;
    let loadStarted!: () => void;
    const enough = new Promise<void>((done) => (loadStarted = done));
    let stopLoad!: () => void;
    const load = verificationLoad({
      urls: () => [first.url],
      token,
      itemIds: scene.itemIds,
      clients: 16,
      stop: new Promise<void>((done) => (stopLoad = done)),
      onAcknowledged: (count) => {
        acknowledged = count;
        if (count === BEFORE_BACKUP) loadStarted();
      },
    });
    await enough;
    const countAtBackup = acknowledged;
    const backup = await runCli(['backup', backupFile], env);
    const countAfterBackup = acknowledged;
    stopLoad();
    const { results, acknowledged: acks } = await load;
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    expect(backup.stdout).toContain(`backup written to ${backupFile}`);
    expect(backup.stdout).toContain('left out on purpose: ledger-signed-head.json');
    // The backup ran under load: writes were acknowledged while it was taken, and none failed.
    expect(countAfterBackup).toBeGreaterThan(countAtBackup);
    expect(Object.keys(statusCounts(results))).toEqual(['201']);
    acknowledgedBeforeBackup = acks.slice(0, countAtBackup);

    // The loss: the service stops, DATA_DIR and its relocated cluster are deleted.
    await stopService(service);
    const lostCluster = realpathSync(join(dataDir, 'postgres'));
    expect(lostCluster.startsWith(`${RELOCATED_ROOT}/`)).toBe(true);
    rmSync(dataDir, { recursive: true });
    rmSync(lostCluster, { recursive: true });

    const restore = await runCli(['restore', backupFile], env);
    expect(restore).toMatchObject({ code: 0, stderr: '' });
    expect(restore.stdout).toContain(`into ${dataDir}`);
    expect(existsSync(join(dataDir, 'ledger-signed-head.json'))).toBe(false);
    // The first start's one-time admin password is still there (nobody changed it): restored too.
    expect(readdirSync(dataDir).sort()).toEqual([
      'initial-admin-password',
      'jwt-secret',
      'ledger-signing.key',
      'postgres',
      'postgres-credentials.json',
    ]);

    const restored = await start();
    expect(await missingAcknowledged(restored.pool, acknowledgedBeforeBackup)).toEqual([]);
    expect(await halfWritten(restored.pool)).toEqual({ rowsWithoutEntry: 0, entriesWithoutRows: 0, gaps: 0 });
    const { rows } = await restored.pool.query<{ size: number }>('SELECT tree_size::int AS size FROM ledger_state');
    expect(rows[0].size).toBeGreaterThan(Math.max(...acknowledgedBeforeBackup.map((a) => a.ledgerIndex)));

    // The key trusted before the loss verifies the restored ledger, as an operator would run it.
    const verified = await runCli(['ledger', 'verify', '--deep', '--key', verifierKey], env);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toMatch(/^ledger OK: \d+ entries/m);

    // The restored access-token key accepts a token issued before the loss, and writing goes on.
    const after = await call(restored.url, 'POST', `/api/v1/items/${itemId}/hashes`, {
      token,
      body: verificationBody(itemId, -1),
    });
    expect(after.status).toBe(201);
  });

  it('refuses a DATA_DIR that is not empty, changing nothing', async () => {
    // The restored service is still running on DATA_DIR.
    // The running service's signer rewrites its record of the last signed checkpoint on its own
    // schedule (ADR 0025): that file is its, not the refused restore's.
    const files = (): Record<string, string> => {
      const { 'ledger-signed-head.json': _signerRecord, ...rest } = snapshot(dataDir);
      return rest;
    };
    const before = files();
    const clustersBefore = relocatedClusters();
    const refused = await runCli(['restore', backupFile], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`DATA_DIR ${dataDir} is not empty`);
    expect(refused.stderr).toContain('(restore_target_not_empty)');
    expect(files()).toEqual(before);
    expect(relocatedClusters()).toEqual(clustersBefore);

    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'kept\n');
    const refusedOther = await runCli(['restore', backupFile], { ...env, DATA_DIR: other });
    expect(refusedOther.stderr).toContain('(restore_target_not_empty)');
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });

  it('refuses a truncated or corrupted backup with a clear message, changing nothing', async () => {
    const original = readFileSync(backupFile);
    const tar = gunzipSync(original);
    const key = readFileSync(join(dataDir, 'ledger-signing.key'));
    const at = tar.indexOf(key);
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(tar);
    tampered[at + key.length - 3] ^= 0x01;
    // The manifest is the last member: its header starts with its name.
    const withoutManifest = Buffer.concat([tar.subarray(0, tar.lastIndexOf('manifest.json')), Buffer.alloc(1024)]);
    const third = Math.floor(original.length / 3);
    const damaged: Record<string, [Buffer, RegExp]> = {
      truncated: [original.subarray(0, Math.floor(original.length / 2)), /it ends early \(truncated\?\)/],
      'bit-flipped': [Buffer.from(original).fill(0x55, third, third + 64), /is damaged|does not match its SHA-256/],
      'changed member': [gzipSync(tampered), /member data\/ledger-signing.key does not match its SHA-256/],
      'no manifest': [gzipSync(withoutManifest), /it has no manifest/],
    };
    const clustersBefore = relocatedClusters();
    for (const [name, [content, reason]] of Object.entries(damaged)) {
      const file = join(root, `${name}.backup`);
      writeFileSync(file, content);
      const target = join(root, `restore-${name.replace(/ /g, '-')}`);
      const refused = await runCli(['restore', file], { ...env, DATA_DIR: target });
      expect({ name, code: refused.code }).toEqual({ name, code: 1 });
      expect(refused.stderr).toContain(`${file} is not an intact Custos backup`);
      expect(refused.stderr).toMatch(reason);
      expect(refused.stderr).toContain('(backup_unreadable)');
      expect(existsSync(target)).toBe(false);
      expect(relocatedClusters()).toEqual(clustersBefore);
    }
  });

  it('with DATABASE_URL, backs up only DATA_DIR’s files, and only when asked to', async () => {
    const serverEnv = { ...env, DATABASE_URL: 'postgres://custos_app:x@127.0.0.1:1/custos' };
    const refused = await runCli(['backup', join(root, 'server.backup')], serverEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Custos does not manage that PostgreSQL server');
    expect(refused.stderr).toContain('(backup_not_embedded)');
    expect(existsSync(join(root, 'server.backup'))).toBe(false);

    const filesOnly = await runCli(['backup', '--files-only', join(root, 'files.backup')], serverEnv);
    expect(filesOnly).toMatchObject({ code: 0, stderr: '' });
    expect(filesOnly.stdout).toContain('database: not included (--files-only)');
    const target = join(root, 'files-restored');
    const restored = await runCli(['restore', join(root, 'files.backup')], { ...env, DATA_DIR: target });
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(target).sort()).toEqual([
      'initial-admin-password',
      'jwt-secret',
      'ledger-signing.key',
      'postgres-credentials.json',
    ]);
    expect(readFileSync(join(target, 'ledger-signing.key'))).toEqual(readFileSync(join(dataDir, 'ledger-signing.key')));
  });
});
