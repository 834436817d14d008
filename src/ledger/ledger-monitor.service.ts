import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { systemContext, type RequestContext } from '../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { isCustodyEvent } from '../custody/custody-chain.js';
import {
  checkItemAgainstLedger,
  CustodyStateProblem,
  ITEM_STATE_SQL,
  latestEntryOf,
  needsStatingEntry,
  STATING_ENTRY_SQL,
  statingEntryOf,
  type ItemCustodyRow,
  type LatestEntryColumns,
} from '../custody/custody-state-check.js';
import { entryProblem, type LedgerEntry } from './core/entry.js';
import { canonicalBytes } from './core/jcs.js';
import { CompactRange, frontierNodeIds, leafHash, rootFromFrontier, type TreeNode } from './core/merkle.js';
import { LedgerService } from './ledger.service.js';
import { withoutValues } from './state-tables.js';

/**
 * What broke. The first six are the ledger's own structure or content: custody writes stop (the
 * appending transaction refuses while `structural`). The others are state tables that disagree with
 * the ledger: the write that found it is refused, the rest go on.
 */
export type IntegrityKind = 'gap' | 'tail' | 'leaf' | 'node' | 'tree_state' | 'content' | 'item_state' | 'reference';

const STRUCTURAL: ReadonlySet<IntegrityKind> = new Set(['gap', 'tail', 'leaf', 'node', 'tree_state', 'content']);

/** What every signed-in user may read: no case data, only what broke. */
const SUMMARIES: Record<IntegrityKind, string> = {
  gap: 'an entry is missing from the ledger',
  tail: 'the latest entries of the ledger are missing',
  leaf: "an entry's bytes do not match its hash",
  node: 'a tree node does not match the entries below it',
  tree_state: "the ledger's tree state does not match its entries",
  content: 'an entry is not what the ledger format requires',
  item_state: "an item's current state does not match its ledger entries",
  reference: 'a reference hash does not match the ledger',
};

export type IntegritySource = 'monitor' | 'custody write' | 'ledger write';

export interface IntegrityFailure {
  readonly kind: IntegrityKind;
  readonly index: number | null;
  /** For operators and auditors (the log, the access log): may name items. */
  readonly reason: string;
  readonly source: IntegritySource;
}

/** The monitor's part of `GET /ledger/status`: no case data. */
export interface IntegrityStatus {
  readonly status: 'ok' | 'failed';
  /** Entries verified by the monitor so far, and when it last advanced. */
  readonly verifiedSize: number;
  readonly verifiedAt: string | null;
  readonly failure: {
    readonly index: number | null;
    readonly kind: IntegrityKind;
    readonly summary: string;
    readonly source: IntegritySource;
    readonly at: string;
  } | null;
  /** The ledger's own structure is broken: custody writes are refused. */
  readonly writesRefused: boolean;
  /** No checkpoint is signed while integrity has failed. */
  readonly checkpointsStopped: boolean;
}

/** What one pass did (tests and the log). */
export interface MonitorPass {
  /** False when another process holds the monitor's lock. */
  readonly ran: boolean;
  readonly verifiedSize?: number;
  readonly failure?: IntegrityFailure;
}

interface MonitorRow {
  verified_size: string;
  verified_frontier: Buffer[];
  verified_at: Date | null;
  sweep_position: string;
  status: 'ok' | 'failed';
  structural: boolean;
  failed_index: string | null;
  kind: IntegrityKind | null;
  summary: string | null;
  source: IntegritySource | null;
  failed_at: Date | null;
}

/** `pg_try_advisory_lock(int, int)` keys, 'ledg' and 'moni': one monitor pass at a time across processes. */
export const MONITOR_LOCK: readonly [number, number] = [0x6c656467, 0x6d6f6e69];
/** Entries verified per round trip; a pass goes on until it reaches the tree size it read. */
const BATCH = 1000;
/** The sweep re-checks aligned runs of this many entries, and the tree nodes inside each. */
const SWEEP_CHUNK = 1024;
const MAX_REASON = 2000;

class Broken extends Error {
  constructor(readonly failure: Omit<IntegrityFailure, 'source'>) {
    super(failure.reason);
  }
}

