import { DomainError } from '../common/domain-error.js';

/** The file is not a whole, intact Custos backup (truncated, corrupted, or something else). */
export class BackupUnreadableError extends DomainError {
  constructor(file: string, reason: string) {
    super(
      'unprocessable',
      'backup_unreadable',
      `${file} is not an intact Custos backup: ${reason}. Nothing was changed`,
    );
  }
}

/** An intact backup this installation cannot restore (another PostgreSQL major version, platform, format). */
export class BackupIncompatibleError extends DomainError {
  constructor(message: string) {
    super('unprocessable', 'backup_incompatible', `${message}. Nothing was changed`);
  }
}

/** Restore writes into an empty DATA_DIR only: it never merges with, or replaces, existing data. */
export class RestoreTargetNotEmptyError extends DomainError {
  constructor(dataDir: string, entries: readonly string[]) {
    super(
      'conflict',
      'restore_target_not_empty',
      `DATA_DIR ${dataDir} is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}): ` +
        'restore into an empty or new directory (set DATA_DIR). Nothing was changed',
    );
  }
}

/** With DATABASE_URL the database is a server Custos does not manage: its backups are the operator's. */
export class BackupNeedsEmbeddedDatabaseError extends DomainError {
  constructor(action: 'backup' | 'restore') {
    super(
      'conflict',
      'backup_not_embedded',
      action === 'backup'
        ? 'DATABASE_URL is set: Custos does not manage that PostgreSQL server, so it does not back it up. Back it ' +
            'up with the server’s own tools (pg_dump --format=custom of the database, or pg_basebackup with WAL ' +
            'archiving for point-in-time recovery; docs/operations.md). `custos backup --files-only <file>` saves ' +
            'the keys and secrets in DATA_DIR'
        : 'this backup holds an embedded database, and DATABASE_URL is set: unset DATABASE_URL to restore it into ' +
            'DATA_DIR, or restore your server from its own backups. Nothing was changed',
    );
  }
}

/** Never overwrite: an old backup replaced by a failed new one is two backups lost. */
export class BackupFileExistsError extends DomainError {
  constructor(file: string) {
    super('conflict', 'backup_file_exists', `${file} exists already: choose a new file name`);
  }
}
