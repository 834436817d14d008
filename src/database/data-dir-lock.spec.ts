import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { acquireDataDirLock, DataDirInUseError } from './data-dir-lock.js';

describe('DATA_DIR lock', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'custos-lock-')), 'data');
  });

  it('creates DATA_DIR and records the holder', () => {
    const lock = acquireDataDirLock(dataDir);
    expect(readFileSync(join(dataDir, 'custos.pid'), 'utf8').trim()).toBe(String(process.pid));
    expect(lock.recoveredStale).toBe(false);
    lock.release();
    expect(existsSync(join(dataDir, 'custos.pid'))).toBe(false);
  });

  it('refuses a second holder while the first is alive, naming DATA_DIR and the pid', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await new Promise((resolve) => other.once('spawn', resolve));
      acquireDataDirLock(dataDir).release();
      writeFileSync(join(dataDir, 'custos.pid'), `${other.pid}\n`);
      expect(() => acquireDataDirLock(dataDir)).toThrow(DataDirInUseError);
      expect(() => acquireDataDirLock(dataDir)).toThrow(
        `DATA_DIR ${dataDir} is in use by another Custos process (pid ${other.pid})`,
      );
      expect(readFileSync(join(dataDir, 'custos.pid'), 'utf8').trim()).toBe(String(other.pid));
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('refuses a second acquisition in the same process', () => {
    const lock = acquireDataDirLock(dataDir);
    expect(() => acquireDataDirLock(dataDir)).toThrow(DataDirInUseError);
    lock.release();
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    acquireDataDirLock(dataDir).release();
    writeFileSync(join(dataDir, 'custos.pid'), `${dead.pid}\n`);
    const lock = acquireDataDirLock(dataDir);
    expect(lock.recoveredStale).toBe(true);
    expect(readFileSync(join(dataDir, 'custos.pid'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('does not remove a lock it does not hold', () => {
    const lock = acquireDataDirLock(dataDir);
    writeFileSync(join(dataDir, 'custos.pid'), '999999999\n');
    lock.release();
    expect(existsSync(join(dataDir, 'custos.pid'))).toBe(true);
  });
});
