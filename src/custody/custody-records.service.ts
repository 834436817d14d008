import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { CASE_WORKER_ROLES, type CaseAccess } from '../cases/case-access.js';
import { CaseAccessService, type AccessibleCase } from '../cases/case-access.service.js';
import { CaseNotFoundError } from '../cases/cases.errors.js';
import type { Actor, RequestContext } from '../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { prepared, queryPrepared } from '../database/prepared.js';
import { SignaturePasswordInvalidError } from '../identity/identity.errors.js';
import type { SignatureMeaning, Signer, SigningRole } from '../identity/signing/signature.js';
import { SigningService } from '../identity/signing/signing.service.js';
import type { Queryable } from '../identity/users/user-records.js';
import { eventHash, type EntryActor, type LedgerEvent } from '../ledger/core/entry.js';
import { entryActor } from '../ledger/entry-actor.js';
import { LedgerMonitorService, type IntegrityKind } from '../ledger/ledger-monitor.service.js';
import { LedgerIntegrityError } from '../ledger/ledger.errors.js';
import { LedgerService, type AppendedEntry } from '../ledger/ledger.service.js';
import {
  checkItemAgainstLedger,
  checkReferenceAgainstLedger,
  CustodyStateProblem,
  latestEntryOf,
  needsStatingEntry,
  STATING_ENTRY_SQL,
  statingEntryOf,
  type LatestEntryColumns,
  type ReferenceRow,
  type StoredEntry,
} from './custody-state-check.js';
import {
  CustodyConflictError,
  CustodyForbiddenError,
  CustodyInvalidError,
  ItemNotFoundError,
} from './custody.errors.js';
import type { SignatureDto } from './dto/signature.dto.js';
import { isNotInFuture, parseOffsetDateTime } from './evidence-fields.js';
import { formatOffsetDateTime, ITEM_SELECT, ITEM_SELECT_CHECKED, type ItemRow } from './item-records.js';

/**
 * Nothing in a custody record happened before 1900: an earlier date is a typo (0026 for 2026), and
 * PostgreSQL cannot even read the year 0 that such a date may fall in.
 */
const EARLIEST_EVENT_TIME = Date.UTC(1900, 0, 1);

export interface EventTime {
  readonly instant: Date;
  readonly offsetMinutes: number;
  /** RFC 3339 in the original offset, as the ledger and the views show it. */
  readonly text: string;
}

/** Which ledger entry concerns which item, for the item's history. */
export interface ItemLink {
  readonly itemId: string;
  readonly index: number;
  readonly type: string;
}

// One item by a scalar id: PostgreSQL settles on a generic plan for it after five executions (with
// an array parameter it never does, and plans the seven-way join afresh every time).
const ITEM = prepared(`${ITEM_SELECT} WHERE i.id = $1::uuid`);
const ITEMS = prepared(`${ITEM_SELECT} WHERE i.id = ANY($1::uuid[]) ORDER BY i.id`);
// What a custody write acts on: the rows with their latest entries, checked against them (checkAgainstLedger).
const ITEM_CHECKED = prepared(`${ITEM_SELECT_CHECKED} WHERE i.id = $1::uuid`);
const ITEM_LOCKED = prepared(`${ITEM_SELECT_CHECKED} WHERE i.id = $1::uuid FOR UPDATE OF i`);
const ITEMS_CHECKED = prepared(`${ITEM_SELECT_CHECKED} WHERE i.id = ANY($1::uuid[]) ORDER BY i.id`);
const ITEMS_LOCKED = prepared(`${ITEM_SELECT_CHECKED} WHERE i.id = ANY($1::uuid[]) ORDER BY i.id FOR UPDATE OF i`);
const STATING_ENTRY = prepared(STATING_ENTRY_SQL);
/** An item's ledger entry, indexed under the item, and the item stamped with its latest entry: one round trip. */
const LINK = prepared(
  `WITH links AS (
     INSERT INTO item_event (item_id, ledger_idx, type) SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[]) RETURNING item_id, ledger_idx
   )
   UPDATE item SET last_event_idx = latest.idx, updated_at = now()
     FROM (SELECT item_id, max(ledger_idx) AS idx FROM links GROUP BY item_id) AS latest
    WHERE item.id = latest.item_id AND item.last_event_idx < latest.idx`,
);

