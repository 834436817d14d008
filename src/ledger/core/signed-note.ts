/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, and the key string formats of
 * Go's golang.org/x/mod/sumdb/note (`<name>+<hex key ID>+<base64 key>`, and `PRIVATE+KEY+…` for
 * signers), so that checkpoints can be checked with the Go tooling as well as with ours.
 *
 * Dependency-free (node:crypto and node:buffer only) so the offline verifier, given nothing but a
 * note and a public key string, runs exactly the code the service signs with.
 */
import { Buffer } from 'node:buffer';
import * as crypto from 'node:crypto';

/** Signature type byte of Ed25519 in signed-note key IDs and key strings. */
export const ED25519_SIGNATURE_TYPE = 0x01;
/** Notes with more signature lines are refused (Go's limit; the spec requires at least 16). */
export const MAX_NOTE_SIGNATURES = 100;

export type NoteErrorCode =
  /** A key name that is empty or contains a Unicode space or '+'. */
  | 'INVALID_KEY_NAME'
  /** A key string, public key or seed that is malformed or of an unsupported algorithm. */
  | 'MALFORMED_KEY'
  /** A key string whose key ID is not the one its name and key imply. */
  | 'KEY_ID_MISMATCH'
  /** Note text that cannot be signed: no final newline, control characters, invalid UTF-8. */
  | 'INVALID_TEXT'
  /** A note that does not have the signed-note shape. */
  | 'MALFORMED_NOTE'
  /** A signature line that is not `— <name> <base64(key ID ‖ signature)>`. */
  | 'MALFORMED_SIGNATURE'
  /** The same signature line twice, or two signatures by one known key. */
  | 'DUPLICATE_SIGNATURE'
  /** More than MAX_NOTE_SIGNATURES signature lines. */
  | 'TOO_MANY_SIGNATURES'
  /** A signature by a known key (name and key ID) that does not verify: the note is rejected. */
  | 'INVALID_SIGNATURE'
  /** No signature by any known key. */
  | 'NO_KNOWN_SIGNATURE';

export class NoteError extends Error {
  override readonly name = 'NoteError';

  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Signs note text for one key; `keyId` is the uint32 signed-note key ID. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Buffer;
}

/** Checks signatures by one key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A verifier, or its verifier key string (`<name>+<hex8>+<base64>`). */
export type VerifierKey = NoteVerifier | string;
/** A signer, or its signer key string (`PRIVATE+KEY+<name>+<hex8>+<base64>`). */
export type SignerKey = NoteSigner | string;

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes, without the key ID. */
  readonly signature: Buffer;
}

export interface OpenedNote {
  /** The signed text, ending in a newline. */
  readonly text: string;
  /** Signatures by known keys; all verified (at least one). */
  readonly verified: readonly NoteSignature[];
  /** Signatures by unknown keys, ignored as the spec requires. */
  readonly unknown: readonly NoteSignature[];
}

// ---------------------------------------------------------------------------------------------
// Names, key IDs, base64
// ---------------------------------------------------------------------------------------------

// \p{White_Space} is exactly Go's unicode.IsSpace; control characters cannot appear in a note.
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const FORBIDDEN_IN_NAME = /[\p{White_Space}+\u0000-\u001f]/u;

interface WellFormedString {
  isWellFormed(): boolean;
}
const isWellFormed = (s: string): boolean => (s as unknown as WellFormedString).isWellFormed();

/** Key names: non-empty, valid Unicode, no Unicode space, no '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && isWellFormed(name) && !FORBIDDEN_IN_NAME.test(name);
}

export function checkKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new NoteError(
      'INVALID_KEY_NAME',
      `invalid key name ${JSON.stringify(name)}: it must be non-empty without spaces or '+'`,
    );
  }
}

/**
 * Key ID of a note key = first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ signature type ‖ 32-byte
 * Ed25519 public key): type 0x01 for note signers, 0x04 for cosigners (cosignature.ts).
 */
