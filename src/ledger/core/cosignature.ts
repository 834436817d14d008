/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the Ed25519 `cosignature/v1` type:
 * a witness's note signature on a checkpoint, stating that as of its timestamp this is the largest
 * consistent tree head the witness has seen for the log.
 *
 * - key ID: SHA-256(name ‖ "\n" ‖ 0x04 ‖ 32-byte Ed25519 public key)[:4];
 * - signature bytes: 8-byte big-endian POSIX timestamp ‖ 64-byte Ed25519 signature;
 * - signed message: "cosignature/v1\n" ‖ "time <timestamp>\n" ‖ the checkpoint's note text.
 *
 * Verifier keys are vkeys with signature type 0x04 (`<name>+<hex8>+<base64(0x04 ‖ key)>`); signer
 * keys use Go's `PRIVATE+KEY+<name>+<hex8>+<base64(0x04 ‖ seed)>` shape. Dependency-free, like the
 * rest of this folder.
 */
import { Buffer } from 'node:buffer';
import * as crypto from 'node:crypto';

import {
  checkKeyName,
  decodeBase64Strict,
  hex8,
  newEd25519Seed,
  NoteError,
  noteKeyId,
  openNote,
  privateKeyFromSeed,
  publicKeyFromBytes,
  rawPublicKey,
  type NoteVerifier,
} from './signed-note.js';

/** Signature type byte of Ed25519 cosignature/v1 keys. */
export const COSIGNATURE_V1_TYPE = 0x04;
/** Largest timestamp the spec allows (2^63 - 1); ours are JavaScript safe integers, far below it. */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

const SIGNATURE_PREFIX = '\u2014 ';

/** Key ID of an Ed25519 cosigner: SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], big-endian. */
export function cosignerKeyId(name: string, publicKey: Uint8Array): number {
  return noteKeyId(name, COSIGNATURE_V1_TYPE, publicKey);
}

/** The exact bytes a cosignature/v1 signs: header, time line, checkpoint note text. */
export function cosignatureMessage(checkpointText: string, timestamp: number): Buffer {
  checkTimestamp(timestamp);
  if (!checkpointText.endsWith('\n')) throw new NoteError('INVALID_TEXT', 'checkpoint text must end with a newline');
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP)
    throw new NoteError('INVALID_TEXT', `cosignature timestamp ${String(timestamp)} is not a non-negative integer`);
}

export interface Cosigner {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Buffer;
  /** The verifier key string of this cosigner (type 0x04). */
  readonly verifierKey: string;
  /** One note signature line (`— <name> <base64>\n`) cosigning `checkpointText` at `timestamp`. */
  cosign(checkpointText: string, timestamp: number): string;
}

/** A cosigner verifier usable with openNote: it checks the timestamped cosignature/v1 form. */
export interface CosignerVerifier extends NoteVerifier {
  readonly publicKey: Buffer;
  readonly verifierKey: string;
}

/** `<name>+<hex8>+<base64(0x04 ‖ public key)>` */
export function formatCosignerVerifierKey(name: string, publicKey: Uint8Array): string {
  const keyId = cosignerKeyId(name, publicKey);
  return `${name}+${hex8(keyId)}+${Buffer.concat([Buffer.from([COSIGNATURE_V1_TYPE]), publicKey]).toString('base64')}`;
}

/** An Ed25519 cosigner from its name and 32-byte seed. */
export function cosigner(name: string, seed: Uint8Array): Cosigner {
  checkKeyName(name);
  const privateKey = privateKeyFromSeed(seed);
  const publicKey = rawPublicKey(privateKey);
  const keyId = cosignerKeyId(name, publicKey);
  return {
    name,
    keyId,
    publicKey,
    verifierKey: formatCosignerVerifierKey(name, publicKey),
    cosign(checkpointText, timestamp) {
      const signature = crypto.sign(null, cosignatureMessage(checkpointText, timestamp), privateKey);
      const bytes = Buffer.alloc(4 + 8 + 64);
      bytes.writeUInt32BE(keyId >>> 0, 0);
      bytes.writeBigUInt64BE(BigInt(timestamp), 4);
      signature.copy(bytes, 12);
      return `${SIGNATURE_PREFIX}${name} ${bytes.toString('base64')}\n`;
    },
  };
}

