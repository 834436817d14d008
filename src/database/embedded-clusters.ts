import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { acquireDataDirLock, isProcessAlive } from './data-dir-lock.js';
import { SHARED_ROOT } from './postgres-cluster.js';

/**
 * Clusters kept outside DATA_DIR. Under root, when the `postgres` OS user cannot reach DATA_DIR,
 * the embedded cluster lives in /var/lib/custos/embedded-clusters/<id> and DATA_DIR/postgres is a
 * symbolic link to it (ADR 0002). Deleting DATA_DIR leaves such a cluster behind; each one records
 * the DATA_DIR that owns it, so a cluster whose DATA_DIR no longer links to it can be found and
 * removed (`custos data orphans`, ADR 0008).
 */
export const RELOCATED_ROOT = join(SHARED_ROOT, 'embedded-clusters');

/** Written into a relocated cluster's directory; PostgreSQL ignores files it does not know. */
export const OWNER_RECORD = 'custos-data-dir.json';

export interface OwnerRecord {
  /** Real path of the DATA_DIR whose `postgres` link points to this cluster. */
  readonly dataDir: string;
  readonly recordedAt: string;
}

export function isRelocated(clusterDir: string, root = RELOCATED_ROOT): boolean {
  return clusterDir.startsWith(`${root}/`);
}

/** Records (or corrects) the owning DATA_DIR of a relocated cluster. */
export function recordOwner(clusterDir: string, dataDir: string): void {
  const owner = realpathSync(dataDir);
  const current = readOwner(clusterDir);
  if (current !== undefined && current !== 'unreadable' && current.dataDir === owner) return;
  const record: OwnerRecord = { dataDir: owner, recordedAt: new Date().toISOString() };
  writeFileSync(join(clusterDir, OWNER_RECORD), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
}

export function readOwner(clusterDir: string): OwnerRecord | undefined | 'unreadable' {
  try {
    const record = JSON.parse(readFileSync(join(clusterDir, OWNER_RECORD), 'utf8')) as Partial<OwnerRecord>;
    return typeof record.dataDir === 'string'
      ? { dataDir: record.dataDir, recordedAt: String(record.recordedAt) }
      : 'unreadable';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return 'unreadable';
  }
}

/** The cluster DATA_DIR/postgres resolves to, or undefined when it is not a link to an existing directory. */
function linkedCluster(dataDir: string): string | undefined {
  const link = join(dataDir, 'postgres');
  try {
    if (!lstatSync(link).isSymbolicLink()) return undefined;
    return realpathSync(link);
  } catch {
    return undefined;
  }
}

/** The pid of a live postmaster on `clusterDir`, if any. */
export function livePostmaster(clusterDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return isProcessAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export type RelocatedClusterState =
  /** Its DATA_DIR links to it. */
  | 'in-use'
  /** Its DATA_DIR is gone, or no longer links to it: nothing will ever use it again. */
  | 'orphaned'
  /** No owner record: made before Custos recorded owners, or still being initialised. */
  | 'unrecorded';

export interface RelocatedCluster {
  readonly path: string;
  readonly dataDir: string | undefined;
  readonly state: RelocatedClusterState;
  /** A postmaster still runs on it (its service was killed, or DATA_DIR was deleted under it). */
  readonly postmasterPid: number | undefined;
}

/** Every cluster under `root`, with what owns it. Readable by root only (the clusters are 0700). */
export function listRelocatedClusters(root = RELOCATED_ROOT): RelocatedCluster[] {
  if (!existsSync(root)) return [];
  const clusters: RelocatedCluster[] = [];
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    if (!lstatSync(path).isDirectory()) continue;
    const record = readOwner(path);
    if (record === 'unreadable') continue;
    const postmasterPid = livePostmaster(path);
    if (record === undefined) {
      clusters.push({ path, dataDir: undefined, state: 'unrecorded', postmasterPid });
      continue;
    }
    const state = linkedCluster(record.dataDir) === realpathSync(path) ? 'in-use' : 'orphaned';
    clusters.push({ path, dataDir: record.dataDir, state, postmasterPid });
  }
  return clusters;
}

/** Bytes under `path` (files only, links not followed). */
export function diskUsage(path: string): number {
  let total = 0;
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (stat.isFile()) return stat.size;
  if (!stat.isDirectory()) return 0;
  for (const entry of readdirSync(path)) total += diskUsage(join(path, entry));
  return total;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export interface OrphanReport {
  readonly orphaned: RelocatedCluster[];
  readonly unrecorded: RelocatedCluster[];
}

export function findOrphans(root = RELOCATED_ROOT): OrphanReport {
  const clusters = listRelocatedClusters(root);
  return {
    orphaned: clusters.filter((c) => c.state === 'orphaned'),
    unrecorded: clusters.filter((c) => c.state === 'unrecorded'),
  };
}

/** A one-line warning for the service's start, or undefined when there is nothing to say. */
export function orphanWarning(root = RELOCATED_ROOT): string | undefined {
  const { orphaned, unrecorded } = findOrphans(root);
  if (orphaned.length === 0 && unrecorded.length === 0) return undefined;
  const parts: string[] = [];
  if (orphaned.length > 0) {
    parts.push(
      `${orphaned.length} embedded PostgreSQL cluster(s) under ${root} belong to a DATA_DIR that is gone ` +
        `(${orphaned.map((c) => `${c.path} ← ${c.dataDir}`).join(', ')})`,
    );
  }
  if (unrecorded.length > 0) {
    parts.push(`${unrecorded.length} cluster(s) there record no DATA_DIR (made by an older Custos)`);
  }
  return `${parts.join('; ')}. List them with \`npm run custos -- data orphans\`, remove them with --remove.`;
}

export class DataDirRemovalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirRemovalError';
  }
}

