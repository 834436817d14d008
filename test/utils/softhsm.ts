import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const KEYGEN = resolve(process.cwd(), 'test/utils/softhsm-keygen.mjs');

export interface SoftHsmToken {
  /** SOFTHSM2_CONF for every process that opens the token. */
  readonly conf: string;
  readonly tokenLabel: string;
  readonly slotId: number;
  readonly keyLabel: string;
  readonly pin: string;
  /** The raw Ed25519 public key of the generated key pair. */
  readonly publicKey: Buffer;
}

/**
 * A SoftHSM2 token in `dir` (Debian's softhsm2) holding one Ed25519 key pair generated inside it
 * (CKM_EC_EDWARDS_KEY_PAIR_GEN; the private key sensitive, not extractable).
 */
export function createSoftHsmToken(
  dir: string,
  tokenLabel = 'custos-ledger',
  keyLabel = 'custos-ledger-key',
): SoftHsmToken {
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const pin = '428613';
  const env = { PATH: process.env.PATH ?? '', SOFTHSM2_CONF: conf };
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', tokenLabel, '--so-pin', '87654321', '--pin', pin],
    {
      env,
      stdio: 'ignore',
    },
  );
  const out = execFileSync(process.execPath, [KEYGEN, SOFTHSM_MODULE, tokenLabel, pin, keyLabel], { env }).toString();
  const { publicKey, slotId } = JSON.parse(out) as { publicKey: string; slotId: number };
  return { conf, tokenLabel, slotId, keyLabel, pin, publicKey: Buffer.from(publicKey, 'hex') };
}
