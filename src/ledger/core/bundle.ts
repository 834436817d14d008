/**
 * Custody bundles, format `custos-bundle/1` (docs/bundle-format.md): the ledger entries of one item
 * or one case, each with its inclusion proof to a signed checkpoint, and a signed *statement* that
 * they are all the entries of that item or case in that checkpoint's tree. What a court, a defence
 * expert or another agency receives and checks offline, with nothing but the bundle and the
 * ledger's public key.
 *
 * This module checks what the cryptography proves: the checkpoint's and the statement's signatures,
 * each entry's inclusion, the consistency with an earlier checkpoint, the completeness the statement
 * claims, and each entry's own form (stated index, signature bindings). src/bundles/bundle-verifier.ts
 * adds what the custody rules require. Dependency-free (node:crypto and this folder), like the rest
 * of this folder.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

import { CheckpointError, parseCheckpoint } from './checkpoint.js';
import { entryProblem, type LedgerEntry } from './entry.js';
import { canonicalBytes, CanonicalizationError, parseCanonical } from './jcs.js';
import { HASH_SIZE, leafHash, ProofError, rootFromConsistencyProof, rootFromInclusionProof } from './merkle.js';
import {
  decodeBase64Strict,
  formatVerifierKey,
  NoteError,
  openNote,
  parseVerifierKey,
  signNote,
  type NoteVerifier,
  type SignerKey,
} from './signed-note.js';

export const BUNDLE_FORMAT = 'custos-bundle/1';

export const BUNDLE_SUBJECT_TYPES = ['item', 'case'] as const;
export type BundleSubjectType = (typeof BUNDLE_SUBJECT_TYPES)[number];

/** What the bundle is about: an item (by item number) or a case (by case number). */
export interface BundleSubject {
  readonly type: BundleSubjectType;
  /** Lower-case UUID. */
  readonly id: string;
  readonly number: string;
}

export interface BundleEntry {
  readonly index: number;
  /** The entry's canonical JSON text: its UTF-8 encoding is exactly the bytes the ledger hashed. */
  readonly entry: string;
  /** RFC 9162 inclusion proof of the entry in the checkpoint's tree, bottom-up, base64 hashes. */
  readonly inclusionProof: readonly string[];
}

/** Present when the bundle was asked for `since` an earlier checkpoint the recipient holds. */
export interface BundleConsistency {
  /** The earlier signed checkpoint. */
  readonly checkpoint: string;
  /** RFC 9162 consistency proof from its tree size to the bundle checkpoint's, base64 hashes. */
  readonly proof: readonly string[];
}

/**
 * An RFC 3161 time-stamp token of one of the bundle's checkpoints (ADR 0027): over the SHA-256 of
 * that checkpoint's note body. Checked by src/bundles/bundle-timestamps.ts (it needs ASN.1/CMS).
 */
export interface BundleTimestamp {
  /** The tree size of the checkpoint it stamps: the bundle's, or the earlier one of `consistency`. */
  readonly treeSize: number;
  /** The TimeStampToken (CMS ContentInfo), base64 DER. */
  readonly token: string;
}

export interface CustodyBundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly origin: string;
  /** The verifier key (Go sumdb/note vkey) that signed checkpoint and statement. */
  readonly vkey: string;
  readonly subject: BundleSubject;
  /** C2SP tlog-checkpoint signed note covering every entry. */
  readonly checkpoint: string;
  /** Signed note: these are all the entries of the subject in the checkpoint's tree. */
  readonly statement: string;
  /** In ledger order. */
  readonly entries: readonly BundleEntry[];
  readonly consistency?: BundleConsistency;
  /** Time-stamp tokens of its checkpoints, when the ledger has them (a TSA is configured). */
  readonly timestamps?: readonly BundleTimestamp[];
}

/** What a bundle statement says; its text is fully determined by these. */
export interface BundleStatement {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly subject: BundleSubject;
  /** Ledger indexes of the entries, ascending. */
  readonly indexes: readonly number[];
}

