import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { generateCosignerKeys, parseCosignerKey, type Cosigner } from '../ledger/core/index.js';

/**
 * A witness's cosigning key: a `PRIVATE+KEY+<name>+<hex8>+<base64(0x04 ‖ seed)>` string in a file
 * readable by this OS user only, generated on first start. The name in the file wins over the one
 * asked for on later starts: a witness's identity is its key, and renaming it would change its vkey.
 */
export function loadOrCreateWitnessKey(path: string, name: string, warn: (message: string) => void): Cosigner {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { signerKey } = generateCosignerKeys(name);
    writeFileSync(path, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(`${path} was readable by others (mode ${mode.toString(8)}); restricting it to 0600`);
    chmodSync(path, 0o600);
  }
  const signer = parseCosignerKey(readFileSync(path, 'utf8').trim());
  if (signer.name !== name) warn(`the witness key in ${path} is named "${signer.name}"; keeping that name`);
  return signer;
}
