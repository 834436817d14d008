import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import type { RequestContext } from '../common/request-context.js';
import { prepared, queryPrepared } from '../database/prepared.js';
import { buildEntry, type LedgerEntry, type LedgerEvent } from './core/entry.js';
import { canonicalBytes } from './core/jcs.js';
import {
  appendLeaf,
  assembleProof,
  consistencyProofPlan,
  frontierNodeIds,
  inclusionProofPlan,
  leafHash,
  ProofError,
  rootFromFrontier,
  type NodeId,
  type TreeNode,
} from './core/merkle.js';
import { LedgerIntegrityError, LedgerRangeError } from './ledger.errors.js';

export interface AppendedEntry {
  readonly index: number;
  readonly leafHash: Buffer;
  readonly entry: LedgerEntry;
  readonly bytes: Buffer;
}

export interface TreeHead {
  readonly treeSize: number;
  readonly rootHash: Buffer;
}

interface StateRow {
  tree_size: string;
  frontier: Buffer[];
  updated_at: Date;
  /** The ledger monitor found the ledger's own structure broken: nothing is appended. */
  refused: boolean | null;
  /** The last entry exists and hashes to its leaf (null: it is missing, or the tree is empty). */
  tail_ok: boolean | null;
}

/** What the ledger's appends tell the monitor (LedgerMonitorService): entries written, a broken tail found. */
export interface LedgerWatcher {
  appended(count: number): void;
  brokenTail(failure: { kind: 'tail' | 'leaf'; index: number; reason: string }): void;
}

/** One caller's unit of work waiting for a group transaction. */
interface PendingWrite {
  work: (em: EntityManager) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Set for a change that can be made together with others of its kind (writeBatched). */
  batch?: { kind: BatchKind<unknown>; plan: unknown; result: (entries: AppendedEntry[]) => unknown };
}

/**
 * A kind of change that the group makes for all its concurrent callers at once instead of running
 * their units of work one after another: each caller plans its change outside the group (reads,
 * checks, the ledger events), and the group checks every plan with one query, appends their
 * entries, and writes their rows with a few statements. A plan whose check fails — what it was
 * planned on changed meanwhile — is not written: its caller's ordinary unit of work runs instead,
 * in the same group, and decides (the same result, or the refusal it now deserves).
 */
export interface BatchKind<P> {
  /** Locks what the plans change and says, for each, whether it still holds. */
  check(em: EntityManager, plans: readonly P[]): Promise<boolean[]>;
  /** The ledger events of one plan, appended in this order. */
  events(plan: P): readonly LedgerEvent[];
  /** The rows of every plan that passed its check, given the entries appended for it. */
  write(em: EntityManager, written: ReadonlyArray<{ plan: P; entries: AppendedEntry[] }>): Promise<void>;
}

/** The tree as this group transaction has it, plus the entries its units appended so far. */
interface GroupState {
  open: boolean;
  size: number;
  frontier: Buffer[];
  recordedAt: Date;
  entries: AppendedEntry[];
  nodes: TreeNode[];
}

/**
 * Locks the tree for a group; the group commits asynchronously (a durability barrier follows). In
 * the same round trip: whether the monitor has found the ledger's structure broken, and whether the
 * last entry is there and hashes to its leaf — so nothing is ever appended after a gap or a forged tail.
 */
const LOCK_STATE = prepared(
  `SELECT s.tree_size, s.frontier, s.updated_at, set_config('synchronous_commit', 'off', true),
          (SELECT m.structural FROM ledger_monitor m WHERE m.id = 1) AS refused,
          (SELECT sha256('\\x00'::bytea || e.entry) = e.leaf_hash FROM ledger_entry e WHERE e.idx = s.tree_size - 1) AS tail_ok
     FROM ledger_state s WHERE s.id = 1 FOR UPDATE OF s`,
);
/** A group's entries, the subtree nodes they completed and the new tree head, in one statement. */
const INSERT_GROUP = prepared(
  `WITH entries AS (
     INSERT INTO ledger_entry (idx, entry, leaf_hash, type, subject_type, subject_id, case_id, recorded_at)
     SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])
   ), nodes AS (
     INSERT INTO ledger_node (level, idx, hash)
     SELECT * FROM unnest($9::smallint[], $10::bigint[], $11::bytea[])
   )
   UPDATE ledger_state SET tree_size = $12, root_hash = $13, frontier = $14, updated_at = $15 WHERE id = 1`,
);
/**
 * The tail again, in a statement of its own: LOCK_STATE's subquery reads the snapshot its statement
 * took before waiting for the lock, so after a wait it cannot see the entry the previous holder
 * committed. Asked only when LOCK_STATE did not see the tail.
 */
