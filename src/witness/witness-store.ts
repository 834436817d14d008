import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import type { HeldCheckpoint } from '../ledger/core/index.js';

/** The latest checkpoint a witness cosigned for one log. */
export interface WitnessedCheckpoint extends HeldCheckpoint {
  readonly origin: string;
  /** The log-signed note the witness was given, kept as evidence. */
  readonly note: string;
  /** The cosignature line the witness answered with. */
  readonly cosignature: string;
}

/**
 * Where a witness keeps its state: one latest checkpoint per log origin. `exclusive` runs `work`
 * alone for that origin (no other call for it, in this process or any other sharing the store,
 * runs between its read and its save): the atomicity the tlog-witness spec requires.
 */
export interface WitnessStore {
  exclusive<T>(
    origin: string,
    work: (held: WitnessedCheckpoint | undefined, save: (next: WitnessedCheckpoint) => Promise<void>) => Promise<T>,
  ): Promise<T>;
}

interface StoredFile {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly note: string;
  readonly cosignature: string;
}

/**
 * One JSON file per log in `<dir>/logs/`, named by the SHA-256 of the origin. Each write goes to a
 * temporary file that is fsync'ed and renamed over the old one, then the directory is fsync'ed:
 * after a crash the file holds the old checkpoint or the new one, never a torn mix, and a
 * cosignature is answered only after its checkpoint is on disk.
 */
export class FileWitnessStore implements WitnessStore {
  private readonly dir: string;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'logs');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(origin: string): string {
    return join(this.dir, `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`);
  }

  /** One promise chain per origin: the directory belongs to one witness process. */
  exclusive<T>(
    origin: string,
    work: (held: WitnessedCheckpoint | undefined, save: (next: WitnessedCheckpoint) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const run = async (): Promise<T> => work(await this.get(origin), (next) => this.put(next));
    const before = this.queues.get(origin) ?? Promise.resolve();
    const result = before.then(run, run);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(origin, settled);
    void settled.then(() => {
      if (this.queues.get(origin) === settled) this.queues.delete(origin);
    });
    return result;
  }

  private async get(origin: string): Promise<WitnessedCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(origin), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const stored = JSON.parse(text) as StoredFile;
    if (stored.origin !== origin) throw new Error(`witness state ${this.file(origin)} is for another origin`);
    return { ...stored, rootHash: Buffer.from(stored.rootHash, 'base64') };
  }

  private async put(checkpoint: WitnessedCheckpoint): Promise<void> {
    const target = this.file(checkpoint.origin);
    const temporary = `${target}.${process.pid}.tmp`;
    const stored: StoredFile = { ...checkpoint, rootHash: checkpoint.rootHash.toString('base64') };
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(stored, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
