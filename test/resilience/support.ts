import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';
import type { DataSource } from 'typeorm';

import { parseVerifierKey } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey } from '../../src/ledger/ledger-key.js';
import { verifyLedger, type VerifyResult } from '../../src/ledger/ledger-verifier.js';
import { phone, signature } from '../factories/custody.factory.js';
import {
  createAgency,
  createUser,
  FACTORY_PASSWORD,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';

/**
 * Helpers shared by the resilience specs: the real service as child processes on a test database,
 * a bounded HTTP write load, and the checks that nothing acknowledged is missing.
 */

export const ORIGIN = 'test.custos.invalid/ledger';

/** Keys every process of one deployment shares (ADR 0010: JWT_SECRET_FILE is required with DATABASE_URL). */
export interface Deployment {
  readonly dir: string;
  readonly jwtSecretFile: string;
  readonly ledgerKeyFile: string;
  readonly verifierKey: string;
}

export function createDeployment(): Deployment {
  const dir = mkdtempSync(join(tmpdir(), 'custos-resilience-'));
  const jwtSecretFile = join(dir, 'jwt-secret');
  writeFileSync(jwtSecretFile, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  const ledgerKeyFile = join(dir, 'ledger.key');
  const key = loadOrCreateLedgerKey(ledgerKeyFile, ORIGIN, { warn: () => undefined });
  return { dir, jwtSecretFile, ledgerKeyFile, verifierKey: key.verifierKey };
}

/** One service process against `databaseUrl` (already migrated: the app role cannot migrate). */
export function startService(
  deployment: Deployment,
  databaseUrl: string,
  env: Record<string, string> = {},
): ServiceProcess {
  return startServiceProcess({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    RUN_MIGRATIONS: 'false',
    DATA_DIR: mkdtempSync(join(deployment.dir, 'data-')),
    JWT_SECRET_FILE: deployment.jwtSecretFile,
    LEDGER_KEY_FILE: deployment.ledgerKeyFile,
    LEDGER_ORIGIN: ORIGIN,
    LEDGER_CHECKPOINT_SECONDS: '1',
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
    // info: the readiness line carries the URL (test/utils/service-process.ts).
    LOG_LEVEL: 'info',
    ...env,
  });
}

export async function stopService(service: ServiceProcess | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const stopped = await Promise.race([
    service.exited.then(() => true),
    sleep(15_000, undefined, { ref: false }).then(() => false),
  ]);
  if (!stopped) {
    service.child.kill('SIGKILL');
    await service.exited;
  }
}

/**
 * A small pool of the test's own (checks as the service role, or as a superuser). `end()` resolves
 * before the server has closed its sessions, and the database is then dropped WITH (FORCE): a
 * session terminated that way, or by an outage the test causes, must not surface as an unhandled
 * 'error' in whatever test runs next in the worker.
 */
export function testPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

/** The factories take a DataSource; a plain pg pool answers `query` the same way. */
export function factoryDb(pool: pg.Pool): DataSource {
  return {
    query: async (text: string, params?: unknown[]): Promise<unknown[]> =>
      (await pool.query(text, params)).rows as unknown[],
  } as unknown as DataSource;
}

export interface HttpResult {
  readonly status: number;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

/** status 0: no answer (connection refused or reset, or the bound below expired). */
export async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const started = Date.now();
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { raw: text };
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body,
      ms: Date.now() - started,
    };
  } catch (error) {
    const name = (error as Error).name;
    return {
      status: 0,
      contentType: '',
      body: { error: name === 'TimeoutError' ? 'timeout' : String((error as Error).message) },
      ms: Date.now() - started,
    };
  }
}