const TAIL_OK = prepared(
  `SELECT sha256('\\x00'::bytea || e.entry) = e.leaf_hash AS tail_ok FROM ledger_entry e WHERE e.idx = $1::bigint`,
);
const GROUP_KEY = 'custosLedgerGroup';
/**
 * Callers per group. Each unit that writes runs in a subtransaction (its savepoint), and PostgreSQL
 * keeps at most 64 subtransaction ids per backend in shared memory; beyond that every other
 * session's snapshot must look them up on disk (a known cliff). 60 units, plus the batch's
 * savepoint, stay under it.
 */
const MAX_GROUP = 60;

/**
 * The only writer of the ledger tables. A custody change and its entries commit or roll back
 * together: `write(work)` runs `work` in a transaction, and `append(em, ctx, event)` inside it.
 *
 * Serialisation: the single `ledger_state` row is locked FOR UPDATE. Under READ COMMITTED a
 * transaction that waited for the lock re-reads the row's newest committed version when it gets it,
 * so every transaction sees the tree the previous one left: indexes are gapless across any number of
 * service processes. (An advisory lock followed by a read in the *same* statement would read a
 * snapshot taken before the wait; REPEATABLE READ fails with a serialisation error instead.)
 *
 * Throughput (group commit): a lock held through every commit's fsync would allow a few hundred
 * appends a second. Instead each process runs the units of work of concurrent callers in one
 * transaction — each unit inside its own savepoint, so a unit that fails is rolled back alone and
 * only its caller sees the error — and writes all their entries with one statement before one
 * commit. That transaction commits asynchronously and is followed by a *durability barrier*: a tiny
 * synchronously committed transaction whose commit record follows ours in the WAL, so its flush
 * covers ours. A caller's promise resolves only after that: nothing is acknowledged before it is on
 * disk. Checkpoints are signed only after a barrier too.
 *
 * Rules for units of work: do not call `write` from inside one (it would wait for itself), and do not
 * expect to read back, inside the unit, ledger rows it appended (they are inserted at group end).
 */
