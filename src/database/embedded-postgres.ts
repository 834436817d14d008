import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import { acquireDataDirLock, isProcessAlive, type DataDirLock } from './data-dir-lock.js';
import { isRelocated, recordOwner, RELOCATED_ROOT } from './embedded-clusters.js';
import { ensureSharedDir, openForTraversal, PostgresCluster, untraversableAncestors } from './postgres-cluster.js';
import { bootstrapRoles, type RoleCredentials } from './roles.js';

export interface StartupLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface EmbeddedDatabase {
  /** Connection of the migration owner role. */
  readonly ownerUrl: string;
  /** Connection of the service's least-privileged role. */
  readonly appUrl: string;
  /** Superuser connection: used only by tests and the role bootstrap. */
  readonly superuserUrl: string;
  readonly port: number;
  readonly clusterDir: string;
  /** Stops the cluster and releases DATA_DIR. */
  stop(): Promise<void>;
  /** Stops only the cluster, keeping DATA_DIR: a database outage, for resilience tests. */
  stopCluster(): Promise<void>;
  /** Starts the cluster again after stopCluster(), on the same port. */
  startCluster(): Promise<void>;
}

interface StoredCredentials {
  superuserPassword: string;
  ownerPassword: string;
  appPassword: string;
}

export const EMBEDDED_DATABASE = 'custos';
export const EMBEDDED_ROLES = { owner: 'custos_owner', app: 'custos_app' } as const;

function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Passwords for the cluster's roles, generated once and kept in a file only this OS user can read. */
function loadOrCreateCredentials(path: string, logger: StartupLogger): StoredCredentials {
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      logger.warn(`${path} was readable by others (mode ${mode.toString(8)}); restricting it to 0600`);
      chmodSync(path, 0o600);
    }
    return JSON.parse(readFileSync(path, 'utf8')) as StoredCredentials;
  }
  const credentials: StoredCredentials = {
    superuserPassword: generatePassword(),
    ownerPassword: generatePassword(),
    appPassword: generatePassword(),
  };
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return credentials;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A postmaster still running on our cluster while we hold the DATA_DIR lock was left by a Custos
 * process that died without stopping it (kill -9, power loss of the parent only). Stop it cleanly
 * (SIGINT: fast shutdown, committed data is safe) before starting our own.
 */
function runningPostmasterPid(clusterDir: string): number | undefined {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  // PostgreSQL removes a stale postmaster.pid itself when it starts.
  return isProcessAlive(pid) ? pid : undefined;
}

async function stopOrphanedPostmaster(clusterDir: string, logger: StartupLogger): Promise<void> {
  const pid = runningPostmasterPid(clusterDir);
  if (pid === undefined) return;
  logger.warn(`stopping PostgreSQL (pid ${pid}) left running by a Custos process that did not shut down`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (!isProcessAlive(pid)) return;
    await sleep(100);
  }
  throw new Error(`PostgreSQL pid ${pid} on ${clusterDir} did not stop within 60 s; stop it by hand`);
}

/**
 * Where the cluster lives: DATA_DIR/postgres. Under root, PostgreSQL runs as the `postgres` OS
 * user, which must be able to traverse every directory down to the cluster; DATA_DIR itself is
 * opened to traversal only (0711: nothing can be listed). When an ancestor is closed to others (a
 * checkout under /root, a private temp dir), the cluster is kept under /var/lib/custos instead and
 * DATA_DIR/postgres is a symbolic link to it, rather than loosening the permissions of directories
 * that are not ours. A relocated cluster records its DATA_DIR (embedded-clusters.ts), and its
 * directory name is never reused: a new DATA_DIR at the path of a deleted one gets a cluster of its
 * own instead of the orphan the deleted one left behind.
 */
export function locateCluster(dataDir: string, logger: StartupLogger): string {
  const clusterDir = join(dataDir, 'postgres');
  if (process.getuid?.() !== 0) return clusterDir;
  openForTraversal(dataDir);
  if (lstatSync(clusterDir, { throwIfNoEntry: false })?.isSymbolicLink()) {
    const target = readlinkSync(clusterDir);
    if (!existsSync(clusterDir)) {
      throw new Error(
        `${clusterDir} links to ${target}, which no longer exists (removed as an orphan?). ` +
          'Restore DATA_DIR from a backup (`custos restore`), or remove the link to start an empty database.',
      );
    }
    const relocated = realpathSync(clusterDir);
    // Clusters relocated before owners were recorded get their record at their next start.
    if (isRelocated(relocated) && existsSync(join(relocated, 'PG_VERSION'))) recordOwner(relocated, dataDir);
    return relocated;
  }
  const blocked = untraversableAncestors(dataDir);
  if (existsSync(clusterDir) || blocked.length === 0) return clusterDir;
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  ensureSharedDir(RELOCATED_ROOT);
  const relocated = mkdtempSync(join(RELOCATED_ROOT, `${id}-`));
  symlinkSync(relocated, clusterDir);
  logger.warn(
    `the postgres OS user cannot traverse ${blocked.join(', ')}; keeping the embedded cluster in ${relocated} ` +
      `(linked from ${clusterDir}). Choose a DATA_DIR it can reach to keep everything in one place.`,
  );
  return relocated;
}

