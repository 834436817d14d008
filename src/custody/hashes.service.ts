import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import type { AccessibleCase } from '../cases/case-access.service.js';
import type { RequestContext } from '../common/request-context.js';
import type { HashRecordView } from '../contracts/custody.js';
import { prepared, queryPrepared } from '../database/prepared.js';
import type { Signer } from '../identity/signing/signature.js';
import type { Queryable } from '../identity/users/user-records.js';
import type { LedgerEvent } from '../ledger/core/entry.js';
import type { BatchKind } from '../ledger/ledger.service.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type ComparedHashValue,
  type HashRecordedData,
  type HashRecordSource,
  type HashResult,
} from './custody-events.js';
import { CustodyRecords, type EventTime } from './custody-records.service.js';
import type { ReferenceRow } from './custody-state-check.js';
import { CustodyConflictError, CustodyForbiddenError, CustodyInvalidError } from './custody.errors.js';
import type { HashValueDto, RecordHashesDto } from './dto/hashes.dto.js';
import type { SignatureDto } from './dto/signature.dto.js';
import { isStrongHashAlgorithm, normaliseHashValue } from './evidence-fields.js';
import { formatOffsetDateTime, itemView, type ItemRow, type ItemView } from './item-records.js';

export type { HashRecordView };

interface HashRow {
  id: string;
  item_id: string;
  target: string;
  algorithm: string;
  value: string;
  role: 'reference' | 'verification';
  result: HashResult | null;
  reference_id: string | null;
  tool: string | null;
  tool_version: string | null;
  occurred_at: Date;
  occurred_offset: number;
  recorded_at: Date;
  username: string;
  display_name: string;
  agency: string | null;
  ledger_idx: string;
  transfer_id: string | null;
  weak: boolean;
}

const HASH_SELECT = `
  SELECT h.id, h.item_id, h.target, h.algorithm, h.value, h.role, h.result, h.reference_id, h.tool, h.tool_version, h.occurred_at,
         h.occurred_offset, h.recorded_at, u.username, u.display_name, a.code AS agency, h.ledger_idx, h.transfer_id,
         (h.role = 'reference' AND NOT EXISTS (SELECT 1 FROM hash_record s WHERE s.item_id = h.item_id AND s.target = h.target
                                               AND s.role = 'reference' AND s.algorithm IN ('sha256', 'sha512'))) AS weak
    FROM hash_record h
    JOIN user_account u ON u.id = h.recorded_by
    LEFT JOIN agency a ON a.id = u.agency_id`;

// With the entry each was recorded in: a verification is compared with references checked against it.
const REFERENCES_OF_ITEM = prepared(
  `SELECT h.id, h.item_id, h.target, h.algorithm, h.value, h.ledger_idx, le.entry, le.leaf_hash
     FROM hash_record h LEFT JOIN ledger_entry le ON le.idx = h.ledger_idx
    WHERE h.item_id = $1::uuid AND h.role = 'reference'`,
);
const REFERENCES = prepared(
  `SELECT h.id, h.item_id, h.target, h.algorithm, h.value, h.ledger_idx, le.entry, le.leaf_hash
     FROM hash_record h LEFT JOIN ledger_entry le ON le.idx = h.ledger_idx
    WHERE h.item_id = ANY($1::uuid[]) AND h.role = 'reference'`,
);
const INSERT_HASHES = prepared(
  `INSERT INTO hash_record (item_id, target, algorithm, value, role, result, reference_id, tool, tool_version, occurred_at, occurred_offset,
                            recorded_by, ledger_idx, transfer_id)
   SELECT * FROM jsonb_to_recordset($1::jsonb) AS h(item_id uuid, target text, algorithm text, value text, role text, result text,
          reference_id uuid, tool text, tool_version text, occurred_at timestamptz, occurred_offset smallint, recorded_by uuid,
          ledger_idx bigint, transfer_id uuid)`,
);
const HASHES_OF_ITEM = prepared(`${HASH_SELECT} WHERE h.item_id = $1 ORDER BY h.ledger_idx, h.target, h.algorithm`);
const HASHES_OF_ENTRY = prepared(
  `${HASH_SELECT} WHERE h.item_id = $1 AND h.ledger_idx = $2 ORDER BY h.ledger_idx, h.target, h.algorithm`,
);

