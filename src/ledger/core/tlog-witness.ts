/**
 * C2SP tlog-witness (https://c2sp.org/tlog-witness) `add-checkpoint`: the request body and the
 * witness's decision, as pure functions shared by the standalone witness (`custos witness serve`),
 * the in-service witness (`/api/v1/witness/add-checkpoint`) and the log side that calls them.
 *
 * Request body: `old <size>\n`, zero to 63 base64 consistency proof lines, an empty line, then the
 * signed checkpoint note. Dependency-free, like the rest of this folder.
 */
import { Buffer } from 'node:buffer';

import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { HASH_SIZE, isValidConsistency } from './merkle.js';
import { decodeBase64Strict, NoteError, openNote, type NoteVerifier } from './signed-note.js';

/** Largest request body a witness reads (the limit; a real request is a few hundred bytes). */
export const MAX_ADD_CHECKPOINT_BODY = 64 * 1024;
/** The spec's limit on consistency proof lines. */
export const MAX_PROOF_LINES = 63;
/** Content type of a 409 answer: the witness's size in decimal and a newline. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Buffer[];
  /** The signed checkpoint note, as sent. */
  readonly note: string;
}

/**
 * Why a witness refuses, with the HTTP status the spec gives it. `size` is set on a 409 (the size
 * the witness holds); `code` is a stable name for logs, problem details and the ledger status.
 */
export interface WitnessRefusal {
  readonly status: 400 | 403 | 404 | 409 | 413 | 422;
  readonly code:
    | 'MALFORMED_REQUEST'
    | 'BODY_TOO_LARGE'
    | 'UNKNOWN_LOG'
    | 'BAD_LOG_SIGNATURE'
    | 'OLD_SIZE_BEYOND_CHECKPOINT'
    | 'OLD_SIZE_MISMATCH'
    | 'ROOT_MISMATCH'
    | 'INVALID_PROOF';
  readonly message: string;
  readonly size?: number;
}

export class WitnessRefusalError extends Error {
  override readonly name = 'WitnessRefusalError';

  constructor(readonly refusal: WitnessRefusal) {
    super(refusal.message);
  }
}

const refuse = (status: WitnessRefusal['status'], code: WitnessRefusal['code'], message: string, size?: number) =>
  new WitnessRefusalError({ status, code, message, ...(size === undefined ? {} : { size }) });

const malformed = (why: string) => refuse(400, 'MALFORMED_REQUEST', `malformed add-checkpoint request: ${why}`);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The request body for `add-checkpoint`. */
export function formatAddCheckpointRequest(oldSize: number, proof: readonly Uint8Array[], note: string): string {
  const lines = [`old ${oldSize}`, ...proof.map((hash) => Buffer.from(hash).toString('base64'))];
  return `${lines.join('\n')}\n\n${note}`;
}

/** Parses an add-checkpoint body; throws WitnessRefusalError (400, or 413 when too large). */
export function parseAddCheckpointRequest(body: Uint8Array | string): AddCheckpointRequest {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.length > MAX_ADD_CHECKPOINT_BODY)
    throw refuse(413, 'BODY_TOO_LARGE', `the request body is over ${MAX_ADD_CHECKPOINT_BODY} bytes`);
  let text: string;
  try {
    text = typeof body === 'string' ? body : strictUtf8.decode(bytes);
  } catch {
    throw malformed('the body is not UTF-8');
  }
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw malformed('no empty line between the proof and the checkpoint');
  const header = text.slice(0, blank).split('\n');
  const note = text.slice(blank + 2);
  const oldLine = /^old (0|[1-9][0-9]*)$/.exec(header[0]);
  if (!oldLine) throw malformed('the first line must be "old <size>" in canonical decimal');
  const oldSize = Number(oldLine[1]);
  if (!Number.isSafeInteger(oldSize)) throw malformed('the old size is beyond 2^53 - 1');
  const proofLines = header.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) throw malformed(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((line, i) => {
    const hash = decodeBase64Strict(line);
    if (!hash || hash.length !== HASH_SIZE) throw malformed(`proof line ${i + 1} is not a base64 SHA-256 hash`);
    return hash;
  });
  if (note.length === 0) throw malformed('no checkpoint after the empty line');
  return { oldSize, proof, note };
}

