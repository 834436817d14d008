import { existsSync, readFileSync } from 'node:fs';

import pg from 'pg';

import type { AppConfig } from '../config/config.js';
import {
  checkWitnessQuorum,
  formatVerifierKey,
  parseCosignerVerifierKey,
  parseSignerKey,
  parseVerifierKey,
} from './core/index.js';
import {
  verificationEnd,
  verificationError,
  VerificationLock,
  type VerificationEnd,
  type VerificationRun,
} from './ledger-verification-run.js';
import { verifyLedger, type VerifyResult } from './ledger-verifier.js';
import { MAX_DIFFERENCES } from './state-tables.js';

export interface VerifyCommandArgs {
  /** Trusted verifier keys (vkey strings); default: the public half of LEDGER_KEY_FILE. */
  keys: string[];
  /** Files of signed checkpoints held outside the database. */
  checkpointFiles: string[];
  /** Also check every entry's content (canonical form, stated index, signature binding). */
  deep: boolean;
  /** Witness vkeys whose cosignatures the published checkpoint must carry (docs/witness.md). */
  witnesses: string[];
  /** How many of them (default all). */
  minWitnesses?: number;
}

export function parseVerifyArgs(argv: readonly string[]): VerifyCommandArgs {
  const args: VerifyCommandArgs = { keys: [], checkpointFiles: [], deep: false, witnesses: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--deep') {
      args.deep = true;
    } else if (flag === '--witness' && value !== undefined) {
      args.witnesses.push(parseCosignerVerifierKey(value).verifierKey);
      i++;
    } else if (flag === '--min-witnesses' && value !== undefined && /^[1-9][0-9]*$/.test(value)) {
      args.minWitnesses = Number(value);
      i++;
    } else if ((flag === '--key' || flag === '--checkpoint') && value !== undefined) {
      (flag === '--key' ? args.keys : args.checkpointFiles).push(value);
      i++;
    } else {
      throw new Error(
        `unknown argument "${flag}" (usage: custos ledger verify [--deep] [--key <vkey>]... [--checkpoint <file>]... [--witness <vkey>]... [--min-witnesses <n>])`,
      );
    }
  }
  if (args.minWitnesses !== undefined && args.minWitnesses > args.witnesses.length)
    throw new Error(
      `--min-witnesses ${args.minWitnesses} is more than the ${args.witnesses.length} --witness keys given`,
    );
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
  // With --witness: the published (witnessed) checkpoint is checked against the recomputed tree like
  // any held checkpoint, then for its cosignatures, as is every --checkpoint file.
  const witnessed = args.witnesses.length === 0 ? undefined : await latestWitnessedNote(databaseUrl);
  if (witnessed !== undefined) externalCheckpoints.push(witnessed);
  const started = Date.now();
  // The run is recorded in the database when it can be (ledger_verification, source cli); the lock
  // shows the service that one is running. Neither is needed for the verification itself.
  const lock = await VerificationLock.take({ connectionString: databaseUrl }, 'cli').catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  const run: VerificationRun = {
    startedAt: lock instanceof VerificationLock ? lock.startedAt : new Date(),
    deep: args.deep,
    source: 'cli',
    requestedBy: null,
  };
  {
    let result: VerifyResult;
    try {
      result = await verifyLedger(databaseUrl, {
        trustedKeys,
        externalCheckpoints,
        witnesses: args.witnesses,
        deep: args.deep,
        onProgress: err.isTTY
          ? (done, total) => {
              err.write(`\rverifying: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} entries`);
            }
          : undefined,
      });
    } catch (error) {
      await recordRun(lock, run, verificationError(error), err);
      throw error;
    }
    if (err.isTTY) err.write('\n');
    if (result.ok && args.witnesses.length > 0) {
      const notes = [
        ...(witnessed === undefined ? [] : [['the published checkpoint', witnessed]]),
        ...args.checkpointFiles.map((file, i) => [file, externalCheckpoints[i]]),
      ];
      const failure =
        notes.length === 0
          ? 'no witnessed checkpoint in the database and no --checkpoint given: nothing carries cosignatures'
          : notes
              .map(([what, note]) => ({ what, quorum: checkWitnessQuorum(note, args.witnesses, args.minWitnesses) }))
              .filter(({ quorum }) => !quorum.ok)
              .map(({ what, quorum }) => `${what}: ${quorum.reason}`)
              .join('; ');
      if (failure !== '') {
        // The ledger itself verified (and is recorded so); what is missing is the witnesses' word.
        out.write(`ledger FAILED: witness cosignatures: ${failure}\n`);
        await recordRun(lock, run, verificationEnd(result), err);
        return 1;
      }
      out.write(`witnesses: ${notes.length} checkpoint(s) carry the required cosignatures\n`);
    }
    const seconds = (Date.now() - started) / 1000;
    if (result.ok) {
      out.write(
        `ledger OK: ${result.treeSize} entries, root ${result.rootHash.toString('base64')}, ` +
          `${result.checkpoints} signed checkpoints verified, custody of ${result.items} items matches the ledger, in ${seconds.toFixed(1)} s\n`,
      );
    } else {
      out.write(`ledger FAILED${result.index === null ? '' : ` at index ${result.index}`}: ${result.reason}\n`);
      // The ledger is sound but state tables differ from it: every difference, with table, row and index.
      const differences = result.differences ?? [];
      if (differences.length > 1) {
        out.write(
          `${differences.length}${differences.length === MAX_DIFFERENCES ? ' (or more)' : ''} differences between the state tables and the ledger:\n`,
        );
        for (const d of differences)
          out.write(`  ${d.table} ${d.row}${d.index === null ? '' : ` (entry ${d.index})`}: ${d.reason}\n`);
      }
    }
    await recordRun(lock, run, verificationEnd(result), err);
    return result.ok ? 0 : 1;
  }
}

/** The note of the largest witnessed checkpoint (with its cosignature lines), if any. */
async function latestWitnessedNote(databaseUrl: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ note: string }>(
      'SELECT note FROM ledger_witnessed_checkpoint ORDER BY tree_size DESC LIMIT 1',
    );
    return rows[0]?.note;
  } finally {
    await client.end();
  }
}

/**
 * Records the run and says so in one line on stderr (stdout stays the verification's result). A run
 * that cannot be recorded (no table yet, no permission, no connection) keeps its result and exit code.
 */
async function recordRun(
  lock: VerificationLock | Error,
  run: VerificationRun,
  end: VerificationEnd,
  err: NodeJS.WritableStream,
): Promise<void> {
  if (lock instanceof Error) {
    err.write(`this run is not recorded in the database (${lock.message}); its result above stands\n`);
    return;
  }
  try {
    const id = await lock.record(run, end);
    err.write(
      `recorded in the database as verification run ${id}: auditors and administrators see it in the web app\n`,
    );
  } catch (error) {
    err.write(
      `this run is not recorded in the database (${error instanceof Error ? error.message : String(error)}); its result above stands\n`,
    );
  } finally {
    await lock.release();
  }
}