/** A bundle failed verification; `index` is the ledger index concerned, where there is one. */
export class BundleError extends Error {
  override readonly name = 'BundleError';

  constructor(
    reason: string,
    readonly index: number | null = null,
  ) {
    super(reason);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENTRIES_LABEL = 'entries';

/** The statement's note text (six lines, each ending in a newline). */
export function formatBundleStatement(statement: BundleStatement): string {
  const { origin, treeSize, rootHash, subject, indexes } = statement;
  if (origin.length === 0 || CONTROL.test(origin))
    throw new BundleError('the origin cannot be written on a statement line');
  if (!UUID.test(subject.id))
    throw new BundleError(`subject id ${JSON.stringify(subject.id)} is not a lower-case UUID`);
  if (subject.number.length === 0 || CONTROL.test(subject.number))
    throw new BundleError('the subject number cannot be written on a statement line');
  if (rootHash.length !== HASH_SIZE)
    throw new BundleError(`the root hash is ${rootHash.length} bytes, not ${HASH_SIZE}`);
  for (let i = 0; i < indexes.length; i++) {
    if (
      !Number.isSafeInteger(indexes[i]) ||
      indexes[i] < 0 ||
      indexes[i] >= treeSize ||
      (i > 0 && indexes[i] <= indexes[i - 1])
    ) {
      throw new BundleError('statement indexes must be ascending ledger indexes below the tree size');
    }
  }
  const lines = [
    BUNDLE_FORMAT,
    origin,
    String(treeSize),
    Buffer.from(rootHash).toString('base64'),
    `${subject.type} ${subject.id} ${subject.number}`,
    [ENTRIES_LABEL, ...indexes.map(String)].join(' '),
  ];
  return `${lines.join('\n')}\n`;
}

/** Formats and signs a statement with the ledger's key: the complete signed note. */
export function signBundleStatement(statement: BundleStatement, signer: SignerKey): string {
  return signNote(formatBundleStatement(statement), [signer]);
}

/** The bundle's bytes as served and as hashed: its RFC 8785 canonical JSON, UTF-8. */
export function bundleBytes(bundle: CustodyBundle): Buffer {
  return canonicalBytes(bundle);
}

/** Lower-case hex SHA-256 of the bundle's canonical bytes: the bundle's identity on reports. */
export function bundleSha256(bundle: CustodyBundle): string {
  return createHash('sha256').update(bundleBytes(bundle)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Shape: every member known and of its type, so that no byte of a bundle goes unchecked
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function object(value: unknown, where: string, required: readonly string[], optional: readonly string[] = []): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BundleError(`${where} is not a JSON object`);
  const record = value as Json;
  for (const name of Object.keys(record)) {
    if (!required.includes(name) && !optional.includes(name))
      throw new BundleError(`${where} has an unknown member "${name}"`);
  }
  for (const name of required) if (!(name in record)) throw new BundleError(`${where} lacks its "${name}" member`);
  return record;
}

function string(record: Json, name: string, where: string): string {
  const value = record[name];
  if (typeof value !== 'string' || value.length === 0)
    throw new BundleError(`${where}.${name} is not a non-empty string`);
  return value;
}

function strings(record: Json, name: string, where: string): string[] {
  const value = record[name];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new BundleError(`${where}.${name} is not an array of strings`);
  return value as string[];
}

/** Checks the bundle's JSON shape (format 1, no unknown member anywhere) and returns it typed. */
export function parseBundleShape(input: unknown): CustodyBundle {
  if (
    typeof input === 'object' &&
    input !== null &&
    !Array.isArray(input) &&
    'format' in input &&
    (input as Json).format !== BUNDLE_FORMAT
  ) {
    throw new BundleError(
      `unknown bundle format ${JSON.stringify((input as Json).format)}: this verifier reads ${BUNDLE_FORMAT}`,
    );
  }
  const bundle = object(
    input,
    'the bundle',
    ['format', 'origin', 'vkey', 'subject', 'checkpoint', 'statement', 'entries'],
    ['consistency', 'timestamps'],
  );
  const subject = object(bundle.subject, 'bundle.subject', ['type', 'id', 'number']);
  if (!BUNDLE_SUBJECT_TYPES.includes(subject.type as BundleSubjectType)) {
    throw new BundleError(`bundle.subject.type must be "item" or "case", not ${JSON.stringify(subject.type)}`);
  }
  if (typeof subject.id !== 'string' || !UUID.test(subject.id))
    throw new BundleError('bundle.subject.id is not a lower-case UUID');
  string(subject, 'number', 'bundle.subject');
  for (const name of ['origin', 'vkey', 'checkpoint', 'statement']) string(bundle, name, 'bundle');
  if (!Array.isArray(bundle.entries)) throw new BundleError('bundle.entries is not an array');
  bundle.entries.forEach((value: unknown, position) => {
    const where = `bundle.entries[${position}]`;
    const entry = object(value, where, ['index', 'entry', 'inclusionProof']);
    if (!Number.isSafeInteger(entry.index) || (entry.index as number) < 0)
      throw new BundleError(`${where}.index is not a ledger index`);
    string(entry, 'entry', where);
    strings(entry, 'inclusionProof', where);
  });
  if (bundle.consistency !== undefined) {
    const consistency = object(bundle.consistency, 'bundle.consistency', ['checkpoint', 'proof']);
    string(consistency, 'checkpoint', 'bundle.consistency');
    strings(consistency, 'proof', 'bundle.consistency');
  }
  if (bundle.timestamps !== undefined) {
    if (!Array.isArray(bundle.timestamps)) throw new BundleError('bundle.timestamps is not an array');
    bundle.timestamps.forEach((value: unknown, position) => {
      const where = `bundle.timestamps[${position}]`;
      const stamp = object(value, where, ['treeSize', 'token']);
      if (!Number.isSafeInteger(stamp.treeSize) || (stamp.treeSize as number) < 1)
        throw new BundleError(`${where}.treeSize is not a tree size`);
      string(stamp, 'token', where);
    });
  }
  return bundle as unknown as CustodyBundle;
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

export interface ProveBundleOptions {
  /**
   * The verifier key the recipient trusts, obtained independently of the bundle. Without it the
   * bundle's own `vkey` is used, which proves only that the bundle is internally consistent.
   */
  readonly trustedKey?: string;
  /** Signed checkpoints the recipient already holds (e.g. from an earlier bundle or report). */
  readonly heldCheckpoints?: readonly string[];
}

export interface ProvenEntry {
  readonly index: number;
  readonly leafHash: Buffer;
  readonly entry: LedgerEntry;
}

export interface TreeHeadSummary {
  readonly treeSize: number;
  readonly rootHash: Buffer;
}

/** A bundle whose cryptography holds. */
export interface ProvenBundle {
  readonly bundle: CustodyBundle;
  /** Hex SHA-256 of the bundle's canonical bytes. */
  readonly sha256: string;
  readonly key: { readonly vkey: string; readonly name: string; readonly keyId: string; readonly pinned: boolean };
  readonly checkpoint: TreeHeadSummary & { readonly origin: string };
  /** The earlier checkpoint the bundle proved itself consistent with. */
  readonly consistency: TreeHeadSummary | null;
  /** The recipient's own checkpoints, each proven to be of this same ledger. */
  readonly held: readonly TreeHeadSummary[];
  readonly entries: readonly ProvenEntry[];
}

const hex8 = (keyId: number): string => keyId.toString(16).padStart(8, '0');
const keyLabel = (key: NoteVerifier): string => `${key.name}+${hex8(key.keyId)}`;

function signersOf(note: string): string {
  const names = [...note.matchAll(/^\u2014 (\S+) (\S+)$/gmu)].map(([, name, signature]) => {
    const bytes = decodeBase64Strict(signature);
    return bytes && bytes.length >= 4 ? `${name}+${hex8(bytes.readUInt32BE(0))}` : name;
  });
  return names.length === 0 ? 'nobody' : names.join(', ');
}

/** Opens a signed note (checkpoint or statement) with the key, with reasons a person can act on. */
function openSigned(note: string, key: NoteVerifier, what: string): string {
  try {
    return openNote(note, [key]).text;
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    switch (error.code) {
      case 'NO_KNOWN_SIGNATURE':
        return fail(`${what} signature is not by key ${keyLabel(key)} (it is signed by ${signersOf(note)})`);
      case 'INVALID_SIGNATURE':
        return fail(`${what} signature by key ${keyLabel(key)} does not verify: the signed text was altered`);
      default:
        return fail(`${what} is not a well-formed signed note: ${error.message}`);
    }
  }
}

function fail(reason: string, index: number | null = null): never {
  throw new BundleError(reason, index);
}

function openCheckpointNote(
  note: string,
  key: NoteVerifier,
  origin: string,
  what: string,
): TreeHeadSummary & { origin: string } {
  const text = openSigned(note, key, what);
  let parsed;
  try {
    parsed = parseCheckpoint(text);
  } catch (error) {
    if (error instanceof CheckpointError) fail(`${what} is not a checkpoint: ${error.message}`);
    throw error;
  }
  if (parsed.origin !== origin)
    fail(`${what} is of origin ${JSON.stringify(parsed.origin)}, not the bundle's ${JSON.stringify(origin)}`);
  return { origin: parsed.origin, treeSize: parsed.treeSize, rootHash: parsed.rootHash };
}

function proofHashes(encoded: readonly string[], what: string, index: number | null): Buffer[] {
  return encoded.map((text, k) => {
    const hash = decodeBase64Strict(text);
    if (!hash || hash.length !== HASH_SIZE) fail(`${what} hash ${k} is not a base64 SHA-256 hash`, index);
    return hash;
  });
}

/** The bundle's own key: well-formed and written exactly as the ledger writes it (lower-case key ID). */
function bundleKey(bundle: CustodyBundle): NoteVerifier & { publicKey: Buffer } {
  let key: NoteVerifier & { publicKey: Buffer };
  try {
    key = parseVerifierKey(bundle.vkey);
  } catch (error) {
    return fail(`bundle.vkey is not a valid verifier key: ${(error as Error).message}`);
  }
  if (formatVerifierKey(key.name, key.publicKey) !== bundle.vkey)
    fail(`bundle.vkey is not written in its canonical form (${formatVerifierKey(key.name, key.publicKey)})`);
  return key;
}

function trustedVerifier(
  bundle: CustodyBundle,
  trustedKey: string | undefined,
): { key: NoteVerifier & { publicKey: Buffer }; pinned: boolean } {
  if (trustedKey === undefined) return { key: bundleKey(bundle), pinned: false };
  try {
    return { key: parseVerifierKey(trustedKey), pinned: true };
  } catch (error) {
    return fail(`the trusted key is not a verifier key: ${(error as Error).message}`);
  }
}

function checkStatement(text: string, expected: BundleStatement): void {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 6) fail(`the statement has ${lines.length} lines, a ${BUNDLE_FORMAT} statement has 6`);
  const [format, origin, size, root, subject, entries] = lines;
  if (format !== BUNDLE_FORMAT)
    fail(`the statement is not a ${BUNDLE_FORMAT} statement (its first line is ${JSON.stringify(format)})`);
  if (origin !== expected.origin)
    fail(`the statement is of origin ${JSON.stringify(origin)}, not the bundle's ${JSON.stringify(expected.origin)}`);
  const rootBase64 = Buffer.from(expected.rootHash).toString('base64');
  if (size !== String(expected.treeSize) || root !== rootBase64) {
    fail(
      `the statement is about the tree of size ${size} with root ${root}, the checkpoint about size ${expected.treeSize} with root ${rootBase64}`,
    );
  }
  const subjectLine = `${expected.subject.type} ${expected.subject.id} ${expected.subject.number}`;
  if (subject !== subjectLine) fail(`the statement is about "${subject}", the bundle's subject is "${subjectLine}"`);
  const words = entries.split(' ');
  if (words[0] !== ENTRIES_LABEL || words.slice(1).some((word) => !/^(0|[1-9][0-9]*)$/.test(word)))
    fail("the statement's entries line is malformed");
  const listed = words.slice(1).map(Number);
  const inBundle = new Set(expected.indexes);
  const missing = listed.find((index) => !inBundle.has(index));
  const what = `${expected.subject.type} ${expected.subject.number}`;
  if (missing !== undefined) {
    fail(
      `entry ${missing} is missing from the bundle: the signed statement lists ${listed.length} entries of ${what}, the bundle has ${expected.indexes.length}`,
      missing,
    );
  }
  const listedSet = new Set(listed);
  const extra = expected.indexes.find((index) => !listedSet.has(index));
  if (extra !== undefined)
    fail(`entry ${extra} is in the bundle but not in the signed statement of the entries of ${what}`, extra);
  // Same sets; the statement is written ascending and so are the bundle's entries (checked before).
  if (formatBundleStatement(expected) !== text) fail('the statement is not exactly the statement of this bundle');
}

function parseEntry(bytes: Buffer, index: number): LedgerEntry {
  let value: unknown;
  try {
    value = parseCanonical(bytes);
  } catch (error) {
    if (error instanceof CanonicalizationError) fail(`entry ${index} is not canonical JSON: ${error.message}`, index);
    throw error;
  }
  const entry = value as Json;
  const malformed = (why: string): never => fail(`entry ${index} is malformed: ${why}`, index);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return malformed('not a JSON object');
  if (typeof entry.type !== 'string') malformed('no type');
  const subject = entry.subject as Json | null;
  if (
    typeof subject !== 'object' ||
    subject === null ||
    typeof subject.type !== 'string' ||
    typeof subject.id !== 'string'
  )
    malformed('no subject');
  if (typeof entry.data !== 'object' || entry.data === null || Array.isArray(entry.data)) malformed('no data object');
  if (entry.actor !== null && (typeof entry.actor !== 'object' || typeof (entry.actor as Json).id !== 'string'))
    malformed('an actor without id');
  const problem = entryProblem(entry as unknown as LedgerEntry, index);
  if (problem !== undefined) fail(problem, index);
  return entry as unknown as LedgerEntry;
}

/**
 * Verifies everything in a bundle that cryptography proves, in this order, and throws BundleError
 * with the first failure: the shape; the key; the checkpoint's signature; the statement's signature
 * and its agreement with the checkpoint and subject; each entry's order, inclusion proof, canonical
 * form, stated index and signature bindings; that the entries are exactly those the statement lists;
 * the consistency proof from an earlier checkpoint; the recipient's own checkpoints.
 */
export function proveBundle(input: unknown, options: ProveBundleOptions = {}): ProvenBundle {
  const bundle = parseBundleShape(input);
  const { key, pinned } = trustedVerifier(bundle, options.trustedKey);
  const checkpoint = openCheckpointNote(bundle.checkpoint, key, bundle.origin, 'the checkpoint');
  if (key.name !== bundle.origin)
    fail(
      `the key is named ${JSON.stringify(key.name)}, but a Custos ledger's key is named after its origin ${JSON.stringify(bundle.origin)}`,
    );
  if (pinned) {
    const own = bundleKey(bundle);
    if (own.name !== key.name || own.keyId !== key.keyId || !own.publicKey.equals(key.publicKey)) {
      fail(`bundle.vkey names key ${keyLabel(own)}, not the trusted key ${keyLabel(key)}`);
    }
  }

  const statementText = openSigned(bundle.statement, key, 'the statement');

  const entries: ProvenEntry[] = [];
  let previous = -1;
  for (const { index, entry: text, inclusionProof } of bundle.entries) {
    if (index <= previous) {
      fail(
        index === previous
          ? `entry ${index} appears twice`
          : `the entries are not in ledger order: entry ${index} follows entry ${previous}`,
        index,
      );
    }
    previous = index;
    if (index >= checkpoint.treeSize)
      fail(`entry ${index} is beyond the checkpoint's tree of ${checkpoint.treeSize} entries`, index);
    if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed())
      fail(`entry ${index} is not valid Unicode text`, index);
    const bytes = Buffer.from(text, 'utf8');
    const leaf = leafHash(bytes);
    const proof = proofHashes(inclusionProof, `entry ${index}: inclusion proof`, index);
    let root: Buffer;
    try {
      root = rootFromInclusionProof(leaf, index, checkpoint.treeSize, proof);
    } catch (error) {
      if (error instanceof ProofError) fail(`entry ${index}: ${error.message}`, index);
      throw error;
    }
    if (!root.equals(checkpoint.rootHash))
      fail(
        `entry ${index}: inclusion proof does not lead to the checkpoint root (the entry or its proof was altered)`,
        index,
      );
    entries.push({ index, leafHash: leaf, entry: parseEntry(bytes, index) });
  }

  checkStatement(statementText, {
    origin: bundle.origin,
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash,
    subject: bundle.subject,
    indexes: entries.map((entry) => entry.index),
  });

  let consistency: TreeHeadSummary | null = null;
  if (bundle.consistency !== undefined) {
    const earlier = openCheckpointNote(
      bundle.consistency.checkpoint,
      key,
      bundle.origin,
      'the earlier checkpoint (consistency)',
    );
    const proof = proofHashes(bundle.consistency.proof, 'the consistency proof', null);
    const range = `from tree size ${earlier.treeSize} to ${checkpoint.treeSize}`;
    if (earlier.treeSize === 0)
      fail('the earlier checkpoint is of the empty tree: a consistency proof from it proves nothing');
    if (earlier.treeSize > checkpoint.treeSize)
      fail(
        `the earlier checkpoint (tree size ${earlier.treeSize}) is larger than the bundle's (${checkpoint.treeSize})`,
      );
    try {
      const root = rootFromConsistencyProof(earlier.treeSize, checkpoint.treeSize, proof, earlier.rootHash);
      if (!root.equals(checkpoint.rootHash))
        fail(`the consistency proof ${range} does not lead to the checkpoint root`);
    } catch (error) {
      if (error instanceof ProofError) fail(`the consistency proof ${range} does not verify: ${error.message}`);
      throw error;
    }
    consistency = { treeSize: earlier.treeSize, rootHash: earlier.rootHash };
  }

  const held = (options.heldCheckpoints ?? []).map((note, n) => {
    const mine = openCheckpointNote(note, key, bundle.origin, `the checkpoint you hold (#${n + 1})`);
    const same = (other: TreeHeadSummary): boolean => other.treeSize === mine.treeSize;
    const against = same(checkpoint) ? checkpoint : consistency !== null && same(consistency) ? consistency : undefined;
    if (against === undefined) {
      if (mine.treeSize > checkpoint.treeSize)
        fail(
          `the checkpoint you hold (tree size ${mine.treeSize}) is newer than the bundle's (${checkpoint.treeSize}): fetch the bundle again`,
        );
      fail(
        `the bundle proves nothing about the checkpoint you hold (tree size ${mine.treeSize}): fetch it with ?since=${mine.treeSize}`,
      );
    }
    if (!against.rootHash.equals(mine.rootHash)) {
      fail(
        `the checkpoint you hold (tree size ${mine.treeSize}) has another root than the one the bundle proves: the ledger was rewritten (or forked)`,
      );
    }
    return { treeSize: mine.treeSize, rootHash: mine.rootHash };
  });

  return {
    bundle,
    sha256: bundleSha256(bundle),
    key: { vkey: bundle.vkey, name: key.name, keyId: hex8(key.keyId), pinned },
    checkpoint,
    consistency,
    held,
    entries,
  };
}
