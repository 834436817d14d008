/**
 * `custos verify <bundle.json> [--key <vkey>] [--checkpoint <file>]... [--json]`: checks a custody
 * bundle offline (docs/bundle-format.md) and prints who held what, in order, and whether it is
 * intact — or the first failure. Exit code 0 when the bundle verifies, 1 when it does not (or
 * cannot be read), 64 for a usage error.
 *
 * Loaded by src/cli.ts with a dynamic import before anything else: it and its imports use node's
 * built-in modules only (no Nest, TypeORM, pg, nor any npm package), so it runs on a machine with
 * no database and nothing but the built `dist/src` tree. The one exception is loaded on demand:
 * checking RFC 3161 tokens (bundle-timestamps.ts) needs the ASN.1/CMS libraries.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import type { CustodyBundle } from '../ledger/core/bundle.js';
import { checkWitnessQuorum, parseCosignerVerifierKey } from '../ledger/core/cosignature.js';
import type { BundleTimeStamp } from './bundle-timestamps.js';
import {
  formatBundleVerification,
  unpinnedKeyWarning,
  verifyBundle,
  type BundleVerification,
} from './bundle-verifier.js';

export const VERIFY_USAGE = `usage: custos verify <bundle.json> [--key <vkey or file>] [--checkpoint <file>]...
                     [--witness <vkey or file>]... [--min-witnesses <n>] [--tsa-ca <pem file>] [--json]

  Checks a custody bundle offline: the checkpoint's and statement's signatures, each entry's
  inclusion, that the entries are complete and form an unbroken custody chain, and every hash
  verification's result. Prints the custody story and integrity of each item, or the first failure.
  --key         the ledger's verifier key (vkey), obtained from the ledger operator independently of
                the bundle. Without it the key inside the bundle is trusted, and the output says so.
  --checkpoint  a signed checkpoint you already hold: the bundle must prove it is of the same ledger.
  --witness     a witness's cosignature/v1 vkey (docs/witness.md): the bundle's checkpoint must carry
                its valid cosignature. Repeat for several witnesses.
  --min-witnesses  how many of the --witness keys must have cosigned (default: all of them).
  --tsa-ca      PEM certificate(s) of the time-stamping authority's CA: the bundle's checkpoint must
                carry a valid RFC 3161 time-stamp token whose TSA certificate chains to one of them.
                Without it, tokens in the bundle are checked and reported, but not required.
  --json        print the result as JSON instead of the summary.
  Exit code: 0 verified, 1 not verified, 64 usage error.
`;

export interface VerifyIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: VerifyIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

class UsageError extends Error {}

interface VerifyArgs {
  file: string;
  key?: string;
  checkpoints: string[];
  witnesses: string[];
  minWitnesses?: number;
  tsaCa?: string;
  json: boolean;
}

function parseArgs(argv: readonly string[]): VerifyArgs {
  let file: string | undefined;
  let key: string | undefined;
  const checkpoints: string[] = [];
  const witnesses: string[] = [];
  let minWitnesses: number | undefined;
  let tsaCa: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--json') json = true;
    else if (arg === '--witness') {
      if (value === undefined) throw new UsageError('--witness needs a vkey');
      witnesses.push(value);
      i++;
    } else if (arg === '--tsa-ca') {
      if (value === undefined) throw new UsageError('--tsa-ca needs a PEM file');
      if (tsaCa !== undefined) throw new UsageError('give --tsa-ca once (one file may hold several certificates)');
      tsaCa = value;
      i++;
    } else if (arg === '--min-witnesses') {
      if (value === undefined || !/^[0-9]+$/.test(value)) throw new UsageError('--min-witnesses needs a number');
      minWitnesses = Number(value);
      i++;
    } else if (arg === '--key' || arg === '--checkpoint') {
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--key') {
        if (key !== undefined) throw new UsageError('give --key once');
        key = value;
      } else checkpoints.push(value);
      i++;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`one bundle at a time (got ${file} and ${arg})`);
  }
  if (file === undefined) throw new UsageError('name the bundle file');
  if (minWitnesses !== undefined && (minWitnesses < 1 || minWitnesses > witnesses.length))
    throw new UsageError(`--min-witnesses must be from 1 to the number of --witness keys (${witnesses.length})`);
  return { file, key, checkpoints, witnesses, minWitnesses, tsaCa, json };
}

/** A vkey given on the command line, or the file holding it. */
function readKey(value: string): string {
  if (!value.includes('+') && existsSync(value)) return readFileSync(value, 'utf8').trim();
  return value.trim();
}

