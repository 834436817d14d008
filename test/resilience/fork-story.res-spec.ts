import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { jest } from '@jest/globals';

import { SERVICE_GROUP_ROLE } from '../../src/database/roles.js';
import type { SignerStatus } from '../../src/ledger/checkpoint.service.js';
import { openCheckpoint, verifyCosignatures } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey } from '../../src/ledger/ledger-key.js';
import type { WitnessingStatus } from '../../src/ledger/witnessing/ledger-witnessing.service.js';
import { runCli } from '../utils/cli-process.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';
import {
  createTestDatabase,
  databaseUrl,
  dropDatabase,
  testDatabaseEnvironment,
  withClient,
  type TestDatabase,
} from '../utils/test-database.js';
import { startWitnessProcess, type WitnessProcess } from '../utils/witness-process.js';
import { buildScene, call, loginOver, ORIGIN, stopService, testPool, verificationBody, type Scene } from './support.js';

jest.setTimeout(600_000);

interface LedgerStatus {
  treeSize: number;
  signer: SignerStatus;
  witnessing: WitnessingStatus;
}

/** Polls `check` until it returns something other than undefined, or fails after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * The fork story of issue 15, with real processes: a standalone witness (`custos witness serve`)
 * and the built service on a server database. An insider copies DATA_DIR — key *and* the signer's
 * record of its last signed head — and the database with the service stopped (T1); the ledger
 * grows and a checkpoint is witnessed (T2); the insider restores the T1 copy, all of it, and writes
 * other entries past T2's size. The signer has nothing to object to (its record was rolled back
 * with everything else): the witness is what catches the fork, and everyone can see it did.
 */
