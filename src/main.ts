import 'reflect-metadata';

import cluster from 'node:cluster';
import { existsSync } from 'node:fs';

import { createRootLogger } from './common/logging.js';
import { PortUnavailableError } from './common/port-check.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DataDirInUseError } from './database/data-dir-lock.js';
import { startService } from './service.js';
import { startPrimary, STOP_MESSAGE } from './workers.js';

if (existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`custos: ${error.message}\nSee .env.example for every variable.\n`);
  process.exit(78); // EX_CONFIG
}

const logger = createRootLogger(config);

let service: { shutdown(): Promise<void> } | undefined;
let stopping = false;
const stop = (why: string): void => {
  if (stopping) {
    logger.warn(`${why} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  // Told to stop while still starting: done once started (below).
  if (service === undefined) return;
  logger.info(`${why}: shutting down (in-flight requests finish first)`);
  const forced = setTimeout(() => {
    logger.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
    process.exit(1);
  }, config.shutdownTimeoutMs);
  forced.unref();
  service.shutdown().then(
    () => {
      logger.info('stopped');
      logger.flush();
      process.exitCode = 0;
      // A worker's IPC channel would keep it alive.
      if (cluster.isWorker) process.disconnect();
    },
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
if (cluster.isWorker) {
  // A worker stops when its primary says so, or when the primary is gone; a Ctrl-C reaches the
  // whole process group, and the primary then stops its workers in order.
  process.on('message', (message) => {
    if (message === STOP_MESSAGE) stop('told to stop by the primary');
  });
  process.on('disconnect', () => {
    if (!stopping) stop('the primary process is gone');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal));
}

try {
  // One process, or (CUSTOS_WORKERS > 1) a primary and its workers (src/workers.ts).
  service = cluster.isWorker
    ? await startService(config, logger, { worker: true })
    : config.workers > 1
      ? await startPrimary(config, logger)
      : await startService(config, logger);
  if (stopping) {
    stopping = false;
    stop('asked to stop while starting');
  }
} catch (error) {
  if (error instanceof DataDirInUseError || error instanceof PortUnavailableError) {
    logger.fatal(error.message);
    process.stderr.write(`custos: ${error.message}\n`);
  } else {
    logger.fatal({ err: error }, 'Custos failed to start');
  }
  logger.flush();
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200).unref();
}