/**
 * What every custody service needs: items with the caller's access to their case, signatures made
 * outside the ledger's transaction and bound inside it, and ledger entries linked to their items.
 */
@Injectable()
export class CustodyRecords {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly caseAccess: CaseAccessService,
    private readonly signing: SigningService,
    readonly ledger: LedgerService,
    private readonly monitor: LedgerMonitorService,
  ) {}

  /** The role an actor holds custody under (the first custody role they have). */
  custodyRole(actor: Actor): SigningRole {
    const role = actor.roles.find((r) => CASE_WORKER_ROLES.includes(r));
    if (role === undefined)
      throw new CustodyForbiddenError('not_custodian', 'Only officers, clerks, examiners and prosecutors hold custody');
    return role as SigningRole;
  }

  entryActor(ctx: RequestContext): EntryActor {
    return entryActor(ctx, this.custodyRole(ctx.actor!))!;
  }

  /** `occurredAt` parsed with its offset; refused when later than now plus the configured clock skew, or before 1900. */
  eventTime(text: string, field: string, now = new Date()): EventTime {
    const parsed = parseOffsetDateTime(text);
    if (parsed === undefined)
      throw new CustodyInvalidError(
        'validation_failed',
        `${field} must be an RFC 3339 date-time with its UTC offset`,
        field,
      );
    if (parsed.instant.getTime() < EARLIEST_EVENT_TIME)
      throw new CustodyInvalidError('validation_failed', `${field} (${text}) is before 1900: a typo?`, field);
    if (!isNotInFuture(parsed.instant, now, this.config.clockSkewSeconds)) {
      throw new CustodyInvalidError('occurred_in_future', `${field} (${text}) is in the future`, field);
    }
    return {
      instant: parsed.instant,
      offsetMinutes: parsed.offsetMinutes,
      text: formatOffsetDateTime(parsed.instant, parsed.offsetMinutes),
    };
  }

  /**
   * Checks the password for a signed act before its unit of work (docs/design.md §3). Each act has one
   * meaning; a signature stating another is refused rather than silently recorded.
   */
  async authenticate(
    ctx: RequestContext,
    signature: SignatureDto | undefined,
    meaning: SignatureMeaning,
    field = 'signature',
    /** Who typed the password, when it is not the signer (the custodian typing the witness's). */
    typedBy?: string,
  ): Promise<Signer> {
    if (signature === undefined)
      throw new CustodyInvalidError(
        'signature_required',
        `This act is signed: give ${field} with your password and the meaning "${meaning}"`,
        field,
      );
    if (signature.meaning !== meaning) {
      throw new CustodyInvalidError(
        'signature_meaning_mismatch',
        `This act is signed with the meaning "${meaning}", not "${signature.meaning}"`,
        `${field}.meaning`,
      );
    }
    try {
      return await this.signing.authenticate(ctx, signature.password, meaning, {
        role: this.custodyRole(ctx.actor!),
        typedBy,
      });
    } catch (error) {
      // Name the field: a disposal carries the custodian's and the witness's passwords.
      if (error instanceof SignaturePasswordInvalidError) throw new SignaturePasswordInvalidError(`${field}.password`);
      throw error;
    }
  }

  /** The event with its signatures bound to its canonical hash; their access-log rows go in the same transaction. */
  async signEvent(
    em: EntityManager,
    event: LedgerEvent,
    signers: ReadonlyArray<{ signer: Signer; ctx: RequestContext }>,
  ): Promise<LedgerEvent> {
    const hash = eventHash(event);
    const signatures = [];
    for (const { signer, ctx: signerCtx } of signers) {
      const record = signer.sign(hash);
      await this.signing.recordSignature(em, signerCtx, signer, record, {
        subject: {
          type: event.subject.type,
          id: event.subject.id,
          // A transfer has no number of its own: its case says which.
          label: event.subject.number ?? (event.case === undefined ? undefined : `in case ${event.case.number}`),
        },
        caseId: event.case?.id,
      });
      signatures.push(record);
    }
    return { ...event, signatures };
  }

  /**
   * Items by id, locked when asked, with the caller's access to their case(s); 404 for any not
   * visible. A locked read is a custody write's: each row is checked against its latest ledger
   * entry first (`verify`, on by default then), and a row that disagrees refuses the write.
   */
  async requireItems(
    em: Queryable,
    ctx: RequestContext,
    ids: readonly string[],
    need: CaseAccess,
    options: { lock?: boolean; verify?: boolean } = {},
  ): Promise<{ items: ItemRow[]; cases: Map<string, AccessibleCase> }> {
    const verify = options.verify ?? options.lock ?? false;
    const one = ids.length === 1;
    const statement = options.lock
      ? one
        ? ITEM_LOCKED
        : ITEMS_LOCKED
      : verify
        ? one
          ? ITEM_CHECKED
          : ITEMS_CHECKED
        : one
          ? ITEM
          : ITEMS;
    const rows = await queryPrepared<Array<ItemRow & Partial<LatestEntryColumns>>>(em, statement, [one ? ids[0] : ids]);
    if (rows.length !== new Set(ids).size) throw new ItemNotFoundError();
    const cases = new Map<string, AccessibleCase>();
    for (const caseId of new Set(rows.map((row) => row.case_id))) {
      cases.set(caseId, await this.requireCase(em, ctx, caseId, need));
    }
    if (verify) await this.checkAgainstLedger(em, ctx, rows as Array<ItemRow & LatestEntryColumns>);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return { items: ids.map((id) => byId.get(id)!), cases };
  }

  /**
   * Before a custody write acts on items: each row against its latest ledger entry (index, leaf
   * hash, what it says of custody). A row that disagrees — forged behind the ledger — refuses the
   * write (503 ledger_integrity_failure, before anything is changed) and raises the integrity alarm.
   */
  async checkAgainstLedger(
    em: Queryable,
    ctx: RequestContext,
    rows: ReadonlyArray<ItemRow & LatestEntryColumns>,
  ): Promise<void> {
    for (const row of rows) {
      try {
        await this.checkRow(em, row);
      } catch (error) {
        if (!(error instanceof CustodyStateProblem)) throw error;
        // A statement that waited for a row lock sees the row as now but the rest as when it began:
        // before raising the alarm, read the (locked, so unchanged) row and its history once more.
        const [again] = await queryPrepared<Array<ItemRow & LatestEntryColumns>>(em, ITEM_CHECKED, [row.id]);
        try {
          if (again === undefined) throw error;
          await this.checkRow(em, again);
        } catch (confirmed) {
          if (confirmed instanceof CustodyStateProblem) throw this.integrityFailure(ctx, 'item_state', confirmed);
          throw confirmed;
        }
      }
    }
  }

  private async checkRow(em: Queryable, row: ItemRow & LatestEntryColumns): Promise<void> {
    const latest = this.inGroup(em, latestEntryOf(row));
    const stating = needsStatingEntry(latest, row.latest_type)
      ? this.inGroup(em, statingEntryOf(await queryPrepared(em, STATING_ENTRY, [row.id])))
      : undefined;
    checkItemAgainstLedger(row, latest, stating);
  }

  /**
   * An entry another unit of this write's group appended is not in the table yet (the group inserts
   * its entries when it commits): its bytes and leaf hash are the group's own.
   */
  private inGroup(em: Queryable, stored: StoredEntry | null): StoredEntry | null {
    if (stored === null || stored.bytes !== null) return stored;
    const appended = this.ledger.appendedInGroup(em as EntityManager, stored.index);
    return appended === undefined
      ? stored
      : { index: stored.index, bytes: appended.bytes, leafHash: appended.leafHash };
  }

  /** Reference hashes a verification is compared with, each checked against the entry that recorded it. */
  checkReferences(ctx: RequestContext, rows: readonly ReferenceRow[], em?: Queryable): void {
    for (const stored of rows) {
      const entry =
        em === undefined
          ? undefined
          : this.inGroup(em, { index: Number(stored.ledger_idx), bytes: stored.entry, leafHash: stored.leaf_hash });
      const row =
        entry === undefined || entry === null ? stored : { ...stored, entry: entry.bytes, leaf_hash: entry.leafHash };
      try {
        checkReferenceAgainstLedger(row);
      } catch (error) {
        if (error instanceof CustodyStateProblem) throw this.integrityFailure(ctx, 'reference', error);
        throw error;
      }
    }
  }

  private integrityFailure(
    ctx: RequestContext,
    kind: IntegrityKind,
    problem: CustodyStateProblem,
  ): LedgerIntegrityError {
    // Raised outside the write's transaction, which is rolled back with nothing changed.
    void this.monitor
      .alarm({ kind, index: problem.index, reason: problem.message, source: 'custody write' }, ctx)
      .catch(() => undefined);
    return new LedgerIntegrityError(
      'What this change would act on does not match the ledger: nothing was changed. Operators have been alerted.',
    );
  }

  async requireItem(
    em: Queryable,
    ctx: RequestContext,
    id: string,
    need: CaseAccess,
    options: { lock?: boolean; verify?: boolean } = {},
  ): Promise<{ item: ItemRow; kase: AccessibleCase }> {
    const { items, cases } = await this.requireItems(em, ctx, [id], need, options);
    return { item: items[0], kase: cases.get(items[0].case_id)! };
  }

  /** The item as it is now, for the answer to a change the caller has just made (its unit of work checked their access). */
  async itemAfterChange(db: Queryable, id: string): Promise<ItemRow> {
    const [row] = await queryPrepared<ItemRow[]>(db, ITEM, [id]);
    return row;
  }

  /** The case of an item: one the caller may not see hides the item too (404 item_not_found). */
  private async requireCase(
    em: Queryable,
    ctx: RequestContext,
    caseId: string,
    need: CaseAccess,
  ): Promise<AccessibleCase> {
    try {
      return await this.caseAccess.requireCase(em, ctx, caseId, need);
    } catch (error) {
      if (error instanceof CaseNotFoundError) throw new ItemNotFoundError();
      throw error;
    }
  }

  /** Custody acts need the item held, not pending, not disposed, and held by the caller. */
  requireHeldBy(item: ItemRow, actor: Actor, act: string): void {
    if (item.state === 'disposed')
      throw new CustodyConflictError(
        'item_disposed',
        `${item.item_number} was disposed of: nothing but corrections after that`,
        { itemId: item.id },
      );
    if (item.custodian_id !== actor.id) {
      throw new CustodyForbiddenError(
        'not_custodian',
        `Only the custodian of ${item.item_number} (${item.custodian_username}) ${act}`,
      );
    }
    if (item.state === 'transfer_pending') {
      throw new CustodyConflictError(
        'item_transfer_pending',
        `${item.item_number} is in a pending transfer (${item.pending_transfer_id})`,
        {
          itemId: item.id,
          transferId: item.pending_transfer_id,
        },
      );
    }
  }

  requireOpenCase(kase: AccessibleCase): void {
    if (kase.status !== 'open') throw new CustodyConflictError('case_closed', `Case ${kase.case_number} is closed`);
  }

  async append(em: EntityManager, ctx: RequestContext, events: readonly LedgerEvent[]): Promise<AppendedEntry[]> {
    return this.ledger.appendMany(em, ctx, events);
  }

  /**
   * Indexes entries under their items (for histories) and stamps each item with its latest entry.
   * Invariant: every change to an item row comes with an entry linked here — batched
   * verifications rely on `last_event_idx` to know an item has not changed (ADR 0023).
   */
  async link(em: EntityManager, links: readonly ItemLink[]): Promise<void> {
    if (links.length === 0) return;
    await queryPrepared(em, LINK, [
      links.map((link) => link.itemId),
      links.map((link) => link.index),
      links.map((link) => link.type),
    ]);
  }
}
