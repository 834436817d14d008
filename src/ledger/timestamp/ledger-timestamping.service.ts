import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { LedgerWitnessingService } from '../witnessing/ledger-witnessing.service.js';
import { noteBody, parseTrustAnchors, requestTimeStamp, verifyTimeStampToken } from './time-stamp.js';

/** Failures back off from the interval, doubling, up to this many intervals (and never past 5 min). */
const MAX_BACKOFF_INTERVALS = 32;
const MAX_BACKOFF_MS = 300_000;

/** The TSA failed on an attempt (already logged and recorded in the status). */
export class TsaFailure extends Error {
  override readonly name = 'TsaFailure';
}

/** A stored time-stamp token of one checkpoint (verified before it was stored). */
export interface CheckpointTimeStamp {
  readonly treeSize: number;
  /** The RFC 3161 TimeStampToken (CMS ContentInfo), DER. */
  readonly token: Buffer;
  readonly genTime: Date;
  /** The TSA certificate's subject. */
  readonly tsa: string;
  readonly serialNumber: string;
  readonly fetchedAt: Date;
}

/** The timestamping part of `GET /ledger/status`. */
export interface TimestampingStatus {
  readonly enabled: boolean;
  readonly url: string | null;
  /** ok: the last attempt stored a token (or found one); failing: the last attempt failed. */
  readonly status: 'ok' | 'failing' | 'unknown';
  /** The largest checkpoint with a stored token, its time and TSA. */
  readonly stampedSize: number | null;
  readonly genTime: string | null;
  readonly tsa: string | null;
  /** The published checkpoint still waiting for a token (the TSA failed on it), or null. */
  readonly pendingSize: number | null;
  readonly lastError: { readonly reason: string; readonly at: string } | null;
  readonly checkedAt: string | null;
}

interface TimeStampRow {
  tree_size: string;
  token: Buffer;
  gen_time: Date;
  tsa: string;
  serial_number: string;
  fetched_at: Date;
}

const toTimeStamp = (row: TimeStampRow): CheckpointTimeStamp => ({
  treeSize: Number(row.tree_size),
  token: row.token,
  genTime: row.gen_time,
  tsa: row.tsa,
  serialNumber: row.serial_number,
  fetchedAt: row.fetched_at,
});

/**
 * RFC 3161 timestamps of published checkpoints (ADR 0027): with LEDGER_TSA_URL, the newest published
 * checkpoint (the newest witnessed one when witnesses are configured, else the newest signed one)
 * gets a token over the SHA-256 of its note body. Off the write path: a timer looks for an unstamped
 * published checkpoint, asks the TSA, and stores the token only once it verifies against the trust
 * anchors (LEDGER_TSA_CA_FILE) and that exact body. A TSA that fails is retried with a doubling delay;
 * writes never wait for it. One process at a time asks (a session advisory lock), and the insert is
 * idempotent (one token per checkpoint), so several processes on one database never double-store.
 */
/** Attempts started by requests for the checkpoint are at least this far apart (the timer's are not). */
const REQUESTED_ATTEMPT_GAP_MS = 1_000;

