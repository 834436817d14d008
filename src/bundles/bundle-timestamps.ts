/**
 * The RFC 3161 time-stamp tokens of a custody bundle's checkpoints (docs/bundle-format.md §5.3b,
 * ADR 0027). Kept apart from bundle-verifier.ts because it needs the ASN.1/CMS libraries: `custos
 * verify` loads it only when a bundle carries tokens or `--tsa-ca` is given.
 */
import type { X509Certificate } from 'node:crypto';

import type { CustodyBundle } from '../ledger/core/bundle.js';
import { parseCheckpoint } from '../ledger/core/checkpoint.js';
import { decodeBase64Strict } from '../ledger/core/signed-note.js';
import { noteBody, verifyTimeStampToken } from '../ledger/timestamp/time-stamp.js';

export { parseTrustAnchors } from '../ledger/timestamp/time-stamp.js';

/** A token that verified: the checkpoint it stamps, when, and by which TSA. */
export interface BundleTimeStamp {
  readonly treeSize: number;
  readonly genTime: string;
  /** The TSA certificate's subject. */
  readonly tsa: string;
  readonly serialNumber: string;
  /** Whether its certificate was checked to chain to the CA given (--tsa-ca). */
  readonly chained: boolean;
}

export type BundleTimeStampCheck =
  | { readonly ok: true; readonly timestamps: readonly BundleTimeStamp[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks every token a bundle carries against the checkpoint of its tree size (the bundle's own or
 * the earlier one of `consistency`): the imprint is SHA-256 of that checkpoint's note body, the CMS
 * signature verifies with the TSA certificate the token carries, and — with `anchors` — that
 * certificate chains to them. With `anchors` the bundle's own checkpoint must carry a token. The
 * bundle's signatures and proofs are assumed verified already (verifyBundle).
 */
export function checkBundleTimestamps(
  bundle: CustodyBundle,
  anchors: readonly X509Certificate[] | null,
): BundleTimeStampCheck {
  const notes = new Map<number, string>();
  const sizeOf = (note: string): number => parseCheckpoint(noteBody(note).toString('utf8')).treeSize;
  const own = sizeOf(bundle.checkpoint);
  notes.set(own, bundle.checkpoint);
  if (bundle.consistency) notes.set(sizeOf(bundle.consistency.checkpoint), bundle.consistency.checkpoint);
  const found: BundleTimeStamp[] = [];
  for (const stamp of bundle.timestamps ?? []) {
    const where = `the time-stamp token of the checkpoint of size ${stamp.treeSize}`;
    const note = notes.get(stamp.treeSize);
    if (note === undefined) return { ok: false, reason: `${where}: the bundle carries no checkpoint of that size` };
    if (found.some((other) => other.treeSize === stamp.treeSize))
      return { ok: false, reason: `two time-stamp tokens for the checkpoint of size ${stamp.treeSize}` };
    const token = decodeBase64Strict(stamp.token);
    if (token === undefined || token.length === 0) return { ok: false, reason: `${where} is not base64` };
    try {
      const verified = verifyTimeStampToken(token, noteBody(note), anchors);
      found.push({
        treeSize: stamp.treeSize,
        genTime: verified.genTime.toISOString(),
        tsa: verified.tsa,
        serialNumber: verified.serialNumber,
        chained: verified.chained,
      });
    } catch (error) {
      // Any failure (malformed DER included) is the token's, named with the checkpoint it is for.
      return { ok: false, reason: `${where} does not verify: ${(error as Error).message}` };
    }
  }
  if (anchors !== null && !found.some((stamp) => stamp.treeSize === own))
    return { ok: false, reason: `no time-stamp token for the checkpoint of size ${own}` };
  return { ok: true, timestamps: found };
}

/** One line per token for the command's summary. */
export function formatBundleTimestamps(timestamps: readonly BundleTimeStamp[]): string {
  return timestamps
    .map(
      (stamp) =>
        `checkpoint of size ${stamp.treeSize} timestamped at ${stamp.genTime} by ${stamp.tsa}` +
        (stamp.chained ? ' (TSA certificate chains to --tsa-ca)\n' : ' (TSA NOT checked: pass --tsa-ca)\n'),
    )
    .join('');
}
