import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

import {
  consistencyProof,
  formatAddCheckpointRequest,
  generateNoteKeys,
  leafHash,
  rootFromLeafHashes,
  signCheckpoint,
} from '../../src/ledger/core/index.js';

/** A toy log for witness tests: leaves from a label, its key, and signed checkpoints of any size. */
export class ToyLog {
  readonly keys: { signerKey: string; verifierKey: string };
  private readonly leaves: Buffer[] = [];

  constructor(
    readonly origin: string,
    private readonly label = 'leaf',
    keys?: { signerKey: string; verifierKey: string },
  ) {
    this.keys = keys ?? generateNoteKeys(origin.replace(/[^A-Za-z0-9./-]/g, '-'));
  }

  /** Grows the log to `size` leaves (leaf i is `${label} i`). */
  grow(size: number): this {
    while (this.leaves.length < size) this.leaves.push(leafHash(Buffer.from(`${this.label} ${this.leaves.length}`)));
    return this;
  }

  root(size: number): Buffer {
    return rootFromLeafHashes(this.leaves.slice(0, size));
  }

  checkpoint(size: number): string {
    this.grow(size);
    return signCheckpoint({ origin: this.origin, treeSize: size, rootHash: this.root(size) }, this.keys.signerKey);
  }

  proof(from: number, to: number): Buffer[] {
    if (from === 0 || from === to) return [];
    this.grow(to);
    return consistencyProof(from, to, (level, index) =>
      rootFromLeafHashes(this.leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)),
    );
  }

  /** The add-checkpoint body from `from` to a checkpoint of `to`. */
  request(from: number, to: number): string {
    return formatAddCheckpointRequest(from, this.proof(from, to), this.checkpoint(to));
  }
}

export const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