@Injectable()
export class LedgerTimestampingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LedgerTimestamping');
  private readonly anchors: readonly X509Certificate[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failures = 0;
  private notBefore = 0;
  private lastRequested = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly witnessing: LedgerWitnessingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const tsa = config.ledgerTsa;
    if (tsa === undefined) {
      this.anchors = [];
      return;
    }
    try {
      this.anchors = parseTrustAnchors(readFileSync(tsa.caFile, 'utf8'));
    } catch (error) {
      throw new Error(`LEDGER_TSA_CA_FILE ${tsa.caFile}: ${(error as Error).message}`, { cause: error });
    }
  }

  get enabled(): boolean {
    return this.config.ledgerTsa !== undefined;
  }

  /** The trust anchors the tokens are checked against (LEDGER_TSA_CA_FILE). */
  get trustAnchors(): readonly X509Certificate[] {
    return this.anchors;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.kick(), this.config.ledgerTsa!.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** A checkpoint was requested (anyone may ask): an attempt at most once a second, as for witnessing. */
  requested(): void {
    const now = Date.now();
    if (now - this.lastRequested < REQUESTED_ATTEMPT_GAP_MS) return;
    this.lastRequested = now;
    this.kick();
  }

  /** Starts an attempt unless one is running here or the backoff after a failure has not elapsed. */
  kick(): void {
    if (!this.enabled || this.running || Date.now() < this.notBefore) return;
    this.running = this.stampNow()
      .catch((error: unknown) => {
        // A TSA failure is already logged and recorded by the round; anything else is not.
        if (!(error instanceof TsaFailure)) this.logger.error({ err: error }, 'timestamping round failed');
      })
      .finally(() => (this.running = undefined));
  }

  /** The stored token of the checkpoint at `treeSize`, if any. */
  async forSize(treeSize: number): Promise<CheckpointTimeStamp | undefined> {
    const [row] = await this.dataSource.query<TimeStampRow[]>(
      'SELECT * FROM ledger_checkpoint_timestamp WHERE tree_size = $1',
      [treeSize],
    );
    return row ? toTimeStamp(row) : undefined;
  }

  /**
   * The token of a checkpoint a bundle or report is about to carry: the stored one, or, when the
   * TSA is configured and none is stored yet, one asked for now (once, bounded by the TSA timeout).
   * A TSA that fails leaves the bundle without a token, never without a bundle.
   */
  async ensure(treeSize: number, note: string): Promise<CheckpointTimeStamp | undefined> {
    const stored = await this.forSize(treeSize);
    // During a TSA outage's backoff bundles do not wait for it: the background retry stamps later.
    if (stored || !this.enabled || Date.now() < this.notBefore) return stored;
    try {
      return await this.fetchAndStore(treeSize, note);
    } catch (error) {
      await this.recordFailure(treeSize, error);
      return undefined;
    }
  }

  async status(): Promise<TimestampingStatus> {
    if (!this.enabled) {
      return {
        enabled: false,
        url: null,
        status: 'unknown',
        stampedSize: null,
        genTime: null,
        tsa: null,
        pendingSize: null,
        lastError: null,
        checkedAt: null,
      };
    }
    const [[stamped], [state]] = await Promise.all([
      this.dataSource.query<TimeStampRow[]>(
        'SELECT * FROM ledger_checkpoint_timestamp ORDER BY tree_size DESC LIMIT 1',
      ),
      this.dataSource.query<
        Array<{ status: 'ok' | 'failing'; tree_size: string; reason: string | null; checked_at: Date }>
      >('SELECT status, tree_size, reason, checked_at FROM ledger_timestamping WHERE id = 1'),
    ]);
    return {
      enabled: true,
      url: this.config.ledgerTsa!.url,
      status: state?.status ?? 'unknown',
      stampedSize: stamped ? Number(stamped.tree_size) : null,
      genTime: stamped?.gen_time.toISOString() ?? null,
      tsa: stamped?.tsa ?? null,
      pendingSize: state?.status === 'failing' ? Number(state.tree_size) : null,
      lastError:
        state?.status === 'failing' && state.reason !== null
          ? { reason: state.reason, at: state.checked_at.toISOString() }
          : null,
      checkedAt: state?.checked_at.toISOString() ?? null,
    };
  }

  /**
   * One attempt: the newest published checkpoint gets a token unless it has one. Returns its size
   * once stamped, null when nothing is published, undefined when another process holds the round.
   * Throws when the TSA fails (after recording the failure and setting the backoff).
   */
  async stampNow(): Promise<number | null | undefined> {
    if (!this.enabled) return undefined;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtextextended('custos.ledger_timestamping', 0)) AS locked`,
      )) as Array<{ locked: boolean }>;
      if (!locked) return undefined;
      try {
        return await this.round();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended('custos.ledger_timestamping', 0))`);
      }
    } finally {
      await runner.release();
    }
  }

  private async round(): Promise<number | null> {
    const published = await this.newestPublished();
    if (published === undefined) return null;
    if (await this.forSize(published.treeSize)) return published.treeSize;
    try {
      await this.fetchAndStore(published.treeSize, published.note);
    } catch (error) {
      await this.recordFailure(published.treeSize, error);
      throw new TsaFailure((error as Error).message ?? String(error));
    }
    return published.treeSize;
  }

  /**
   * Only the newest published checkpoint is stamped: one superseded while the TSA was down is not
   * stamped late, since the token of a later checkpoint (which it is consistent with) covers it.
   */
  private async newestPublished(): Promise<{ treeSize: number; note: string } | undefined> {
    if (this.witnessing.enabled) return this.witnessing.published();
    const [row] = await this.dataSource.query<Array<{ tree_size: string; note: string }>>(
      'SELECT tree_size, note FROM ledger_checkpoint ORDER BY tree_size DESC LIMIT 1',
    );
    return row ? { treeSize: Number(row.tree_size), note: row.note } : undefined;
  }

  private async fetchAndStore(treeSize: number, note: string): Promise<CheckpointTimeStamp> {
    const body = noteBody(note);
    // requestTimeStamp verifies the token (anchors, body, nonce) before returning it.
    const { token, verified } = await requestTimeStamp(this.config.ledgerTsa!.url, body, this.anchors);
    // Checked again as stored, with no nonce: what a later reader of the row will check.
    verifyTimeStampToken(token, body, this.anchors);
    await this.dataSource.query(
      `INSERT INTO ledger_checkpoint_timestamp (tree_size, token, gen_time, tsa, serial_number)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING`,
      [treeSize, token, verified.genTime, verified.tsa.slice(0, 2000), verified.serialNumber.slice(0, 200)],
    );
    await this.dataSource.query(
      `INSERT INTO ledger_timestamping (id, status, tree_size, reason, checked_at, ok_at)
       VALUES (1, 'ok', $1, NULL, now(), now())
       ON CONFLICT (id) DO UPDATE SET status = 'ok', tree_size = $1, reason = NULL, checked_at = now(), ok_at = now()`,
      [treeSize],
    );
    if (this.failures > 0)
      this.logger.warn(`the TSA answers again: checkpoint ${treeSize} is timestamped after ${this.failures} failures`);
    this.failures = 0;
    this.notBefore = 0;
    // Another process may have stored its token first: serve the stored one.
    return (await this.forSize(treeSize))!;
  }

  private async recordFailure(treeSize: number, error: unknown): Promise<void> {
    this.failures++;
    const interval = this.config.ledgerTsa!.intervalMs;
    const delay = Math.min(
      interval * 2 ** Math.min(this.failures - 1, 30),
      interval * MAX_BACKOFF_INTERVALS,
      Math.max(MAX_BACKOFF_MS, interval),
    );
    this.notBefore = Date.now() + delay;
    const reason = (error as Error).message ?? String(error);
    // A TSA outage delays timestamps, never writes: a warning at first, an error once it persists.
    const message = `no time-stamp token for checkpoint ${treeSize} from ${this.config.ledgerTsa!.url}: ${reason}; retrying in ${Math.round(delay / 1000)} s`;
    if (this.failures >= 3) this.logger.error(message);
    else this.logger.warn(message);
    await this.dataSource
      .query(
        `INSERT INTO ledger_timestamping (id, status, tree_size, reason, checked_at)
         VALUES (1, 'failing', $1, $2, now())
         ON CONFLICT (id) DO UPDATE SET status = 'failing', tree_size = $1, reason = $2, checked_at = now()`,
        [treeSize, reason.slice(0, 2000)],
      )
      .catch((failure: unknown) => this.logger.error({ err: failure }, 'timestamping state not recorded'));
  }
}
