import 'reflect-metadata';

import type { Logger } from 'pino';

import { BACKUP_USAGE, runBackup, runRestore } from './backup/backup.command.js';
import { DomainError } from './common/domain-error.js';
import { createRootLogger } from './common/logging.js';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';
import { DATA_USAGE, runDataCommand } from './database/embedded-clusters.command.js';
import { revertLastMigration, runMigrations } from './database/migrate.js';
import { DEMO_USAGE, runDemo } from './demo/demo.command.js';
import { HASH_IMPORT_USAGE, runHashImport } from './hash-imports/hash-import.command.js';
import { IDENTITY_USAGE, runAgencyCreate, runAgencySetLanguage, runUserCreate } from './identity/identity.command.js';
import { runLedgerVerify } from './ledger/ledger-verify.command.js';
import { connectDatabase } from './service.js';
import { WITNESS_USAGE } from './witness/witness.command.js';

/**
 * The commands of `custos` that need the database (src/cli.ts dispatches to them). They use the
 * same configuration as the service: DATABASE_URL / DATABASE_OWNER_URL, or the embedded cluster in
 * DATA_DIR (which must then not be in use by a running service).
 */
const USAGE = `usage: custos <command>

commands:
  migration run       apply pending migrations (as the owner role)
  migration revert    revert the last applied migration
  ledger verify [--deep] [--key <vkey>]... [--checkpoint <file>]... [--witness <vkey>]... [--min-witnesses <n>]
                      recompute the whole ledger and check every signed checkpoint; exit 1 at the
                      first bad index. Trusts the key in LEDGER_KEY_FILE unless --key is given;
                      --checkpoint adds checkpoints held outside the database; --deep also checks
                      each entry's canonical form, stated index and signature bindings; --witness
                      requires the published checkpoint (and each --checkpoint) to carry valid
                      cosignatures of those witnesses (--min-witnesses of them; default all).
  verify <bundle.json> [--key <vkey>] [--checkpoint <file>]... [--witness <vkey>]... [--min-witnesses <n>] [--json]
                      check a custody bundle offline (no database needed); exit 1 at the first
                      failure. Without --key the key inside the bundle is trusted (and it says so).
  verify-report <report.pdf> [--url <service base url>] [--token <bearer token>] [--json]
                      ask the service whether it issued exactly this court report file (by its
                      SHA-256, registered in the ledger at issue); exit 0 issued, 1 not issued.
${WITNESS_USAGE}${IDENTITY_USAGE}${HASH_IMPORT_USAGE}${DEMO_USAGE}${BACKUP_USAGE}${DATA_USAGE}  help                this text
`;

function cliConfig(): AppConfig {
  return loadConfig({
    ...process.env,
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
}

/** The start-up logger of the embedded cluster, as the command line's logger. */
function startupLogger(logger: Logger): { info(m: string): void; warn(m: string): void; debug(m: string): void } {
  return { info: (m) => logger.info(m), warn: (m) => logger.warn(m), debug: (m) => logger.debug(m) };
}

async function withDatabase<T>(
  work: (urls: { ownerUrl: string; appUrl: string }, config: AppConfig, logger: Logger) => Promise<T>,
): Promise<T> {
  const config = cliConfig();
  const logger = createRootLogger(config);
  const database = await connectDatabase(config, logger, { attach: true });
  try {
    return await work(database, config, logger);
  } finally {
    await database.embedded?.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, subcommand] = argv;
  const out = { info: (message: string) => process.stdout.write(`${message}\n`) };
  const io = {
    out: (message: string) => process.stdout.write(`${message}\n`),
    err: (message: string) => process.stderr.write(`${message}\n`),
  };
  // Commands whose second word is an argument, not a subcommand.
  if (command === 'backup' || command === 'restore') {
    const config = cliConfig();
    const logger = startupLogger(createRootLogger(config));
    return (command === 'backup' ? runBackup : runRestore)(argv.slice(1), config, logger, io);
  }
  if (command === 'data') return runDataCommand(argv.slice(1), io);
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
    case 'ledger verify':
      return withDatabase(({ appUrl }, config) => runLedgerVerify(argv.slice(2), appUrl, config));
    case 'user create':
      return withDatabase(async ({ ownerUrl, appUrl }, config) => {
        if (config.runMigrations) await runMigrations(ownerUrl, { info: () => undefined });
        return runUserCreate(argv.slice(2), appUrl, io);
      });
    case 'agency create':
      return withDatabase(async ({ ownerUrl, appUrl }, config) => {
        if (config.runMigrations) await runMigrations(ownerUrl, { info: () => undefined });
        return runAgencyCreate(argv.slice(2), appUrl, io);
      });
    case 'agency set-language':
      return withDatabase(({ appUrl }) => runAgencySetLanguage(argv.slice(2), appUrl, io));
    case 'demo':
      return withDatabase((urls, config, logger) => runDemo(urls, config, io, { logger }));
    case 'hashes import':
      return withDatabase(({ appUrl }, config, logger) => runHashImport(argv.slice(2), appUrl, config, logger, io));
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`custos: unknown command "${argv.join(' ')}"\n\n${USAGE}`);
      return 64; // EX_USAGE
  }
}

/** Runs a database command (or help); returns the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const code = error instanceof DomainError ? ` (${error.code})` : '';
    process.stderr.write(
      `custos: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}${code}\n`,
    );
    return 1;
  }
}
