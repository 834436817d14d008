import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

import autocannon from 'autocannon';
import pg from 'pg';
import { DataSource } from 'typeorm';

import type { Role } from '../src/common/request-context.js';
import { dataSourceOptions } from '../src/database/data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { runMigrations } from '../src/database/migrate.js';
import { insertAgency } from '../src/identity/agencies/agencies.service.js';
import { generatePassword } from '../src/identity/passwords/password-hasher.js';
import { passwordProblem } from '../src/identity/passwords/password-policy.js';
import { insertUser } from '../src/identity/users/users.service.js';

/** Seconds of each measured phase (BENCH_SECONDS; `--quick` sets 3). Read when a benchmark starts. */
export const benchSeconds = (fallback: number): number => Number(process.env.BENCH_SECONDS ?? fallback);

/** A fresh, migrated database for a benchmark, in embedded PostgreSQL (production settings: fsync on). */
export interface BenchDatabase {
  appUrl: string;
  ownerUrl: string;
  adminUrl: string;
  /** One statement as the owner role (fixtures, counts). */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  close(): Promise<void>;
}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/**
 * A temporary cluster, removed on close; or, with `dataDir`, that cluster, kept (reused when it
 * exists): for looking into a generated database — EXPLAIN on the 1,000,000 items — between runs.
 */
export async function benchDatabase(options: { dataDir?: string } = {}): Promise<BenchDatabase> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'custos-bench-'));
  let embedded: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir, logger: quiet });
  await runMigrations(embedded.ownerUrl, quiet);
  return {
    appUrl: embedded.appUrl,
    ownerUrl: embedded.ownerUrl,
    adminUrl: embedded.superuserUrl,
    query: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
      const client = new pg.Client({ connectionString: embedded!.ownerUrl });
      await client.connect();
      try {
        return await client.query<R>(sql, params);
      } finally {
        await client.end();
      }
    },
    close: async () => {
      await embedded?.stop();
      embedded = undefined;
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtEnd: loadavg().map((n) => Number(n.toFixed(2))),
    // BENCH_MACHINE=shared|quiet: whether other work ran on the same cores (figures are then noisy; ratios still hold).
    shared: process.env.BENCH_MACHINE ?? 'not stated',
  };
}

export async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end();
  }
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
  const file = join(process.cwd(), 'bench', 'results', `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`,
  );
  return file;
}

/** One line of the table `npm run bench` prints: a measure, its baseline from the same run, the ratio, the target. */
export interface SummaryRow {
  readonly measure: string;
  readonly custos: string;
  readonly baseline: string;
  /** Custos ÷ baseline (throughputs), or null when there is no comparable baseline. */
  readonly ratio: number | null;
  readonly target: string;
  /** null: no target. */
  readonly met: boolean | null;
}

export const ratio = (custos: number, baseline: number): number => Number((custos / baseline).toFixed(3));

/** Runs `lanes` concurrent loops of `work` for `durationMs`; returns per-operation latencies (ms). */
export async function closedLoop(
  lanes: number,
  durationMs: number,
  work: (lane: number) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await work(lane);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

export interface Throughput {
  readonly operations: number;
  readonly perSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

export function throughput(run: { latencies: number[]; seconds: number }, perOperation = 1): Throughput {
  return {
    operations: run.latencies.length,
    perSecond: Math.round((run.latencies.length * perOperation) / run.seconds),
    p50ms: Number(percentile(run.latencies, 50).toFixed(2)),
    p99ms: Number(percentile(run.latencies, 99).toFixed(2)),
  };
}

// ---------------------------------------------------------------------------------------------
// The service under test: the built dist/src/main.js as a child process, as production runs it

export interface ServiceUnderTest {
  readonly url: string;
  readonly pid: number;
  readonly settings: Record<string, unknown>;
  stop(): Promise<void>;
}

/** VmRSS of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the peak. */
export function sampleRss(
  pid: number,
  intervalMs = 200,
): () => { atStartMiB: number; peakMiB: number; samples: number } {
  const atStartMiB = rssMiB(pid);
  let peakMiB = atStartMiB;
  let samples = 1;
  const timer = setInterval(() => {
    peakMiB = Math.max(peakMiB, rssMiB(pid));
    samples++;
  }, intervalMs);
  return () => {
    clearInterval(timer);
    peakMiB = Math.max(peakMiB, rssMiB(pid));
    return { atStartMiB, peakMiB, samples: samples + 1 };
  };
}

/**
 * Starts the service against `database` (RUN_MIGRATIONS off: the bench migrated it), production
 * settings (NODE_ENV=production, JSON logs at info, one line per request, to a file), default pool
 * size unless `env` says otherwise.
 */
export async function startService(
  database: BenchDatabase,
  env: Record<string, string> = {},
): Promise<ServiceUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-service-'));
  const jwtSecretFile = join(dir, 'jwt-secret');
  writeFileSync(jwtSecretFile, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  const serviceEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    RUN_MIGRATIONS: 'false',
    DATA_DIR: dir,
    JWT_SECRET_FILE: jwtSecretFile,
    JWT_ACCESS_TTL_SECONDS: '3600',
    LEDGER_ORIGIN: 'bench.custos.invalid/ledger',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    LOGIN_RATE_LIMIT_PER_IP: '1000',
    ...env,
  };
  // Logs go to a file, as with a log file or journald: a pipe read by this busy process would fill
  // up and block the service's synchronous log writes, which is the bench's artefact, not the service's.
  const logFile = join(dir, 'service.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [...(process.env.BENCH_SERVICE_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []), resolve('dist/src/main.js')],
    {
      env: serviceEnv,
      stdio: ['ignore', log, log],
      cwd: dir,
    },
  );
  closeSync(log);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code) => {
      exitCode = code;
      done();
    }),
  );
  const head = (): string => readFileSync(logFile, 'utf8').slice(0, 100_000);
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    if (exitCode !== undefined) throw new Error(`the service exited (code ${exitCode}) before listening:\n${head()}`);
    if (Date.now() > deadline) throw new Error(`the service did not start within 60 s:\n${head()}`);
    // The start banner: with CUSTOS_WORKERS > 1 each worker names the URL first, the banner once all listen.
    url = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"Custos is listening/.exec(head())?.[1];
    if (url === undefined) await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    pid: child.pid!,
    settings: {
      process: 'child (node dist/src/main.js)',
      poolSize: Number(serviceEnv.DATABASE_POOL_SIZE ?? 20),
      logLevel: serviceEnv.LOG_LEVEL,
      logTo: 'a file',
      nodeEnv: 'production',
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Users and the HTTP API

export interface BenchUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly agencyId: string;
  readonly agencyCode: string;
}

