import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../../access-log/access-log.service.js';
import { systemContext } from '../../common/request-context.js';
import { APP_CONFIG, type AppConfig, type LedgerWitnessConfig } from '../../config/config.js';
import { CheckpointService } from '../checkpoint.service.js';
import {
  addSignatureLines,
  formatAddCheckpointRequest,
  parseCosignerVerifierKey,
  parseTlogSize,
  verifyCosignatures,
} from '../core/index.js';
import { LedgerService } from '../ledger.service.js';

/** How long one witness may take to answer before it counts as unreachable. */
const WITNESS_TIMEOUT_MS = 5_000;
/** How often one round follows a witness's 409 to the size it reports. */
const MAX_SIZE_RETRIES = 2;

export type WitnessAnswerStatus = 'ok' | 'refused' | 'unreachable';

export interface WitnessState {
  readonly name: string;
  readonly url: string;
  readonly vkey: string;
  readonly status: WitnessAnswerStatus | 'unknown';
  /** The size the witness holds, as far as this ledger knows. */
  readonly size: number;
  readonly reason: string | null;
  readonly checkedAt: string | null;
  readonly okAt: string | null;
}

export interface WitnessingStatus {
  readonly enabled: boolean;
  readonly quorum: number;
  /** The size of the checkpoint served as current (the last one witnessed by a quorum), or null. */
  readonly publishedSize: number | null;
  readonly publishedAt: string | null;
  readonly witnesses: readonly WitnessState[];
}

export interface PublishedCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly origin: string;
  readonly keyName: string;
  readonly keyId: string;
  /** The log-signed note with the witnesses' cosignature lines after the log's signature. */
  readonly note: string;
  readonly cosignatures: number;
  readonly createdAt: Date;
  readonly publishedAt: Date;
}

interface PublishedRow {
  tree_size: string;
  root_hash: Buffer;
  origin: string;
  key_name: string;
  key_id: string;
  note: string;
  cosignatures: number;
  created_at: Date;
  published_at: Date;
}

type Answer =
  | { readonly status: 'ok'; readonly line: string; readonly size: number }
  | { readonly status: 'refused' | 'unreachable'; readonly reason: string; readonly size?: number };

const toPublished = (row: PublishedRow): PublishedCheckpoint => ({
  treeSize: Number(row.tree_size),
  rootHash: row.root_hash,
  origin: row.origin,
  keyName: row.key_name,
  keyId: row.key_id,
  note: row.note,
  cosignatures: row.cosignatures,
  createdAt: row.created_at,
  publishedAt: row.published_at,
});

/**
 * Asks this ledger's witnesses (LEDGER_WITNESSES) to cosign its newest signed checkpoint, on a
 * schedule and when a checkpoint is requested, and publishes a checkpoint only once its quorum
 * (LEDGER_WITNESS_QUORUM) has cosigned it. Off the write path: it reads signed checkpoints and the
 * tree and never holds the ledger lock. One round at a time across every process (a session
 * advisory lock), so several processes on one database witness one sequence of checkpoints.
 */
/** Rounds started by requests for the checkpoint are at least this far apart (the timer's are not). */
const REQUESTED_ROUND_GAP_MS = 1_000;

