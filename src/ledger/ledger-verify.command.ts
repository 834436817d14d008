import type { X509Certificate } from 'node:crypto';
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
import { noteBody, parseTrustAnchors, verifyTimeStampToken } from './timestamp/time-stamp.js';

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
  /** PEM file of the TSA's CA: the published checkpoint must carry a token chaining to it (ADR 0027). */
  tsaCa?: string;
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
    } else if (flag === '--tsa-ca' && value !== undefined && args.tsaCa === undefined) {
      args.tsaCa = value;
      i++;
    } else if (flag === '--min-witnesses' && value !== undefined && /^[1-9][0-9]*$/.test(value)) {
      args.minWitnesses = Number(value);
      i++;
    } else if ((flag === '--key' || flag === '--checkpoint') && value !== undefined) {
      (flag === '--key' ? args.keys : args.checkpointFiles).push(value);
      i++;
    } else {
      throw new Error(
        `unknown argument "${flag}" (usage: custos ledger verify [--deep] [--key <vkey>]... [--checkpoint <file>]... [--witness <vkey>]... [--min-witnesses <n>] [--tsa-ca <pem>])`,
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
  // Read before the (long) verification: a wrong --tsa-ca file fails at once.
  const tsaAnchors = args.tsaCa === undefined ? null : readTsaCa(args.tsaCa);
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
    if (result.ok) {
      // Every stored token is checked against its checkpoint; with --tsa-ca the published one must
      // have one. The ledger itself verified (and is recorded so); what fails is the timestamps.
      const stamps = await checkStoredTimestamps(databaseUrl, tsaAnchors).catch((error: unknown) =>
        // Without --tsa-ca tokens are informative: a failure to read them does not fail the ledger.
        tsaAnchors === null
          ? { failure: undefined, summary: `time-stamp tokens not checked: ${(error as Error).message}` }
          : { failure: `cannot read them: ${(error as Error).message}`, summary: null },
      );
      if (stamps.failure !== undefined) {
        out.write(`ledger FAILED: time-stamp tokens: ${stamps.failure}\n`);
        await recordRun(lock, run, verificationEnd(result), err);
        return 1;
      }
      if (stamps.summary !== null) out.write(`${stamps.summary}\n`);
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

function readTsaCa(file: string): X509Certificate[] {
  try {
    return parseTrustAnchors(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`--tsa-ca ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The RFC 3161 tokens stored for checkpoints (ledger_checkpoint_timestamp), each verified over its
 * checkpoint's note body — against the CA with `tsaCa`, which also requires the published checkpoint
 * (the newest witnessed one, else the newest signed one) to carry one.
 */
async function checkStoredTimestamps(
  databaseUrl: string,
  anchors: readonly X509Certificate[] | null,
): Promise<{ failure?: string; summary: string | null }> {
  const required = anchors !== null;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query<{ present: boolean }>(
      `SELECT to_regclass('ledger_checkpoint_timestamp') IS NOT NULL AS present`,
    );
    if (!exists.rows[0].present) {
      return required ? { failure: 'this database has no time-stamp table', summary: null } : { summary: null };
    }
    const { rows } = await client.query<{ tree_size: string; token: Buffer; note: string }>(
      `SELECT t.tree_size, t.token, c.note FROM ledger_checkpoint_timestamp t
         JOIN ledger_checkpoint c USING (tree_size) ORDER BY t.tree_size`,
    );
    let last: { treeSize: number; genTime: Date; tsa: string } | undefined;
    for (const row of rows) {
      try {
        const verified = verifyTimeStampToken(row.token, noteBody(row.note), anchors);
        last = { treeSize: Number(row.tree_size), genTime: verified.genTime, tsa: verified.tsa };
      } catch (error) {
        return {
          failure: `the time-stamp token of the checkpoint of size ${row.tree_size} does not verify: ${(error as Error).message}`,
          summary: null,
        };
      }
    }
    if (required) {
      const published = await client.query<{ tree_size: string }>(
        `SELECT tree_size FROM ledger_witnessed_checkpoint
         UNION ALL (SELECT tree_size FROM ledger_checkpoint WHERE NOT EXISTS (SELECT 1 FROM ledger_witnessed_checkpoint))
         ORDER BY tree_size DESC LIMIT 1`,
      );
      const size = published.rows[0]?.tree_size;
      if (size !== undefined && !rows.some((row) => row.tree_size === size)) {
        return {
          failure: `no time-stamp token for the checkpoint of size ${size} (the published one; tokens are fetched in the background: see the ledger status)`,
          summary: null,
        };
      }
    }
    if (last === undefined) return { summary: required ? 'time-stamp tokens: none needed (nothing published)' : null };
    return {
      summary:
        `time-stamp tokens: ${rows.length} verified${anchors === null ? ' (TSA not checked: pass --tsa-ca)' : ' against --tsa-ca'}; ` +
        `the latest stamps the checkpoint of size ${last.treeSize} at ${last.genTime.toISOString()} by ${last.tsa}`,
    };
  } finally {
    await client.end();
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
