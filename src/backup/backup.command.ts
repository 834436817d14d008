import type { AppConfig } from '../config/config.js';
import { formatBytes } from '../database/embedded-clusters.js';
import type { StartupLogger } from '../database/embedded-postgres.js';
import { createBackup } from './backup.js';
import { restoreBackup } from './restore.js';

export const BACKUP_USAGE = `  backup [--files-only] <file>
                      write DATA_DIR's keys and credentials and a consistent copy of its embedded
                      database into <file> (a new file, mode 0600), while the service runs or not.
                      With DATABASE_URL set only --files-only is accepted: back the server up with
                      its own tools. The signer's ledger-signed-head record is never included.
  restore <file>      verify <file> whole, then restore it into DATA_DIR, which must be empty or
                      absent; PostgreSQL replays the backup's WAL once before the command ends.
`;

export interface CommandIo {
  out(message: string): void;
  err(message: string): void;
}

function parseFileArgument(argv: readonly string[], command: string, flags: readonly string[]) {
  const files = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = argv.filter((arg) => arg.startsWith('--') && !flags.includes(arg));
  if (unknown.length > 0 || files.length !== 1) {
    throw new Error(`usage: custos ${command} ${flags.map((f) => `[${f}] `).join('')}<file>`);
  }
  return { file: files[0], flags: new Set(argv.filter((arg) => flags.includes(arg))) };
}

export async function runBackup(
  argv: readonly string[],
  config: AppConfig,
  logger: StartupLogger,
  io: CommandIo,
): Promise<number> {
  const { file, flags } = parseFileArgument(argv, 'backup', ['--files-only']);
  const summary = await createBackup(file, config, logger, { filesOnly: flags.has('--files-only') });
  const { manifest } = summary;
  io.out(`backup written to ${summary.file} (${formatBytes(summary.bytes)}, SHA-256 ${summary.sha256})`);
  const files = manifest.members.filter((m) => m.type === 'file' && m.path.startsWith('data/'));
  io.out(`  DATA_DIR ${manifest.dataDir}: ${files.map((m) => m.path.slice(5)).join(', ') || 'no files'}`);
  const database = manifest.database;
  if (database) {
    io.out(
      `  database: PostgreSQL ${database.postgresVersion} base backup, WAL ${database.startLsn} to ${database.stopLsn} ` +
        `(${database.walSegments.length} segment(s)); ${database.ledgerSizeAtStart} ledger entries were committed ` +
        'before it began, and all of them are in it',
    );
  } else {
    io.out('  database: not included (--files-only)');
  }
  if (summary.skipped.length > 0) {
    io.out(`  left out on purpose: ${summary.skipped.join(', ')} (the signer's memory is never rolled back)`);
  }
  for (const warning of summary.warnings) io.err(`warning: ${warning}`);
  io.out('Keep it as safe as the signing key: it holds the key and the database passwords.');
  return 0;
}

export async function runRestore(
  argv: readonly string[],
  config: AppConfig,
  logger: StartupLogger,
  io: CommandIo,
): Promise<number> {
  const { file } = parseFileArgument(argv, 'restore', []);
  const summary = await restoreBackup(file, config, logger);
  const { manifest } = summary;
  io.out(`restored ${file} (taken ${manifest.createdAt} from ${manifest.dataDir}) into ${summary.dataDir}`);
  if (summary.clusterDir !== undefined) {
    io.out(
      `  database: recovered to the end of the backup in ${summary.clusterDir}; ledger: ${summary.ledgerSize} entries ` +
        `(${manifest.database?.ledgerSizeAtStart} were committed before the backup began)`,
    );
  }
  io.out(
    'Entries written after the backup was taken are not in it. Checkpoints that witnesses or parties hold show any ' +
      'such tail, and a signer that remembers a larger signed head refuses to sign this history: run ' +
      '`custos ledger verify` and see docs/operations.md ("After a restore").',
  );
  return 0;
}
