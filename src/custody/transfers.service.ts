import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';

import { CASE_WORKER_ROLES } from '../cases/case-access.js';
import { CaseAccessService } from '../cases/case-access.service.js';
import { CaseNotFoundError } from '../cases/cases.errors.js';
import { CursorInvalidError, decodeCursor, encodeCursor } from '../common/cursor.js';
import type { RequestContext } from '../common/request-context.js';
import { insertOrConflict } from '../common/unique-violation.js';
import type { TransferItemView, TransferStatus, TransferView } from '../contracts/custody.js';
import type { Signer } from '../identity/signing/signature.js';
import { findUserByUsername, type Queryable } from '../identity/users/user-records.js';
import type { LedgerEvent } from '../ledger/core/entry.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type AcceptedItem,
  type PartyRef,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from './custody-events.js';
import { CustodyRecords, type EventTime } from './custody-records.service.js';
import {
  CustodyConflictError,
  CustodyForbiddenError,
  CustodyInvalidError,
  TransferNotFoundError,
} from './custody.errors.js';
import type {
  AcceptTransferDto,
  CancelTransferDto,
  CreateTransferDto,
  RejectTransferDto,
} from './dto/transfers.dto.js';
import {
  compareWithReference,
  insertHashRecords,
  normaliseHashes,
  referencesOf,
  type ComparedHash,
} from './hashes.service.js';
import { actorParty, formatOffsetDateTime, partyOf } from './item-records.js';

export type { TransferItemView, TransferStatus, TransferView };

interface TransferRow {
  id: string;
  case_id: string;
  case_number: string;
  from_user_id: string;
  from_username: string;
  from_name: string;
  from_agency: string | null;
  to_user_id: string;
  to_username: string;
  to_name: string;
  to_agency: string | null;
  purpose: string;
  status: TransferStatus;
  item_count: number;
  released_at: Date;
  released_at_us: string;
  release_occurred_at: Date;
  release_occurred_offset: number;
  release_idx: string;
  resolved_at: Date | null;
  accepted_occurred_at: Date | null;
  accepted_occurred_offset: number | null;
  resolved_by_username: string | null;
  resolution_idx: string | null;
  resolution_note: string | null;
}

interface TransferItemRow {
  transfer_id: string;
  item_id: string;
  item_number: string;
  kind: string;
  description: string;
  seal_number: string | null;
  seal_intact: boolean | null;
  seal_note: string | null;
}

const TRANSFER_SELECT = `
  SELECT t.id, t.case_id, c.case_number, t.from_user_id, fu.username AS from_username, fu.display_name AS from_name, fa.code AS from_agency,
         t.to_user_id, tu.username AS to_username, tu.display_name AS to_name, ta.code AS to_agency, t.purpose, t.status, t.item_count,
         t.released_at, (extract(epoch FROM t.released_at) * 1000000)::bigint::text AS released_at_us, t.release_idx, t.resolved_at,
         t.release_occurred_at, t.release_occurred_offset, t.accepted_occurred_at, t.accepted_occurred_offset,
         rb.username AS resolved_by_username, t.resolution_idx, t.resolution_note
    FROM transfer t
    JOIN case_file c ON c.id = t.case_id
    JOIN user_account fu ON fu.id = t.from_user_id
    LEFT JOIN agency fa ON fa.id = fu.agency_id
    JOIN user_account tu ON tu.id = t.to_user_id
    LEFT JOIN agency ta ON ta.id = tu.agency_id
    LEFT JOIN user_account rb ON rb.id = t.resolved_by`;

function transferView(row: TransferRow, items: readonly TransferItemRow[]): TransferView {
  return {
    id: row.id,
    case: { id: row.case_id, caseNumber: row.case_number },
    from: { id: row.from_user_id, username: row.from_username, displayName: row.from_name, agency: row.from_agency },
    to: { id: row.to_user_id, username: row.to_username, displayName: row.to_name, agency: row.to_agency },
    purpose: row.purpose,
    status: row.status,
    itemCount: row.item_count,
    items: items.map((item) => ({
      id: item.item_id,
      itemNumber: item.item_number,
      kind: item.kind,
      description: item.description,
      sealNumber: item.seal_number,
      sealIntact: item.seal_intact,
      sealNote: item.seal_note,
    })),
    releasedAt: row.released_at.toISOString(),
    releaseOccurredAt: formatOffsetDateTime(row.release_occurred_at, row.release_occurred_offset),
    releaseLedgerIndex: Number(row.release_idx),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    acceptedOccurredAt:
      row.accepted_occurred_at === null
        ? null
        : formatOffsetDateTime(row.accepted_occurred_at, row.accepted_occurred_offset ?? 0),
    resolvedBy: row.resolved_by_username,
    resolutionLedgerIndex: row.resolution_idx === null ? null : Number(row.resolution_idx),
    reason: row.resolution_note,
  };
}

