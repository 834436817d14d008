import { existsSync } from 'node:fs';

import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';

import { createApp } from './app.js';
import { assertCanListen, portUnavailable } from './common/port-check.js';
import type { AppConfig } from './config/config.js';
import { orphanWarning } from './database/embedded-clusters.js';
import { attachToRunningCluster, startEmbeddedPostgres, type EmbeddedDatabase } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';
import { initialAdminPasswordFile } from './identity/initial-admin-password.js';
import { announceStart } from './start-banner.js';

export interface DatabaseConnections {
  appUrl: string;
  ownerUrl: string;
  embedded?: EmbeddedDatabase;
}

/** DATABASE_URL when given; otherwise the embedded cluster in DATA_DIR, started before Nest connects. */
export async function connectDatabase(
  config: AppConfig,
  logger: Logger,
  options: { attach?: boolean } = {},
): Promise<DatabaseConnections> {
  if (config.databaseUrl !== undefined) {
    return { appUrl: config.databaseUrl, ownerUrl: config.databaseOwnerUrl ?? config.databaseUrl };
  }
  // The command line uses the cluster of a running service rather than being refused its DATA_DIR.
  const running = options.attach ? attachToRunningCluster(config.dataDir) : undefined;
  if (running) return running;
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPostgresPort,
    logger: {
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      debug: (message) => logger.debug(message),
    },
  });
  return { appUrl: embedded.appUrl, ownerUrl: embedded.ownerUrl, embedded };
}

/** Clusters left behind by deleted DATA_DIRs take disk space until someone removes them (ADR 0008). */
export function warnAboutOrphanedClusters(logger: Logger): void {
  try {
    const warning = orphanWarning();
    if (warning !== undefined) logger.warn(warning);
  } catch (error) {
    logger.debug({ err: error }, 'could not look for orphaned embedded clusters');
  }
}

export interface RunningService {
  app: NestExpressApplication;
  url: string;
  /** In-flight requests finish, the pool closes, the embedded cluster stops. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * One service process. As a worker of `CUSTOS_WORKERS` (src/workers.ts) its primary has checked the
 * port, started the database and announces the service: the worker only serves.
 */
export async function startService(
  config: AppConfig,
  logger: Logger,
  options: { worker?: boolean } = {},
): Promise<RunningService> {
  // Before anything is created: a first start on a taken port must leave nothing behind.
  if (!options.worker) await assertCanListen(config.host, config.port);
  const database = await connectDatabase(config, logger);
  if (database.embedded) warnAboutOrphanedClusters(logger);
  let app: NestExpressApplication | undefined;
  try {
    if (config.runMigrations) {
      const applied = await runMigrations(database.ownerUrl, logger);
      logger.info(applied.length === 0 ? 'database schema is up to date' : `applied ${applied.length} migration(s)`);
    }
    app = await createApp({ config, databaseUrl: database.appUrl, logger });
    try {
      await app.listen(config.port, config.host);
    } catch (error) {
      // Taken between the check and now: the same clear message.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
        throw portUnavailable(config.host, config.port, code);
      throw error;
    }
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    const passwordFile = initialAdminPasswordFile(config.dataDir);
    if (options.worker) logger.info({ url }, 'service worker listening');
    else
      announceStart(
        logger,
        {
          url,
          docs: `${url}/api/docs`,
          ...(existsSync(passwordFile) ? { initialAdminPasswordFile: passwordFile } : {}),
        },
        config.logFormat === 'pretty',
      );
    let stopping: Promise<void> | undefined;
    const running = app;
    return {
      app: running,
      url,
      shutdown: () =>
        (stopping ??= (async () => {
          try {
            await running.close();
          } finally {
            await database.embedded?.stop();
          }
        })()),
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.embedded?.stop();
    throw error;
  }
}