/** What `custos data remove` removed. */
export interface RemovedDataDir {
  readonly dataDir: string;
  readonly cluster: string | undefined;
}

const DATA_DIR_MARKERS = ['postgres', 'postgres-credentials.json', 'custos.pid', 'ledger-signing.key', 'jwt-secret'];

/**
 * Removes a DATA_DIR and the relocated cluster it links to. Refuses what does not look like a
 * DATA_DIR, one a live Custos process holds, and a cluster a PostgreSQL still runs on.
 */
export function removeDataDir(dataDir: string, root = RELOCATED_ROOT): RemovedDataDir {
  const stat = lstatSync(dataDir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new DataDirRemovalError(`${dataDir} is not a directory`);
  const entries = readdirSync(dataDir);
  if (!DATA_DIR_MARKERS.some((marker) => entries.includes(marker))) {
    throw new DataDirRemovalError(
      `${dataDir} does not look like a Custos DATA_DIR (none of ${DATA_DIR_MARKERS.join(', ')}); nothing removed`,
    );
  }
  // Held while removing: a service starting meanwhile is refused instead of initialising anew.
  const lock = acquireDataDirLock(dataDir);
  try {
    const link = join(dataDir, 'postgres');
    const linkStat = lstatSync(link, { throwIfNoEntry: false });
    let cluster: string | undefined;
    if (linkStat?.isSymbolicLink()) {
      const target = linkedCluster(dataDir);
      if (target !== undefined && isRelocated(target, root)) {
        const record = readOwner(target);
        if (record !== undefined && record !== 'unreadable' && record.dataDir !== realpathSync(dataDir)) {
          throw new DataDirRemovalError(
            `${link} links to ${target}, which records another DATA_DIR (${record.dataDir}); nothing removed`,
          );
        }
        cluster = target;
      }
    }
    const clusterDir = cluster ?? (linkStat?.isDirectory() ? link : undefined);
    const pid = clusterDir === undefined ? undefined : livePostmaster(clusterDir);
    if (pid !== undefined) {
      throw new DataDirRemovalError(
        `PostgreSQL (pid ${pid}) still runs on ${clusterDir}, left by a Custos process that did not shut down; ` +
          'start and stop Custos on this DATA_DIR once (or stop that process), then try again. Nothing removed.',
      );
    }
    if (cluster !== undefined) rmSync(cluster, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    return { dataDir, cluster };
  } finally {
    lock.release(); // a no-op once the pid file went with the directory
  }
}

export interface RemovedOrphan {
  readonly cluster: RelocatedCluster;
  readonly bytes: number;
}

/** Removes orphaned clusters (and, when asked, unrecorded ones) that no PostgreSQL runs on. */
export function removeOrphans(options: { unrecorded: boolean }, root = RELOCATED_ROOT): RemovedOrphan[] {
  const { orphaned, unrecorded } = findOrphans(root);
  const removed: RemovedOrphan[] = [];
  for (const cluster of [...orphaned, ...(options.unrecorded ? unrecorded : [])]) {
    if (cluster.postmasterPid !== undefined) continue;
    const bytes = diskUsage(cluster.path);
    rmSync(cluster.path, { recursive: true, force: true });
    removed.push({ cluster, bytes });
  }
  return removed;
}