describe('the fork story: a restored T1 copy grown past a witnessed T2', () => {
  const root = mkdtempSync(join(tmpdir(), 'custos-fork-'));
  const dataDir = join(root, 'data');
  const t1DataDir = join(root, 'data-at-t1');
  const witnessDir = join(root, 'witness');
  const t2File = join(root, 't2-checkpoint.txt');
  const env = testDatabaseEnvironment();
  const databases: string[] = [];
  let database: TestDatabase;
  let witness: WitnessProcess | undefined;
  let witnessVkey = '';
  let service: ServiceProcess | undefined;
  let ledgerVkey = '';
  let serviceEnv: Record<string, string> = {};
  let scene: Scene;

  const appUrlOf = (name: string): string => databaseUrl(env.adminUrl, name, env.app);
  const ownerUrlOf = (name: string): string => databaseUrl(env.adminUrl, name, env.owner);

  /** A DBA's copy of a database (CREATE DATABASE … TEMPLATE, the service stopped), with its grants. */
  const copyDatabase = async (from: string, to: string): Promise<void> => {
    await withClient(env.adminUrl, async (client) => {
      const db = client.escapeIdentifier(to);
      await client.query(
        `CREATE DATABASE ${db} TEMPLATE ${client.escapeIdentifier(from)} OWNER ${client.escapeIdentifier(env.owner.name)}`,
      );
      await client.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
      await client.query(
        `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${client.escapeIdentifier(SERVICE_GROUP_ROLE)}`,
      );
    });
    databases.push(to);
  };

  const start = async (databaseName: string): Promise<string> => {
    serviceEnv = {
      NODE_ENV: 'test',
      DATABASE_URL: appUrlOf(databaseName),
      RUN_MIGRATIONS: 'false',
      DATA_DIR: dataDir,
      JWT_SECRET_FILE: join(dataDir, 'jwt-secret'),
      // Key and signer record in DATA_DIR, as in the embedded setup: what the insider copies.
      LEDGER_KEY_FILE: join(dataDir, 'ledger-signing.key'),
      LEDGER_ORIGIN: ORIGIN,
      LEDGER_CHECKPOINT_SECONDS: '1',
      LEDGER_WITNESSES: `${witnessUrl} ${witnessVkey}`,
      LEDGER_WITNESS_INTERVAL_MS: '300',
      LOGIN_RATE_LIMIT_PER_IP: '100000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
      LOG_LEVEL: 'info',
    };
    service = startServiceProcess(serviceEnv, 90_000);
    return service.listening;
  };

  let witnessUrl = '';
  let token = '';
  let written = 0;
  /** `count` hash verifications; `tag` makes the entries of each branch differ. */
  const write = async (url: string, count: number, tag: string): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const itemId = scene.itemIds[i % scene.itemIds.length];
      const answer = await call(url, 'POST', `/api/v1/items/${itemId}/hashes`, {
        token,
        body: verificationBody(itemId, written++),
      });
      if (answer.status !== 201) throw new Error(`${tag} write: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  };
  const ledgerStatus = async (url: string): Promise<LedgerStatus> => {
    const answer = await call(url, 'GET', '/api/v1/ledger/status', { token });
    expect(answer.status).toBe(200);
    return answer.body as unknown as LedgerStatus;
  };
  const published = async (url: string): Promise<{ treeSize: number; note: string } | undefined> => {
    const answer = await call(url, 'GET', '/api/v1/ledger/checkpoint');
    return answer.status === 200 ? (answer.body as { treeSize: number; note: string }) : undefined;
  };
  /** Waits until the checkpoint published is the whole tree's: the witness cosigned it. */
  const witnessed = async (url: string): Promise<{ treeSize: number; note: string }> => {
    const size = Number((await ledgerStatus(url)).treeSize);
    return until(`a witnessed checkpoint of size ${size}`, async () => {
      const checkpoint = await published(url);
      return checkpoint?.treeSize === size ? checkpoint : undefined;
    });
  };
  const witnessState = (): string =>
    readdirSync(join(witnessDir, 'logs'))
      .sort()
      .map((file) => readFileSync(join(witnessDir, 'logs', file), 'utf8'))
      .join('\n');

  beforeAll(async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    ledgerVkey = loadOrCreateLedgerKey(join(dataDir, 'ledger-signing.key'), ORIGIN, {
      warn: () => undefined,
    }).verifierKey;
    writeFileSync(join(dataDir, 'jwt-secret'), `${'s'.repeat(64)}\n`, { mode: 0o600 });
    witness = startWitnessProcess([
      '--data-dir',
      witnessDir,
      '--port',
      '0',
      '--name',
      'witness.test/w0',
      '--log',
      `${ORIGIN}=${ledgerVkey}`,
    ]);
    ({ url: witnessUrl, vkey: witnessVkey } = await witness.ready);
    database = await createTestDatabase();
    databases.push(database.name);
  });

  afterAll(async () => {
    await stopService(service);
    await witness?.stop();
    for (const name of databases) await dropDatabase(env.adminUrl, name);
    rmSync(root, { recursive: true, force: true });
  });

  let t1Size = 0;
  let t2: { treeSize: number; note: string };

  it('T1: the insider copies DATA_DIR (key and signer record) and the database, the service stopped', async () => {
    const url = await start(database.name);
    const pool = testPool(ownerUrlOf(database.name));
    try {
      scene = await buildScene(pool, url, 3);
    } finally {
      await pool.end();
    }
    token = await loginOver(url, scene.officer);
    await write(url, 4, 'T1');
    t1Size = (await witnessed(url)).treeSize;
    await stopService(service);

    expect(readdirSync(dataDir)).toContain('ledger-signed-head.json');
    cpSync(dataDir, t1DataDir, { recursive: true, preserveTimestamps: true });
    await copyDatabase(database.name, `${database.name}_t1`);
  });

  it('T2: more entries and a checkpoint the witness cosigned, saved to a file', async () => {
    const url = await start(database.name);
    await write(url, 6, 'T2');
    t2 = await witnessed(url);
    expect(t2.treeSize).toBeGreaterThan(t1Size);
    expect(verifyCosignatures(t2.note, [witnessVkey]).map((c) => c.name)).toEqual(['witness.test/w0']);
    writeFileSync(t2File, t2.note);
    await stopService(service);
  });

  it('after the T1 copy is restored and grown past T2, the witness refuses and nothing is published', async () => {
    // The restore, as an insider does it: every file of DATA_DIR and the whole database as at T1.
    rmSync(dataDir, { recursive: true });
    cpSync(t1DataDir, dataDir, { recursive: true, preserveTimestamps: true });
    const restored = `${database.name}_restored`;
    await copyDatabase(`${database.name}_t1`, restored);
    const heldByWitness = witnessState();

    const url = await start(restored);
    expect((await published(url))?.treeSize).toBe(t1Size);
    // Different entries, past T2's size: the same item, other tool versions.
    written += 1000;
    await write(url, t2.treeSize - t1Size + 3, 'fork');
    const forkSize = Number((await ledgerStatus(url)).treeSize);
    expect(forkSize).toBeGreaterThan(t2.treeSize);

    // The witness's answer to the grown fork reaches the status: refused with 422 (it holds T2; the
    // fork has no valid proof from it). A round run before the fork passed T2 is refused too, with
    // 409 ("the witness holds a larger size"): wait for the one after.
    const status = await until('the witness refusal in the ledger status', async () => {
      const body = await ledgerStatus(url);
      const [w] = body.witnessing.witnesses;
      return w.status === 'refused' && w.size === t2.treeSize && /^422: /.test(w.reason ?? '') ? body : undefined;
    });
    // The signer's rolled-back record let it sign the fork: the witness is the check that held.
    expect(status.signer).toMatchObject({ status: 'ok' });
    expect(status.witnessing).toMatchObject({ enabled: true, quorum: 1, publishedSize: t1Size });
    expect(status.witnessing.witnesses[0]).toMatchObject({
      name: 'witness.test/w0',
      reason: expect.stringMatching(/^422: /),
    });

    // Nothing cosigned for the forked tree is published, nor stored to be.
    expect((await published(url))?.treeSize).toBe(t1Size);
    const owner = testPool(ownerUrlOf(restored));
    try {
      const stored = await owner.query<{ sizes: string[] | null }>(
        'SELECT array_agg(tree_size::text) AS sizes FROM ledger_witnessed_checkpoint WHERE tree_size > $1',
        [t1Size],
      );
      expect(stored.rows[0].sizes).toBeNull();
      const events = await owner.query<{ details: Record<string, unknown> }>(
        `SELECT details FROM access_log WHERE event = 'ledger.witness_refused' ORDER BY occurred_at`,
      );
      expect(events.rows.length).toBeGreaterThan(0);
      expect(events.rows[0].details).toMatchObject({ witness: 'witness.test/w0', status: 'refused' });
    } finally {
      await owner.end();
    }
    const errors = service!
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":50') && line.includes('not published: witness witness.test/w0'));
    expect(errors.length).toBeGreaterThan(0);

    // The witness still holds T2, byte for byte: it changed nothing for the fork.
    expect(witnessState()).toBe(heldByWitness);
    expect(witnessState()).toContain(openCheckpoint(t2.note, ledgerVkey).rootHash.toString('base64'));
    await stopService(service);
  });

  it('custos ledger verify --checkpoint <the T2 checkpoint> fails, naming where the histories diverge', async () => {
    const verify = (...args: string[]) =>
      runCli(['ledger', 'verify', '--key', ledgerVkey, '--checkpoint', t2File, ...args], serviceEnv);
    // The log's signature alone says the tree of T2's size is another one here.
    const alone = await verify();
    expect(alone.code).toBe(1);
    expect(alone.stdout).toContain(
      `ledger FAILED at index ${t2.treeSize - 1}: external checkpoint #1 (size ${t2.treeSize}) is of another history`,
    );
    expect(alone.stdout).toContain(`the histories diverge at or before index ${t2.treeSize - 1}`);
    // With the witness trusted, its cosignatures on T1 (stored here) and on T2 bound the fork.
    const bounded = await verify('--witness', witnessVkey);
    expect(bounded.code).toBe(1);
    expect(bounded.stdout).toContain(
      `the histories diverge at an index from ${t1Size} to ${t2.treeSize - 1}: up to size ${t1Size} they agree (witness.test/w0 cosigned`,
    );
  });
});
