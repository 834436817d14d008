import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { runMigrations } from '../src/database/migrate.js';

/** A fresh, migrated database for a benchmark: embedded by default, or BENCH_DATABASE_URL (superuser). */
export interface BenchDatabase {
  appUrl: string;
  ownerUrl: string;
  adminUrl: string;
  close(): Promise<void>;
}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export async function benchDatabase(): Promise<BenchDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  embedded = await startEmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'custos-bench-')), logger: quiet });
  await runMigrations(embedded.ownerUrl, quiet);
  return {
    appUrl: embedded.appUrl,
    ownerUrl: embedded.ownerUrl,
    adminUrl: embedded.superuserUrl,
    close: async () => {
      await embedded?.stop();
      embedded = undefined;
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
  writeFileSync(file, `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`);
  return file;
}

/** Runs `lanes` concurrent loops of `work` for `durationMs`; returns per-operation latencies (ms). */
export async function closedLoop(lanes: number, durationMs: number, work: (lane: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
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