function hashView(row: HashRow): HashRecordView {
  return {
    id: row.id,
    target: row.target,
    algorithm: row.algorithm,
    value: row.value,
    role: row.role,
    result: row.result,
    weak: row.weak,
    referenceId: row.reference_id,
    tool: row.tool,
    toolVersion: row.tool_version,
    occurredAt: formatOffsetDateTime(row.occurred_at, row.occurred_offset),
    recordedAt: row.recorded_at.toISOString(),
    recordedBy: { username: row.username, displayName: row.display_name, agency: row.agency },
    ledgerIndex: Number(row.ledger_idx),
    transferId: row.transfer_id,
  };
}

export interface ReferenceHash {
  readonly id: string;
  readonly itemId: string;
  readonly target: string;
  readonly algorithm: string;
  readonly value: string;
  readonly ledgerIndex: number;
}

export interface ComparedHash extends ComparedHashValue {
  readonly referenceId: string | null;
}

/** Who may record the first hashes of a target, its reference (signed `acquired`). */
const REFERENCE_ROLES: readonly string[] = ['examiner', 'officer'];

/** What HashesService.recordValues records: values already normalised, the time already checked. */
export interface HashRecordInput {
  readonly target: string;
  readonly values: ReadonlyArray<{ algorithm: string; value: string }>;
  readonly tool: string | null;
  readonly toolVersion: string | null;
  readonly occurred: EventTime;
  readonly signature: SignatureDto | undefined;
  readonly source?: HashRecordSource;
  readonly check?: (item: ItemRow, kase: AccessibleCase) => void;
}

/** Normalised values, one per algorithm (of each target, when they name one); `field` locates a refusal. */
export function normaliseHashes(
  values: ReadonlyArray<HashValueDto & { target?: string }>,
  field: string,
): Array<{ algorithm: string; value: string }> {
  const seen = new Set<string>();
  return values.map((hash, n) => {
    const value = normaliseHashValue(hash.algorithm, hash.value);
    if (value === undefined)
      throw new CustodyInvalidError(
        'hash_value_invalid',
        `Not a ${hash.algorithm} value (wrong length)`,
        `${field}[${n}].value`,
      );
    const key = `${hash.target ?? ''}/${hash.algorithm}`;
    if (seen.has(key)) {
      throw new CustodyInvalidError(
        'validation_failed',
        `${hash.algorithm} is given twice${hash.target === undefined ? '' : ` for ${hash.target}`}`,
        `${field}[${n}].algorithm`,
      );
    }
    seen.add(key);
    return { algorithm: hash.algorithm, value };
  });
}

/** A verification against the target's reference, algorithm by algorithm (docs/design.md §2). */
export function compareWithReference(
  values: ReadonlyArray<{ algorithm: string; value: string }>,
  references: readonly ReferenceHash[],
): ComparedHash[] {
  return values.map(({ algorithm, value }) => {
    const reference = references.find((ref) => ref.algorithm === algorithm);
    if (reference === undefined) return { algorithm, value, result: 'not_compared', referenceId: null };
    return {
      algorithm,
      value,
      result: reference.value === value ? 'match' : 'mismatch',
      referenceIndex: reference.ledgerIndex,
      referenceId: reference.id,
    };
  });
}

/**
 * The reference hashes of the given items (all targets). `check` sees them with the ledger entry
 * each was recorded in (CustodyRecords.checkReferences) before anything is compared with them.
 */
export async function referencesOf(
  db: Queryable,
  itemIds: readonly string[],
  check: (rows: ReadonlyArray<ReferenceRow>) => void,
): Promise<ReferenceHash[]> {
  const rows = await queryPrepared<Array<ReferenceRow & { id: string }>>(
    db,
    itemIds.length === 1 ? REFERENCES_OF_ITEM : REFERENCES,
    [itemIds.length === 1 ? itemIds[0] : itemIds],
  );
  check(rows);
  return rows.map((row) => ({
    id: row.id,
    itemId: row.item_id,
    target: row.target,
    algorithm: row.algorithm,
    value: row.value,
    ledgerIndex: Number(row.ledger_idx),
  }));
}

