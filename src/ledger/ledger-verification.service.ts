import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import type { RequestContext } from '../common/request-context.js';
import type { PersonView, RunningView, StartedView, VerificationView } from '../contracts/ledger.js';
import { parseVerifierKey } from './core/index.js';
import type { LedgerKey } from './ledger-key.js';
import {
  INSERT_VERIFICATION,
  VERIFICATION_APPLICATION,
  VERIFICATION_LOCK,
  verificationEnd,
  verificationError,
  VerificationLock,
  verificationParams,
  type VerificationEnd,
  type VerificationOutcome,
  type VerificationRun,
  type VerificationSource,
} from './ledger-verification-run.js';
import { verifyLedger } from './ledger-verifier.js';
import { VerificationRunningError } from './ledger.errors.js';
import { LEDGER_KEY } from './ledger.tokens.js';
import { withoutValues } from './state-tables.js';

// Declared once, with their schemas, in src/contracts (ADR 0009).
export type { PersonView, RunningView, StartedView, VerificationView };

interface VerificationRow {
  id: string;
  started_at: Date;
  finished_at: Date;
  deep: boolean;
  outcome: VerificationOutcome;
  tree_size: string | null;
  root_hash: Buffer | null;
  failed_index: string | null;
  reason: string | null;
  checkpoints_verified: string | null;
  items_checked: string | null;
  source: VerificationSource;
  requested_by: string | null;
  username: string | null;
  display_name: string | null;
}

const count = (value: string | null): number | null => (value === null ? null : Number(value));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function toView(row: VerificationRow): VerificationView {
  return {
    id: row.id,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at.toISOString(),
    seconds: (row.finished_at.getTime() - row.started_at.getTime()) / 1000,
    deep: row.deep,
    outcome: row.outcome,
    treeSize: count(row.tree_size),
    rootHash: row.root_hash === null ? null : row.root_hash.toString('base64'),
    checkpointsVerified: count(row.checkpoints_verified),
    itemsChecked: count(row.items_checked),
    failedIndex: count(row.failed_index),
    // Auditors and administrators of every agency read this: the values a difference quotes stay in the log.
    reason: row.reason === null ? null : withoutValues(row.reason),
    source: row.source,
    requestedBy:
      row.requested_by === null
        ? null
        : { id: row.requested_by, username: row.username ?? '', displayName: row.display_name ?? row.username ?? '' },
  };
}

/**
 * Full verifications of the ledger run by the service on request (docs/ledger.md §4, ADR 0022):
 * `verifyLedger` deep, over the service's own database URL, trusting the service's ledger key, in
 * the background. One at a time across every process and the command line (an advisory lock held
 * by the run's connection); each run ends in a `ledger_verification` row — ok, failed (where and
 * why) or error (could not finish). A process that dies mid-run leaves no row.
 */