@Injectable()
export class LedgerService {
  private readonly queue: PendingWrite[] = [];
  private flushing = false;
  private watcher: LedgerWatcher | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in a transaction in which it may append, and resolves with its result once that
   * transaction is durably committed. Every custody change goes through here.
   */
  write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /**
   * Like `write`, for a change of a batchable kind, planned by the caller outside the group:
   * resolves with `result(entries)` once the planned change is durably committed, or with
   * `fallback`'s result when the plan no longer held and the ordinary unit of work ran instead.
   */
  writeBatched<P, T>(
    kind: BatchKind<P>,
    plan: P,
    result: (entries: AppendedEntry[]) => T,
    fallback: (em: EntityManager) => Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        work: fallback,
        resolve: resolve as (value: unknown) => void,
        reject,
        batch: { kind, plan, result },
      });
      if (!this.flushing) void this.flush();
    });
  }

  /** The ledger monitor hears of every group written and of a broken tail found before appending. */
  watch(watcher: LedgerWatcher): void {
    this.watcher = watcher;
  }

  /** Returns once everything committed before the call is flushed to disk. */
  async durabilityBarrier(): Promise<void> {
    // txid_current() gives the statement a transaction id, so its commit writes a record and, with
    // synchronous_commit on (the default), waits for the WAL to be flushed up to it.
    await this.dataSource.query('SELECT txid_current()');
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) await this.runGroup(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.flushing = false;
    }
  }

  private async runGroup(units: PendingWrite[]): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    const done: Array<{ unit: PendingWrite; result: unknown }> = [];
    const failedAlone = new Set<PendingWrite>();
    let appended: number;
    try {
      await runner.connect();
      await runner.startTransaction();
      // Lock the tree for the group; commit asynchronously (the barrier below makes it durable).
      const [row] = await queryPrepared<StateRow[]>(runner.manager, LOCK_STATE, []);
      await this.refuseOnBrokenLedger(runner.manager, row);
      const group: GroupState = {
        open: true,
        size: Number(row.tree_size),
        frontier: row.frontier,
        // Recording times never go backwards along the index, whatever the hosts' clocks say.
        recordedAt: new Date(Math.max(Date.now(), row.updated_at.getTime())),
        entries: [],
        nodes: [],
      };
      (runner.data as Record<string, unknown>)[GROUP_KEY] = group;
      const snapshot = (): (() => void) => {
        const before = {
          size: group.size,
          frontier: group.frontier,
          entries: group.entries.length,
          nodes: group.nodes.length,
        };
        return () => {
          Object.assign(group, { size: before.size, frontier: before.frontier });
          group.entries.length = before.entries;
          group.nodes.length = before.nodes;
        };
      };
      const runOneByOne = async (serial: readonly PendingWrite[]): Promise<void> => {
        if (serial.length === 0) return;
        // One round trip between two units: the first's savepoint is released and the next's set in
        // one simple-protocol query. After a rollback to it, the savepoint still stands for the next.
        await runner.query('SAVEPOINT ledger_unit');
        for (const [n, unit] of serial.entries()) {
          const last = n === serial.length - 1;
          const restore = snapshot();
          try {
            const result = await unit.work(runner.manager);
            await runner.query(
              last ? 'RELEASE SAVEPOINT ledger_unit' : 'RELEASE SAVEPOINT ledger_unit; SAVEPOINT ledger_unit',
            );
            done.push({ unit, result });
          } catch (error) {
            await runner.query(
              last
                ? 'ROLLBACK TO SAVEPOINT ledger_unit; RELEASE SAVEPOINT ledger_unit'
                : 'ROLLBACK TO SAVEPOINT ledger_unit',
            );
            restore();
            failedAlone.add(unit);
            unit.reject(error);
          }
        }
      };
      await runOneByOne(units.filter((unit) => unit.batch === undefined));
      // Batches after the ordinary units: a plan made before one of them changed its item fails its
      // check here and falls back to its unit of work, which sees that change.
      const kinds = new Map<BatchKind<unknown>, PendingWrite[]>();
      for (const unit of units)
        if (unit.batch) kinds.set(unit.batch.kind, [...(kinds.get(unit.batch.kind) ?? []), unit]);
      const fallbacks: PendingWrite[] = [];
      for (const [kind, members] of kinds) {
        await runner.query('SAVEPOINT ledger_batch');
        const restore = snapshot();
        try {
          const holds = await kind.check(
            runner.manager,
            members.map((unit) => unit.batch!.plan),
          );
          const written: Array<{ unit: PendingWrite; plan: unknown; entries: AppendedEntry[] }> = [];
          for (const [n, unit] of members.entries()) {
            if (!holds[n]) {
              fallbacks.push(unit);
              continue;
            }
            const entries = this.appendEvents(runner.manager, kind.events(unit.batch!.plan));
            written.push({ unit, plan: unit.batch!.plan, entries });
          }
          if (written.length > 0) await kind.write(runner.manager, written);
          await runner.query('RELEASE SAVEPOINT ledger_batch');
          for (const { unit, entries } of written) done.push({ unit, result: unit.batch!.result(entries) });
        } catch {
          // One plan's rows broke a rule: write none of them together; each caller's unit of work
          // runs alone and fails, or not, on its own.
          await runner.query('ROLLBACK TO SAVEPOINT ledger_batch; RELEASE SAVEPOINT ledger_batch');
          restore();
          fallbacks.push(...members.filter((unit) => !fallbacks.includes(unit)));
        }
      }
      await runOneByOne(fallbacks);
      group.open = false;
      if (group.entries.length > 0) await this.insertGroup(runner.manager, group);
      await runner.commitTransaction();
      appended = group.entries.length;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      // Units that failed on their own were told so already; the others fail with the group.
      for (const unit of units) if (!failedAlone.has(unit)) unit.reject(error);
      return;
    } finally {
      // A connection left inside a transaction is not reused (ConnectionGuards).
      await runner.release();
    }
    try {
      await this.durabilityBarrier();
    } catch (error) {
      for (const { unit } of done) unit.reject(error);
      return;
    }
    for (const { unit, result } of done) unit.resolve(result);
    if (appended > 0) this.watcher?.appended(appended);
  }

  /**
   * Custody writes stop while the ledger's own structure is broken (a gap, a missing tail, a leaf
   * that does not hash): appending to it would bury the break under entries and checkpoints.
   */
  private async refuseOnBrokenLedger(em: EntityManager, row: StateRow): Promise<void> {
    const size = Number(row.tree_size);
    const last = size - 1;
    const tailOk =
      size === 0 || row.tail_ok === true
        ? true
        : ((await queryPrepared<Array<{ tail_ok: boolean }>>(em, TAIL_OK, [last]))[0]?.tail_ok ?? null);
    if (tailOk !== true) {
      this.watcher?.brokenTail(
        tailOk === null
          ? { kind: 'tail', index: last, reason: `the ledger state says ${size} entries but entry ${last} is missing` }
          : { kind: 'leaf', index: last, reason: `entry ${last}: its bytes do not hash to its stored leaf hash` },
      );
      throw new LedgerIntegrityError(
        'The ledger failed an integrity check: nothing was recorded. Operators have been alerted.',
      );
    }
    if (row.refused === true) {
      throw new LedgerIntegrityError(
        'The ledger failed an integrity check: custody changes are refused until it is repaired and verified. Nothing was recorded.',
      );
    }
  }

  private async insertGroup(em: EntityManager, group: GroupState): Promise<void> {
    const { entries, nodes } = group;
    await queryPrepared(em, INSERT_GROUP, [
      entries.map((a) => a.index),
      entries.map((a) => a.bytes),
      entries.map((a) => a.leafHash),
      entries.map((a) => a.entry.type),
      entries.map((a) => a.entry.subject.type),
      entries.map((a) => a.entry.subject.id),
      entries.map((a) => a.entry.case?.id ?? null),
      entries.map(() => group.recordedAt),
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => n.hash),
      group.size,
      rootFromFrontier(group.frontier),
      group.frontier,
      group.recordedAt,
    ]);
  }

  async append(em: EntityManager, ctx: RequestContext, event: LedgerEvent): Promise<AppendedEntry> {
    const [appended] = await this.appendMany(em, ctx, [event]);
    return appended;
  }

  /** Several entries at once (a seizure of 200 items), all or nothing with the unit of work. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async so misuse rejects like a database error would
  async appendMany(em: EntityManager, _ctx: RequestContext, events: readonly LedgerEvent[]): Promise<AppendedEntry[]> {
    return this.appendEvents(em, events);
  }

  private appendEvents(em: EntityManager, events: readonly LedgerEvent[]): AppendedEntry[] {
    const data: Record<string, unknown> | undefined = em.queryRunner?.data;
    const group = data?.[GROUP_KEY] as GroupState | undefined;
    if (!group?.open || !em.queryRunner?.isTransactionActive) {
      throw new Error(
        'LedgerService.append must run inside LedgerService.write, in the transaction of the change it records',
      );
    }
    const appended: AppendedEntry[] = [];
    for (const event of events) {
      const entry = buildEntry(event, group.size, group.recordedAt);
      const bytes = canonicalBytes(entry);
      const leaf = leafHash(bytes);
      const next = appendLeaf(group.frontier, group.size, leaf);
      group.nodes.push(...next.completed);
      appended.push({ index: group.size, leafHash: leaf, entry, bytes });
      group.frontier = next.frontier;
      group.size = next.size;
    }
    group.entries.push(...appended);
    return appended;
  }

  /**
   * An entry the group of `em`'s unit appended but has not inserted yet (units see their group's
   * ledger rows only at commit): for checks that read an entry another unit of the group just wrote.
   */
  appendedInGroup(em: { queryRunner?: EntityManager['queryRunner'] }, index: number): AppendedEntry | undefined {
    const data: Record<string, unknown> | undefined = em.queryRunner?.data;
    const group = data?.[GROUP_KEY] as GroupState | undefined;
    if (group === undefined || group.entries.length === 0) return undefined;
    const entry = group.entries[index - group.entries[0].index];
    return entry?.index === index ? entry : undefined;
  }

  async treeHead(em: EntityManager = this.dataSource.manager): Promise<TreeHead> {
    const [row] = await em.query<Array<{ tree_size: string; root_hash: Buffer }>>(
      'SELECT tree_size, root_hash FROM ledger_state WHERE id = 1',
    );
    return { treeSize: Number(row.tree_size), rootHash: row.root_hash };
  }

  async entries(from: number, to: number): Promise<Array<{ index: number; leafHash: Buffer; bytes: Buffer }>> {
    const rows = await this.dataSource.query<Array<{ idx: string; entry: Buffer; leaf_hash: Buffer }>>(
      'SELECT idx, entry, leaf_hash FROM ledger_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [from, to],
    );
    return rows.map((row) => ({ index: Number(row.idx), leafHash: row.leaf_hash, bytes: row.entry }));
  }

  /** Hashes of complete perfect subtrees, in the order asked, in one round trip. */
  async nodeHashes(ids: readonly NodeId[], em: EntityManager = this.dataSource.manager): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const rows = await em.query<Array<{ level: number; idx: string; hash: Buffer }>>(
      `SELECT n.level, n.idx, n.hash FROM ledger_node n
         JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) USING (level, idx)
       UNION ALL
       SELECT 0, e.idx, e.leaf_hash FROM ledger_entry e WHERE e.idx = ANY($3::bigint[])`,
      [
        ids.filter((id) => id.level > 0).map((id) => id.level),
        ids.filter((id) => id.level > 0).map((id) => id.index),
        ids.filter((id) => id.level === 0).map((id) => id.index),
      ],
    );
    const byId = new Map(rows.map((row) => [`${row.level}:${row.idx}`, row.hash]));
    return ids.map(({ level, index }) => {
      const hash = byId.get(`${level}:${index}`);
      if (!hash) throw new Error(`ledger node (level ${level}, index ${index}) is missing`);
      return hash;
    });
  }

  async inclusionProof(index: number, treeSize: number): Promise<Buffer[]> {
    await this.requireTreeSize(treeSize);
    const plan = this.plan(() => inclusionProofPlan(index, treeSize));
    return assembleProof(plan, await this.nodeHashes(plan.nodes));
  }

  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    await this.requireTreeSize(to);
    const plan = this.plan(() => consistencyProofPlan(from, to));
    return assembleProof(plan, await this.nodeHashes(plan.nodes));
  }

  /** Root of the tree as it was at `treeSize` (any size up to the current one). */
  async rootAt(treeSize: number): Promise<Buffer> {
    await this.requireTreeSize(treeSize);
    // The root of a past tree folds the perfect subtrees of its size, all of them stored.
    return rootFromFrontier(await this.nodeHashes(frontierNodeIds(treeSize)));
  }

  private plan<T>(make: () => T): T {
    try {
      return make();
    } catch (error) {
      if (error instanceof ProofError) throw new LedgerRangeError(error.message);
      throw error;
    }
  }

  private async requireTreeSize(treeSize: number): Promise<void> {
    const head = await this.treeHead();
    if (treeSize > head.treeSize) {
      throw new LedgerRangeError(`tree size ${treeSize} is beyond the ledger's current size ${head.treeSize}`);
    }
  }
}
