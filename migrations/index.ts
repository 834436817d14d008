import type { MigrationInterface } from 'typeorm';
import { Baseline1795917581347 } from './1795917581347-Baseline.js';
import { Ledger1795918824383 } from './1795918824383-Ledger.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed so the service, the migration
 * command and the tests (which run TypeScript directly) load exactly the same set.
 */
export const migrations: Array<new () => MigrationInterface> = [
  Baseline1795917581347,
  Ledger1795918824383,
];