/** Agencies and users written directly, as `custos agency create` / `user create` (and `custos demo`) do. */
export async function seedUsers(
  appUrl: string,
  agencies: ReadonlyArray<{
    code: string;
    users: ReadonlyArray<{ username: string; displayName: string; role: Role }>;
  }>,
): Promise<BenchUser[]> {
  const dataSource = new DataSource(dataSourceOptions({ url: appUrl, poolSize: 1 }));
  await dataSource.initialize();
  try {
    return await dataSource.transaction(async (em) => {
      const users: BenchUser[] = [];
      for (const spec of agencies) {
        const agency = await insertAgency(em, {
          code: spec.code,
          name: `Bench agency ${spec.code}`,
          country: spec.code.slice(0, 2),
        });
        for (const user of spec.users) {
          let password: string;
          do password = generatePassword();
          while (passwordProblem(password, { username: user.username, displayName: user.displayName }) !== undefined);
          const row = await insertUser(em, {
            ...user,
            agencyId: agency.id,
            roles: [user.role],
            platformAdmin: false,
            password,
            mustChangePassword: false,
          });
          users.push({ id: row.id, username: user.username, password, agencyId: agency.id, agencyCode: spec.code });
        }
      }
      return users;
    });
  } finally {
    await dataSource.destroy();
  }
}

export class BenchApi {
  constructor(readonly baseUrl: string) {}

  async login(user: BenchUser): Promise<string> {
    const body = await this.call<{ accessToken: string }>(null, 'POST', '/api/v1/auth/login', {
      username: user.username,
      password: user.password,
    });
    return body.accessToken;
  }

  async call<T>(token: string | null, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 2000)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

/** `count` calls of `work`, at most `concurrency` at a time. */
export async function inParallel(
  count: number,
  concurrency: number,
  work: (n: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

export interface HttpLoad extends Throughput {
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/**
 * `connections` keep-alive clients sending back to back for `seconds` (autocannon, in this process;
 * ADR 0061). Latency percentiles from autocannon's histogram (ms). Any non-2xx fails the run unless allowed.
 */
export async function httpLoad(options: {
  url: string;
  connections: number;
  seconds: number;
  requests: autocannon.Request[];
  headers?: Record<string, string>;
  allowNon2xx?: boolean;
}): Promise<HttpLoad> {
  let firstRefusal: string | undefined;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers,
    // The first non-2xx body is kept: a failed run says why.
    requests: options.requests.map((request) => ({
      ...request,
      onResponse: (status: number, body: string) => {
        if ((status < 200 || status > 299) && firstRefusal === undefined)
          firstRefusal = `${status} ${body.slice(0, 500)}`;
      },
    })),
    timeout: 30,
  });
  const ok = result['2xx'];
  const load: HttpLoad = {
    operations: ok,
    perSecond: Math.round(ok / result.duration),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  if (!options.allowNon2xx && (load.non2xx > 0 || load.errors > 0)) {
    throw new Error(
      `load on ${options.url} had ${load.non2xx} non-2xx responses and ${load.errors} errors: ${JSON.stringify(result.statusCodeStats)}; first: ${firstRefusal}`,
    );
  }
  return load;
}

export const fmt = {
  rate: (t: { perSecond: number; p50ms?: number; p99ms?: number }, unit = '/s'): string =>
    `${t.perSecond.toLocaleString('en-US')}${unit}${t.p99ms === undefined ? '' : `, p50 ${t.p50ms} ms, p99 ${t.p99ms} ms`}`,
};

/**
 * With BENCH_DIAGNOSE=1: samples pg_stat_activity every 50 ms while a load runs and counts what
 * the service's connections were doing (state, wait event, statement) — where time goes in the database.
 */
export function sampleDatabaseActivity(
  adminUrl: string,
): () => Promise<Array<{ samples: number; what: string }> | undefined> {
  if (process.env.BENCH_DIAGNOSE !== '1') return () => Promise.resolve(undefined);
  const counts = new Map<string, number>();
  const client = new pg.Client({ connectionString: adminUrl });
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ what: string }>(
        `SELECT state || ' | ' || coalesce(wait_event_type || ':' || wait_event, 'cpu') || ' | ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS what
           FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      for (const { what } of rows) counts.set(what, (counts.get(what) ?? 0) + 1);
      await new Promise((done) => setTimeout(done, 50));
    }
    await client.end();
  })();
  return async () => {
    running = false;
    await loop;
    return [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([what, samples]) => ({ samples, what }));
  };
}
