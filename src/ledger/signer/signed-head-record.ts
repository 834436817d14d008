import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';

import lockfile from 'proper-lockfile';

/** The last checkpoint head the signer signed, as it keeps it outside the database. */
export interface SignedHead {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly signedAt: string;
}

/** The record exists but cannot be read as one: the signer refuses rather than start over. */
export class SignedHeadRecordError extends Error {
  override readonly name = 'SignedHeadRecordError';
}

const HEX_32 = /^[0-9a-f]{64}$/;

/**
 * The checkpoint signer's own memory of the last (size, root hash) it signed (ADR 0025): a small
 * JSON file beside the key, never in the database nor in a backup, so that neither a rewritten
 * ledger nor a restored backup can roll it back. Every signature happens under its lock (several
 * processes may share one DATA_DIR) and only after the record is updated on disk: written to a
 * temporary file, flushed, renamed over the old one and the directory flushed, so a crash leaves
 * the old record or the new one, never neither.
 */
export class SignedHeadRecord {
  constructor(readonly path: string) {}

  read(): SignedHead | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new SignedHeadRecordError(`${this.path} is not valid JSON`);
    }
    const record = value as { treeSize?: unknown; rootHash?: unknown; signedAt?: unknown };
    if (
      typeof record !== 'object' ||
      record === null ||
      !Number.isSafeInteger(record.treeSize) ||
      (record.treeSize as number) < 0 ||
      typeof record.rootHash !== 'string' ||
      !HEX_32.test(record.rootHash) ||
      typeof record.signedAt !== 'string'
    ) {
      throw new SignedHeadRecordError(`${this.path} is not a signed-head record ({ treeSize, rootHash, signedAt })`);
    }
    return {
      treeSize: record.treeSize as number,
      rootHash: Buffer.from(record.rootHash, 'hex'),
      signedAt: record.signedAt,
    };
  }

  write(treeSize: number, rootHash: Buffer): SignedHead {
    const head: SignedHead = { treeSize, rootHash, signedAt: new Date().toISOString() };
    const text = `${JSON.stringify({ treeSize, rootHash: rootHash.toString('hex'), signedAt: head.signedAt })}\n`;
    // The temporary name keeps the record's prefix: `custos backup` leaves it out as well.
    const temporary = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return head;
  }

  /**
   * Runs `fn` holding the record's lock (`<record>.lock`, proper-lockfile: a directory created
   * atomically, refreshed while held, taken over when stale after a crash).
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.path, {
      realpath: false,
      lockfilePath: `${this.path}.lock`,
      stale: 20_000,
      update: 5_000,
      retries: { retries: 200, minTimeout: 10, maxTimeout: 250 },
      onCompromised: (error) => {
        // Another process took the lock over as stale while this one held it: the next signature
        // re-reads the record under a new lock, so only this warning is due.
        process.emitWarning(`the lock of ${basename(this.path)} was compromised: ${error.message}`);
      },
    });
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  }
}
