import { createHash } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import type { ReadRecord } from '../access-log/access-log-events.js';
import { AccessLogService } from '../access-log/access-log.service.js';
import { CaseAccessService } from '../cases/case-access.service.js';
import type { RequestContext } from '../common/request-context.js';
import { CustodyRecords } from '../custody/custody-records.service.js';
import { CheckpointService, type StoredCheckpoint } from '../ledger/checkpoint.service.js';
import {
  assembleProof,
  BUNDLE_FORMAT,
  bundleBytes,
  BundleError,
  inclusionProofPlan,
  proveBundle,
  type BundleConsistency,
  type BundleSubject,
  type BundleTimestamp,
  type CustodyBundle,
  type NodeId,
} from '../ledger/core/index.js';
import { LedgerIntegrityError, LedgerRangeError } from '../ledger/ledger.errors.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { LedgerTimestampingService } from '../ledger/timestamp/ledger-timestamping.service.js';
import { LedgerWitnessingService } from '../ledger/witnessing/ledger-witnessing.service.js';

export interface BuiltBundle {
  readonly bundle: CustodyBundle;
  /** The bundle's canonical bytes (RFC 8785, UTF-8): exactly what is served. */
  readonly bytes: Buffer;
  /** Lower-case hex SHA-256 of `bytes`: the bundle's identity (printed on court reports). */
  readonly sha256: string;
}

export interface BundleOptions {
  /** Tree size of an earlier checkpoint the recipient holds: the bundle then proves consistency with it. */
  readonly since?: number;
  /** The read the access log records: `bundle` (default), or `report` for a report built on the bundle. */
  readonly record?: ReadRecord;
}

/** Where a subject's entries are: the newest index, and those below a tree size, in ledger order. */
interface EntrySource {
  lastIndex(): Promise<number | null>;
  rows(treeSize: number): Promise<Array<{ idx: string; entry: Buffer }>>;
}

/** Node lookups per query: keeps the parameter arrays of one statement moderate. */
const NODE_BATCH = 20_000;
const nodeKey = (node: NodeId): string => `${node.level}:${node.index}`;

/**
 * Custody bundles (docs/bundle-format.md, ADR 0040): every ledger entry of an item or a case, each
 * with its inclusion proof to a signed checkpoint that covers them all, a signed statement that
 * they are all, and on request the consistency proof from a checkpoint the recipient already holds.
 * Reports reuse `itemBundle` / `caseBundle` and print the bundle's SHA-256.
 */
@Injectable()
export class BundlesService {
  private readonly logger = new Logger(BundlesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
    private readonly caseAccess: CaseAccessService,
    private readonly ledger: LedgerService,
    private readonly checkpoints: CheckpointService,
    private readonly accessLog: AccessLogService,
    private readonly witnessing: LedgerWitnessingService,
    private readonly timestamping: LedgerTimestampingService,
  ) {}

  /** The bundle of an item: the entries indexed under it (registration, transfers, hashes, moves, disposal, corrections). */
  async itemBundle(ctx: RequestContext, itemId: string, options: BundleOptions = {}): Promise<BuiltBundle> {
    const { item, kase } = await this.records.requireItem(this.dataSource, ctx, itemId, 'read');
    const built = await this.build({ type: 'item', id: item.id, number: item.item_number }, options.since, {
      lastIndex: async () => {
        const [row] = await this.dataSource.query<Array<{ idx: string | null }>>(
          'SELECT max(ledger_idx) AS idx FROM item_event WHERE item_id = $1',
          [item.id],
        );
        return row.idx === null ? null : Number(row.idx);
      },
      rows: (treeSize) =>
        this.dataSource.query(
          `SELECT le.idx, le.entry FROM item_event ie JOIN ledger_entry le ON le.idx = ie.ledger_idx
            WHERE ie.item_id = $1 AND ie.ledger_idx < $2 ORDER BY ie.ledger_idx`,
          [item.id, treeSize],
        ),
    });
    await this.accessLog.logRead(ctx, options.record ?? 'bundle', {
      type: 'item',
      id: item.id,
      label: item.item_number,
      caseId: kase.id,
      caseAgencyId: kase.agency_id,
    });
    return built;
  }

  /** The bundle of a case: every ledger entry of the case (opened, shared, and all custody of its items). */
  async caseBundle(ctx: RequestContext, caseId: string, options: BundleOptions = {}): Promise<BuiltBundle> {
    const kase = await this.caseAccess.requireCase(this.dataSource, ctx, caseId, 'read');
    const built = await this.build({ type: 'case', id: kase.id, number: kase.case_number }, options.since, {
      lastIndex: async () => {
        const [row] = await this.dataSource.query<Array<{ idx: string | null }>>(
          'SELECT max(idx) AS idx FROM ledger_entry WHERE case_id = $1',
          [kase.id],
        );
        return row.idx === null ? null : Number(row.idx);
      },
      rows: (treeSize) =>
        this.dataSource.query('SELECT idx, entry FROM ledger_entry WHERE case_id = $1 AND idx < $2 ORDER BY idx', [
          kase.id,
          treeSize,
        ]),
    });
    await this.accessLog.logRead(ctx, options.record ?? 'bundle', {
      type: 'case',
      id: kase.id,
      label: kase.case_number,
      caseId: kase.id,
      caseAgencyId: kase.agency_id,
    });
    return built;
  }

