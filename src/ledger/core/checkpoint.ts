/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree head of the ledger, a
 * signed note whose text is the origin line, the decimal tree size and the base64 root hash, then
 * optional extension lines.
 *
 * Dependency-free (node:buffer and this folder only) so a checkpoint handed to a court can be checked
 * offline with nothing but the note and the public key string.
 */
import { Buffer } from 'node:buffer';

import { HASH_SIZE } from './merkle.js';
import {
  decodeBase64Strict,
  openNote,
  signNote,
  type NoteSignature,
  type SignerKey,
  type VerifierKey,
} from './signed-note.js';

export type CheckpointErrorCode =
  /** The note text is not a well-formed checkpoint body. */
  | 'MALFORMED_CHECKPOINT'
  /** The checkpoint's origin is not the one the caller expects. */
  | 'ORIGIN_MISMATCH';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';

  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Checkpoint {
  /** Unique identity of the log, e.g. `custos.example.org/ledger`. */
  readonly origin: string;
  readonly treeSize: number;
  /** RFC 6962 root hash at treeSize (32 bytes). */
  readonly rootHash: Buffer;
  /** Opaque extension lines, in order (none by default; not recommended by the spec). */
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

/** An opened checkpoint: the parsed body and the signatures that were verified. */
export interface OpenedCheckpoint extends Checkpoint {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const malformed = (why: string): CheckpointError =>
  new CheckpointError('MALFORMED_CHECKPOINT', `malformed checkpoint: ${why}`);

function checkLine(line: string, what: string): void {
  if (line.length === 0) throw malformed(`the ${what} is empty`);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f]/.test(line)) throw malformed(`the ${what} contains a newline or control character`);
}

/** The checkpoint note text (body), ending in a newline. */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, treeSize, rootHash, extensions = [] } = checkpoint;
  checkLine(origin, 'origin');
  if (!Number.isSafeInteger(treeSize) || treeSize < 0)
    throw malformed(`tree size ${String(treeSize)} is not a non-negative safe integer`);
  if (rootHash.length !== HASH_SIZE) throw malformed(`the root hash is ${rootHash.length} bytes, not ${HASH_SIZE}`);
  extensions.forEach((line) => checkLine(line, 'extension line'));
  const lines = [origin, String(treeSize), Buffer.from(rootHash).toString('base64'), ...extensions];
  return `${lines.join('\n')}\n`;
}

/** Parses a checkpoint body (the note text, ending in a newline). Signatures are not checked here. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw malformed('the text does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed(`it has ${lines.length} lines; origin, tree size and root hash are required`);
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  checkLine(origin, 'origin');
  // ASCII decimal without sign or leading zeros ("0" only for the empty tree).
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine))
    throw malformed(`tree size ${JSON.stringify(sizeLine)} is not a canonical decimal`);
  const treeSize = Number(sizeLine);
  if (!Number.isSafeInteger(treeSize)) throw malformed(`tree size ${sizeLine} is beyond 2^53 - 1`);
  const rootHash = decodeBase64Strict(rootLine);
  if (!rootHash) throw malformed('the root hash is not standard base64');
  if (rootHash.length !== HASH_SIZE) throw malformed(`the root hash is ${rootHash.length} bytes, not ${HASH_SIZE}`);
  extensions.forEach((line) => checkLine(line, 'extension line'));
  return { origin, treeSize, rootHash, extensions };
}

/** Formats and signs a checkpoint: the complete signed note. */
export function signCheckpoint(checkpoint: CheckpointInput, signer: SignerKey | readonly SignerKey[]): string {
  const signers = Array.isArray(signer) ? (signer as readonly SignerKey[]) : [signer as SignerKey];
  return signNote(formatCheckpoint(checkpoint), signers);
}

export interface OpenCheckpointOptions {
  /** Refuse the checkpoint unless its origin line is exactly this. */
  readonly origin?: string;
}

/**
 * Verifies a signed checkpoint note against trusted keys (at least one must have signed it; see
 * openNote) and returns the parsed checkpoint. Throws NoteError or CheckpointError.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifier: VerifierKey | readonly VerifierKey[],
  options: OpenCheckpointOptions = {},
): OpenedCheckpoint {
  const verifiers = Array.isArray(verifier) ? (verifier as readonly VerifierKey[]) : [verifier as VerifierKey];
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new CheckpointError(
      'ORIGIN_MISMATCH',
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(options.origin)}`,
    );
  }
  return { ...checkpoint, text: opened.text, signatures: opened.verified };
}
