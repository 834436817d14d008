import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/config.js';
import { createRootLogger } from './common/logging.js';
import { revertLastMigration, runMigrations } from './database/migrate.js';
import { connectDatabase } from './service.js';

/**
 * The `custos` command line (`npm run custos -- <command>`). Commands that need the database use
 * the same configuration as the service: DATABASE_URL / DATABASE_OWNER_URL, or the embedded
 * cluster in DATA_DIR (which must then not be in use by a running service).
 */
const USAGE = `usage: custos <command>

commands:
  migration run       apply pending migrations (as the owner role)
  migration revert    revert the last applied migration
  help                this text
`;

async function withDatabase<T>(work: (urls: { ownerUrl: string; appUrl: string }) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' });
  const logger = createRootLogger(config);
  const database = await connectDatabase(config, logger);
  try {
    return await work(database);
  } finally {
    await database.embedded?.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, subcommand] = argv;
  const out = { info: (message: string) => process.stdout.write(`${message}\n`) };
  switch (`${command ?? 'help'} ${subcommand ?? ''}`.trim()) {
    case 'migration run':
      await withDatabase(async ({ ownerUrl }) => {
        const applied = await runMigrations(ownerUrl, out);
        if (applied.length === 0) out.info('no pending migrations');
      });
      return 0;
    case 'migration revert':
      await withDatabase(({ ownerUrl }) => revertLastMigration(ownerUrl, out));
      return 0;
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`custos: unknown command "${argv.join(' ')}"\n\n${USAGE}`);
      return 64; // EX_USAGE
  }
}

if (existsSync('.env')) process.loadEnvFile('.env');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`custos: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