/** An Ed25519 cosigner verifier from its name and public key. */
export function cosignerVerifier(name: string, publicKey: Uint8Array): CosignerVerifier {
  const keyId = cosignerKeyId(name, publicKey);
  const key = publicKeyFromBytes(publicKey);
  return {
    name,
    keyId,
    publicKey: Buffer.from(publicKey),
    verifierKey: formatCosignerVerifierKey(name, publicKey),
    verify(message, signature) {
      if (signature.length !== 8 + 64) return false;
      const timestamp = Buffer.from(signature).readBigUInt64BE(0);
      if (timestamp > BigInt(MAX_TIMESTAMP)) return false;
      try {
        return crypto.verify(
          null,
          cosignatureMessage(Buffer.from(message).toString('utf8'), Number(timestamp)),
          key,
          signature.subarray(8),
        );
      } catch {
        return false;
      }
    },
  };
}

function parseKeyString(text: string, parts: number, what: string): string[] {
  const out: string[] = [];
  let rest = text.trim();
  for (let i = 0; i < parts - 1; i++) {
    const at = rest.indexOf('+');
    if (at < 0) throw new NoteError('MALFORMED_KEY', `${what} is not in the expected '+'-separated form`);
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

function keyMaterial(name: string, keyIdHex: string, keyBase64: string, what: string): Buffer {
  checkKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(keyIdHex))
    throw new NoteError('MALFORMED_KEY', `${what}: the key ID must be 8 hex digits`);
  const data = decodeBase64Strict(keyBase64);
  if (!data || data.length === 0) throw new NoteError('MALFORMED_KEY', `${what}: the key is not base64`);
  if (data[0] !== COSIGNATURE_V1_TYPE) {
    throw new NoteError(
      'MALFORMED_KEY',
      `${what}: signature type 0x${data[0].toString(16).padStart(2, '0')} is not a cosignature/v1 key (0x04)`,
    );
  }
  if (data.length !== 33)
    throw new NoteError('MALFORMED_KEY', `${what}: an Ed25519 key is 32 bytes, got ${data.length - 1}`);
  return data.subarray(1);
}

/** Parses a witness's vkey (type 0x04), checking its key ID. */
export function parseCosignerVerifierKey(verifierKey: string): CosignerVerifier {
  const [name, keyIdHex, keyBase64] = parseKeyString(verifierKey, 3, 'a witness key (<name>+<hex8>+<base64>)');
  const verifier = cosignerVerifier(name, keyMaterial(name, keyIdHex, keyBase64, `witness key ${name}`));
  if (hex8(verifier.keyId) !== keyIdHex.toLowerCase()) {
    throw new NoteError(
      'KEY_ID_MISMATCH',
      `witness key ${name}: key ID ${keyIdHex} does not match the key (${hex8(verifier.keyId)})`,
    );
  }
  return verifier;
}

/** Parses a cosigner signer key (`PRIVATE+KEY+<name>+<hex8>+<base64(0x04 ‖ seed)>`). */
export function parseCosignerKey(signerKey: string): Cosigner {
  const parts = parseKeyString(signerKey, 5, 'a witness signer key (PRIVATE+KEY+<name>+<hex8>+<base64>)');
  if (parts[0] !== 'PRIVATE' || parts[1] !== 'KEY')
    throw new NoteError('MALFORMED_KEY', 'a witness signer key starts with PRIVATE+KEY+');
  const [, , name, keyIdHex, keyBase64] = parts;
  const signer = cosigner(name, keyMaterial(name, keyIdHex, keyBase64, `witness signer key ${name}`));
  if (hex8(signer.keyId) !== keyIdHex.toLowerCase()) {
    throw new NoteError('KEY_ID_MISMATCH', `witness signer key ${name}: key ID ${keyIdHex} does not match the key`);
  }
  return signer;
}

/** `PRIVATE+KEY+<name>+<hex8>+<base64(0x04 ‖ seed)>` */
export function formatCosignerKey(name: string, seed: Uint8Array): string {
  const signer = cosigner(name, seed);
  return `PRIVATE+KEY+${name}+${hex8(signer.keyId)}+${Buffer.concat([Buffer.from([COSIGNATURE_V1_TYPE]), seed]).toString('base64')}`;
}

/** A new witness key pair as key strings; keep `signerKey` secret (file mode 0600). */
export function generateCosignerKeys(name: string): { signerKey: string; verifierKey: string } {
  checkKeyName(name);
  const seed = newEd25519Seed();
  const signerKey = formatCosignerKey(name, seed);
  return { signerKey, verifierKey: cosigner(name, seed).verifierKey };
}

/** A cosignature found and verified on a checkpoint. */
export interface VerifiedCosignature {
  readonly name: string;
  readonly keyId: number;
  /** The vkey of the witness that made it. */
  readonly verifierKey: string;
  /** POSIX seconds at which the witness cosigned. */
  readonly timestamp: number;
  /** The complete signature line, with its final newline. */
  readonly line: string;
}

/**
 * The cosignatures by `witnesses` on a signed checkpoint note, each verified. A signature line by a
 * known witness that does not verify throws (NoteError INVALID_SIGNATURE), as openNote does for log
 * signatures; lines by unknown keys are ignored. Returns an empty list when no known witness signed.
 * The log's own signature is not checked here (openCheckpoint does that).
 */
export function verifyCosignatures(
  note: string,
  witnesses: readonly (CosignerVerifier | string)[],
): VerifiedCosignature[] {
  const verifiers = witnesses.map((w) => (typeof w === 'string' ? parseCosignerVerifierKey(w) : w));
  if (verifiers.length === 0) return [];
  let opened;
  try {
    opened = openNote(note, verifiers);
  } catch (error) {
    if (error instanceof NoteError && error.code === 'NO_KNOWN_SIGNATURE') return [];
    throw error;
  }
  const byId = new Map(verifiers.map((v) => [`${v.name}\n${v.keyId >>> 0}`, v]));
  return opened.verified.map((signature) => {
    const verifier = byId.get(`${signature.name}\n${signature.keyId >>> 0}`)!;
    const bytes = Buffer.alloc(4 + signature.signature.length);
    bytes.writeUInt32BE(signature.keyId >>> 0, 0);
    signature.signature.copy(bytes, 4);
    return {
      name: signature.name,
      keyId: signature.keyId,
      verifierKey: verifier.verifierKey,
      timestamp: Number(signature.signature.readBigUInt64BE(0)),
      line: `${SIGNATURE_PREFIX}${signature.name} ${bytes.toString('base64')}\n`,
    };
  });
}

/** Adds signature lines (e.g. a witness's add-checkpoint answer) to a signed note, skipping repeats. */
export function addSignatureLines(note: string, lines: string): string {
  if (!note.endsWith('\n')) throw new NoteError('MALFORMED_NOTE', 'the note does not end with a newline');
  const present = new Set(note.split('\n'));
  const extra = lines
    .split('\n')
    .filter((line) => line.length > 0 && !present.has(line))
    .map((line) => `${line}\n`)
    .join('');
  return note + extra;
}

export interface WitnessQuorumResult {
  readonly ok: boolean;
  /** Witnesses whose valid cosignature the checkpoint carries. */
  readonly cosigned: readonly VerifiedCosignature[];
  /** Names of the required witnesses without one. */
  readonly missing: readonly string[];
  /** A plain sentence for the reader when not ok. */
  readonly reason: string | null;
}

/**
 * Whether a signed checkpoint note carries valid cosignatures by at least `minimum` of `witnesses`
 * (default: all of them). A line by a listed witness that does not verify fails it outright.
 */
export function checkWitnessQuorum(
  note: string,
  witnesses: readonly string[],
  minimum: number = witnesses.length,
): WitnessQuorumResult {
  const verifiers = witnesses.map((w) => parseCosignerVerifierKey(w));
  let cosigned: VerifiedCosignature[];
  try {
    cosigned = verifyCosignatures(note, verifiers);
  } catch (error) {
    const why = (error as Error).message;
    return {
      ok: false,
      cosigned: [],
      missing: [],
      reason: `a witness cosignature on the checkpoint is invalid: ${why}`,
    };
  }
  const have = new Set(cosigned.map((c) => c.verifierKey));
  const missing = verifiers.filter((v) => !have.has(v.verifierKey)).map((v) => v.name);
  if (cosigned.length >= minimum) return { ok: true, cosigned, missing, reason: null };
  const names = cosigned.map((c) => c.name).join(', ') || 'none';
  return {
    ok: false,
    cosigned,
    missing,
    reason:
      `the checkpoint carries ${cosigned.length} valid witness cosignature(s) (${names}) but ${minimum} are required; ` +
      `missing: ${missing.join(', ')}`,
  };
}
