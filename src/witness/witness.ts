import {
  checkAddCheckpoint,
  parseAddCheckpointRequest,
  parseVerifierKey,
  requestOrigin,
  WitnessRefusalError,
  type Cosigner,
  type NoteVerifier,
  type WitnessRefusal,
} from '../ledger/core/index.js';
import type { WitnessStore } from './witness-store.js';

/** A log a witness accepts: its origin and the key(s) it signs checkpoints with. */
export interface WitnessedLog {
  readonly origin: string;
  readonly verifierKeys: readonly string[];
}

export type AddCheckpointAnswer =
  | { readonly status: 200; readonly cosignature: string; readonly origin: string; readonly treeSize: number }
  | ({ readonly origin?: string } & WitnessRefusal);

/**
 * A C2SP tlog-witness: checks an add-checkpoint request against the latest checkpoint it cosigned
 * for the log and answers with a cosignature/v1 line, or a refusal. Requests for one log run one at
 * a time (WitnessStore.exclusive), from reading the held checkpoint to storing the new one, so two
 * requests can never both pass the check against the same old size (the spec's race).
 */
export class Witness {
  private readonly logKeys: Map<string, NoteVerifier[]>;

  constructor(
    readonly cosigner: Cosigner,
    private readonly store: WitnessStore,
    logs: readonly WitnessedLog[],
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.logKeys = new Map();
    for (const log of logs) {
      const keys = log.verifierKeys.map((key) => parseVerifierKey(key));
      for (const key of keys) {
        if (key.name !== log.origin)
          throw new Error(`the key of log ${log.origin} is named "${key.name}"; a log's key is named by its origin`);
      }
      this.logKeys.set(log.origin, [...(this.logKeys.get(log.origin) ?? []), ...keys]);
    }
  }

  get origins(): string[] {
    return [...this.logKeys.keys()];
  }

  async addCheckpoint(body: Uint8Array | string): Promise<AddCheckpointAnswer> {
    let origin: string | undefined;
    try {
      const request = parseAddCheckpointRequest(body);
      origin = requestOrigin(request);
      const known = origin;
      if (!this.logKeys.has(known)) checkAddCheckpoint(request, this.logKeys, undefined); // 404 without a lock
      return await this.store.exclusive(known, async (held, save) => {
        const checkpoint = checkAddCheckpoint(request, this.logKeys, held);
        const cosignature = this.cosigner.cosign(checkpoint.text, this.now());
        await save({
          origin: known,
          treeSize: checkpoint.treeSize,
          rootHash: checkpoint.rootHash,
          note: request.note,
          cosignature,
        });
        return { status: 200 as const, cosignature, origin: known, treeSize: checkpoint.treeSize };
      });
    } catch (error) {
      if (error instanceof WitnessRefusalError) return { ...error.refusal, ...(origin ? { origin } : {}) };
      throw error;
    }
  }
}