/**
 * Two-party transfers (docs/design.md §2–3): the custodian releases (signed), the named receiver accepts
 * (signed, seal state per item, optional re-verification hashes) or rejects (signed); the releaser
 * may cancel while pending. Custody moves only on acceptance; an item is in at most one pending
 * transfer (checked under the item's row lock, and by a unique index).
 */
/**
 * One answer for every receiver who cannot take custody — unknown, disabled, without a custody
 * role, or of an agency the case is not shared with — word for word, without echoing the username,
 * so that the refusal does not tell a caller which usernames exist in other agencies.
 */
function receiverInvalid(caseNumber: string): CustodyInvalidError {
  return new CustodyInvalidError(
    'receiver_invalid',
    `The receiver must be an active officer, clerk, examiner or prosecutor with contributor access to case ${caseNumber}: ` +
      'check the username, or share the case with them or their agency (as contributor) first',
    'to',
  );
}

@Injectable()
export class TransfersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
    private readonly caseAccess: CaseAccessService,
  ) {}

  async release(ctx: RequestContext, input: CreateTransferDto): Promise<TransferView> {
    const actor = ctx.actor!;
    const itemIds = [...new Set(input.itemIds.map((id) => id.toLowerCase()))];
    const occurred = this.handOverTime(input.occurredAt);
    const signer = await this.records.authenticate(ctx, input.signature, 'released');
    return this.records.ledger.write(async (em) => {
      const { items, cases } = await this.records.requireItems(em, ctx, itemIds, 'contribute', { lock: true });
      if (cases.size > 1)
        throw new CustodyInvalidError(
          'transfer_mixed_cases',
          'A transfer carries items of one case; make one transfer per case',
          'itemIds',
        );
      const kase = [...cases.values()][0];
      for (const item of items) this.records.requireHeldBy(item, actor, 'releases it');
      await this.requireAfterPreviousEvents(em, itemIds, occurred);
      const receiver = await findUserByUsername(em, input.to);
      if (
        receiver === undefined ||
        !receiver.active ||
        receiver.agency_id === null ||
        !receiver.roles.some((role) => CASE_WORKER_ROLES.includes(role))
      ) {
        throw receiverInvalid(kase.case_number);
      }
      if (receiver.id === actor.id)
        throw new CustodyInvalidError('receiver_invalid', 'A transfer goes to someone else', 'to');
      const receiverAccess = await this.caseAccess.accessOf(
        em,
        { id: receiver.id, agencyId: receiver.agency_id, roles: receiver.roles },
        kase.id,
      );
      if (receiverAccess !== 'contribute') {
        throw receiverInvalid(kase.case_number);
      }
      const id = randomUUID();
      const data: TransferReleasedData = {
        from: actorParty(actor),
        to: partyOf(receiver),
        purpose: input.purpose,
        items: items.map((item) => ({ id: item.id, number: item.item_number })),
        occurredAt: occurred.text,
      };
      const event = await this.records.signEvent(
        em,
        {
          type: T.released,
          actor: this.records.entryActor(ctx),
          subject: { type: 'transfer', id },
          case: { id: kase.id, number: kase.case_number },
          data,
        },
        [{ signer, ctx }],
      );
      const [entry] = await this.records.append(em, ctx, [event]);
      await em.query(
        `INSERT INTO transfer (id, case_id, from_user_id, to_user_id, purpose, item_count, release_idx, release_occurred_at, release_occurred_offset)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          id,
          kase.id,
          actor.id,
          receiver.id,
          input.purpose,
          items.length,
          entry.index,
          occurred.instant,
          occurred.offsetMinutes,
        ],
      );
      await insertOrConflict(
        () =>
          em.query(
            `INSERT INTO transfer_item (transfer_id, item_id, position) SELECT $1, item_id, ord - 1 FROM unnest($2::uuid[]) WITH ORDINALITY AS t(item_id, ord)`,
            [id, items.map((item) => item.id)],
          ),
        () =>
          new CustodyConflictError('item_transfer_pending', 'An item of this transfer is in another pending transfer'),
      );
      await em.query(`UPDATE item SET state = 'transfer_pending' WHERE id = ANY($1::uuid[])`, [
        items.map((item) => item.id),
      ]);
      await this.records.link(
        em,
        items.map((item) => ({ itemId: item.id, index: entry.index, type: T.released })),
      );
      return this.view(em, id);
    });
  }

  async accept(ctx: RequestContext, transferId: string, input: AcceptTransferDto): Promise<TransferView> {
    const actor = ctx.actor!;
    const occurred = this.handOverTime(input.occurredAt);
    const signer = await this.records.authenticate(ctx, input.signature, 'received');
    const statements = new Map<string, AcceptTransferDto['items'][number]>();
    input.items.forEach((item, n) => {
      const id = item.itemId.toLowerCase();
      if (statements.has(id))
        throw new CustodyInvalidError('acceptance_items_mismatch', 'Each item is listed once', `items[${n}].itemId`);
      statements.set(id, item);
    });
    const inputIndex = new Map(input.items.map((item, n) => [item.itemId.toLowerCase(), n]));
    const hashesByItem = new Map(
      input.items.map((item, n) => [
        item.itemId.toLowerCase(),
        normaliseHashes(item.hashes ?? [], `items[${n}].hashes`),
      ]),
    );
    return this.records.ledger.write(async (em) => {
      const transfer = await this.requirePending(em, ctx, transferId, 'to');
      const kase = await this.caseAccess.requireCase(em, ctx, transfer.case_id, 'contribute');
      const itemIds = await this.itemIdsOf(em, transfer.id);
      const missing = itemIds.find((id) => !statements.has(id));
      const extra = [...statements.keys()].find((id) => !itemIds.includes(id));
      if (missing !== undefined || extra !== undefined || statements.size !== itemIds.length) {
        throw new CustodyInvalidError(
          'acceptance_items_mismatch',
          `State the seal of every item of the transfer, and only those (${itemIds.length} items)`,
          'items',
        );
      }
      const { items } = await this.records.requireItems(em, ctx, itemIds, 'read', { lock: true });
      if (occurred.instant < transfer.release_occurred_at) {
        throw new CustodyInvalidError(
          'accepted_before_release',
          `occurredAt (${occurred.text}) is before the release (${formatOffsetDateTime(transfer.release_occurred_at, transfer.release_occurred_offset)}): items are received after they are handed over`,
          'occurredAt',
        );
      }
      await this.requireAfterPreviousEvents(em, itemIds, occurred);
      const references = await referencesOf(em, itemIds, (rows) => this.records.checkReferences(ctx, rows, em));
      const accepted: AcceptedItem[] = [];
      const compared = new Map<string, Array<ComparedHash & { target: string }>>();
      for (const item of items) {
        const n = inputIndex.get(item.id)!;
        const statement = statements.get(item.id)!;
        const given = hashesByItem.get(item.id)!;
        const results = (statement.hashes ?? []).map((hash, h) => {
          const refs = references.filter((ref) => ref.itemId === item.id && ref.target === hash.target);
          if (refs.length === 0) {
            throw new CustodyInvalidError(
              'hash_reference_missing',
              `${item.item_number} has no reference hash for ${hash.target}: after accepting, record the acquisition hashes as its reference`,
              `items[${n}].hashes[${h}].target`,
            );
          }
          return { target: hash.target, ...compareWithReference([given[h]], refs)[0] };
        });
        compared.set(item.id, results);
        accepted.push({
          id: item.id,
          number: item.item_number,
          sealIntact: statement.sealIntact,
          sealNote: statement.sealNote ?? null,
          hashes: results.map(({ referenceId: _referenceId, ...result }) => result),
        });
      }
      const data: TransferAcceptedData = {
        from: this.fromParty(transfer),
        to: actorParty(actor),
        items: accepted,
        location: input.location ?? null,
        occurredAt: occurred.text,
      };
      const event = await this.records.signEvent(em, this.event(T.accepted, ctx, transfer, kase.case_number, data), [
        { signer, ctx },
      ]);
      const [entry] = await this.records.append(em, ctx, [event]);
      await this.resolve(em, transfer.id, 'accepted', actor.id, entry.index, null, occurred);
      await em.query(
        `UPDATE transfer_item ti SET pending = false, seal_intact = s.seal_intact, seal_note = s.seal_note
           FROM jsonb_to_recordset($2::jsonb) AS s(item_id uuid, seal_intact boolean, seal_note text)
          WHERE ti.transfer_id = $1 AND ti.item_id = s.item_id`,
        [
          transfer.id,
          JSON.stringify(
            accepted.map((item) => ({ item_id: item.id, seal_intact: item.sealIntact, seal_note: item.sealNote })),
          ),
        ],
      );
      const compromised = accepted
        .filter((item) => !item.sealIntact || item.hashes.some((hash) => hash.result === 'mismatch'))
        .map((item) => item.id);
      await em.query(
        `UPDATE item SET custodian_id = $2, state = 'in_custody', location = $3,
                         integrity = CASE WHEN id = ANY($4::uuid[]) THEN 'compromised' ELSE integrity END
          WHERE id = ANY($1::uuid[])`,
        [itemIds, actor.id, input.location ?? null, compromised],
      );
      await insertHashRecords(
        em,
        [...compared.entries()].flatMap(([itemId, results]) =>
          results.map((hash) => ({
            itemId,
            target: hash.target,
            role: 'verification' as const,
            hash,
            tool: null,
            toolVersion: null,
            occurredAt: occurred.instant,
            occurredOffset: occurred.offsetMinutes,
            recordedBy: actor.id,
            ledgerIndex: entry.index,
            transferId: transfer.id,
          })),
        ),
      );
      await this.records.link(
        em,
        itemIds.map((itemId) => ({ itemId, index: entry.index, type: T.accepted })),
      );
      return this.view(em, transfer.id);
    });
  }

  async reject(ctx: RequestContext, transferId: string, input: RejectTransferDto): Promise<TransferView> {
    const signer = await this.records.authenticate(ctx, input.signature, 'rejected');
    return this.close(ctx, transferId, 'to', input.reason, signer);
  }

  async cancel(ctx: RequestContext, transferId: string, input: CancelTransferDto): Promise<TransferView> {
    return this.close(ctx, transferId, 'from', input.reason ?? null, undefined);
  }

  /** Rejection (by the receiver, signed) or cancellation (by the releaser): custody stays where it was. */
  private close(
    ctx: RequestContext,
    transferId: string,
    party: 'from' | 'to',
    reason: string | null,
    signer: Signer | undefined,
  ): Promise<TransferView> {
    const actor = ctx.actor!;
    return this.records.ledger.write(async (em) => {
      const transfer = await this.requirePending(em, ctx, transferId, party);
      const itemIds = await this.itemIdsOf(em, transfer.id);
      const { items } = await this.records.requireItems(em, ctx, itemIds, 'read', { lock: true });
      const data: TransferClosedData = {
        from: this.fromParty(transfer),
        to: this.toParty(transfer),
        items: items.map((item) => ({ id: item.id, number: item.item_number })),
        reason,
      };
      const type = party === 'to' ? T.rejected : T.cancelled;
      let event = this.event(type, ctx, transfer, transfer.case_number, data);
      if (signer !== undefined) event = await this.records.signEvent(em, event, [{ signer, ctx }]);
      const [entry] = await this.records.append(em, ctx, [event]);
      await this.resolve(em, transfer.id, party === 'to' ? 'rejected' : 'cancelled', actor.id, entry.index, reason);
      await em.query(`UPDATE transfer_item SET pending = false WHERE transfer_id = $1`, [transfer.id]);
      await em.query(`UPDATE item SET state = 'in_custody' WHERE id = ANY($1::uuid[])`, [itemIds]);
      await this.records.link(
        em,
        itemIds.map((itemId) => ({ itemId, index: entry.index, type })),
      );
      return this.view(em, transfer.id);
    });
  }

  /** The stated hand-over time, or now (in UTC: the service does not know the place's offset). */
  private handOverTime(text: string | undefined): EventTime {
    return this.records.eventTime(text ?? formatOffsetDateTime(new Date(), 0), 'occurredAt');
  }

  /**
   * Nothing is handed over before an earlier event of the item at the time the ledger states for
   * it (ADR 0033): its seizure or acquisition (as corrected), its hash records, what was acquired
   * from it, its earlier transfers (their receipt, or the release of one rejected or cancelled).
   * Storage moves, rejections and cancellations state no time of their own: entered late, their
   * recording time would wrongly forbid an earlier hand-over. The pending transfer is not earlier.
   */
  private async requireAfterPreviousEvents(
    em: EntityManager,
    itemIds: readonly string[],
    occurred: EventTime,
  ): Promise<void> {
    const rows = await em.query<Array<{ what: string; at: Date; offset_minutes: number }>>(
      `SELECT e.what, e.at, e.offset_minutes
         FROM item i
         CROSS JOIN LATERAL (
           SELECT CASE WHEN i.parent_id IS NULL THEN 'seizure' ELSE 'acquisition' END || ' of ' || i.item_number AS what, i.occurred_at AS at, i.occurred_offset AS offset_minutes
           UNION ALL
           (SELECT 'hash record of ' || i.item_number, h.occurred_at, h.occurred_offset FROM hash_record h WHERE h.item_id = i.id ORDER BY h.occurred_at DESC LIMIT 1)
           UNION ALL
           (SELECT 'acquisition of ' || c.item_number || ' from ' || i.item_number, c.occurred_at, c.occurred_offset FROM item c WHERE c.parent_id = i.id ORDER BY c.occurred_at DESC LIMIT 1)
           UNION ALL
           (SELECT CASE WHEN t.status = 'accepted' THEN 'receipt' ELSE 'release in a ' || t.status || ' transfer' END
                     || ' of ' || i.item_number,
                   coalesce(t.accepted_occurred_at, t.release_occurred_at), coalesce(t.accepted_occurred_offset, t.release_occurred_offset)
              FROM transfer_item ti JOIN transfer t ON t.id = ti.transfer_id
             WHERE ti.item_id = i.id AND t.status <> 'pending'
             ORDER BY coalesce(t.accepted_occurred_at, t.release_occurred_at) DESC LIMIT 1)
         ) e
        WHERE i.id = ANY($1::uuid[]) AND e.at > $2
        ORDER BY e.at DESC LIMIT 1`,
      [itemIds, occurred.instant],
    );
    const [later] = rows;
    if (later !== undefined) {
      throw new CustodyInvalidError(
        'occurred_before_previous_event',
        `occurredAt (${occurred.text}) is before the ${later.what} (${formatOffsetDateTime(later.at, later.offset_minutes)}): custody events follow one another`,
        'occurredAt',
      );
    }
  }

  private event(
    type: string,
    ctx: RequestContext,
    transfer: TransferRow,
    caseNumber: string,
    data: object,
  ): LedgerEvent {
    return {
      type,
      actor: this.records.entryActor(ctx),
      subject: { type: 'transfer', id: transfer.id },
      case: { id: transfer.case_id, number: caseNumber },
      data: data as Record<string, unknown>,
    };
  }

  private fromParty(row: TransferRow): PartyRef {
    return { id: row.from_user_id, username: row.from_username, displayName: row.from_name, agency: row.from_agency };
  }

  private toParty(row: TransferRow): PartyRef {
    return { id: row.to_user_id, username: row.to_username, displayName: row.to_name, agency: row.to_agency };
  }

  private async resolve(
    em: EntityManager,
    id: string,
    status: TransferStatus,
    by: string,
    index: number,
    note: string | null,
    accepted?: EventTime,
  ): Promise<void> {
    await em.query(
      `UPDATE transfer SET status = $2, resolved_at = now(), resolved_by = $3, resolution_idx = $4, resolution_note = $5,
                           accepted_occurred_at = $6, accepted_occurred_offset = $7
        WHERE id = $1`,
      [id, status, by, index, note, accepted?.instant ?? null, accepted?.offsetMinutes ?? null],
    );
  }

  private async itemIdsOf(db: Queryable, transferId: string): Promise<string[]> {
    const rows = await db.query<Array<{ item_id: string }>>(
      `SELECT item_id FROM transfer_item WHERE transfer_id = $1 ORDER BY position`,
      [transferId],
    );
    return rows.map((row) => row.item_id);
  }

  /** The transfer, visible to its two parties and to those who may read its case; 404 otherwise. */
  private async requireVisible(
    db: Queryable,
    ctx: RequestContext,
    transferId: string,
    lock = false,
  ): Promise<TransferRow> {
    const actor = ctx.actor!;
    const [row] = await db.query<TransferRow[]>(`${TRANSFER_SELECT} WHERE t.id = $1${lock ? ' FOR UPDATE OF t' : ''}`, [
      transferId,
    ]);
    if (row === undefined) throw new TransferNotFoundError();
    if (row.from_user_id !== actor.id && row.to_user_id !== actor.id) {
      try {
        await this.caseAccess.requireCase(db, ctx, row.case_id, 'read');
      } catch (error) {
        if (error instanceof CaseNotFoundError) throw new TransferNotFoundError();
        throw error;
      }
    }
    return row;
  }

  private async requirePending(
    em: EntityManager,
    ctx: RequestContext,
    transferId: string,
    party: 'from' | 'to',
  ): Promise<TransferRow> {
    const row = await this.requireVisible(em, ctx, transferId, true);
    const actor = ctx.actor!;
    if (party === 'to' && row.to_user_id !== actor.id) {
      throw new CustodyForbiddenError(
        'not_receiver',
        `Only the named receiver (${row.to_username}) accepts or rejects this transfer`,
      );
    }
    if (party === 'from' && row.from_user_id !== actor.id) {
      throw new CustodyForbiddenError(
        'not_releaser',
        `Only the releasing custodian (${row.from_username}) cancels this transfer`,
      );
    }
    if (row.status !== 'pending')
      throw new CustodyConflictError('transfer_not_pending', `The transfer was ${row.status} already`, {
        status: row.status,
      });
    return row;
  }

  private async view(db: Queryable, id: string): Promise<TransferView> {
    const [row] = await db.query<TransferRow[]>(`${TRANSFER_SELECT} WHERE t.id = $1`, [id]);
    return (await this.withItems(db, [row]))[0];
  }

  private async withItems(db: Queryable, rows: readonly TransferRow[]): Promise<TransferView[]> {
    if (rows.length === 0) return [];
    const items = await db.query<TransferItemRow[]>(
      `SELECT ti.transfer_id, ti.item_id, i.item_number, i.kind, i.description, i.seal_number, ti.seal_intact, ti.seal_note
         FROM transfer_item ti JOIN item i ON i.id = ti.item_id
        WHERE ti.transfer_id = ANY($1::uuid[]) ORDER BY ti.transfer_id, ti.position`,
      [rows.map((row) => row.id)],
    );
    return rows.map((row) =>
      transferView(
        row,
        items.filter((item) => item.transfer_id === row.id),
      ),
    );
  }

  async get(ctx: RequestContext, transferId: string): Promise<TransferView> {
    return this.view(this.dataSource, (await this.requireVisible(this.dataSource, ctx, transferId)).id);
  }

  /** Transfers to or from you (the inbox and the outbox), or all of one case you may read. Newest first. */
  async list(
    ctx: RequestContext,
    query: {
      status?: TransferStatus;
      direction?: 'incoming' | 'outgoing';
      caseId?: string;
      limit: number;
      cursor?: string;
    },
  ): Promise<{ transfers: TransferView[]; nextCursor: string | null }> {
    const actor = ctx.actor!;
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (query.direction === 'incoming') where.push(`t.to_user_id = ${param(actor.id)}`);
    else if (query.direction === 'outgoing') where.push(`t.from_user_id = ${param(actor.id)}`);
    else if (query.caseId === undefined)
      where.push(`(t.to_user_id = ${param(actor.id)} OR t.from_user_id = ${param(actor.id)})`);
    if (query.caseId !== undefined) {
      where.push(`t.case_id = ${param(query.caseId)}`);
      where.push(this.caseAccess.accessibleCasePredicate(ctx, 't.case_id', 'read', param));
    }
    if (query.status !== undefined) where.push(`t.status = ${param(query.status)}`);
    if (query.cursor !== undefined) {
      const [releasedUs, id] = decodeCursor(query.cursor, ['string', 'string'] as const);
      // Checked before they reach SQL: a bigint or uuid cast of anything else is a 500, not a 400.
      if (!/^\d{1,18}$/.test(releasedUs) || !isUUID(id)) throw new CursorInvalidError();
      where.push(
        `((extract(epoch FROM t.released_at) * 1000000)::bigint, t.id) < (${param(releasedUs)}::bigint, ${param(id)}::uuid)`,
      );
    }
    const rows = await this.dataSource.query<TransferRow[]>(
      `${TRANSFER_SELECT} WHERE ${where.join(' AND ')} ORDER BY t.released_at DESC, t.id DESC LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, query.limit);
    const last = rows.length > query.limit ? page[page.length - 1] : undefined;
    return {
      transfers: await this.withItems(this.dataSource, page),
      nextCursor: last ? encodeCursor([last.released_at_us, last.id]) : null,
    };
  }
}