/** A stored entry read in index order: its index (the one expected, or a gap) and its leaf hash (or a bad leaf). */
function storedLeaf(
  row: { readonly idx: string; readonly entry: Buffer; readonly leaf_hash: Buffer },
  expected: number,
): { index: number; leaf: Buffer } {
  const index = Number(row.idx);
  if (index !== expected)
    throw new Broken({
      kind: 'gap',
      index: expected,
      reason: `entry ${expected} is missing (next stored index is ${index})`,
    });
  const leaf = leafHash(row.entry);
  if (!leaf.equals(row.leaf_hash))
    throw new Broken({ kind: 'leaf', index, reason: `entry ${index}: its bytes do not hash to its stored leaf hash` });
  return { index, leaf };
}

/**
 * The ledger monitor (docs/ledger.md §4, ADR 0028): the service checks its own ledger as it grows,
 * instead of waiting for someone to run a verification. Every `LEDGER_MONITOR_SECONDS`, and after
 * every 1,000 entries this process appends, one process at a time (an advisory lock) verifies the
 * entries appended since the last pass — gapless, each leaf hash recomputed from the bytes, each
 * entry canonical and bound to its signatures, every tree node they complete, and the tree state's
 * root and frontier against its own — and checks the item rows those entries touched against them.
 * Its progress, with the frontier at that size, is stored: a pass continues where the last one
 * stopped, in any process. It also re-checks `LEDGER_MONITOR_SWEEP_ENTRIES` older entries each pass,
 * round and round, so a change to an old entry is found too.
 *
 * A failure (from here, from a custody write that found its item's row disagree with the ledger,
 * or from an append that found the tail missing) is an alarm: the status says `failed` with the
 * index and a summary, an error-level log line and an access-log event (`ledger.integrity_alarm`)
 * are written, no checkpoint is signed, and while the ledger's own structure is broken custody
 * writes are refused. It stays so until a full verification (`POST /ledger/verifications` or
 * `custos ledger verify`) passes after it.
 */