@Injectable()
export class LedgerWitnessingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LedgerWitnessing');
  private lastRequested = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly names: Map<string, string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly checkpoints: CheckpointService,
    private readonly accessLog: AccessLogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.names = new Map(config.ledgerWitnesses.map((w) => [w.vkey, parseCosignerVerifierKey(w.vkey).name]));
  }

  get enabled(): boolean {
    return this.config.ledgerWitnesses.length > 0;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.kick(), this.config.ledgerWitnessIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * "A checkpoint was requested" (GET /ledger/checkpoint, which anyone may call): starts a round at
   * most once a second, so that clients polling the checkpoint cannot keep the signer, the witnesses
   * and the TSA busy and take the writes' CPU.
   */
  requested(): void {
    const now = Date.now();
    if (now - this.lastRequested < REQUESTED_ROUND_GAP_MS) return;
    this.lastRequested = now;
    this.kick();
  }

  /** Starts a round unless one is running in this process. */
  kick(): void {
    if (!this.enabled || this.running) return;
    this.witnessNow().catch((error: unknown) => this.logger.error({ err: error }, 'witnessing round failed'));
  }

  /** The checkpoint served as current: the largest one a quorum cosigned. */
  async published(): Promise<PublishedCheckpoint | undefined> {
    const [row] = await this.dataSource.query<PublishedRow[]>(
      `SELECT c.tree_size, c.root_hash, c.origin, c.key_name, c.key_id, w.note, w.cosignatures, c.created_at, w.published_at
         FROM ledger_witnessed_checkpoint w JOIN ledger_checkpoint c USING (tree_size)
        ORDER BY w.tree_size DESC LIMIT 1`,
    );
    return row ? toPublished(row) : undefined;
  }

  /** The witnessed note of the checkpoint at `treeSize`, if a quorum cosigned it. */
  async witnessedNote(treeSize: number): Promise<string | undefined> {
    const [row] = await this.dataSource.query<Array<{ note: string }>>(
      'SELECT note FROM ledger_witnessed_checkpoint WHERE tree_size = $1',
      [treeSize],
    );
    return row?.note;
  }

  async status(): Promise<WitnessingStatus> {
    if (!this.enabled) return { enabled: false, quorum: 0, publishedSize: null, publishedAt: null, witnesses: [] };
    const published = await this.published();
    const rows = await this.dataSource.query<
      Array<{
        vkey: string;
        size: string;
        status: WitnessAnswerStatus;
        reason: string | null;
        checked_at: Date;
        ok_at: Date | null;
      }>
    >('SELECT vkey, size, status, reason, checked_at, ok_at FROM ledger_witness');
    const byKey = new Map(rows.map((row) => [row.vkey, row]));
    return {
      enabled: true,
      quorum: this.config.ledgerWitnessQuorum,
      publishedSize: published?.treeSize ?? null,
      publishedAt: published?.publishedAt.toISOString() ?? null,
      witnesses: this.config.ledgerWitnesses.map((w) => {
        const row = byKey.get(w.vkey);
        return {
          name: this.names.get(w.vkey)!,
          url: w.url,
          vkey: w.vkey,
          status: row?.status ?? 'unknown',
          size: Number(row?.size ?? 0),
          reason: row?.reason ?? null,
          checkedAt: row?.checked_at.toISOString() ?? null,
          okAt: row?.ok_at?.toISOString() ?? null,
        };
      }),
    };
  }

  /**
   * One round: sign a checkpoint if the tree grew, ask every witness to cosign the newest signed
   * checkpoint, publish it if a quorum did. Returns the published size after the round, or
   * undefined when another process holds the round.
   */
  witnessNow(): Promise<number | null | undefined> {
    if (!this.enabled) return Promise.resolve(undefined);
    // Rounds of this process run one after the other; a caller waits for the one in flight.
    const round = (this.running ?? Promise.resolve()).then(
      () => this.lockedRound(),
      () => this.lockedRound(),
    );
    const tracked = round.then(
      () => undefined,
      () => undefined,
    );
    this.running = tracked;
    void tracked.then(() => {
      if (this.running === tracked) this.running = undefined;
    });
    return round;
  }

  private async lockedRound(): Promise<number | null | undefined> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtextextended('custos.ledger_witnessing', 0)) AS locked`,
      )) as Array<{ locked: boolean }>;
      if (!locked) return undefined;
      try {
        return await this.round();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended('custos.ledger_witnessing', 0))`);
      }
    } finally {
      await runner.release();
    }
  }

  private async round(): Promise<number | null> {
    await this.checkpoints.checkpointIfGrown().catch((error: unknown) => {
      this.logger.error({ err: error }, 'no new checkpoint to witness: signing failed');
    });
    const latest = await this.checkpoints.latest();
    const published = await this.published();
    if (published && published.treeSize >= latest.treeSize) return published.treeSize;

    const answers = await Promise.all(
      this.config.ledgerWitnesses.map(async (witness) => {
        const answer = await this.ask(witness, latest.note, latest.treeSize);
        await this.record(witness, answer);
        return { witness, answer };
      }),
    );
    const lines = answers.flatMap(({ answer }) => (answer.status === 'ok' ? [answer.line] : []));
    if (lines.length >= this.config.ledgerWitnessQuorum) {
      const note = addSignatureLines(latest.note, lines.join(''));
      await this.dataSource.query(
        `INSERT INTO ledger_witnessed_checkpoint (tree_size, note, cosignatures) VALUES ($1, $2, $3)
         ON CONFLICT (tree_size) DO NOTHING`,
        [latest.treeSize, note, lines.length],
      );
      return latest.treeSize;
    }
    const failed = answers.filter(({ answer }) => answer.status !== 'ok');
    for (const { witness, answer } of failed) {
      const reason = answer.status === 'ok' ? '' : answer.reason;
      const name = this.names.get(witness.vkey)!;
      this.logger.error(
        `checkpoint ${latest.treeSize} not published: witness ${name} (${witness.url}) ${answer.status}: ${reason}; ` +
          `${lines.length} of ${this.config.ledgerWitnessQuorum} cosignatures. The published checkpoint stays at ${published?.treeSize ?? 'none'}.`,
      );
      await this.accessLog
        .record(systemContext('ledger-witnessing'), {
          event: 'ledger.witness_refused',
          outcome: 'failure',
          subject: { type: 'ledger', id: 'ledger', label: name },
          details: { witness: name, url: witness.url, status: answer.status, reason, treeSize: latest.treeSize },
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'witness refusal not written to the access log'));
    }
    return published?.treeSize ?? null;
  }

  /** Asks one witness to cosign; follows its 409 to the size it holds (at most twice). */
  private async ask(witness: LedgerWitnessConfig, note: string, treeSize: number): Promise<Answer> {
    const [row] = await this.dataSource.query<Array<{ size: string }>>(
      'SELECT size FROM ledger_witness WHERE vkey = $1',
      [witness.vkey],
    );
    let oldSize = Number(row?.size ?? 0);
    for (let attempt = 0; ; attempt++) {
      if (oldSize > treeSize) {
        return {
          status: 'refused',
          size: oldSize,
          reason: `the witness holds size ${oldSize}, beyond this ledger's checkpoint ${treeSize}: the ledger was rolled back or forked`,
        };
      }
      let proof: Buffer[];
      try {
        proof = oldSize === 0 || oldSize === treeSize ? [] : await this.ledger.consistencyProof(oldSize, treeSize);
      } catch (error) {
        return { status: 'refused', reason: `no consistency proof from ${oldSize}: ${(error as Error).message}` };
      }
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${witness.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          body: formatAddCheckpointRequest(oldSize, proof, note),
          signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS),
        });
        text = await response.text();
      } catch (error) {
        return { status: 'unreachable', reason: (error as Error).message, size: oldSize };
      }
      if (response.status === 200) {
        try {
          const found = verifyCosignatures(addSignatureLines(note, text), [witness.vkey]);
          if (found.length === 0) return { status: 'refused', reason: 'the answer carries no cosignature by its key' };
          return { status: 'ok', line: found[0].line, size: treeSize };
        } catch (error) {
          return { status: 'refused', reason: `its cosignature does not verify: ${(error as Error).message}` };
        }
      }
      if (response.status === 409) {
        const held = parseTlogSize(text);
        if (held === undefined) return { status: 'refused', reason: `409 without a size: ${text.slice(0, 200)}` };
        if (held === oldSize || attempt >= MAX_SIZE_RETRIES) {
          return {
            status: 'refused',
            size: held,
            reason: `409: it holds another checkpoint at size ${held}: the ledger's history differs from what it cosigned`,
          };
        }
        oldSize = held;
        continue;
      }
      return { status: 'refused', size: oldSize, reason: `${response.status}: ${text.trim().slice(0, 300)}` };
    }
  }

  private async record(witness: LedgerWitnessConfig, answer: Answer): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ledger_witness (vkey, url, size, status, reason, checked_at, ok_at)
       VALUES ($1, $2, $3, $4, $5, now(), CASE WHEN $4 = 'ok' THEN now() END)
       ON CONFLICT (vkey) DO UPDATE SET url = EXCLUDED.url, size = COALESCE($6, ledger_witness.size),
         status = EXCLUDED.status, reason = EXCLUDED.reason, checked_at = now(),
         ok_at = COALESCE(EXCLUDED.ok_at, ledger_witness.ok_at)`,
      [
        witness.vkey,
        witness.url,
        answer.size ?? 0,
        answer.status,
        answer.status === 'ok' ? null : answer.reason.slice(0, 2000),
        answer.size ?? null,
      ],
    );
  }
}
