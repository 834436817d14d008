import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join, resolve } from 'node:path';

import pg from 'pg';

import type { AppConfig } from '../config/config.js';
import { acquireDataDirLock } from '../database/data-dir-lock.js';
import { isRelocated, recordOwner } from '../database/embedded-clusters.js';
import { EMBEDDED_DATABASE, findFreePort, locateCluster, type StartupLogger } from '../database/embedded-postgres.js';
import { PostgresCluster } from '../database/postgres-cluster.js';
import { extractBackup, verifyBackup, type BackupManifest, type ManifestMember } from './backup-archive.js';
import {
  BackupIncompatibleError,
  BackupNeedsEmbeddedDatabaseError,
  BackupUnreadableError,
  RestoreTargetNotEmptyError,
} from './backup.errors.js';
import { isSignedHeadRecord } from './backup.js';

export interface RestoreSummary {
  readonly dataDir: string;
  readonly clusterDir: string | undefined;
  readonly manifest: BackupManifest;
  /** Ledger entries in the restored database. */
  readonly ledgerSize: number | undefined;
}

function entriesOf(dataDir: string): string[] {
  return existsSync(dataDir) ? readdirSync(dataDir) : [];
}

/** Where a member goes: data/… into DATA_DIR, postgres/… into the cluster's directory. */
function destination(member: ManifestMember, dataDir: string, clusterDir: string | undefined): string {
  const [top, ...rest] = member.path.split('/');
  const base = top === 'data' ? dataDir : clusterDir;
  if (base === undefined) throw new Error(`${member.path}: the backup holds no database section`);
  return join(base, ...rest);
}

async function writeMember(path: string, member: ManifestMember, content: AsyncIterable<Buffer>): Promise<void> {
  if (member.type === 'directory') {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, member.mode & 0o777);
    return;
  }
  // 'wx': never through an existing file or link.
  const handle = await open(path, 'wx', member.mode & 0o777);
  try {
    for await (const chunk of content) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Starts the restored cluster once: PostgreSQL replays the backup's WAL and checks it reached its end. */
async function recover(
  cluster: PostgresCluster,
  port: number,
  dataDir: string,
  manifest: BackupManifest,
): Promise<number> {
  const database = manifest.database;
  if (!database) return 0;
  await cluster.start().catch((error: unknown) => {
    throw new Error(
      'PostgreSQL could not recover the restored database, so this backup cannot be restored (what the restore ' +
        `wrote is removed again). PostgreSQL said: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  try {
    const credentials = JSON.parse(readFileSync(join(dataDir, 'postgres-credentials.json'), 'utf8')) as {
      superuserPassword: string;
    };
    const client = new pg.Client({
      connectionString: `postgres://postgres:${encodeURIComponent(credentials.superuserPassword)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ system: string; size: string | null }>(
        `SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system,
                CASE WHEN to_regclass('public.ledger_state') IS NULL THEN NULL
                     ELSE (SELECT tree_size::text FROM ledger_state) END AS size`,
      );
      if (rows[0].system !== database.systemIdentifier) {
        throw new Error(
          `the restored cluster is ${rows[0].system}, the backup's manifest says ${database.systemIdentifier}`,
        );
      }
      const size = Number(rows[0].size ?? 0);
      if (size < database.ledgerSizeAtStart) {
        throw new Error(
          `the restored ledger has ${size} entries, fewer than the ${database.ledgerSizeAtStart} committed before the backup began`,
        );
      }
      return size;
    } finally {
      await client.end();
    }
  } finally {
    await cluster.stop();
  }
}

/**
 * `custos restore <file>`: into an empty (or new) DATA_DIR only. The whole file is verified before
 * anything is written; a failure after that removes everything the restore wrote, so the DATA_DIR
 * is empty again (or absent, if it was).
 */
export async function restoreBackup(source: string, config: AppConfig, logger: StartupLogger): Promise<RestoreSummary> {
  const file = resolve(source);
  const dataDir = config.dataDir;
  const before = entriesOf(dataDir);
  if (before.length > 0) throw new RestoreTargetNotEmptyError(dataDir, before);
  const manifest = await verifyBackup(file);
  const signedHead = manifest.members.find((member) => isSignedHeadRecord(member.path));
  if (signedHead) {
    throw new BackupUnreadableError(
      file,
      `it holds ${signedHead.path}, a ledger signer's record, which is never restored`,
    );
  }
  const database = manifest.database;
  let cluster: PostgresCluster | undefined;
  let port = 0;
  if (database) {
    if (config.databaseUrl !== undefined) throw new BackupNeedsEmbeddedDatabaseError('restore');
    if (database.platform !== platform() || database.arch !== arch()) {
      throw new BackupIncompatibleError(
        `the backup's database was made on ${database.platform}-${database.arch}, this machine is ${platform()}-${arch()}`,
      );
    }
    port = config.embeddedPostgresPort ?? (await findFreePort());
    cluster = await PostgresCluster.prepare({
      directory: join(dataDir, 'postgres'),
      port,
      superuserPassword: '',
      logger,
    });
    const version = await cluster.binariesVersion();
    if (version.split('.')[0] !== database.postgresMajor) {
      throw new BackupIncompatibleError(
        `the backup holds a PostgreSQL ${database.postgresMajor} cluster and this installation runs PostgreSQL ${version}; ` +
          `restore it with an installation whose embedded-postgres is PostgreSQL ${database.postgresMajor}`,
      );
    }
  }

  const existed = existsSync(dataDir);
  const lock = acquireDataDirLock(dataDir);
  let clusterDir: string | undefined;
  let restored = false;
  try {
    const raced = entriesOf(dataDir).filter((name) => name !== 'custos.pid');
    if (raced.length > 0) throw new RestoreTargetNotEmptyError(dataDir, raced);
    if (database && cluster) {
      clusterDir = locateCluster(dataDir, logger);
      mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    }
    await extractBackup(file, manifest, async (member, content) => {
      if (member.path === 'data' || member.path === 'postgres') return; // DATA_DIR and the cluster exist
      await writeMember(destination(member, dataDir, clusterDir), member, content);
    });
    let ledgerSize: number | undefined;
    if (database && cluster && clusterDir) {
      chmodSync(clusterDir, 0o700);
      const located = await PostgresCluster.prepare({ directory: clusterDir, port, superuserPassword: '', logger });
      located.adoptFiles();
      if (isRelocated(clusterDir)) recordOwner(clusterDir, dataDir);
      ledgerSize = await recover(located, port, dataDir, manifest);
    }
    restored = true;
    return { dataDir, clusterDir, manifest, ledgerSize };
  } catch (error) {
    // Back to what it was: nothing restored, DATA_DIR empty or absent.
    if (clusterDir !== undefined) rmSync(clusterDir, { recursive: true, force: true });
    for (const name of entriesOf(dataDir)) {
      if (name !== 'custos.pid') rmSync(join(dataDir, name), { recursive: true, force: true });
    }
    throw error;
  } finally {
    lock.release();
    if (!restored && !existed) rmSync(dataDir, { recursive: true, force: true });
  }
}