@Injectable()
export class LedgerMonitorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerMonitorService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<MonitorPass> | undefined;
  private appendedSincePass = 0;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly accessLog: AccessLogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.ledger.watch({
      appended: (count) => {
        this.appendedSincePass += count;
        if (this.appendedSincePass >= BATCH) this.soon();
      },
      brokenTail: (failure) => void this.alarm({ ...failure, source: 'ledger write' }),
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.soon(), this.config.ledgerMonitorSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private soon(): void {
    if (this.stopped || this.running !== undefined) return;
    void this.pass().catch((error: unknown) => this.logger.warn({ err: error }, 'the ledger monitor could not run'));
  }

  /** One pass now (or the one under way): verifies what was appended since the last one. */
  pass(): Promise<MonitorPass> {
    this.running ??= this.locked().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The monitor's state, for `GET /ledger/status`. */
  async status(): Promise<IntegrityStatus> {
    const row = await this.row(this.dataSource.manager);
    const failed = row.status === 'failed';
    return {
      status: row.status,
      verifiedSize: Number(row.verified_size),
      verifiedAt: row.verified_at?.toISOString() ?? null,
      failure: failed
        ? {
            index: row.failed_index === null ? null : Number(row.failed_index),
            kind: row.kind!,
            summary: row.summary!,
            source: row.source!,
            at: row.failed_at!.toISOString(),
          }
        : null,
      writesRefused: failed && row.structural,
      checkpointsStopped: failed,
    };
  }

  /**
   * Raises the integrity alarm. The first failure is kept until a full verification clears it (a
   * structural one replaces one that was not); every alarm is logged and written to the access log.
   */
  async alarm(failure: IntegrityFailure, ctx: RequestContext = systemContext('ledger-monitor')): Promise<void> {
    const structural = STRUCTURAL.has(failure.kind);
    const reason = failure.reason.length > MAX_REASON ? `${failure.reason.slice(0, MAX_REASON - 1)}…` : failure.reason;
    this.logger.error(
      `LEDGER INTEGRITY FAILURE${failure.index === null ? '' : ` at index ${failure.index}`} (found by the ${failure.source}): ${reason}. ` +
        `No checkpoint is signed${structural ? ' and custody writes are refused' : ''} until a full verification passes (custos ledger verify).`,
    );
    try {
      await this.dataSource.query(
        `UPDATE ledger_monitor
            SET status = 'failed', structural = $1, failed_index = $2, kind = $3, summary = $4, reason = $5, source = $6,
                failed_at = now()
          WHERE id = 1 AND (status = 'ok' OR ($1 AND NOT structural))`,
        [structural, failure.index, failure.kind, SUMMARIES[failure.kind], reason, failure.source],
      );
    } finally {
      await this.accessLog
        .record(ctx, {
          event: 'ledger.integrity_alarm',
          outcome: 'failure',
          subject: { type: 'ledger', id: 'ledger', label: failure.kind },
          details: {
            index: failure.index,
            kind: failure.kind,
            structural,
            source: failure.source,
            reason: withoutValues(reason),
          },
        })
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'the integrity alarm could not be written to the access log'),
        );
    }
  }

  private async row(db: Pick<EntityManager, 'query'>): Promise<MonitorRow> {
    const [row] = await db.query<MonitorRow[]>(
      `SELECT verified_size::text AS verified_size, verified_frontier, verified_at, sweep_position::text AS sweep_position, status,
              structural, failed_index::text AS failed_index, kind, summary, source, failed_at
         FROM ledger_monitor WHERE id = 1`,
    );
    return row;
  }

  private async locked(): Promise<MonitorPass> {
    this.appendedSincePass = 0;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.manager.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_lock($1::int, $2::int) AS locked',
        [...MONITOR_LOCK],
      );
      if (!locked) return { ran: false };
      try {
        return await this.verify(runner);
      } finally {
        await runner.manager
          .query('SELECT pg_advisory_unlock($1::int, $2::int)', [...MONITOR_LOCK])
          .catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  private async verify(runner: QueryRunner): Promise<MonitorPass> {
    let row = await this.row(runner.manager);
    if (row.status === 'failed') row = await this.clearIfVerified(runner, row);
    // A broken structure is not verified again: it stays as found until a full verification passes.
    if (row.status === 'failed' && row.structural) return { ran: true, verifiedSize: Number(row.verified_size) };
    const [state] = await runner.manager.query<Array<{ tree_size: string; root_hash: Buffer; frontier: Buffer[] }>>(
      'SELECT tree_size::text AS tree_size, root_hash, frontier FROM ledger_state WHERE id = 1',
    );
    const treeSize = Number(state.tree_size);
    let size = Number(row.verified_size);
    let found: IntegrityFailure | undefined;
    try {
      if (treeSize < size) {
        throw new Broken({
          kind: 'tree_state',
          index: treeSize,
          reason: `the ledger state says ${treeSize} entries, but ${size} were verified already: the ledger was cut back`,
        });
      }
      const range = new CompactRange(row.verified_frontier, size);
      while (size < treeSize) {
        const to = Math.min(size + BATCH, treeSize);
        const stateProblem = await this.verifyBatch(runner, range, size, to, to === treeSize);
        size = to;
        await runner.manager.query(
          'UPDATE ledger_monitor SET verified_size = $1, verified_frontier = $2, verified_at = now() WHERE id = 1',
          [size, range.frontier],
        );
        // A state table that disagrees is raised and the verification goes on: the ledger is sound.
        if (stateProblem !== undefined) {
          found ??= { ...stateProblem, source: 'monitor' };
          await this.alarm({ ...stateProblem, source: 'monitor' });
        }
      }
      if (!range.root().equals(state.root_hash) || !sameHashes(range.frontier, state.frontier)) {
        throw new Broken({
          kind: 'tree_state',
          index: treeSize === 0 ? null : treeSize - 1,
          reason: `the ledger state's root or frontier at size ${treeSize} differs from the tree of the verified entries: history was rewritten`,
        });
      }
      await this.checkTail(runner, treeSize);
      await this.sweep(runner, Number(row.sweep_position), size);
      return { ran: true, verifiedSize: size, ...(found === undefined ? {} : { failure: found }) };
    } catch (error) {
      if (!(error instanceof Broken)) throw error;
      const failure: IntegrityFailure = { ...error.failure, source: 'monitor' };
      await this.alarm(failure);
      return { ran: true, verifiedSize: size, failure };
    }
  }

  /** Entries [from, to): order, leaf hashes, content, the nodes they complete; then the items they touched. */
  private async verifyBatch(
    runner: QueryRunner,
    range: CompactRange,
    from: number,
    to: number,
    last: boolean,
  ): Promise<Omit<IntegrityFailure, 'source'> | undefined> {
    const rows = await runner.manager.query<Array<{ idx: string; entry: Buffer; leaf_hash: Buffer; type: string }>>(
      'SELECT e.idx::text AS idx, e.entry, e.leaf_hash, e.type FROM ledger_entry e WHERE e.idx >= $1 AND e.idx < $2 ORDER BY e.idx',
      [from, to],
    );
    const completed: TreeNode[] = [];
    /** Items the entries touched, with the latest entry about each. */
    const touched = new Map<string, number>();
    let expected = from;
    for (const row of rows) {
      const { index, leaf } = storedLeaf(row, expected);
      const entry = this.content(row.entry, index, row.type);
      if (isCustodyEvent(entry.type)) for (const itemId of itemsOf(entry)) touched.set(itemId, index);
      range.append(leaf, (node) => completed.push(node));
      expected++;
    }
    if (expected < to) {
      throw new Broken({
        kind: last ? 'tail' : 'gap',
        index: expected,
        reason: `the ledger state says at least ${to} entries but entry ${expected} is missing`,
      });
    }
    await this.compareNodes(runner, completed, to - 1);
    return this.checkItems(runner, touched);
  }

  /** The last entry is still there and still hashes to its leaf (it was verified when it was new). */
  private async checkTail(runner: QueryRunner, treeSize: number): Promise<void> {
    if (treeSize === 0) return;
    const last = treeSize - 1;
    const [tail] = await runner.manager.query<Array<{ entry: Buffer; leaf_hash: Buffer }>>(
      'SELECT entry, leaf_hash FROM ledger_entry WHERE idx = $1',
      [last],
    );
    if (tail === undefined)
      throw new Broken({
        kind: 'tail',
        index: last,
        reason: `the ledger state says ${treeSize} entries but entry ${last} is missing`,
      });
    if (!leafHash(tail.entry).equals(tail.leaf_hash))
      throw new Broken({
        kind: 'leaf',
        index: last,
        reason: `entry ${last}: its bytes do not hash to its stored leaf hash`,
      });
  }

  /** Canonical form, stated index, signatures bound to the entry, and the type column. */
  private content(bytes: Buffer, index: number, typeColumn: string): LedgerEntry {
    let entry: LedgerEntry;
    try {
      entry = JSON.parse(bytes.toString('utf8')) as LedgerEntry;
    } catch {
      throw new Broken({ kind: 'content', index, reason: `entry ${index} is not valid JSON` });
    }
    if (!canonicalBytes(entry).equals(bytes))
      throw new Broken({ kind: 'content', index, reason: `entry ${index} is not in canonical (RFC 8785) form` });
    const problem = entryProblem(entry, index);
    if (problem !== undefined) throw new Broken({ kind: 'content', index, reason: problem });
    if (entry.type !== typeColumn) {
      throw new Broken({
        kind: 'content',
        index,
        reason: `entry ${index}: its type column says "${typeColumn}" but the entry's type is "${String(entry.type)}"`,
      });
    }
    return entry;
  }

  private async compareNodes(runner: QueryRunner, nodes: readonly TreeNode[], at: number): Promise<void> {
    if (nodes.length === 0) return;
    const stored = await runner.manager.query<Array<{ level: number; idx: string; hash: Buffer }>>(
      `SELECT n.level, n.idx::text AS idx, n.hash FROM ledger_node n
         JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) USING (level, idx)`,
      [nodes.map((node) => node.level), nodes.map((node) => node.index)],
    );
    const byId = new Map(stored.map((row) => [`${row.level}:${row.idx}`, row.hash]));
    for (const node of nodes) {
      const hash = byId.get(`${node.level}:${node.index}`);
      if (hash === undefined || !hash.equals(node.hash)) {
        throw new Broken({
          kind: 'node',
          index: at,
          reason: `tree node (level ${node.level}, index ${node.index}) is ${hash === undefined ? 'missing' : 'not what the entries below it give'}`,
        });
      }
    }
  }

  /**
   * The rows of the items new entries touched, against their latest entries (as before a custody
   * write). An item that moved on since is left to the next pass.
   */
  private async checkItems(
    runner: QueryRunner,
    touched: ReadonlyMap<string, number>,
  ): Promise<Omit<IntegrityFailure, 'source'> | undefined> {
    if (touched.size === 0) return undefined;
    const rows = await runner.manager.query<Array<ItemCustodyRow & LatestEntryColumns>>(
      `${ITEM_STATE_SQL} WHERE i.id = ANY($1::uuid[])`,
      [[...touched.keys()]],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const [itemId, index] of touched) {
      const row = byId.get(itemId);
      if (row === undefined)
        return { kind: 'item_state', index, reason: `entry ${index} concerns item ${itemId}, which has no row` };
      const latest = latestEntryOf(row);
      if (latest !== null && latest.index > index && Number(row.last_event_idx) > index) continue;
      try {
        const stating = needsStatingEntry(latest, row.latest_type)
          ? statingEntryOf(await runner.manager.query(STATING_ENTRY_SQL, [itemId]))
          : undefined;
        checkItemAgainstLedger(row, latest, stating);
      } catch (error) {
        if (!(error instanceof CustodyStateProblem)) throw error;
        return { kind: 'item_state', index: error.index, reason: error.message };
      }
    }
    return undefined;
  }

  /**
   * Re-checks older entries, `LEDGER_MONITOR_SWEEP_ENTRIES` a pass from where the last pass stopped,
   * wrapping round: each entry's bytes against its leaf hash, and in each complete aligned run of
   * 1,024 the tree nodes inside it. Finds a change to an entry the monitor verified long ago.
   */
  private async sweep(runner: QueryRunner, position: number, verified: number): Promise<void> {
    const budget = this.config.ledgerMonitorSweepEntries;
    if (budget === 0 || verified === 0) return;
    let start = position >= verified ? 0 : position - (position % SWEEP_CHUNK);
    let done = 0;
    while (done < budget) {
      const end = Math.min(start + SWEEP_CHUNK, verified);
      const rows = await runner.manager.query<Array<{ idx: string; entry: Buffer; leaf_hash: Buffer }>>(
        'SELECT e.idx::text AS idx, e.entry, e.leaf_hash FROM ledger_entry e WHERE e.idx >= $1 AND e.idx < $2 ORDER BY e.idx',
        [start, end],
      );
      const chunk = new CompactRange();
      const nodes: TreeNode[] = [];
      let expected = start;
      for (const row of rows) {
        const { leaf } = storedLeaf(row, expected);
        chunk.append(leaf, (node) => nodes.push(node));
        expected++;
      }
      if (expected < end) throw new Broken({ kind: 'gap', index: expected, reason: `entry ${expected} is missing` });
      // Inside an aligned run, node (ℓ, i) of the run is node (ℓ, i + start / 2^ℓ) of the tree.
      if (end - start === SWEEP_CHUNK)
        await this.compareNodes(
          runner,
          nodes.map((node) => ({ ...node, index: node.index + start / 2 ** node.level })),
          end - 1,
        );
      done += end - start;
      start = end >= verified ? 0 : end;
      if (done >= verified) break;
    }
    await runner.manager.query('UPDATE ledger_monitor SET sweep_position = $1 WHERE id = 1', [start]);
  }

  /**
   * A failure stays until a full verification that started after it passes: then the monitor goes on from the
   * size that run verified, with the frontier of the stored nodes it checked.
   */
  private async clearIfVerified(runner: QueryRunner, row: MonitorRow): Promise<MonitorRow> {
    const [run] = await runner.manager.query<Array<{ id: string; tree_size: string; root_hash: Buffer }>>(
      `SELECT id::text AS id, tree_size::text AS tree_size, root_hash FROM ledger_verification
        WHERE outcome = 'ok' AND started_at > $1 ORDER BY id DESC LIMIT 1`,
      [row.failed_at],
    );
    if (run === undefined) return row;
    const size = Number(run.tree_size);
    const frontier = size === 0 ? [] : await this.ledger.nodeHashes(frontierNodeIds(size), runner.manager);
    if (!rootFromFrontier(frontier).equals(run.root_hash)) return row;
    await runner.manager.query(
      `UPDATE ledger_monitor
          SET status = 'ok', structural = false, failed_index = NULL, kind = NULL, summary = NULL, reason = NULL, source = NULL,
              failed_at = NULL, verified_size = $1, verified_frontier = $2, verified_at = now(), sweep_position = 0
        WHERE id = 1`,
      [size, frontier],
    );
    this.logger.log(`the ledger integrity alarm is cleared: full verification run ${run.id} passed at size ${size}`);
    return this.row(runner.manager);
  }
}

function sameHashes(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((hash, i) => hash.equals(b[i]));
}

/** The items a custody entry concerns: its item, or every item of its transfer. */
function itemsOf(entry: LedgerEntry): string[] {
  if (entry.subject.type === 'item') return [entry.subject.id];
  const items = (entry.data as { items?: Array<{ id: string }> }).items;
  return Array.isArray(items) ? items.map((item) => item.id) : [];
}