export async function loginOver(url: string, user: TestUser): Promise<string> {
  const response = await call(url, 'POST', '/api/v1/auth/login', {
    body: { username: user.username, password: user.password },
  });
  if (response.status !== 200)
    throw new Error(`login of ${user.username} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.accessToken as string;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** An agency, an officer and an examiner, a case, and `count` phones each with its signed `device` reference hash. */
export interface Scene {
  readonly agency: TestAgency;
  readonly officer: TestUser;
  readonly examiner: TestUser;
  readonly caseId: string;
  readonly itemIds: string[];
}

export async function buildScene(pool: pg.Pool, url: string, count: number): Promise<Scene> {
  const db = factoryDb(pool);
  const agency = await createAgency(db);
  const officer = await createUser(db, agency, { roles: ['officer'] });
  const examiner = await createUser(db, agency, { roles: ['examiner'] });
  const token = await loginOver(url, officer);
  const kase = await call(url, 'POST', '/api/v1/cases', {
    token,
    body: { caseNumber: `RES-${randomBytes(3).toString('hex')}`, title: 'Operación Resiliencia' },
  });
  if (kase.status !== 201) throw new Error(`case: ${kase.status} ${JSON.stringify(kase.body)}`);
  const caseId = kase.body.id as string;
  const seized = await call(url, 'POST', `/api/v1/cases/${caseId}/items`, {
    token,
    body: { items: Array.from({ length: count }, () => phone()) },
  });
  if (seized.status !== 201) throw new Error(`seizure: ${seized.status} ${JSON.stringify(seized.body)}`);
  const itemIds = (seized.body.items as Array<{ id: string }>).map((item) => item.id);
  for (const itemId of itemIds) {
    const reference = await call(url, 'POST', `/api/v1/items/${itemId}/hashes`, {
      token,
      body: {
        target: 'device',
        hashes: [{ algorithm: 'sha256', value: sha256Hex(itemId) }],
        tool: 'FTK Imager',
        toolVersion: '4.7',
        occurredAt: '2026-11-20T10:00:00+01:00',
        signature: signature('acquired'),
      },
    });
    if (reference.status !== 201) throw new Error(`reference: ${reference.status} ${JSON.stringify(reference.body)}`);
  }
  return { agency, officer, examiner, caseId, itemIds };
}

/** An unsigned write: a verification of the item's `device` reference (a match). */
export function verificationBody(itemId: string, n: number): Record<string, unknown> {
  return {
    target: 'device',
    hashes: [{ algorithm: 'sha256', value: sha256Hex(itemId) }],
    tool: 'sha256sum',
    toolVersion: `load-${n}`,
    occurredAt: '2026-11-21T10:00:00+01:00',
  };
}

export interface Acknowledged {
  readonly itemId: string;
  readonly recordIds: string[];
  readonly ledgerIndex: number;
}

export interface LoadResult {
  readonly results: HttpResult[];
  readonly acknowledged: Acknowledged[];
}

/**
 * `clients` concurrent clients, each recording verifications of its own item on one of `urls`
 * until `stop` resolves. Every 2xx is kept with the record ids and ledger index it returned.
 */
export async function verificationLoad(options: {
  urls: () => readonly string[];
  token: string;
  itemIds: readonly string[];
  clients: number;
  stop: Promise<unknown>;
  timeoutMs?: number;
  pauseOnFailureMs?: number;
  /** Called on each acknowledgement as it arrives (a crash test kills the service from here). */
  onAcknowledged?: (count: number) => void;
}): Promise<LoadResult> {
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  void options.stop.then(stop);
  // A test that fails half-way never resolves `stop`; afterAll ends the load (stopAllLoads).
  runningLoads.add(stop);
  const results: HttpResult[] = [];
  const acknowledged: Acknowledged[] = [];
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      const itemId = options.itemIds[client % options.itemIds.length];
      for (let n = 0; !stopped; n++) {
        const urls = options.urls();
        const result = await call(urls[(client + n) % urls.length], 'POST', `/api/v1/items/${itemId}/hashes`, {
          token: options.token,
          body: verificationBody(itemId, n),
          timeoutMs: options.timeoutMs,
        });
        results.push(result);
        if (result.status >= 200 && result.status < 300) {
          const records = result.body.records as Array<{ id: string; ledgerIndex: number }>;
          acknowledged.push({ itemId, recordIds: records.map((r) => r.id), ledgerIndex: records[0].ledgerIndex });
          options.onAcknowledged?.(acknowledged.length);
        } else if (options.pauseOnFailureMs) {
          await sleep(options.pauseOnFailureMs);
        }
      }
    }),
  );
  runningLoads.delete(stop);
  return { results, acknowledged };
}

const runningLoads = new Set<() => void>();

/** Ends every load still running, so a failed test cannot keep clients looping (and Jest from exiting). */
export function stopAllLoads(): void {
  for (const stop of runningLoads) stop();
  runningLoads.clear();
}

/**
 * Every acknowledged verification is in the database: its hash records, at the ledger index the
 * client was given, and that ledger entry is the `hash.recorded` of that item.
 */
export async function missingAcknowledged(
  pool: pg.Pool,
  acknowledged: readonly Acknowledged[],
): Promise<Acknowledged[]> {
  const { rows } = await pool.query<{
    id: string;
    item_id: string;
    ledger_idx: string;
    entry_type: string | null;
    entry_subject: string | null;
  }>(
    `SELECT h.id, h.item_id, h.ledger_idx, e.type AS entry_type, e.subject_id AS entry_subject
       FROM hash_record h LEFT JOIN ledger_entry e ON e.idx = h.ledger_idx
      WHERE h.id = ANY($1::uuid[])`,
    [acknowledged.flatMap((a) => a.recordIds)],
  );
  const found = new Map(rows.map((row) => [row.id, row]));
  return acknowledged.filter((ack) =>
    ack.recordIds.some((id) => {
      const row = found.get(id);
      return (
        !row ||
        row.item_id !== ack.itemId ||
        Number(row.ledger_idx) !== ack.ledgerIndex ||
        row.entry_type !== 'hash.recorded' ||
        row.entry_subject !== ack.itemId
      );
    }),
  );
}

/** Custody rows without their ledger entry, or `hash.recorded` entries without their rows: a half-written event. */
export async function halfWritten(
  pool: pg.Pool,
): Promise<{ rowsWithoutEntry: number; entriesWithoutRows: number; gaps: number }> {
  const { rows } = await pool.query<{ rows_without_entry: number; entries_without_rows: number; gaps: number }>(
    `SELECT (SELECT count(*) FROM hash_record h WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.idx = h.ledger_idx))::int AS rows_without_entry,
            (SELECT count(*) FROM ledger_entry e WHERE e.type = 'hash.recorded'
                AND NOT EXISTS (SELECT 1 FROM hash_record h WHERE h.ledger_idx = e.idx))::int AS entries_without_rows,
            (SELECT (SELECT tree_size FROM ledger_state) - count(*) + (coalesce(max(idx), -1) + 1 - count(*)) FROM ledger_entry)::int AS gaps`,
  );
  return {
    rowsWithoutEntry: rows[0].rows_without_entry,
    entriesWithoutRows: rows[0].entries_without_rows,
    gaps: rows[0].gaps,
  };
}

export function verify(databaseUrl: string, deployment: Deployment): Promise<VerifyResult> {
  return verifyLedger(databaseUrl, { trustedKeys: [parseVerifierKey(deployment.verifierKey)], deep: true });
}

/** Counts by status, for failure messages: `{ 201: 812, 503: 40 }`. */
export function statusCounts(results: readonly HttpResult[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export { FACTORY_PASSWORD };
