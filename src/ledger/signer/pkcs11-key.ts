import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import type * as Pkcs11Types from 'pkcs11js';

import type { Pkcs11KeyConfig } from '../../config/config.js';
import { ed25519KeyId, ed25519Verifier, formatVerifierKey } from '../core/index.js';
import type { LedgerKey } from '../ledger-key.js';

// PKCS#11 3.0 mechanisms for Ed25519; pkcs11js (2.40 headers) has no constants for them.
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;
/** DER of the Ed25519 OID (1.3.101.112): CKA_EC_PARAMS of an Ed25519 key. */
export const ED25519_EC_PARAMS = Buffer.from('06032b6570', 'hex');

type Pkcs11Module = typeof Pkcs11Types;

/** pkcs11js is a native CommonJS addon: loaded only when a token is configured. */
export function loadPkcs11js(): Pkcs11Module {
  return createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
}

/** The raw 32-byte key from CKA_EC_POINT: a DER OCTET STRING (PKCS#11 3.0) or, from some tokens, bare. */
function rawEd25519Point(point: Buffer): Buffer {
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) return point.subarray(2);
  if (point.length === 32) return point;
  throw new Error(`the public key's CKA_EC_POINT is not an Ed25519 point (${point.length} bytes)`);
}

export interface Pkcs11LedgerKey extends LedgerKey {
  close(): void;
}

/**
 * The ledger key in a PKCS#11 token (ADR 0026): the private key never leaves it; each signature is
 * one C_Sign with CKM_EDDSA (pure Ed25519, as C2SP notes require). The public key is read from the
 * token's public-key object of the same label, and one signature is checked with it at start, so a
 * wrong key, mechanism or token fails here and not at the first checkpoint.
 */
export function openPkcs11LedgerKey(options: Pkcs11KeyConfig, origin: string): Pkcs11LedgerKey {
  const pkcs11js = loadPkcs11js();
  const pkcs11 = new pkcs11js.PKCS11();
  const where = `PKCS#11 module ${options.module}`;
  try {
    pkcs11.load(options.module);
  } catch (error) {
    throw new Error(`cannot load the ${where}: ${(error as Error).message}`, { cause: error });
  }
  pkcs11.C_Initialize();
  let session: Pkcs11Types.Handle | undefined;
  try {
    const slots = pkcs11.C_GetSlotList(true);
    const slot = slots.find((candidate) =>
      options.tokenLabel === undefined
        ? candidate.readUIntLE(0, Math.min(candidate.length, 6)) === options.slot
        : pkcs11.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel,
    );
    if (slot === undefined) {
      throw new Error(
        options.tokenLabel === undefined
          ? `no token in slot ${options.slot} of the ${where}`
          : `no token labelled "${options.tokenLabel}" in the ${where}`,
      );
    }
    session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    const pin = options.pin ?? readFileSync(options.pinFile!, 'utf8').trim();
    try {
      pkcs11.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (error) {
      throw new Error(`cannot log in to the token with the configured PIN: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const find = (objectClass: number): Pkcs11Types.Handle[] => {
      pkcs11.C_FindObjectsInit(session!, [
        { type: pkcs11js.CKA_CLASS, value: objectClass },
        { type: pkcs11js.CKA_LABEL, value: options.keyLabel },
      ]);
      try {
        return pkcs11.C_FindObjects(session!, 2);
      } finally {
        pkcs11.C_FindObjectsFinal(session!);
      }
    };
    const privateKeys = find(pkcs11js.CKO_PRIVATE_KEY);
    const publicKeys = find(pkcs11js.CKO_PUBLIC_KEY);
    if (privateKeys.length !== 1 || publicKeys.length !== 1) {
      throw new Error(
        `the token must hold exactly one private and one public key labelled "${options.keyLabel}" ` +
          `(found ${privateKeys.length} and ${publicKeys.length})`,
      );
    }
    const [{ value: point }] = pkcs11.C_GetAttributeValue(session, publicKeys[0], [{ type: pkcs11js.CKA_EC_POINT }]);
    const publicKey = Buffer.from(rawEd25519Point(point));
    const privateKey = privateKeys[0];
    const opened = session;
    const sign = (message: Uint8Array): Buffer => {
      pkcs11.C_SignInit(opened, { mechanism: CKM_EDDSA }, privateKey);
      return Buffer.from(pkcs11.C_Sign(opened, Buffer.from(message), Buffer.alloc(64)));
    };
    const probe = Buffer.from(`custos ledger key check ${origin}\n`);
    if (!ed25519Verifier(origin, publicKey).verify(probe, sign(probe))) {
      throw new Error(`the token's key "${options.keyLabel}" does not sign for its public key with CKM_EDDSA`);
    }
    const keyId = ed25519KeyId(origin, publicKey);
    return {
      signer: { name: origin, keyId, sign },
      verifierKey: formatVerifierKey(origin, publicKey),
      keyIdHex: keyId.toString(16).padStart(8, '0'),
      close: () => {
        try {
          pkcs11.C_CloseSession(opened);
        } finally {
          pkcs11.C_Finalize();
        }
      },
    };
  } catch (error) {
    if (session !== undefined) pkcs11.C_CloseSession(session);
    pkcs11.C_Finalize();
    throw error;
  }
}