  private async build(subject: BundleSubject, since: number | undefined, source: EntrySource): Promise<BuiltBundle> {
    const checkpoint = await this.coveringCheckpoint(await source.lastIndex());
    // Read after choosing the checkpoint, below its size: exactly the subject's entries in that tree.
    const rows = await source.rows(checkpoint.treeSize);
    const indexes = rows.map((row) => Number(row.idx));
    const proofs = await this.inclusionProofs(indexes, checkpoint.treeSize);
    const { vkey } = this.checkpoints.publicKey();
    const consistency = since === undefined ? undefined : await this.consistency(since, checkpoint);
    const timestamps = await this.timestamps(checkpoint, since);
    const bundle: CustodyBundle = {
      format: BUNDLE_FORMAT,
      origin: checkpoint.origin,
      vkey,
      subject,
      checkpoint: checkpoint.note,
      statement: this.checkpoints.signBundleStatement({
        origin: checkpoint.origin,
        treeSize: checkpoint.treeSize,
        rootHash: checkpoint.rootHash,
        subject,
        indexes,
      }),
      entries: rows.map((row, n) => ({
        index: indexes[n],
        entry: row.entry.toString('utf8'),
        inclusionProof: proofs[n].map((hash) => hash.toString('base64')),
      })),
      ...(consistency === undefined ? {} : { consistency }),
      ...(timestamps.length === 0 ? {} : { timestamps }),
    };
    this.selfCheck(bundle, vkey);
    const bytes = bundleBytes(bundle);
    return { bundle, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /**
   * The latest signed checkpoint if it covers the entry at `lastIndex`, else a new one: a bundle
   * must never be unverifiable because the periodic checkpoint lags behind the latest entries.
   */
  private async coveringCheckpoint(lastIndex: number | null): Promise<StoredCheckpoint> {
    // With witnesses (docs/witness.md §5) the bundle carries the published checkpoint and its
    // cosignatures, after a witnessing round if the published one does not cover the entries yet.
    if (this.witnessing.enabled) {
      const covers = (size: number | undefined): boolean =>
        size !== undefined && (lastIndex === null || size > lastIndex);
      let published = await this.witnessing.published();
      if (!covers(published?.treeSize)) {
        await this.witnessing.witnessNow();
        published = await this.witnessing.published();
      }
      if (published && covers(published.treeSize)) return published;
    }
    const latest = await this.checkpoints.latest();
    if (lastIndex === null || latest.treeSize > lastIndex) return latest;
    return this.checkpoints.checkpointNow();
  }

  /**
   * The RFC 3161 tokens of the bundle's checkpoints (ADR 0027): its own (asked for now if the TSA
   * has not stamped it yet; a failing TSA leaves it out), and the earlier one's when stored.
   */
  private async timestamps(checkpoint: StoredCheckpoint, since: number | undefined): Promise<BundleTimestamp[]> {
    const found = [await this.timestamping.ensure(checkpoint.treeSize, checkpoint.note)];
    if (since !== undefined && since !== checkpoint.treeSize) found.push(await this.timestamping.forSize(since));
    return found
      .filter((stamp) => stamp !== undefined)
      .map((stamp) => ({ treeSize: stamp.treeSize, token: stamp.token.toString('base64') }));
  }

  /** Inclusion proofs of many entries with one batched fetch of the nodes they share. */
  private async inclusionProofs(indexes: readonly number[], treeSize: number): Promise<Buffer[][]> {
    const plans = indexes.map((index) => inclusionProofPlan(index, treeSize));
    const wanted = new Map<string, NodeId>();
    for (const plan of plans) for (const node of plan.nodes) wanted.set(nodeKey(node), node);
    const ids = [...wanted.values()];
    const hashes = new Map<string, Buffer>();
    for (let at = 0; at < ids.length; at += NODE_BATCH) {
      const batch = ids.slice(at, at + NODE_BATCH);
      const found = await this.ledger.nodeHashes(batch);
      batch.forEach((node, k) => hashes.set(nodeKey(node), found[k]));
    }
    return plans.map((plan) =>
      assembleProof(
        plan,
        plan.nodes.map((node) => hashes.get(nodeKey(node))!),
      ),
    );
  }

  /** The earlier checkpoint (it must be one the ledger signed) and the proof that the bundle's tree extends it. */
  private async consistency(since: number, checkpoint: StoredCheckpoint): Promise<BundleConsistency> {
    if (since > checkpoint.treeSize) {
      throw new LedgerRangeError(`since=${since} is beyond the bundle's checkpoint (tree size ${checkpoint.treeSize})`);
    }
    const earlier = await this.checkpoints.atSize(since);
    const proof = await this.ledger.consistencyProof(since, checkpoint.treeSize);
    return { checkpoint: earlier.note, proof: proof.map((hash) => hash.toString('base64')) };
  }

  /**
   * Serves nothing that does not verify: a stored node or entry altered behind the service's back
   * would otherwise reach a court as a proof that fails there.
   */
  private selfCheck(bundle: CustodyBundle, vkey: string): void {
    try {
      proveBundle(bundle, { trustedKey: vkey });
    } catch (error) {
      if (!(error instanceof BundleError)) throw error;
      this.logger.fatal(
        `LEDGER INTEGRITY FAILURE: the bundle of ${bundle.subject.type} ${bundle.subject.number} does not verify: ${error.message}. Run \`custos ledger verify\`.`,
      );
      throw new LedgerIntegrityError(
        'The ledger failed an integrity check; no bundle was served. Operators have been alerted.',
      );
    }
  }
}
