import pg from 'pg';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from './data-source.js';

export interface MigrationLogger {
  info(message: string): void;
}

const MIGRATION_LOCK = 'custos:migrations';

/**
 * Runs pending migrations as the owner role. Several service processes may start at once against
 * one database: a session advisory lock, held on its own connection, lets exactly one migrate while
 * the others wait and then find nothing left to do.
 */
export async function runMigrations(ownerUrl: string, logger: MigrationLogger): Promise<string[]> {
  const lockClient = new pg.Client({ connectionString: ownerUrl, application_name: 'custos-migrate' });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    const dataSource = new DataSource({
      ...dataSourceOptions({ url: ownerUrl, poolSize: 1, applicationName: 'custos-migrate' }),
    });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const migration of applied) logger.info(`applied migration ${migration.name}`);
      return applied.map((migration) => migration.name);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lockClient.end();
  }
}

export async function revertLastMigration(ownerUrl: string, logger: MigrationLogger): Promise<void> {
  const dataSource = new DataSource(
    dataSourceOptions({ url: ownerUrl, poolSize: 1, applicationName: 'custos-migrate' }),
  );
  await dataSource.initialize();
  try {
    await dataSource.undoLastMigration({ transaction: 'each' });
    logger.info('reverted the last migration');
  } finally {
    await dataSource.destroy();
  }
}