/** Rows for `hash_record`; verifications carry their result and reference. */
export interface HashRecordRow {
  itemId: string;
  target: string;
  role: 'reference' | 'verification';
  hash: { algorithm: string; value: string; result?: HashResult; referenceId?: string | null };
  tool: string | null;
  toolVersion: string | null;
  occurredAt: Date;
  occurredOffset: number;
  recordedBy: string;
  ledgerIndex: number;
  transferId: string | null;
}

export async function insertHashRecords(em: EntityManager, rows: readonly HashRecordRow[]): Promise<void> {
  if (rows.length === 0) return;
  await queryPrepared(em, INSERT_HASHES, [
    JSON.stringify(
      rows.map((row) => ({
        item_id: row.itemId,
        target: row.target,
        algorithm: row.hash.algorithm,
        value: row.hash.value,
        role: row.role,
        result: row.role === 'reference' ? null : (row.hash.result ?? null),
        reference_id: row.hash.referenceId ?? null,
        tool: row.tool,
        tool_version: row.toolVersion,
        occurred_at: row.occurredAt.toISOString(),
        occurred_offset: row.occurredOffset,
        recorded_by: row.recordedBy,
        ledger_idx: row.ledgerIndex,
        transfer_id: row.transferId,
      })),
    ),
  ]);
}

/** One recording of hash values, decided: its (unsigned) ledger event and its rows once the entry's index is known. */
interface HashChange {
  readonly event: LedgerEvent;
  readonly mismatch: boolean;
  readonly rows: (ledgerIndex: number) => HashRecordRow[];
}

/** An unsigned verification planned outside the ledger's group on the item as it was at `version`. */
interface VerificationPlan {
  readonly itemId: string;
  /** The item's `last_event_idx` when planned. */
  readonly version: string;
  /** Its custodian and state then, which agreed with the ledger: a row changed behind it does not hold. */
  readonly custodianId: string;
  readonly state: string;
  readonly change: HashChange;
}

/**
 * The items of a batch, locked in id order (as every unit of work locks them), with their versions
 * and the custody the plans were made (and checked against the ledger) on.
 */
