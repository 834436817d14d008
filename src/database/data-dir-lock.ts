import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One Custos process per DATA_DIR. The embedded PostgreSQL cluster in DATA_DIR/postgres belongs to
 * the process holding this lock; a second process would otherwise start a second postmaster on the
 * same files (PostgreSQL refuses that too, but with a message nobody understands) or, worse, stop
 * the first one's cluster under it.
 *
 * The lock is a pid file created with O_EXCL. It is stale when its process is gone (a `kill -9`),
 * which is detected at once, so a crashed service restarts without waiting for a timeout.
 */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another Custos process (pid ${pid}). ` +
        'Stop that process first, or give this one its own DATA_DIR.',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly path: string;
  /** The previous holder died without releasing: its database may need recovery. */
  readonly recoveredStale: boolean;
  release(): void;
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  // 0711: the postgres OS user must traverse into DATA_DIR/postgres, but may list nothing here.
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const path = join(dataDir, 'custos.pid');
  let recoveredStale = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      // Two processes that both found a stale lock may both have unlinked it: only one file won.
      if (readPid(path) !== process.pid) throw new DataDirInUseError(dataDir, readPid(path) ?? -1);
      return {
        path,
        recoveredStale,
        release: () => {
          if (readPid(path) === process.pid) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPid(path);
      if (holder !== undefined && isProcessAlive(holder)) throw new DataDirInUseError(dataDir, holder);
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
      recoveredStale = true;
    }
  }
  throw new DataDirInUseError(dataDir, readPid(path) ?? -1);
}