export function noteKeyId(name: string, signatureType: number, publicKey: Uint8Array): number {
  checkKeyName(name);
  if (publicKey.length !== 32)
    throw new NoteError('MALFORMED_KEY', `an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  return crypto
    .createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, signatureType]))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/** Key ID of an Ed25519 note signer (signature type 0x01). */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  return noteKeyId(name, ED25519_SIGNATURE_TYPE, publicKey);
}

/**
 * Strict standard base64 (RFC 4648 §4, with padding): Buffer.from(…, 'base64') silently skips
 * invalid characters, which a verifier must not.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Round trip: refuses non-zero padding bits, i.e. a second spelling of the same bytes.
  return bytes.toString('base64') === text ? bytes : undefined;
}

export const hex8 = (keyId: number): string => keyId.toString(16).padStart(8, '0');

// ---------------------------------------------------------------------------------------------
// Ed25519 keys from raw bytes (node:crypto wants DER or JWK); cosignature.ts uses them too
// ---------------------------------------------------------------------------------------------

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function privateKeyFromSeed(seed: Uint8Array): crypto.KeyObject {
  if (seed.length !== 32) throw new NoteError('MALFORMED_KEY', `an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromBytes(publicKey: Uint8Array): crypto.KeyObject {
  if (publicKey.length !== 32)
    throw new NoteError('MALFORMED_KEY', `an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  try {
    return crypto.createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
  } catch (error) {
    throw new NoteError('MALFORMED_KEY', `not an Ed25519 public key: ${(error as Error).message}`);
  }
}

export function rawPublicKey(key: crypto.KeyObject): Buffer {
  const publicKey = key.type === 'public' ? key : crypto.createPublicKey(key);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(SPKI_ED25519_PREFIX.length));
}

/** An Ed25519 signer from a key name and 32-byte seed (the RFC 8032 private key). */
export function ed25519Signer(name: string, seed: Uint8Array): NoteSigner & { readonly publicKey: Buffer } {
  checkKeyName(name);
  const privateKey = privateKeyFromSeed(seed);
  const publicKey = rawPublicKey(privateKey);
  return {
    name,
    keyId: ed25519KeyId(name, publicKey),
    publicKey,
    sign: (message) => crypto.sign(null, message, privateKey),
  };
}

/** An Ed25519 verifier from a key name and 32-byte public key. */
export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier & { readonly publicKey: Buffer } {
  checkKeyName(name);
  const key = publicKeyFromBytes(publicKey);
  return {
    name,
    keyId: ed25519KeyId(name, publicKey),
    publicKey: Buffer.from(publicKey),
    verify: (message, signature) => {
      if (signature.length !== 64) return false;
      try {
        return crypto.verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Key strings (Go sumdb/note formats)
// ---------------------------------------------------------------------------------------------

/** `<name>+<hex8 key ID>+<base64(0x01 ‖ public key)>` */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const keyId = ed25519KeyId(name, publicKey);
  return `${name}+${hex8(keyId)}+${Buffer.concat([Buffer.from([ED25519_SIGNATURE_TYPE]), publicKey]).toString('base64')}`;
}

/** `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(0x01 ‖ seed)>` */
export function formatSignerKey(name: string, seed: Uint8Array): string {
  const signer = ed25519Signer(name, seed);
  return `PRIVATE+KEY+${name}+${hex8(signer.keyId)}+${Buffer.concat([Buffer.from([ED25519_SIGNATURE_TYPE]), seed]).toString('base64')}`;
}

/** Splits at the first `count` '+' (names have none; base64 key data may). */
function splitPlus(text: string, count: number): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < count; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return undefined;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

function parseKeyParts(
  name: string,
  keyIdHex: string,
  keyBase64: string,
  what: string,
): { keyId: number; key: Buffer } {
  checkKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(keyIdHex))
    throw new NoteError('MALFORMED_KEY', `${what}: the key ID must be 8 hex digits`);
  const data = decodeBase64Strict(keyBase64);
  if (!data || data.length === 0) throw new NoteError('MALFORMED_KEY', `${what}: the key is not base64`);
  if (data[0] !== ED25519_SIGNATURE_TYPE) {
    throw new NoteError(
      'MALFORMED_KEY',
      `${what}: unsupported signature type 0x${data[0].toString(16).padStart(2, '0')} (only Ed25519, 0x01)`,
    );
  }
  if (data.length !== 33)
    throw new NoteError('MALFORMED_KEY', `${what}: an Ed25519 key is 32 bytes, got ${data.length - 1}`);
  return { keyId: Number.parseInt(keyIdHex, 16), key: data.subarray(1) };
}

/** Parses a verifier key string, checking that its key ID matches its name and key. */
export function parseVerifierKey(verifierKey: string): NoteVerifier & { readonly publicKey: Buffer } {
  const parts = splitPlus(verifierKey.trim(), 2);
  if (!parts) throw new NoteError('MALFORMED_KEY', 'a verifier key is <name>+<hex8>+<base64>');
  const [name, keyIdHex, keyBase64] = parts;
  const { keyId, key } = parseKeyParts(name, keyIdHex, keyBase64, 'verifier key');
  const verifier = ed25519Verifier(name, key);
  if (verifier.keyId !== keyId) {
    throw new NoteError(
      'KEY_ID_MISMATCH',
      `verifier key ${name}: key ID ${keyIdHex} does not match the key (${hex8(verifier.keyId)})`,
    );
  }
  return verifier;
}

/** Parses a signer key string, checking that its key ID matches its name and derived public key. */
export function parseSignerKey(signerKey: string): NoteSigner & { readonly publicKey: Buffer } {
  const parts = splitPlus(signerKey.trim(), 4);
  if (!parts || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new NoteError('MALFORMED_KEY', 'a signer key is PRIVATE+KEY+<name>+<hex8>+<base64>');
  }
  const [, , name, keyIdHex, keyBase64] = parts;
  const { keyId, key } = parseKeyParts(name, keyIdHex, keyBase64, 'signer key');
  const signer = ed25519Signer(name, key);
  if (signer.keyId !== keyId) {
    throw new NoteError(
      'KEY_ID_MISMATCH',
      `signer key ${name}: key ID ${keyIdHex} does not match the key (${hex8(signer.keyId)})`,
    );
  }
  return signer;
}

/** A new Ed25519 key pair as key strings; keep `signerKey` secret (file mode 0600). */
export function generateNoteKeys(name: string): { signerKey: string; verifierKey: string } {
  checkKeyName(name);
  const seed = newEd25519Seed();
  return {
    signerKey: formatSignerKey(name, seed),
    verifierKey: formatVerifierKey(name, rawPublicKey(privateKeyFromSeed(seed))),
  };
}

/** A fresh random Ed25519 private key, as its 32-byte seed. */
export function newEd25519Seed(): Buffer {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  return Buffer.from(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length));
}

const asSigner = (key: SignerKey): NoteSigner => (typeof key === 'string' ? parseSignerKey(key) : key);
const asVerifier = (key: VerifierKey): NoteVerifier => (typeof key === 'string' ? parseVerifierKey(key) : key);

// ---------------------------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------------------------

const SIGNATURE_PREFIX = '\u2014 '; // em dash, space
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f]/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why `text` cannot be a note's text (or the whole note), or undefined. */
function textProblem(text: string): string | undefined {
  if (!isWellFormed(text)) return 'it is not valid Unicode (lone surrogate)';
  const control = CONTROL_EXCEPT_NEWLINE.exec(text);
  if (control)
    return `it contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')} (CR, tab …)`;
  return undefined;
}

/**
 * Signs `text` (which must end in a newline) with every signer: the text, a blank line, then one
 * `— <name> <base64(key ID ‖ signature)>` line per signer.
 */
export function signNote(text: string, signers: readonly SignerKey[]): string {
  if (!text.endsWith('\n')) throw new NoteError('INVALID_TEXT', 'note text must end with a newline');
  const problem = textProblem(text);
  if (problem) throw new NoteError('INVALID_TEXT', `note text cannot be signed: ${problem}`);
  if (signers.length === 0) throw new NoteError('INVALID_TEXT', 'a note needs at least one signer');
  const message = Buffer.from(text, 'utf8');
  let note = `${text}\n`;
  const seen = new Set<string>();
  for (const key of signers) {
    const signer = asSigner(key);
    checkKeyName(signer.name);
    const id = `${signer.name}\n${signer.keyId}`;
    if (seen.has(id))
      throw new NoteError('DUPLICATE_SIGNATURE', `signer ${signer.name}+${hex8(signer.keyId)} given twice`);
    seen.add(id);
    const keyIdBytes = Buffer.alloc(4);
    keyIdBytes.writeUInt32BE(signer.keyId >>> 0, 0);
    const signature = Buffer.concat([keyIdBytes, signer.sign(message)]).toString('base64');
    note += `${SIGNATURE_PREFIX}${signer.name} ${signature}\n`;
  }
  return note;
}

/**
 * Opens a signed note: checks its shape, verifies every signature by a known key (name and key ID
 * both match) and ignores the others. Throws NoteError unless at least one known key signed it and
 * no known-key signature fails. The note may be given as text or as its UTF-8 bytes.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly VerifierKey[]): OpenedNote {
  let noteText: string;
  if (typeof note === 'string') {
    noteText = note;
  } else {
    try {
      noteText = strictUtf8.decode(note);
    } catch {
      throw new NoteError('MALFORMED_NOTE', 'the note is not valid UTF-8');
    }
  }
  const problem = textProblem(noteText);
  if (problem) throw new NoteError('MALFORMED_NOTE', `the note is malformed: ${problem}`);

  const known = new Map<string, NoteVerifier>();
  for (const key of verifiers) {
    const verifier = asVerifier(key);
    known.set(`${verifier.name}\n${verifier.keyId >>> 0}`, verifier);
  }

  // The text ends at the last blank line; the signature block follows it and ends in a newline.
  const split = noteText.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('MALFORMED_NOTE', 'the note has no blank line before its signatures');
  const text = noteText.slice(0, split + 1);
  const block = noteText.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) {
    throw new NoteError('MALFORMED_NOTE', 'the signature block is empty or does not end with a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      'TOO_MANY_SIGNATURES',
      `the note has ${lines.length} signatures; at most ${MAX_NOTE_SIGNATURES} are accepted`,
    );
  }

  const message = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  const seenLines = new Set<string>();
  const seenKeys = new Set<string>();
  for (const line of lines) {
    const parsed = parseSignatureLine(line);
    if (seenLines.has(line)) throw new NoteError('DUPLICATE_SIGNATURE', `signature line repeated: ${line}`);
    seenLines.add(line);
    const id = `${parsed.name}\n${parsed.keyId}`;
    const verifier = known.get(id);
    if (!verifier) {
      unknown.push(parsed);
      continue;
    }
    if (seenKeys.has(id)) {
      throw new NoteError('DUPLICATE_SIGNATURE', `two signatures by key ${parsed.name}+${hex8(parsed.keyId)}`);
    }
    seenKeys.add(id);
    if (!verifier.verify(message, parsed.signature)) {
      throw new NoteError('INVALID_SIGNATURE', `the signature by ${parsed.name}+${hex8(parsed.keyId)} does not verify`);
    }
    verified.push(parsed);
  }
  if (verified.length === 0) {
    const names = [...known.values()].map((v) => `${v.name}+${hex8(v.keyId)}`).join(', ') || 'none';
    throw new NoteError('NO_KNOWN_SIGNATURE', `the note is not signed by any known key (known: ${names})`);
  }
  return { text, verified, unknown };
}

function parseSignatureLine(line: string): NoteSignature {
  const malformed = (why: string): NoteError =>
    new NoteError('MALFORMED_SIGNATURE', `malformed signature line (${why}): ${line}`);
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed('it must start with an em dash and a space');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw malformed('no space between key name and signature');
  const name = rest.slice(0, space);
  const encoded = rest.slice(space + 1);
  if (!isValidKeyName(name)) throw malformed('invalid key name');
  const bytes = decodeBase64Strict(encoded);
  if (!bytes) throw malformed('the signature is not base64');
  if (bytes.length < 5) throw malformed('the signature is shorter than a key ID and one byte');
  return { name, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
}
