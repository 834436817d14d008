import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

import type { AppConfig } from '../config/config.js';
import { openEmbeddedCluster, type StartupLogger } from '../database/embedded-postgres.js';
import { BackupWriter, partialFile, type BackupManifest } from './backup-archive.js';
import { BackupNeedsEmbeddedDatabaseError } from './backup.errors.js';
import { writeBaseBackup } from './base-backup.js';

/** DATA_DIR entries that are never backed up, with the reason the manifest gives. */
const NOT_BACKED_UP: Readonly<Record<string, string>> = {
  'custos.pid': 'the lock of the process holding DATA_DIR',
  'postgres.port': 'the port of the running cluster',
  postgres: 'the cluster itself: backed up through PostgreSQL as postgres/',
};

/**
 * The ledger signer's record of the last head it signed (ledger-signed-head.json beside the key by
 * default, LEDGER_SIGNED_HEAD_FILE to move it) is left out on purpose: restoring an old backup must
 * never roll the signer's memory back, or it would sign a second, different history for sizes it
 * signed already. Any file whose name starts like it (its lock, its temporary copy) is left out too.
 */
export const SIGNED_HEAD_PREFIX = 'ledger-signed-head';

export function isSignedHeadRecord(name: string, signedHead?: string): boolean {
  return basename(name).startsWith(SIGNED_HEAD_PREFIX) || (signedHead !== undefined && name.startsWith(signedHead));
}

export interface BackupSummary {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly manifest: BackupManifest;
  readonly skipped: string[];
  readonly warnings: string[];
}

const inside = (directory: string, path: string): boolean => {
  const rel = relative(directory, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
};

/**
 * `custos backup <file>`: DATA_DIR's files and a base backup of its embedded cluster in one file,
 * taken while the service runs (or with the cluster started for the purpose when it does not).
 */
export async function createBackup(
  target: string,
  config: AppConfig,
  logger: StartupLogger,
  options: { filesOnly: boolean },
): Promise<BackupSummary> {
  if (config.databaseUrl !== undefined && !options.filesOnly) throw new BackupNeedsEmbeddedDatabaseError('backup');
  const dataDir = config.dataDir;
  if (!existsSync(dataDir)) throw new Error(`DATA_DIR ${dataDir} does not exist: nothing to back up`);
  const file = resolve(target);
  const signedHead = config.ledgerSignedHeadFile;
  const writer = BackupWriter.create(file);
  const skipped: string[] = [];
  const warnings: string[] = [];
  const excluded = Object.entries(NOT_BACKED_UP).map(([name, why]) => `${name}: ${why}`);
  excluded.push(
    `${SIGNED_HEAD_PREFIX}*: the ledger signer's record of its last signed head; a restore must never roll it back`,
  );
  try {
    writer.addDirectory('data', 0o711);
    const visit = async (relativeDir: string): Promise<void> => {
      for (const name of readdirSync(join(dataDir, relativeDir)).sort()) {
        const rel = relativeDir === '' ? name : `${relativeDir}/${name}`;
        const path = join(dataDir, rel);
        if (relativeDir === '' && name in NOT_BACKED_UP) continue;
        if (path === file || path === partialFile(file)) continue; // a backup written into DATA_DIR
        if (isSignedHeadRecord(path, signedHead)) {
          skipped.push(rel);
          continue;
        }
        const stat = lstatSync(path);
        if (stat.isDirectory()) {
          writer.addDirectory(`data/${rel}`, stat.mode);
          await visit(rel);
        } else if (stat.isFile()) {
          const handle = await open(path, 'r');
          try {
            const current = await handle.stat();
            await writer.addFile(`data/${rel}`, handle, current.size, current.mode, current.mtime);
          } finally {
            await handle.close();
          }
        } else {
          warnings.push(`${path} is not a regular file or directory: not backed up`);
        }
      }
    };
    await visit('');
    for (const [what, path] of [
      ['the ledger signing key (LEDGER_KEY_FILE)', config.ledgerKeyFile],
      ['the access-token key (JWT_SECRET_FILE)', config.auth.jwtSecretFile],
    ] as const) {
      if (!inside(dataDir, path)) warnings.push(`${what} is ${path}, outside DATA_DIR: not in this backup`);
    }

    let database: BackupManifest['database'] = null;
    if (!options.filesOnly) {
      const cluster = await openEmbeddedCluster(dataDir, logger, config.embeddedPostgresPort);
      try {
        database = await writeBaseBackup(writer, cluster.superuserUrl, cluster.clusterDir);
      } finally {
        await cluster.release();
      }
    }
    const { manifest, bytes, sha256 } = await writer.finish({
      format: 'custos-backup',
      version: 1,
      createdAt: new Date().toISOString(),
      dataDir,
      database,
      excluded,
    });
    return { file, bytes, sha256, manifest, skipped, warnings };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
