import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { formatVerifierKey, generateNoteKeys, parseSignerKey, type NoteSigner } from './core/index.js';

export interface LedgerKey {
  readonly signer: NoteSigner;
  /** Go sumdb/note verifier key string: what verifiers pin. */
  readonly verifierKey: string;
  readonly keyIdHex: string;
  /** Releases what holds the key (a PKCS#11 session); a key file has nothing to release. */
  close?(): void;
}

export interface KeyLogger {
  warn(message: string): void;
}

/**
 * The checkpoint signing key: a C2SP signer key string in a file readable by this OS user only.
 * Generated at first start when absent, with a warning: the file lives beside the data, and a
 * production key belongs on another host or in an HSM-backed file given by LEDGER_KEY_FILE.
 * The key's name must be the ledger's origin, so a checkpoint names the log it speaks for.
 */
export function loadOrCreateLedgerKey(path: string, origin: string, logger: KeyLogger): LedgerKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { signerKey } = generateNoteKeys(origin);
    writeFileSync(path, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn(
      `generated a new ledger signing key in ${path}. Checkpoints are only as trustworthy as this key: ` +
        'in production keep it outside the database host (LEDGER_KEY_FILE) and give its public key to those who verify.',
    );
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger.warn(`${path} was readable by others (mode ${mode.toString(8)}); restricting it to 0600`);
    chmodSync(path, 0o600);
  }
  const signer = parseSignerKey(readFileSync(path, 'utf8').trim());
  if (signer.name !== origin) {
    throw new Error(
      `the ledger key in ${path} is named "${signer.name}" but LEDGER_ORIGIN is "${origin}": ` +
        'set LEDGER_ORIGIN to the key name, or point LEDGER_KEY_FILE at the key of this origin',
    );
  }
  return {
    signer,
    verifierKey: formatVerifierKey(signer.name, signer.publicKey),
    keyIdHex: signer.keyId.toString(16).padStart(8, '0'),
  };
}
