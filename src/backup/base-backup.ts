import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import { OWNER_RECORD } from '../database/embedded-clusters.js';
import { EMBEDDED_DATABASE } from '../database/embedded-postgres.js';
import type { BackupWriter, DatabaseSection } from './backup-archive.js';

/**
 * A base backup of the running embedded cluster through PostgreSQL's low-level backup API
 * (pg_backup_start / pg_backup_stop, "Making a Base Backup Using the Low Level API" in the
 * PostgreSQL manual), with the WAL from the backup's start to its end included: a standalone
 * backup that PostgreSQL makes consistent itself at its first start after a restore. The embedded
 * binaries ship no pg_dump or pg_basebackup (ADR 0008), so the files are copied here, following
 * the rules pg_basebackup follows.
 */

/** Directories whose contents PostgreSQL recreates or never needs from a backup (the directory itself is kept). */
const CONTENTS_EXCLUDED = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);

/** Top-level files that must not be restored (the running server's, or the copy's own). */
const FILES_EXCLUDED = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'tablespace_map.old',
  'current_logfiles',
  'standby.signal',
  'recovery.signal',
  // The relocated cluster's owner: a restore records the DATA_DIR it restores into.
  OWNER_RECORD,
]);

const CONTROL_FILE = 'global/pg_control';
const PREFIX = 'postgres';

function excludedName(name: string): boolean {
  return name.startsWith('pgsql_tmp') || name === 'pg_internal.init';
}

/** Relative paths (directories first, then files), in a stable order. */
function walk(root: string): { directories: string[]; files: string[] } {
  const directories: string[] = [];
  const files: string[] = [];
  const visit = (relative: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, relative), { withFileTypes: true });
    } catch (error) {
      // A database dropped while we copy: its directory goes, and WAL replay drops it again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && relative !== '') return;
      throw error;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (excludedName(entry.name)) continue;
      if (relative === '' && FILES_EXCLUDED.has(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        throw new Error(
          `${join(root, path)} is a symbolic link (a tablespace or a moved WAL directory): ` +
            'the embedded cluster keeps everything in one directory, and custos backup copies only that',
        );
      }
      if (entry.isDirectory()) {
        directories.push(path);
        if (!(relative === '' && CONTENTS_EXCLUDED.has(entry.name))) visit(path);
        // pg_wal's subdirectories are part of its layout; the segments are added at the end.
      } else if (entry.isFile()) {
        if (path !== CONTROL_FILE) files.push(path);
      }
    }
  };
  visit('');
  for (const layout of ['pg_wal/archive_status', 'pg_wal/summaries']) {
    if (!directories.includes(layout)) directories.push(layout);
  }
  return { directories, files };
}

async function copyFile(writer: BackupWriter, root: string, relative: string): Promise<void> {
  let handle;
  try {
    handle = await open(join(root, relative), 'r');
  } catch (error) {
    // Removed since the listing (a dropped table, a finished temporary file): replay handles it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const stat = await handle.stat();
    await writer.addFile(`${PREFIX}/${relative}`, handle, stat.size, stat.mode, stat.mtime);
  } finally {
    await handle.close();
  }
}

/**
 * pg_control is written in place by the server (at checkpoints); a read racing a write could see
 * half of each. Read it until two reads agree. Recovery from the backup starts at the checkpoint
 * named in backup_label, not in pg_control, but PostgreSQL refuses a pg_control whose CRC is wrong.
 */
async function stableControlFile(root: string): Promise<Buffer> {
  let previous = readFileSync(join(root, CONTROL_FILE));
  for (let attempt = 0; attempt < 20; attempt++) {
    await sleep(10);
    const current = readFileSync(join(root, CONTROL_FILE));
    if (current.equals(previous)) return current;
    previous = current;
  }
  throw new Error(`${join(root, CONTROL_FILE)} kept changing while it was read`);
}

function segmentNames(first: string, last: string, segmentBytes: number): string[] {
  const timeline = first.slice(0, 8);
  if (last.slice(0, 8) !== timeline) throw new Error(`the WAL timeline changed during the backup (${first}, ${last})`);
  const perLog = 0x1_0000_0000 / segmentBytes;
  const number = (name: string): number =>
    Number.parseInt(name.slice(8, 16), 16) * perLog + Number.parseInt(name.slice(16, 24), 16);
  const names: string[] = [];
  for (let n = number(first); n <= number(last); n++) {
    const log = Math.floor(n / perLog);
    const seg = n % perLog;
    names.push(
      `${timeline}${log.toString(16).toUpperCase().padStart(8, '0')}${seg.toString(16).toUpperCase().padStart(8, '0')}`,
    );
  }
  return names;
}

