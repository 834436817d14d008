import pg from 'pg';

import type { VerifyResult } from './ledger-verifier.js';

/**
 * The bookkeeping of a full verification run, shared by the service (`POST /ledger/verifications`)
 * and `custos ledger verify`: the advisory lock that allows one run at a time across processes,
 * and the `ledger_verification` row written when a run ends (docs/ledger.md §4, ADR 0022). No Nest:
 * the command line uses it too.
 *
 * The lock is a session lock on a connection of the run's own: it lasts exactly as long as the run,
 * and a process that dies mid-run loses its connection and with it the lock (and leaves no row).
 */

/** `pg_try_advisory_lock(int, int)` keys, 'ledg' and 'veri'. */
export const VERIFICATION_LOCK: readonly [number, number] = [0x6c656467, 0x76657269];

/**
 * The lock holder's `application_name`: `custos-verification <user id>` for the service,
 * `custos-verification cli` for the command line, so any process can say who runs one.
 */
export const VERIFICATION_APPLICATION = 'custos-verification';

export type VerificationOutcome = 'ok' | 'failed' | 'error';
export type VerificationSource = 'service' | 'cli';

export interface VerificationRun {
  /** When the run's connection was opened (the database's clock, as `finished_at`). */
  readonly startedAt: Date;
  readonly deep: boolean;
  readonly source: VerificationSource;
  /** The user who asked the service; null for the command line. */
  readonly requestedBy: string | null;
}

export interface VerificationEnd {
  readonly outcome: VerificationOutcome;
  readonly treeSize: number | null;
  readonly rootHash: Buffer | null;
  readonly failedIndex: number | null;
  readonly reason: string | null;
  readonly checkpoints: number | null;
  readonly items: number | null;
}

const MAX_REASON = 2000;
const reasonText = (text: string): string =>
  text.length === 0 ? 'no reason given' : text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;

export function verificationEnd(result: VerifyResult): VerificationEnd {
  return result.ok
    ? {
        outcome: 'ok',
        treeSize: result.treeSize,
        rootHash: result.rootHash,
        failedIndex: null,
        reason: null,
        checkpoints: result.checkpoints,
        items: result.items,
      }
    : {
        outcome: 'failed',
        treeSize: null,
        rootHash: null,
        failedIndex: result.index,
        reason: reasonText(result.reason),
        checkpoints: null,
        items: null,
      };
}

/** A run that could not finish (lost connection, the service stopping): no verdict on the ledger. */
export function verificationError(error: unknown): VerificationEnd {
  const message = error instanceof Error ? error.message : String(error);
  return {
    outcome: 'error',
    treeSize: null,
    rootHash: null,
    failedIndex: null,
    reason: reasonText(message),
    checkpoints: null,
    items: null,
  };
}

/** Inserts a finished run; `finished_at` is the database's clock, like `started_at`. */
export const INSERT_VERIFICATION = `
  INSERT INTO ledger_verification (started_at, finished_at, deep, outcome, tree_size, root_hash, failed_index, reason,
                                   checkpoints_verified, items_checked, source, requested_by)
  VALUES ($1, greatest(clock_timestamp(), $1::timestamptz), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  RETURNING id::text AS id`;

export function verificationParams(run: VerificationRun, end: VerificationEnd): unknown[] {
  return [
    run.startedAt,
    run.deep,
    end.outcome,
    end.treeSize,
    end.rootHash,
    end.failedIndex,
    end.reason,
    end.checkpoints,
    end.items,
    run.source,
    run.requestedBy,
  ];
}

/** The connection of one run: it tries the lock, and records the run before letting the lock go. */
export class VerificationLock {
  private constructor(
    private readonly client: pg.Client,
    /** Whether this run holds the lock (false: another run holds it). */
    readonly held: boolean,
    readonly startedAt: Date,
  ) {}

  /** Connects as `holder` (a user id, or `cli`) and tries the lock without waiting. */
  static async take(connection: pg.ClientConfig, holder: string): Promise<VerificationLock> {
    const client = new pg.Client({ ...connection, application_name: `${VERIFICATION_APPLICATION} ${holder}` });
    // A lost connection shows at the next query (the record), not as an uncaught 'error' event.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ held: boolean; started_at: Date }>(
        `SELECT pg_try_advisory_lock($1::int, $2::int) AS held, backend_start AS started_at FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
        [...VERIFICATION_LOCK],
      );
      return new VerificationLock(client, rows[0].held, rows[0].started_at);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Records the run while still holding the lock: the next run can only start once this row exists. */
  async record(run: VerificationRun, end: VerificationEnd): Promise<string> {
    const { rows } = await this.client.query<{ id: string }>(INSERT_VERIFICATION, verificationParams(run, end));
    return rows[0].id;
  }

  /** Ends the session, which releases the lock (as a crash would). */
  async release(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