/** What the witness holds for one log: the latest checkpoint it cosigned. */
export interface HeldCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
}

/** A checkpoint the witness may cosign: its text, parsed body and the request it came in. */
export interface AcceptedCheckpoint extends Checkpoint {
  readonly text: string;
}

/** The checkpoint text of a note (before its signatures), and its origin line, without verifying. */
function peekCheckpoint(note: string): Checkpoint & { text: string } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('the checkpoint is not a signed note');
  const text = note.slice(0, split + 1);
  try {
    return { ...parseCheckpoint(text), text };
  } catch (error) {
    throw malformed((error as Error).message);
  }
}

/** The origin a request names (to find its log and its lock), or a 400. */
export function requestOrigin(request: AddCheckpointRequest): string {
  return peekCheckpoint(request.note).origin;
}

/**
 * The witness's checks, in the spec's order: known origin (404), the log's signature (403), old
 * size not past the checkpoint (400), old size equal to the held size (409 with it), same root at
 * equal sizes (409), consistency proof from the held checkpoint (422). Returns the checkpoint to
 * cosign; the caller must hold its per-log lock from reading `held` to storing the new checkpoint.
 */
export function checkAddCheckpoint(
  request: AddCheckpointRequest,
  logKeys: ReadonlyMap<string, readonly NoteVerifier[]>,
  held: HeldCheckpoint | undefined,
): AcceptedCheckpoint {
  const peeked = peekCheckpoint(request.note);
  const keys = logKeys.get(peeked.origin);
  if (!keys) throw refuse(404, 'UNKNOWN_LOG', `this witness does not witness the log ${JSON.stringify(peeked.origin)}`);
  try {
    openNote(request.note, keys);
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    if (error.code === 'NO_KNOWN_SIGNATURE' || error.code === 'INVALID_SIGNATURE')
      throw refuse(403, 'BAD_LOG_SIGNATURE', `the checkpoint is not signed by the log's key: ${error.message}`);
    throw malformed(error.message);
  }
  const checkpoint = peeked;
  if (request.oldSize > checkpoint.treeSize) {
    throw refuse(
      400,
      'OLD_SIZE_BEYOND_CHECKPOINT',
      `old size ${request.oldSize} is greater than the checkpoint size ${checkpoint.treeSize}`,
    );
  }
  const heldSize = held?.treeSize ?? 0;
  if (request.oldSize !== heldSize) {
    throw refuse(
      409,
      'OLD_SIZE_MISMATCH',
      `old size ${request.oldSize} is not the witnessed size ${heldSize}`,
      heldSize,
    );
  }
  if (request.oldSize === 0) {
    if (request.proof.length !== 0) throw malformed('the proof must be empty when the old size is 0');
    return checkpoint;
  }
  const heldRoot = held!.rootHash;
  if (request.oldSize === checkpoint.treeSize) {
    if (!heldRoot.equals(checkpoint.rootHash)) {
      throw refuse(
        409,
        'ROOT_MISMATCH',
        `the checkpoint's root at size ${heldSize} differs from the one this witness cosigned: the log forked`,
        heldSize,
      );
    }
    if (request.proof.length !== 0) throw refuse(422, 'INVALID_PROOF', 'the proof must be empty at equal sizes');
    return checkpoint;
  }
  if (!isValidConsistency(request.oldSize, checkpoint.treeSize, request.proof, heldRoot, checkpoint.rootHash)) {
    throw refuse(
      422,
      'INVALID_PROOF',
      `the consistency proof from size ${request.oldSize} to ${checkpoint.treeSize} does not verify against the witnessed root`,
    );
  }
  return checkpoint;
}

/** The size in a 409 answer (`text/x.tlog.size`), or undefined when the body is not one. */
export function parseTlogSize(body: string): number | undefined {
  const match = /^(0|[1-9][0-9]*)\n$/.exec(body);
  if (!match) return undefined;
  const size = Number(match[1]);
  return Number.isSafeInteger(size) ? size : undefined;
}
