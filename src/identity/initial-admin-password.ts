import { closeSync, fchmodSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bootstrap administrator's one-time password lives in a file, not only in the log (the
 * convention of Jenkins and GitLab): a first start whose log scrolled away, or that failed after
 * creating the administrator, must not leave nobody able to sign in. The file is readable by the
 * service's OS user only and is deleted by the administrator's first password change.
 */
export function initialAdminPasswordFile(dataDir: string): string {
  return join(dataDir, 'initial-admin-password');
}

export function writeInitialAdminPassword(file: string, dataDir: string, password: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'w', 0o600);
  try {
    // A file left by an earlier database keeps its old mode when overwritten: set it again.
    fchmodSync(fd, 0o600);
    writeSync(fd, `${password}\n`);
  } finally {
    closeSync(fd);
  }
}

export function removeInitialAdminPassword(file: string): void {
  rmSync(file, { force: true });
}
