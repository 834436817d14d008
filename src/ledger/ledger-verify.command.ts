import { existsSync, readFileSync } from 'node:fs';
import type { AppConfig } from '../config/config.js';
import { formatVerifierKey, parseSignerKey, parseVerifierKey } from './core/index.js';
import { verifyLedger } from './ledger-verifier.js';

export interface VerifyCommandArgs {
  /** Trusted verifier keys (vkey strings); default: the public half of LEDGER_KEY_FILE. */
  keys: string[];
  /** Files of signed checkpoints held outside the database. */
  checkpointFiles: string[];
  /** Also check every entry's content (canonical form, stated index, signature binding). */
  deep: boolean;
}

export function parseVerifyArgs(argv: readonly string[]): VerifyCommandArgs {
  const args: VerifyCommandArgs = { keys: [], checkpointFiles: [], deep: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--deep') {
      args.deep = true;
    } else if ((flag === '--key' || flag === '--checkpoint') && value !== undefined) {
      (flag === '--key' ? args.keys : args.checkpointFiles).push(value);
      i++;
    } else {
      throw new Error(`unknown argument "${flag}" (usage: custos ledger verify [--deep] [--key <vkey>]... [--checkpoint <file>]...)`);
    }
  }
  return args;
}

/** `custos ledger verify`: exit code 0 when the whole ledger verifies, 1 at the first failure. */
export async function runLedgerVerify(
  argv: readonly string[],
  databaseUrl: string,
  config: AppConfig,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  const args = parseVerifyArgs(argv);
  let keys = args.keys;
  if (keys.length === 0) {
    if (!existsSync(config.ledgerKeyFile)) {
      throw new Error(`no --key given and no ledger key at ${config.ledgerKeyFile}: pass the verifier key to trust`);
    }
    const signer = parseSignerKey(readFileSync(config.ledgerKeyFile, 'utf8').trim());
    keys = [formatVerifierKey(signer.name, signer.publicKey)];
    out.write(`trusting the key in ${config.ledgerKeyFile} (${keys[0]}); pass --key to trust a key held elsewhere\n`);
  }
  const trustedKeys = keys.map((key) => parseVerifierKey(key));
  const externalCheckpoints = args.checkpointFiles.map((file) => readFileSync(file, 'utf8'));
  const started = Date.now();
  {
    const result = await verifyLedger(databaseUrl, {
      trustedKeys,
      externalCheckpoints,
      deep: args.deep,
      onProgress: err.isTTY
        ? (done, total) => {
            err.write(`\rverifying: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} entries`);
          }
        : undefined,
    });
    if (err.isTTY) err.write('\n');
    const seconds = (Date.now() - started) / 1000;
    if (result.ok) {
      out.write(
        `ledger OK: ${result.treeSize} entries, root ${result.rootHash.toString('base64')}, ` +
          `${result.checkpoints} signed checkpoints verified, custody of ${result.items} items matches the ledger, in ${seconds.toFixed(1)} s\n`,
      );
      return 0;
    }
    out.write(`ledger FAILED${result.index === null ? '' : ` at index ${result.index}`}: ${result.reason}\n`);
    return 1;
  }
}