const LOCK_ITEM_VERSIONS = prepared(
  `SELECT id, last_event_idx::text AS version, custodian_id::text AS custodian_id, state
     FROM item WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
);
const MARK_COMPROMISED = prepared(`UPDATE item SET integrity = 'compromised' WHERE id = ANY($1::uuid[])`);

/**
 * Hash records (docs/design.md §2): the first record of a target is its reference, signed `acquired`;
 * every later one is a verification compared algorithm by algorithm, optionally signed `verified`.
 * A mismatch marks the item compromised, for good.
 */
@Injectable()
export class HashesService {
  /**
   * Unsigned verifications made together (LedgerService.writeBatched). A plan holds while its item
   * is at the version it was planned on: every change to an item row — custodian, state, location,
   * integrity, a correction, a new reference — is made with a ledger entry linked to the item, which
   * moves `last_event_idx` (CustodyRecords.link). Then the custodian, the state, the references and
   * the checks of `change` are what the plan saw. Verifications do not change what another
   * verification depends on, so several of one item in one batch are all valid.
   */
  private readonly verifications: BatchKind<VerificationPlan> = {
    check: async (em, plans) => {
      const rows = await queryPrepared<Array<{ id: string; version: string; custodian_id: string; state: string }>>(
        em,
        LOCK_ITEM_VERSIONS,
        [[...new Set(plans.map((plan) => plan.itemId))]],
      );
      const now = new Map(rows.map((row) => [row.id, row]));
      return plans.map((plan) => {
        const row = now.get(plan.itemId);
        return (
          row !== undefined &&
          row.version === plan.version &&
          row.custodian_id === plan.custodianId &&
          row.state === plan.state
        );
      });
    },
    events: (plan) => [plan.change.event],
    write: async (em, written) => {
      await insertHashRecords(
        em,
        written.flatMap(({ plan, entries }) => plan.change.rows(entries[0].index)),
      );
      const compromised = [
        ...new Set(written.filter(({ plan }) => plan.change.mismatch).map(({ plan }) => plan.itemId)),
      ];
      if (compromised.length > 0) await queryPrepared(em, MARK_COMPROMISED, [compromised]);
      await this.records.link(
        em,
        written.map(({ plan, entries }) => ({ itemId: plan.itemId, index: entries[0].index, type: T.hashRecorded })),
      );
    },
  };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
  ) {}

  async record(
    ctx: RequestContext,
    itemId: string,
    input: RecordHashesDto,
  ): Promise<{ item: ItemView; records: HashRecordView[] }> {
    const values = normaliseHashes(input.hashes, 'hashes');
    // The ledger names the tool as {name, version}: a version alone would be stored but never vouched for.
    if (input.toolVersion !== undefined && input.tool === undefined)
      throw new CustodyInvalidError(
        'tool_version_without_tool',
        'toolVersion needs the tool it is a version of',
        'tool',
      );
    const occurred = this.records.eventTime(input.occurredAt, 'occurredAt');
    return this.recordValues(ctx, itemId, {
      target: input.target,
      values,
      tool: input.tool ?? null,
      toolVersion: input.toolVersion ?? null,
      occurred,
      signature: input.signature,
    });
  }

  /**
   * The one path that records hash values (typed in, or imported from a tool's log): reference or
   * verification, signature, ledger entry, rows and integrity. `source` is added to the entry's
   * data; `check` runs in the unit of work on the locked item (an import re-checks its warnings).
   */
  async recordValues(
    ctx: RequestContext,
    itemId: string,
    input: HashRecordInput,
  ): Promise<{ item: ItemView; records: HashRecordView[] }> {
    // Whether this is the reference decides the signature, and the password is checked before the
    // unit of work; the unit checks again (a concurrent reference makes this one a conflict).
    // Checked against the ledger already: an unsigned verification is planned on this row (below).
    const { item: before, kase: caseBefore } = await this.records.requireItem(
      this.dataSource,
      ctx,
      itemId,
      'contribute',
      { verify: true },
    );
    const check = (rows: readonly ReferenceRow[]): void => this.records.checkReferences(ctx, rows);
    const referencesBefore = (await referencesOf(this.dataSource, [before.id], check)).filter(
      (ref) => ref.target === input.target,
    );
    const isReference = referencesBefore.length === 0;
    // The reference is the acquisition, forensic work of examiners and first-responding officers
    // (ISO/IEC 27037); a verification is what every custodian may do, as on receipt of a transfer.
    if (isReference && !ctx.actor!.roles.some((role) => REFERENCE_ROLES.includes(role))) {
      throw new CustodyForbiddenError(
        'reference_not_allowed',
        `${input.target} has no reference yet: its acquisition hashes are recorded by an examiner or an officer`,
      );
    }
    let signer: Signer | undefined;
    if (isReference) signer = await this.records.authenticate(ctx, input.signature, 'acquired');
    else if (input.signature !== undefined) signer = await this.records.authenticate(ctx, input.signature, 'verified');

    // The ordinary unit of work: everything checked again on the locked item.
    const unit = async (em: EntityManager): Promise<{ itemId: string; index: number }> => {
      const { item, kase } = await this.records.requireItem(em, ctx, itemId, 'contribute', { lock: true });
      const references = (
        await referencesOf(em, [item.id], (rows) => this.records.checkReferences(ctx, rows, em))
      ).filter((ref) => ref.target === input.target);
      if (isReference !== (references.length === 0)) {
        throw new CustodyConflictError(
          'hash_reference_recorded',
          `A reference for ${input.target} was recorded meanwhile; send the values again as a verification`,
        );
      }
      const change = this.change(ctx, item, kase, input, references);
      let event = change.event;
      if (signer !== undefined) event = await this.records.signEvent(em, event, [{ signer, ctx }]);
      const [entry] = await this.records.append(em, ctx, [event]);
      await insertHashRecords(em, change.rows(entry.index));
      if (change.mismatch) await em.query(`UPDATE item SET integrity = 'compromised' WHERE id = $1`, [item.id]);
      await this.records.link(em, [{ itemId: item.id, index: entry.index, type: T.hashRecorded }]);
      return { itemId: item.id, index: entry.index };
    };

    let recorded: { itemId: string; index: number };
    if (isReference || signer !== undefined) {
      recorded = await this.records.ledger.write(unit);
    } else {
      // An unsigned verification — the most frequent write — is planned on what was just read and
      // written together with the others of its group (LedgerService.writeBatched); if the item
      // changed meanwhile, the unit of work above runs instead.
      const change = this.change(ctx, before, caseBefore, input, referencesBefore);
      recorded = await this.records.ledger.writeBatched(
        this.verifications,
        {
          itemId: before.id,
          version: before.last_event_idx,
          custodianId: before.custodian_id,
          state: before.state,
          change,
        },
        (entries) => ({ itemId: before.id, index: entries[0].index }),
        unit,
      );
    }
    // Read back after the commit, outside the ledger's serial group (LedgerService): the item as it
    // is now, and the rows of this entry. Both queries run at once.
    const [item, records] = await Promise.all([
      this.records.itemAfterChange(this.dataSource, recorded.itemId),
      this.list(this.dataSource, recorded.itemId, recorded.index),
    ]);
    return { item: itemView(item), records };
  }

  /**
   * What recording `input` on `item` means, given the target's references (none: this is the
   * reference): the checks on the item, the ledger event (unsigned), the rows, and whether a value
   * mismatches. Pure apart from the checks' exceptions.
   */
  private change(
    ctx: RequestContext,
    item: ItemRow,
    kase: AccessibleCase,
    input: HashRecordInput,
    references: readonly ReferenceHash[],
  ): HashChange {
    this.records.requireHeldBy(item, ctx.actor!, 'records its hashes');
    input.check?.(item, kase);
    const { values, occurred } = input;
    const isReference = references.length === 0;
    const compared = isReference ? [] : compareWithReference(values, references);
    const data: HashRecordedData = {
      target: input.target,
      role: isReference ? 'reference' : 'verification',
      tool: input.tool === null ? null : { name: input.tool, version: input.toolVersion },
      occurredAt: occurred.text,
      values: isReference ? values : compared.map(({ referenceId: _referenceId, ...value }) => value),
      ...(isReference ? { weak: !values.some((value) => isStrongHashAlgorithm(value.algorithm)) } : {}),
      ...(input.source === undefined ? {} : { source: input.source }),
    };
    return {
      event: {
        type: T.hashRecorded,
        actor: this.records.entryActor(ctx),
        subject: { type: 'item', id: item.id, number: item.item_number },
        case: { id: kase.id, number: kase.case_number },
        data,
      },
      mismatch: compared.some((hash) => hash.result === 'mismatch'),
      rows: (ledgerIndex) =>
        (isReference ? values : compared).map((hash) => ({
          itemId: item.id,
          target: input.target,
          role: isReference ? 'reference' : 'verification',
          hash,
          tool: input.tool,
          toolVersion: input.toolVersion,
          occurredAt: occurred.instant,
          occurredOffset: occurred.offsetMinutes,
          recordedBy: ctx.actor!.id,
          ledgerIndex,
          transferId: null,
        })),
    };
  }

  /** Every hash record of an item, oldest first (or those of one ledger entry). */
  async list(db: Queryable, itemId: string, ledgerIndex?: number): Promise<HashRecordView[]> {
    const rows =
      ledgerIndex === undefined
        ? await queryPrepared<HashRow[]>(db, HASHES_OF_ITEM, [itemId])
        : await queryPrepared<HashRow[]>(db, HASHES_OF_ENTRY, [itemId, ledgerIndex]);
    return rows.map(hashView);
  }

  async listForItem(ctx: RequestContext, itemId: string): Promise<{ hashes: HashRecordView[] }> {
    const { item } = await this.records.requireItem(this.dataSource, ctx, itemId, 'read');
    return { hashes: await this.list(this.dataSource, item.id) };
  }
}
