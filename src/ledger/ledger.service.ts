import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { RequestContext } from '../common/request-context.js';
import { buildEntry, type LedgerEntry, type LedgerEvent } from './core/entry.js';
import { canonicalBytes } from './core/jcs.js';
import {
  appendLeaf,
  consistencyProofPlan,
  frontierNodeIds,
  assembleProof,
  inclusionProofPlan,
  leafHash,
  ProofError,
  rootFromFrontier,
  type NodeId,
  type TreeNode,
} from './core/merkle.js';
import { LedgerRangeError } from './ledger.errors.js';

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
}

/**
 * The only writer of the ledger tables. `append` runs inside the caller's transaction, opened by
 * `write`, so a custody change and its entry commit or roll back together.
 *
 * Durability without holding the lock through fsync: the appending transaction commits with
 * `synchronous_commit = off`, which releases the ledger lock as soon as the commit is in the WAL
 * buffers, and `write` then waits for a *durability barrier* — a tiny synchronously committed
 * transaction whose commit record follows ours in the WAL, so its flush covers ours. Barriers of
 * concurrent writers share one fsync (PostgreSQL's group commit). Nothing is acknowledged before it
 * is on disk; what other transactions may briefly see before that is lost together with anything
 * built on it, since the WAL is flushed in order. Checkpoints are signed only after a barrier.
 *
 * Serialisation: the single `ledger_state` row is locked FOR UPDATE. Under READ COMMITTED a waiting
 * transaction re-reads the row's newest committed version once the lock is granted, so every
 * append sees the tree the previous one left: indexes are gapless across any number of service
 * processes. (An advisory lock followed by `SELECT max(idx)` in the *same* statement would read a
 * snapshot taken before the wait; REPEATABLE READ fails with a serialisation error instead of
 * silently forking.) The lock is held until the caller commits: append last in a transaction.
 */
interface WriteState {
  ledgerWrite: boolean;
  /** Set while this write holds the process's appending turn; called once it has committed. */
  releaseTurn: (() => void) | undefined;
}

/** A FIFO mutex: `take()` resolves with the function that hands the turn to the next in line. */
class Turns {
  private tail: Promise<void> = Promise.resolve();

  async take(): Promise<() => void> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        release();
      }
    };
  }
}

@Injectable()
export class LedgerService {
  private readonly turns = new Turns();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in a transaction in which it may append, and returns once that transaction is
   * durably committed. Every custody change goes through here.
   */
  async write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const state: WriteState = { ledgerWrite: true, releaseTurn: undefined };
    try {
      const result = await this.dataSource.transaction(async (em) => {
        Object.assign(em.queryRunner!.data as object, { custosLedger: state });
        return work(em);
      });
      // Committed (asynchronously): the next appender of this process may take the tree lock.
      state.releaseTurn?.();
      state.releaseTurn = undefined;
      await this.durabilityBarrier();
      return result;
    } finally {
      state.ledgerWrite = false;
      state.releaseTurn?.();
    }
  }

  /** Returns once everything committed before the call is flushed to disk. */
  async durabilityBarrier(): Promise<void> {
    // txid_current() gives the statement a transaction id, so its commit writes a record and, with
    // synchronous_commit on (the default), waits for the WAL to be flushed up to it.
    await this.dataSource.query('SELECT txid_current()');
  }

  async append(em: EntityManager, ctx: RequestContext, event: LedgerEvent): Promise<AppendedEntry> {
    const [appended] = await this.appendMany(em, ctx, [event]);
    return appended;
  }

  /** Several entries under one lock and one round trip (a seizure of 200 items). */
  async appendMany(em: EntityManager, _ctx: RequestContext, events: readonly LedgerEvent[]): Promise<AppendedEntry[]> {
    if (events.length === 0) return [];
    const write = (em.queryRunner?.data as { custosLedger?: WriteState } | undefined)?.custosLedger;
    if (!em.queryRunner?.isTransactionActive || !write?.ledgerWrite) {
      throw new Error('LedgerService.append must run inside LedgerService.write, in the transaction of the change it records');
    }
    // One appender per process waits on the database's tree lock at a time; the others wait here,
    // where waiting is cheap, instead of as 30 backends woken together at every commit.
    if (write.releaseTurn === undefined) write.releaseTurn = await this.turns.take();
    // Locks the tree and switches this transaction to asynchronous commit (see the class comment).
    const [state] = await em.query<StateRow[]>(
      `SELECT tree_size, frontier, updated_at, set_config('synchronous_commit', 'off', true)
         FROM ledger_state WHERE id = 1 FOR UPDATE`,
    );
    let size = Number(state.tree_size);
    let frontier: Buffer[] = state.frontier;
    // Recording times never go backwards along the index, whatever the clocks of several hosts say.
    const recordedAt = new Date(Math.max(Date.now(), state.updated_at.getTime()));
    const appended: AppendedEntry[] = [];
    const nodes: TreeNode[] = [];
    for (const event of events) {
      const entry = buildEntry(event, size, recordedAt);
      const bytes = canonicalBytes(entry);
      const leaf = leafHash(bytes);
      const next = appendLeaf(frontier, size, leaf);
      nodes.push(...next.completed);
      appended.push({ index: size, leafHash: leaf, entry, bytes });
      frontier = next.frontier;
      size = next.size;
    }
    await em.query(
      `WITH entries AS (
         INSERT INTO ledger_entry (idx, entry, leaf_hash, type, subject_type, subject_id, case_id, recorded_at)
         SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])
       ), nodes AS (
         INSERT INTO ledger_node (level, idx, hash)
         SELECT * FROM unnest($9::smallint[], $10::bigint[], $11::bytea[])
       )
       UPDATE ledger_state SET tree_size = $12, root_hash = $13, frontier = $14, updated_at = $15 WHERE id = 1`,
      [
        appended.map((a) => a.index),
        appended.map((a) => a.bytes),
        appended.map((a) => a.leafHash),
        appended.map((a) => a.entry.type),
        appended.map((a) => a.entry.subject.type),
        appended.map((a) => a.entry.subject.id),
        appended.map((a) => a.entry.case?.id ?? null),
        appended.map(() => recordedAt),
        nodes.map((n) => n.level),
        nodes.map((n) => n.index),
        nodes.map((n) => n.hash),
        size,
        rootFromFrontier(frontier),
        frontier,
        recordedAt,
      ],
    );
    return appended;
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