function url(user: string, password: string, port: number, database: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * The connections of the cluster a running Custos process holds in DATA_DIR, for the command line
 * (`custos ledger verify` or `custos backup` while the service runs); undefined when no live
 * process holds it.
 */
export function attachToRunningCluster(
  dataDir: string,
): { ownerUrl: string; appUrl: string; superuserUrl: string; clusterDir: string } | undefined {
  const pidFile = join(dataDir, 'custos.pid');
  const portFile = join(dataDir, 'postgres.port');
  if (!existsSync(pidFile) || !existsSync(portFile)) return undefined;
  if (!isProcessAlive(Number.parseInt(readFileSync(pidFile, 'utf8'), 10))) return undefined;
  const port = Number.parseInt(readFileSync(portFile, 'utf8'), 10);
  const credentials = JSON.parse(readFileSync(join(dataDir, 'postgres-credentials.json'), 'utf8')) as StoredCredentials;
  return {
    ownerUrl: url(EMBEDDED_ROLES.owner, credentials.ownerPassword, port, EMBEDDED_DATABASE),
    appUrl: url(EMBEDDED_ROLES.app, credentials.appPassword, port, EMBEDDED_DATABASE),
    superuserUrl: url('postgres', credentials.superuserPassword, port, 'postgres'),
    clusterDir: realpathSync(join(dataDir, 'postgres')),
  };
}

/** Superuser access to DATA_DIR's cluster for a command that copies its files (`custos backup`). */
export interface ClusterAccess {
  readonly superuserUrl: string;
  /** The cluster's own directory (a relocated cluster's real path). */
  readonly clusterDir: string;
  /** Whether a running service holds the cluster (otherwise this command started it). */
  readonly attached: boolean;
  /** Stops the cluster if this command started it. */
  release(): Promise<void>;
}

/**
 * The cluster of a running service, or else the cluster started by this process (holding DATA_DIR
 * like a service would). Never initialises one: a DATA_DIR without a database is an error here.
 */
export async function openEmbeddedCluster(
  dataDir: string,
  logger: StartupLogger,
  port?: number,
): Promise<ClusterAccess> {
  const running = attachToRunningCluster(dataDir);
  if (running) return { ...running, attached: true, release: () => Promise.resolve() };
  if (!existsSync(join(dataDir, 'postgres', 'PG_VERSION'))) {
    throw new Error(`${dataDir} holds no embedded database (no ${join(dataDir, 'postgres', 'PG_VERSION')})`);
  }
  const embedded = await startEmbeddedPostgres({ dataDir, port, logger });
  return {
    superuserUrl: embedded.superuserUrl,
    clusterDir: embedded.clusterDir,
    attached: false,
    release: () => embedded.stop(),
  };
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  logger: StartupLogger;
}

/**
 * Starts the embedded PostgreSQL cluster kept in DATA_DIR/postgres: initialised on first use,
 * listening on 127.0.0.1 only (no Unix socket), with the owner and service roles of
 * docs/operations.md created in it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const { dataDir, logger } = options;
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  let started: PostgresCluster | undefined;
  try {
    const clusterDir = locateCluster(dataDir, logger);
    const credentials = loadOrCreateCredentials(join(dataDir, 'postgres-credentials.json'), logger);
    await stopOrphanedPostmaster(clusterDir, logger);
    const port = options.port ?? (await findFreePort());
    const cluster = await PostgresCluster.prepare({
      directory: clusterDir,
      port,
      superuserPassword: credentials.superuserPassword,
      logger,
    });
    if (!cluster.isInitialised()) {
      logger.info(`initialising embedded PostgreSQL in ${clusterDir}`);
      await cluster.initialise();
      // After initdb, which wants an empty directory.
      if (isRelocated(clusterDir)) recordOwner(clusterDir, dataDir);
    }
    const start = (): Promise<void> => cluster.start();
    await start();
    started = cluster;
    const superuserUrl = url('postgres', credentials.superuserPassword, port, 'postgres');
    const roles: RoleCredentials = {
      owner: { name: EMBEDDED_ROLES.owner, password: credentials.ownerPassword },
      app: { name: EMBEDDED_ROLES.app, password: credentials.appPassword },
    };
    const admin = new pg.Client({ connectionString: superuserUrl });
    await admin.connect();
    try {
      await bootstrapRoles(admin, roles, EMBEDDED_DATABASE);
    } finally {
      await admin.end();
    }
    logger.info(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
    // Lets the command line reach this cluster while the service runs (see attachToRunningCluster).
    writeFileSync(join(dataDir, 'postgres.port'), `${port}\n`, { mode: 0o600 });
    // Last resort when the process exits without shutting down (an uncaught error, process.exit):
    // ask the postmaster for a fast shutdown, which keeps every committed transaction.
    const onExit = (): void => {
      const pid = runningPostmasterPid(clusterDir);
      if (pid !== undefined) process.kill(pid, 'SIGINT');
      lock.release();
    };
    process.on('exit', onExit);
    let stopped = false;
    return {
      ownerUrl: url(EMBEDDED_ROLES.owner, credentials.ownerPassword, port, EMBEDDED_DATABASE),
      appUrl: url(EMBEDDED_ROLES.app, credentials.appPassword, port, EMBEDDED_DATABASE),
      superuserUrl,
      port,
      clusterDir,
      stopCluster: () => cluster.stop(),
      startCluster: start,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', onExit);
        try {
          rmSync(join(dataDir, 'postgres.port'), { force: true });
          await cluster.stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    // A cluster that started but could not be set up (its passwords do not match the credentials
    // file, say) must not outlive the failed start.
    await started?.stop().catch(() => undefined);
    lock.release();
    throw error;
  }
}