@Injectable()
export class LedgerVerificationService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerVerificationService.name);
  private current: Promise<void> | undefined;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LEDGER_KEY) private readonly key: LedgerKey,
    private readonly accessLog: AccessLogService,
  ) {}

  /** Starts a deep verification of the whole ledger; answers as soon as it holds the lock. */
  async start(ctx: RequestContext): Promise<StartedView> {
    const actor = ctx.actor;
    if (actor === null) throw new Error('a verification is started by a signed-in user');
    if (this.stopping) throw new VerificationRunningError();
    // The lock decides, in this process as in any other.
    const lock = await VerificationLock.take(this.connection(), actor.id);
    if (!lock.held) {
      await lock.release();
      throw new VerificationRunningError();
    }
    const run: VerificationRun = { startedAt: lock.startedAt, deep: true, source: 'service', requestedBy: actor.id };
    try {
      await this.accessLog.record(ctx, {
        event: 'ledger.verify',
        outcome: 'success',
        subject: { type: 'ledger', id: 'ledger', label: 'whole ledger, deep' },
        details: { deep: true, startedAt: run.startedAt.toISOString() },
      });
    } catch (error) {
      await lock.release();
      throw error;
    }
    const done: Promise<void> = this.run(lock, run).finally(() => {
      if (this.current === done) this.current = undefined;
    });
    this.current = done;
    return {
      status: 'running',
      deep: true,
      startedAt: run.startedAt.toISOString(),
      source: 'service',
      requestedBy: { id: actor.id, username: actor.username, displayName: actor.displayName },
    };
  }

  /** The latest runs, newest first, and the run going on now (in any process), if any. */
  async list(limit: number): Promise<{ verifications: VerificationView[]; running: RunningView | null }> {
    // Lock first, rows second: a run records its row before letting the lock go, so a list that
    // says nothing is running always holds every run that ended before it was asked.
    const running = await this.running();
    const rows = await this.dataSource.query<VerificationRow[]>(
      `SELECT v.id::text AS id, v.started_at, v.finished_at, v.deep, v.outcome, v.tree_size::text AS tree_size, v.root_hash,
              v.failed_index::text AS failed_index, v.reason, v.checkpoints_verified::text AS checkpoints_verified,
              v.items_checked::text AS items_checked, v.source, v.requested_by, u.username, u.display_name
         FROM ledger_verification v LEFT JOIN user_account u ON u.id = v.requested_by
        ORDER BY v.id DESC
        LIMIT $1`,
      [limit],
    );
    return { verifications: rows.map(toView), running };
  }

  /** Who holds the verification lock: its connection's name says who asked, its start when. */
  private async running(): Promise<RunningView | null> {
    const [holder] = await this.dataSource.query<
      Array<{ application_name: string | null; backend_start: Date | null }>
    >(
      `SELECT a.application_name, a.backend_start
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        LIMIT 1`,
      [...VERIFICATION_LOCK],
    );
    if (holder === undefined) return null;
    const startedAt = holder.backend_start === null ? null : holder.backend_start.toISOString();
    const [application, who] = (holder.application_name ?? '').split(' ');
    if (application !== VERIFICATION_APPLICATION || who === undefined)
      return { startedAt, source: null, requestedBy: null };
    if (who === 'cli') return { startedAt, source: 'cli', requestedBy: null };
    const [user] = UUID.test(who)
      ? await this.dataSource.query<Array<{ username: string; display_name: string }>>(
          'SELECT username, display_name FROM user_account WHERE id = $1',
          [who],
        )
      : [];
    return {
      startedAt,
      source: 'service',
      requestedBy: user === undefined ? null : { id: who, username: user.username, displayName: user.display_name },
    };
  }

  /** Stopping: a run in progress gives up at its next progress point and is recorded as an error. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.current;
  }

  private async run(lock: VerificationLock, run: VerificationRun): Promise<void> {
    let end: VerificationEnd;
    try {
      const result = await verifyLedger(this.connection(), {
        trustedKeys: [parseVerifierKey(this.key.verifierKey)],
        deep: run.deep,
        progressEvery: 1000,
        onProgress: () => {
          if (this.stopping) throw new Error('the service stopped before the verification finished');
        },
      });
      end = verificationEnd(result);
      if (!result.ok)
        this.logger.fatal(
          `LEDGER VERIFICATION FAILED${result.index === null ? '' : ` at index ${result.index}`}: ${result.reason}`,
        );
    } catch (error) {
      this.logger.error({ err: error }, 'the ledger verification could not run to its end');
      end = verificationError(error);
    }
    try {
      await lock.record(run, end);
    } catch (error) {
      // The run's connection may be what failed: record it on the service's pool instead.
      this.logger.warn({ err: error }, 'could not record the verification on its own connection; trying the pool');
      await this.dataSource
        .query(INSERT_VERIFICATION, verificationParams(run, end))
        .catch((failure: unknown) =>
          this.logger.error({ err: failure, outcome: end.outcome }, 'the ledger verification could not be recorded'),
        );
    } finally {
      await lock.release();
    }
  }

  /** The service's own connection settings, without the pool's statement timeout (a run takes minutes). */
  private connection(): pg.ClientConfig {
    const url = (this.dataSource.options as { url?: string }).url;
    if (url === undefined) throw new Error('the service has no database URL to verify the ledger with');
    return { connectionString: url };
  }
}
