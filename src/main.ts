import 'reflect-metadata';

import { existsSync } from 'node:fs';

import { createRootLogger } from './common/logging.js';
import { PortUnavailableError } from './common/port-check.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DataDirInUseError } from './database/data-dir-lock.js';
import { startService } from './service.js';

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

try {
  const service = await startService(config, logger);
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (signalled) {
        logger.warn(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      signalled = true;
      logger.info(`${signal}: shutting down (in-flight requests finish first)`);
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
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
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
