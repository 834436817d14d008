import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';

import type { Logger } from 'pino';

import { assertCanListen } from './common/port-check.js';
import type { AppConfig } from './config/config.js';
import { runMigrations } from './database/migrate.js';
import { initialAdminPasswordFile } from './identity/initial-admin-password.js';
import { loadOrCreateTokenKey } from './identity/tokens/token-key.js';
import { connectDatabase, warnAboutOrphanedClusters } from './service.js';
import { announceStart } from './start-banner.js';

/** The message a worker's primary sends it to stop (workers ignore the terminal's signals). */
export const STOP_MESSAGE = 'custos:stop';

/** More exits than this within CRASH_WINDOW_MS and the primary gives up: something is wrong, not unlucky. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;

/**
 * `CUSTOS_WORKERS=N` (issue #19): N service processes sharing one port through node:cluster, on one
 * database — the ledger's serial section, checkpoints and witnessing already coordinate through
 * PostgreSQL (ADR 0021), and sessions are revoked in every process at once (ADR 0064).
 *
 * The primary does what must happen once before any worker serves: the port check, the embedded
 * PostgreSQL (and its DATA_DIR lock), the migrations and the access-token key. It then starts one
 * worker and waits for it to listen — that one creates the ledger key and the bootstrap
 * administrator on an empty database — before the others, so no two processes race to create them.
 * It replaces a worker that dies, and stops them all (then the embedded cluster) on SIGINT/SIGTERM.
 */
export async function startPrimary(
  config: AppConfig,
  logger: Logger,
): Promise<{ url: string; shutdown(): Promise<void> }> {
  await assertCanListen(config.host, config.port);
  const database = await connectDatabase(config, logger);
  if (database.embedded) warnAboutOrphanedClusters(logger);
  let stopping = false;
  /** Workers that listen: their message handler is installed (one still loading its modules would miss the message). */
  const serving = new WeakSet<Worker>();
  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(
      running.map(
        (worker) =>
          new Promise<void>((done) => {
            worker.once('exit', () => done());
            // A worker still starting has acknowledged nothing: it is killed rather than waited for.
            // One whose channel is gone stops by itself (main.ts); one that hangs is killed below.
            if (!serving.has(worker)) worker.process.kill('SIGKILL');
            else if (worker.isConnected()) worker.send(STOP_MESSAGE);
            setTimeout(() => worker.process.kill('SIGKILL'), config.shutdownTimeoutMs + 2_000).unref();
          }),
      ),
    );
  };
  try {
    if (config.runMigrations) {
      const applied = await runMigrations(database.ownerUrl, logger);
      logger.info(applied.length === 0 ? 'database schema is up to date' : `applied ${applied.length} migration(s)`);
    }
    loadOrCreateTokenKey(config, { warn: (message) => logger.warn(message) });
    const workerEnv: Record<string, string> = {
      DATABASE_URL: database.appUrl,
      DATABASE_OWNER_URL: database.ownerUrl,
      RUN_MIGRATIONS: 'false',
      JWT_SECRET_FILE: config.auth.jwtSecretFile,
    };

    let port = config.port;
    const fork = async (): Promise<Worker> => {
      const worker = cluster.fork(workerEnv);
      return new Promise<Worker>((done, fail) => {
        const exited = (code: number | null): void =>
          fail(new Error(`a service worker exited (code ${code}) before listening; see its log above`));
        worker.once('exit', exited);
        worker.once('listening', (address) => {
          serving.add(worker);
          worker.off('exit', exited);
          port = address.port;
          done(worker);
        });
      });
    };
    await fork();
    await Promise.all(Array.from({ length: config.workers - 1 }, fork));

    const crashes: number[] = [];
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && crashes[0] < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length > MAX_CRASHES) {
        logger.fatal(`${crashes.length} service workers died within a minute; stopping Custos`);
        process.kill(process.pid, 'SIGTERM');
        return;
      }
      logger.error(
        `service worker ${worker.process.pid} died (${signal ?? `code ${code}`}); starting another in ${RESTART_DELAY_MS} ms`,
      );
      setTimeout(() => {
        if (!stopping) fork().catch((error: unknown) => logger.error({ err: error }, 'could not replace a worker'));
      }, RESTART_DELAY_MS);
    });

    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    const passwordFile = initialAdminPasswordFile(config.dataDir);
    announceStart(
      logger,
      {
        url,
        docs: `${url}/api/docs`,
        workers: config.workers,
        ...(existsSync(passwordFile) ? { initialAdminPasswordFile: passwordFile } : {}),
      },
      config.logFormat === 'pretty',
    );
    let stopped: Promise<void> | undefined;
    return {
      url,
      shutdown: () =>
        (stopped ??= (async () => {
          try {
            await stopWorkers();
          } finally {
            await database.embedded?.stop();
          }
        })()),
    };
  } catch (error) {
    await stopWorkers();
    await database.embedded?.stop();
    throw error;
  }
}