/** Runs the command; returns the exit code. */
export async function runBundleVerify(argv: readonly string[], io: VerifyIo = processIo): Promise<number> {
  let args: VerifyArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`custos verify: ${error.message}\n\n${VERIFY_USAGE}`);
    return 64;
  }
  let witnessKeys: string[];
  try {
    witnessKeys = args.witnesses.map((value) => parseCosignerVerifierKey(readKey(value)).verifierKey);
  } catch (error) {
    io.err(`custos verify: --witness: ${(error as Error).message}\n`);
    return 64;
  }
  let result: BundleVerification;
  let bytes: Buffer | undefined;
  let witnessedBy: string[] = [];
  let stamps: Awaited<ReturnType<typeof checkTimestamps>> = { timestamps: [], note: null };
  try {
    bytes = readFileSync(args.file);
    const heldCheckpoints = args.checkpoints.map((file) => readFileSync(file, 'utf8'));
    result = verifyBundle(bytes, {
      trustedKey: args.key === undefined ? undefined : readKey(args.key),
      heldCheckpoints,
    });
    if (result.ok && args.witnesses.length > 0) {
      const note = (JSON.parse(bytes.toString('utf8')) as { checkpoint: string }).checkpoint;
      const quorum = checkWitnessQuorum(note, witnessKeys, args.minWitnesses);
      if (!quorum.ok) result = { ok: false, reason: quorum.reason!, index: null, keyPinned: args.key !== undefined };
      witnessedBy = quorum.cosigned.map((c) => c.name);
    }
    if (result.ok) {
      stamps = await checkTimestamps(bytes, args.tsaCa);
      if (stamps.failure !== undefined)
        result = { ok: false, reason: stamps.failure, index: null, keyPinned: args.key !== undefined };
    }
  } catch (error) {
    result = {
      ok: false,
      reason: `cannot read ${(error as NodeJS.ErrnoException).path ?? args.file}: ${(error as Error).message}`,
      index: null,
      keyPinned: args.key !== undefined,
    };
  }
  // A re-formatted copy (re-indented, a trailing newline added by an editor) verifies, because the
  // bundle's identity is its canonical bytes; say so, since its sha256sum then differs from the
  // bundle SHA-256 printed on the report.
  const fileSha256 = bytes === undefined ? null : createHash('sha256').update(bytes).digest('hex');
  if (args.json) {
    const warning = args.key === undefined ? { warning: unpinnedKeyWarning(bundleKey(bytes)) } : {};
    const witnessed = args.witnesses.length > 0 ? { witnessedBy } : {};
    const timestamps = stamps.timestamps.length > 0 ? { timestamps: stamps.timestamps } : {};
    io.out(`${JSON.stringify({ ...warning, ...result, ...witnessed, ...timestamps, fileSha256 }, null, 2)}\n`);
  } else {
    io.out(formatBundleVerification(result, bundleKey(bytes), fileSha256));
    if (result.ok && witnessedBy.length > 0) io.out(`checkpoint cosigned by witnesses: ${witnessedBy.join(', ')}\n`);
    if (result.ok && stamps.note !== null) io.out(stamps.note);
  }
  return result.ok ? 0 : 1;
}

/**
 * The bundle's RFC 3161 tokens: required and chained to the CA with --tsa-ca, else checked and
 * reported when present. The ASN.1 libraries are loaded only here; without --tsa-ca a machine
 * lacking them still verifies the rest and says the tokens went unchecked.
 */
async function checkTimestamps(
  bytes: Buffer,
  tsaCa: string | undefined,
): Promise<{ timestamps: readonly BundleTimeStamp[]; note: string | null; failure?: string }> {
  const bundle = JSON.parse(bytes.toString('utf8')) as CustodyBundle;
  if (tsaCa === undefined && (bundle.timestamps ?? []).length === 0) return { timestamps: [], note: null };
  let module: typeof import('./bundle-timestamps.js');
  try {
    module = await import('./bundle-timestamps.js');
  } catch (error) {
    if (tsaCa !== undefined)
      return {
        timestamps: [],
        note: null,
        failure: `--tsa-ca: cannot load the ASN.1 libraries: ${(error as Error).message}`,
      };
    return {
      timestamps: [],
      note: 'time-stamp tokens present but NOT checked: the ASN.1/CMS libraries are not installed\n',
    };
  }
  let anchors: X509Certificate[] | null = null;
  if (tsaCa !== undefined) {
    try {
      anchors = module.parseTrustAnchors(readFileSync(tsaCa, 'utf8'));
    } catch (error) {
      return { timestamps: [], note: null, failure: `--tsa-ca ${tsaCa}: ${(error as Error).message}` };
    }
  }
  const checked = module.checkBundleTimestamps(bundle, anchors);
  if (!checked.ok) return { timestamps: [], note: null, failure: checked.reason };
  return { timestamps: checked.timestamps, note: module.formatBundleTimestamps(checked.timestamps) };
}

/** The vkey a bundle names, for the warning when a bundle that fails was not checked with a pinned key. */
function bundleKey(bytes: Buffer | undefined): string | null {
  try {
    const vkey = (JSON.parse(bytes?.toString('utf8') ?? '') as { vkey?: unknown }).vkey;
    return typeof vkey === 'string' ? vkey : null;
  } catch {
    return null;
  }
}