async function ledgerAtStart(superuserUrl: string): Promise<{ ledgerSize: number; lastMigration: string | null }> {
  const url = new URL(superuserUrl);
  url.pathname = `/${EMBEDDED_DATABASE}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const tables = await client.query<{ ledger: string | null; migrations: string | null }>(
      `SELECT to_regclass('public.ledger_state')::text AS ledger, to_regclass('public.schema_migrations')::text AS migrations`,
    );
    const ledger = tables.rows[0].ledger
      ? (await client.query<{ size: string }>('SELECT tree_size::text AS size FROM ledger_state')).rows[0]?.size
      : undefined;
    const migration = tables.rows[0].migrations
      ? (await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY timestamp DESC LIMIT 1'))
          .rows[0]?.name
      : undefined;
    return { ledgerSize: Number(ledger ?? 0), lastMigration: migration ?? null };
  } finally {
    await client.end();
  }
}

/**
 * Copies the cluster in `clusterDir` (running, reached as superuser through `superuserUrl`) into
 * `writer` under postgres/. Writes during the copy are fine; whatever was committed before the
 * backup started is in it. Holds a temporary replication slot for the duration, so that the WAL
 * the restore needs cannot be recycled by a checkpoint meanwhile; the slot and the backup end with
 * the session if this process dies.
 */
export async function writeBaseBackup(
  writer: BackupWriter,
  superuserUrl: string,
  clusterDir: string,
): Promise<DatabaseSection> {
  const { ledgerSize, lastMigration } = await ledgerAtStart(superuserUrl);
  const client = new pg.Client({ connectionString: superuserUrl, application_name: 'custos backup' });
  await client.connect();
  let started = false;
  try {
    const settings = await client.query<{ version: string; segment: string; system: string }>(
      `SELECT current_setting('server_version') AS version,
              (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment,
              (SELECT system_identifier::text FROM pg_control_system()) AS system`,
    );
    const { version, segment, system } = settings.rows[0];
    const slot = `custos_backup_${process.pid}_${randomBytes(4).toString('hex')}`;
    await client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
    const start = await client.query<{ lsn: string; wal: string }>(
      `SELECT lsn::text, pg_walfile_name(lsn) AS wal FROM pg_backup_start($1, true) AS lsn`,
      [`custos backup ${new Date().toISOString()}`],
    );
    started = true;

    const { directories, files } = walk(clusterDir);
    writer.addDirectory(PREFIX, 0o700);
    for (const directory of directories) writer.addDirectory(`${PREFIX}/${directory}`, 0o700);
    for (const file of files) await copyFile(writer, clusterDir, file);
    await writer.addBuffer(`${PREFIX}/${CONTROL_FILE}`, await stableControlFile(clusterDir), 0o600);

    const stop = await client.query<{ lsn: string; wal: string; labelfile: string; spcmapfile: string }>(
      `SELECT lsn::text, pg_walfile_name(lsn) AS wal, labelfile, spcmapfile FROM pg_backup_stop(false)`,
    );
    started = false;
    const { lsn: stopLsn, wal: stopWal, labelfile, spcmapfile } = stop.rows[0];
    if (spcmapfile.trim() !== '') throw new Error('the cluster has tablespaces, which custos backup does not copy');
    await writer.addBuffer(`${PREFIX}/backup_label`, Buffer.from(labelfile), 0o600);

    // pg_backup_stop switched to a new segment: the one holding the backup's end is complete.
    const segments = segmentNames(start.rows[0].wal, stopWal, Number(segment));
    for (const name of segments) {
      const path = join(clusterDir, 'pg_wal', name);
      const handle = await open(path, 'r').catch((error: unknown) => {
        throw new Error(`WAL segment ${name}, needed by the backup, is gone: ${(error as Error).message}`);
      });
      try {
        const stat = await handle.stat();
        if (stat.size !== Number(segment))
          throw new Error(`WAL segment ${name} has ${stat.size} bytes, not ${segment}`);
        await writer.addFile(`${PREFIX}/pg_wal/${name}`, handle, stat.size, 0o600, stat.mtime);
      } finally {
        await handle.close();
      }
    }
    await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
    return {
      kind: 'embedded-postgresql',
      postgresMajor: readFileSync(join(clusterDir, 'PG_VERSION'), 'utf8').trim(),
      postgresVersion: version,
      platform: platform(),
      arch: arch(),
      systemIdentifier: system,
      startLsn: start.rows[0].lsn,
      stopLsn,
      walSegments: segments,
      ledgerSizeAtStart: ledgerSize,
      lastMigration,
    };
  } finally {
    // An abandoned backup is ended with the session anyway; ending it here is tidier.
    if (started) await client.query('SELECT pg_backup_stop(false)').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
