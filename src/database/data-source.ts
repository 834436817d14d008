import type { DataSourceOptions } from 'typeorm';

import { migrations } from '../../migrations/index.js';
import { DropTimedOutConnections } from './drop-timed-out-connections.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

export interface DatabaseConnectionOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  /** Client-side bound on waiting for the server's answer (pg `query_timeout`); see DropTimedOutConnections. */
  queryTimeoutMs?: number;
  applicationName?: string;
}

/**
 * The one place TypeORM's options are built, for the service and for the migration command alike.
 * `synchronize` is never on: the schema is what the reviewed migrations say it is.
 */
export function dataSourceOptions(options: DatabaseConnectionOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
    subscribers: [DropTimedOutConnections],
    extra: {
      max: options.poolSize ?? 10,
      // Fail fast while the database is unreachable, so clients get a 503 instead of a hang.
      connectionTimeoutMillis: 5_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
      idle_in_transaction_session_timeout: 60_000,
      application_name: options.applicationName ?? 'custos',
    },
  };
}
