import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { CASE_WORKER_ROLES } from '../cases/case-access.js';
import { CaseAccessService } from '../cases/case-access.service.js';
import { CursorInvalidError, decodeCursor, encodeCursor } from '../common/cursor.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { findUserByUsername } from '../identity/users/user-records.js';
import type { LedgerEvent } from '../ledger/core/entry.js';
import {
  CORRECTABLE_ITEM_FIELDS,
  DERIVED_KINDS,
  CUSTODY_EVENT_TYPES as T,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDescription,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemSeizedData,
} from './custody-events.js';
import { CustodyRecords, type EventTime } from './custody-records.service.js';
import type { LatestEntryColumns } from './custody-state-check.js';
import { CustodyConflictError, CustodyInvalidError } from './custody.errors.js';
import {
  type CorrectItemDto,
  type DisposeItemDto,
  type ItemInputDto,
  type MoveItemDto,
  type RegisterItemsDto,
} from './dto/items.dto.js';
import { isStrongHashAlgorithm, normaliseHashValue, normaliseMac } from './evidence-fields.js';
import {
  actorParty,
  ITEM_SELECT,
  ITEM_SELECT_CHECKED,
  itemView,
  partyOf,
  type ItemRow,
  type ItemView,
} from './item-records.js';

/** A registration after the checks that need no database: normalised values and parsed times. */
interface PreparedItem {
  readonly input: ItemInputDto;
  readonly occurred: EventTime;
  readonly macAddresses: string[];
  readonly imeis: string[];
  readonly derived: boolean;
  readonly hashes: Array<{ algorithm: string; value: string }>;
}

/** Columns of `item` set by a correction, by the API's field name. */
const CORRECTION_COLUMNS: Record<(typeof CORRECTABLE_ITEM_FIELDS)[number], string> = {
  description: 'description',
  make: 'make',
  model: 'model',
  serial: 'serial',
  imeis: 'imeis',
  iccid: 'iccid',
  macAddresses: 'mac_addresses',
  capacityBytes: 'capacity_bytes',
  condition: 'condition',
  powerState: 'power_state',
  sealNumber: 'seal_number',
  occurredAt: 'occurred_at',
  place: 'place',
  seizedFrom: 'seized_from',
  legalAuthority: 'legal_authority',
};

/** Entries whose `location` (or `to`) sets where an item is kept. */
const LOCATION_EVENTS: readonly string[] = [T.seized, T.derived, T.moved, T.accepted];

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Items: registration of seizures and derived items, lookup and search, storage moves,
 * disposition and corrections. Every change is one `LedgerService.write` unit with its entries.
 */
@Injectable()
export class ItemsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
    private readonly caseAccess: CaseAccessService,
  ) {}

  private prepare(ctx: RequestContext, input: RegisterItemsDto): PreparedItem[] {
    const actor = ctx.actor!;
    const now = new Date();
    return input.items.map((item, n) => {
      const field = (name: string): string => `items[${n}].${name}`;
      const derived = DERIVED_KINDS.includes(item.kind);
      if (derived) {
        if (!actor.roles.includes('examiner'))
          throw new DomainError(
            'forbidden',
            'role_forbidden',
            'Forensic images and extractions are registered by examiners',
          );
        if (item.parentId === undefined)
          throw new CustodyInvalidError(
            'parent_required',
            `A ${item.kind} names the item it was made from (parentId)`,
            field('parentId'),
          );
        if (item.acquisition === undefined)
          throw new CustodyInvalidError(
            'acquisition_required',
            `A ${item.kind} states its tool, version and acquisition hashes`,
            field('acquisition'),
          );
      } else {
        if (!actor.roles.includes('officer'))
          throw new DomainError('forbidden', 'role_forbidden', 'Seizures are registered by officers');
        if (item.acquisition !== undefined)
          throw new CustodyInvalidError(
            'acquisition_not_allowed',
            `Only forensic images and extractions have an acquisition`,
            field('acquisition'),
          );
      }
      if (item.parentId !== undefined && item.parentIndex !== undefined)
        throw new CustodyInvalidError('parent_invalid', 'Give parentId or parentIndex, not both', field('parentIndex'));
      if (item.parentIndex !== undefined && item.parentIndex >= n) {
        throw new CustodyInvalidError(
          'parent_invalid',
          'parentIndex names an earlier item of this batch',
          field('parentIndex'),
        );
      }
      const imeis = item.imeis ?? [];
      if (new Set(imeis).size !== imeis.length)
        throw new CustodyInvalidError('validation_failed', 'The same IMEI is listed twice', field('imeis'));
      const hashes = (item.acquisition?.hashes ?? []).map((hash, h) => {
        const value = normaliseHashValue(hash.algorithm, hash.value);
        if (value === undefined)
          throw new CustodyInvalidError(
            'hash_value_invalid',
            `Not a ${hash.algorithm} value (wrong length)`,
            field(`acquisition.hashes[${h}].value`),
          );
        return { algorithm: hash.algorithm, value };
      });
      if (new Set(hashes.map((hash) => hash.algorithm)).size !== hashes.length) {
        throw new CustodyInvalidError('validation_failed', 'One value per algorithm', field('acquisition.hashes'));
      }
      return {
        input: item,
        occurred: this.records.eventTime(item.occurredAt, field('occurredAt'), now),
        macAddresses: (item.macAddresses ?? []).map((mac) => normaliseMac(mac)!),
        imeis,
        derived,
        hashes,
      };
    });
  }

  /** A seizure (officers) or derived images/extractions (examiners holding the parent): all or nothing. */
  async register(ctx: RequestContext, caseId: string, input: RegisterItemsDto): Promise<{ items: ItemView[] }> {
    const actor = ctx.actor!;
    if (actor.agencyId === null || actor.agencyCode === null)
      throw new DomainError('forbidden', 'agency_required', 'Only users of an agency register items');
    const prepared = this.prepare(ctx, input);
    const anyDerived = prepared.some((item) => item.derived);
    if (!anyDerived && input.signature !== undefined) {
      throw new CustodyInvalidError(
        'signature_not_expected',
        'A seizure is not signed; only derived items (their acquisition hashes) are',
        'signature',
      );
    }
    const signer = anyDerived ? await this.records.authenticate(ctx, input.signature, 'acquired') : undefined;

    return this.records.ledger.write(async (em) => {
      const kase = await this.caseAccess.requireCase(em, ctx, caseId, 'contribute', { lock: true });
      this.records.requireOpenCase(kase);
      const { items: parents } = await this.loadParents(em, ctx, kase.id, prepared);
      const numbers = await this.allocateNumbers(em, actor.agencyId!, actor.agencyCode!, prepared.length);
      const custodian = actorParty(actor);
      const ids = prepared.map(() => randomUUID());
      const events: LedgerEvent[] = [];
      for (const [n, item] of prepared.entries()) {
        const parent =
          item.input.parentIndex !== undefined
            ? { id: ids[item.input.parentIndex], number: numbers[item.input.parentIndex] }
            : item.input.parentId !== undefined
              ? { id: item.input.parentId, number: parents.get(item.input.parentId)!.item_number }
              : null;
        const description: ItemDescription = {
          kind: item.input.kind,
          description: item.input.description,
          make: item.input.make ?? null,
          model: item.input.model ?? null,
          serial: item.input.serial ?? null,
          imeis: item.imeis,
          iccid: item.input.iccid ?? null,
          macAddresses: item.macAddresses,
          capacityBytes: item.input.capacityBytes === undefined ? null : String(item.input.capacityBytes),
          condition: item.input.condition ?? null,
          powerState: item.input.powerState ?? null,
          sealNumber: item.input.sealNumber ?? null,
          occurredAt: item.occurred.text,
          place: item.input.place,
          seizedFrom: item.input.seizedFrom ?? null,
          legalAuthority: item.input.legalAuthority ?? null,
          parent,
        };
        const seized: ItemSeizedData = { item: description, custodian, location: item.input.location ?? null };
        const event: LedgerEvent = {
          type: item.derived ? T.derived : T.seized,
          actor: this.records.entryActor(ctx),
          subject: { type: 'item', id: ids[n], number: numbers[n] },
          case: { id: kase.id, number: kase.case_number },
          data: item.derived
            ? ({
                ...seized,
                acquisition: {
                  tool: item.input.acquisition!.tool,
                  toolVersion: item.input.acquisition!.toolVersion,
                  method: item.input.acquisition!.method ?? null,
                },
                hashes: {
                  target: item.input.acquisition!.target ?? 'image',
                  occurredAt: item.occurred.text,
                  values: item.hashes,
                  weak: !item.hashes.some((hash) => isStrongHashAlgorithm(hash.algorithm)),
                },
              } satisfies ItemDerivedData)
            : seized,
        };
        events.push(item.derived ? await this.records.signEvent(em, event, [{ signer: signer!, ctx }]) : event);
      }
      const appended = await this.records.append(em, ctx, events);
      await em.query(
        `INSERT INTO item (id, case_id, agency_id, item_number, kind, description, make, model, serial, imeis, iccid, mac_addresses,
                           capacity_bytes, condition, power_state, seal_number, occurred_at, occurred_offset, place, seized_from,
                           legal_authority, parent_id, acquisition_tool, acquisition_tool_version, acquisition_method,
                           registered_by, custodian_id, location, last_event_idx)
         SELECT r.id, $2, $3, r.item_number, r.kind, r.description, r.make, r.model, r.serial, r.imeis, r.iccid, r.mac_addresses,
                r.capacity_bytes, r.condition, r.power_state, r.seal_number, r.occurred_at, r.occurred_offset, r.place, r.seized_from,
                r.legal_authority, r.parent_id, r.acquisition_tool, r.acquisition_tool_version, r.acquisition_method, $4, $4,
                r.location, r.last_event_idx
           FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, item_number text, kind text, description text, make text, model text,
                serial text, imeis text[], iccid text, mac_addresses text[], capacity_bytes bigint, condition text, power_state text,
                seal_number text, occurred_at timestamptz, occurred_offset smallint, place text, seized_from text, legal_authority text,
                parent_id uuid, acquisition_tool text, acquisition_tool_version text, acquisition_method text, location text,
                last_event_idx bigint, ord int)
          ORDER BY r.ord`,
        [
          JSON.stringify(
            prepared.map((item, n) => {
              const data = events[n].data as ItemSeizedData;
              return {
                id: ids[n],
                item_number: numbers[n],
                kind: data.item.kind,
                description: data.item.description,
                make: data.item.make,
                model: data.item.model,
                serial: data.item.serial,
                imeis: data.item.imeis,
                iccid: data.item.iccid,
                mac_addresses: data.item.macAddresses,
                capacity_bytes: data.item.capacityBytes,
                condition: data.item.condition,
                power_state: data.item.powerState,
                seal_number: data.item.sealNumber,
                occurred_at: item.occurred.instant.toISOString(),
                occurred_offset: item.occurred.offsetMinutes,
                place: data.item.place,
                seized_from: data.item.seizedFrom,
                legal_authority: data.item.legalAuthority,
                parent_id: data.item.parent?.id ?? null,
                acquisition_tool: item.input.acquisition?.tool ?? null,
                acquisition_tool_version: item.input.acquisition?.toolVersion ?? null,
                acquisition_method: item.input.acquisition?.method ?? null,
                location: data.location,
                last_event_idx: appended[n].index,
                ord: n,
              };
            }),
          ),
          kase.id,
          actor.agencyId,
          actor.id,
        ],
      );
      const hashRows = prepared.flatMap((item, n) =>
        item.hashes.map((hash) => ({
          ...hash,
          itemId: ids[n],
          target: item.input.acquisition!.target ?? 'image',
          occurred: item.occurred,
          index: appended[n].index,
        })),
      );
      if (hashRows.length > 0) {
        await em.query(
          `INSERT INTO hash_record (item_id, target, algorithm, value, role, tool, tool_version, occurred_at, occurred_offset, recorded_by, ledger_idx)
           SELECT h.item_id, h.target, h.algorithm, h.value, 'reference', h.tool, h.tool_version, h.occurred_at, h.occurred_offset, $2, h.idx
             FROM jsonb_to_recordset($1::jsonb) AS h(item_id uuid, target text, algorithm text, value text, tool text, tool_version text,
                  occurred_at timestamptz, occurred_offset smallint, idx bigint)`,
          [
            JSON.stringify(
              hashRows.map((hash) => {
                const acquisition = prepared[ids.indexOf(hash.itemId)].input.acquisition!;
                return {
                  item_id: hash.itemId,
                  target: hash.target,
                  algorithm: hash.algorithm,
                  value: hash.value,
                  tool: acquisition.tool,
                  tool_version: acquisition.toolVersion,
                  occurred_at: hash.occurred.instant.toISOString(),
                  occurred_offset: hash.occurred.offsetMinutes,
                  idx: hash.index,
                };
              }),
            ),
            actor.id,
          ],
        );
      }
      await this.records.link(
        em,
        appended.map((entry, n) => ({ itemId: ids[n], index: entry.index, type: entry.entry.type })),
      );
      return { items: await this.views(em, ids) };
    });
  }

  /** Parents named by id: items of the same case; a derived item's parent must be held by the examiner. */
  private async loadParents(
    em: EntityManager,
    ctx: RequestContext,
    caseId: string,
    prepared: readonly PreparedItem[],
  ): Promise<{ items: Map<string, ItemRow> }> {
    const ids = [
      ...new Set(
        prepared.flatMap((item) => (item.input.parentId === undefined ? [] : [item.input.parentId.toLowerCase()])),
      ),
    ];
    const parents = new Map<string, ItemRow>();
    if (ids.length === 0) return { items: parents };
    const rows = await em.query<Array<ItemRow & LatestEntryColumns>>(
      `${ITEM_SELECT_CHECKED} WHERE i.id = ANY($1::uuid[]) AND i.case_id = $2 ORDER BY i.id FOR UPDATE OF i`,
      [ids, caseId],
    );
    // An image is made of what the examiner holds: that custody is checked against the ledger first.
    await this.records.checkAgainstLedger(em, ctx, rows);
    for (const row of rows) parents.set(row.id, row);
    for (const [n, item] of prepared.entries()) {
      if (item.input.parentId === undefined) continue;
      const parent = parents.get(item.input.parentId.toLowerCase());
      if (parent === undefined)
        throw new CustodyInvalidError(
          'parent_not_found',
          'parentId names no item of this case',
          `items[${n}].parentId`,
        );
      item.input.parentId = parent.id;
      if (item.derived) this.records.requireHeldBy(parent, ctx.actor!, `registers images or extractions of it`);
    }
    return { items: parents };
  }

  /** Gapless per agency and year: the counter row is updated in this transaction, so a rollback gives the numbers back. */
  private async allocateNumbers(
    em: EntityManager,
    agencyId: string,
    agencyCode: string,
    count: number,
  ): Promise<string[]> {
    let rows: Array<{ year: number; last_value: number }>;
    try {
      rows = await em.query(
        `INSERT INTO item_number_sequence AS s (agency_id, year, last_value)
         VALUES ($1, extract(year FROM now() AT TIME ZONE 'UTC')::int, $2)
         ON CONFLICT (agency_id, year) DO UPDATE SET last_value = s.last_value + $2
         RETURNING year, last_value`,
        [agencyId, count],
      );
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23514') {
        throw new CustodyConflictError(
          'item_numbers_exhausted',
          `${agencyCode} has used all 999,999 item numbers of this year`,
        );
      }
      throw error;
    }
    const { year, last_value: last } = rows[0];
    return Array.from(
      { length: count },
      (_, n) => `${agencyCode}-${year}-${String(last - count + 1 + n).padStart(6, '0')}`,
    );
  }

  private async views(db: Pick<EntityManager, 'query'>, ids: readonly string[]): Promise<ItemView[]> {
    const rows = await db.query<ItemRow[]>(`${ITEM_SELECT} WHERE i.id = ANY($1::uuid[]) ORDER BY i.item_number`, [ids]);
    return rows.map(itemView);
  }

  async get(ctx: RequestContext, itemId: string): Promise<ItemView> {
    const { item } = await this.records.requireItem(this.dataSource, ctx, itemId, 'read');
    return itemView(item);
  }

  async list(
    ctx: RequestContext,
    query: {
      caseId?: string;
      custodian?: string;
      state?: string;
      integrity?: string;
      q?: string;
      limit: number;
      cursor?: string;
    },
  ): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = [this.caseAccess.accessibleCasePredicate(ctx, 'i.case_id', 'read', param)];
    if (query.caseId !== undefined) where.push(`i.case_id = ${param(query.caseId)}`);
    if (query.custodian !== undefined)
      where.push(`i.custodian_id = ${param(query.custodian === 'me' ? ctx.actor!.id : query.custodian.toLowerCase())}`);
    if (query.state !== undefined) where.push(`i.state = ${param(query.state)}`);
    if (query.integrity !== undefined) where.push(`i.integrity = ${param(query.integrity)}`);
    if (query.q !== undefined) {
      const prefix = param(`${escapeLike(query.q.toLowerCase())}%`);
      const exact = param(query.q.replace(/\s+/g, ''));
      where.push(`(lower(i.item_number) LIKE ${prefix} OR lower(i.serial) LIKE ${prefix} OR lower(i.seal_number) LIKE ${prefix}
                   OR i.imeis @> ARRAY[${exact}::text] OR i.iccid = ${exact})`);
    }
    if (query.cursor !== undefined) {
      const [after] = decodeCursor(query.cursor, ['string'] as const);
      if (after.length > 64) throw new CursorInvalidError();
      where.push(`i.item_number > ${param(after)}`);
    }
    const rows = await this.dataSource.query<ItemRow[]>(
      `${ITEM_SELECT} WHERE ${where.join(' AND ')} ORDER BY i.item_number LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const items = rows.slice(0, query.limit).map(itemView);
    return { items, nextCursor: rows.length > query.limit ? encodeCursor([items[items.length - 1].itemNumber]) : null };
  }

  /** A storage move by the custodian. */
  async move(ctx: RequestContext, itemId: string, input: MoveItemDto): Promise<ItemView> {
    return this.records.ledger.write(async (em) => {
      const { item, kase } = await this.records.requireItem(em, ctx, itemId, 'contribute', { lock: true });
      this.records.requireHeldBy(item, ctx.actor!, 'moves it');
      if (item.location === input.location)
        throw new CustodyInvalidError(
          'location_unchanged',
          `${item.item_number} is at ${item.location} already`,
          'location',
        );
      const data: ItemMovedData = { from: item.location, to: input.location, reason: input.reason ?? null };
      const [entry] = await this.records.append(em, ctx, [
        {
          type: T.moved,
          actor: this.records.entryActor(ctx),
          subject: { type: 'item', id: item.id, number: item.item_number },
          case: { id: kase.id, number: kase.case_number },
          data,
        },
      ]);
      await em.query('UPDATE item SET location = $2 WHERE id = $1', [item.id, input.location]);
      await this.records.link(em, [{ itemId: item.id, index: entry.index, type: T.moved }]);
      return (await this.views(em, [item.id]))[0];
    });
  }

  /** Disposal: terminal, under an authority, signed by the custodian and by a witness. */
  async dispose(ctx: RequestContext, itemId: string, input: DisposeItemDto): Promise<ItemView> {
    const actor = ctx.actor!;
    if (input.disposition !== 'destroyed' && input.recipient === undefined) {
      throw new CustodyInvalidError(
        'recipient_required',
        'Say who received the item (an opaque reference for an owner)',
        'recipient',
      );
    }
    const occurred = this.records.eventTime(input.occurredAt, 'occurredAt');
    const witness = await findUserByUsername(this.dataSource, input.witness.username);
    if (witness === undefined || !witness.active || witness.agency_id === null) {
      throw new CustodyInvalidError(
        'witness_invalid',
        `There is no active user ${input.witness.username}`,
        'witness.username',
      );
    }
    if (witness.id === actor.id)
      throw new CustodyInvalidError(
        'witness_invalid',
        'The witness is someone other than the custodian',
        'witness.username',
      );
    if (!witness.roles.some((role) => CASE_WORKER_ROLES.includes(role))) {
      throw new CustodyInvalidError(
        'witness_invalid',
        'The witness is an officer, clerk, examiner or prosecutor',
        'witness.username',
      );
    }
    const signer = await this.records.authenticate(ctx, input.signature, 'disposed');
    const witnessCtx: RequestContext = {
      ...ctx,
      actor: {
        id: witness.id,
        username: witness.username,
        displayName: witness.display_name,
        agencyId: witness.agency_id,
        agencyCode: witness.agency_code,
        roles: witness.roles,
      },
    };
    const witnessSigner = await this.records.authenticate(
      witnessCtx,
      { password: input.witness.password, meaning: 'witnessed' },
      'witnessed',
      'witness',
      actor.id,
    );
    return this.records.ledger.write(async (em) => {
      const { item, kase } = await this.records.requireItem(em, ctx, itemId, 'contribute', { lock: true });
      this.records.requireHeldBy(item, actor, 'disposes of it');
      if ((await this.caseAccess.accessOf(em, witnessCtx.actor!, kase.id)) === null) {
        throw new CustodyInvalidError(
          'witness_invalid',
          `${witness.username} has no access to case ${kase.case_number}`,
          'witness.username',
        );
      }
      const data: ItemDisposedData = {
        disposition: input.disposition,
        authorityReference: input.authorityReference,
        recipient: input.recipient ?? null,
        notes: input.notes ?? null,
        custodian: actorParty(actor),
        witness: partyOf(witness),
        occurredAt: occurred.text,
      };
      const event = await this.records.signEvent(
        em,
        {
          type: T.disposed,
          actor: this.records.entryActor(ctx),
          subject: { type: 'item', id: item.id, number: item.item_number },
          case: { id: kase.id, number: kase.case_number },
          data,
        },
        [
          { signer, ctx },
          { signer: witnessSigner, ctx: witnessCtx },
        ],
      );
      const [entry] = await this.records.append(em, ctx, [event]);
      await em.query(`UPDATE item SET state = 'disposed', disposition = $2, disposed_at = $3 WHERE id = $1`, [
        item.id,
        input.disposition,
        occurred.instant,
      ]);
      await this.records.link(em, [{ itemId: item.id, index: entry.index, type: T.disposed }]);
      return (await this.views(em, [item.id]))[0];
    });
  }

  /**
   * A correction: a new entry naming the entry it corrects and why (docs/design.md §2). What was seized can
   * be corrected on its registration entry, a location on its storage-move entry; the item's view
   * shows the corrected value, its history both.
   */
  async correct(ctx: RequestContext, itemId: string, input: CorrectItemDto): Promise<ItemView> {
    const changes = Object.entries(input.changes).filter(([, value]) => value !== undefined) as Array<
      [string, unknown]
    >;
    if (changes.length === 0)
      throw new CustodyInvalidError('correction_empty', 'Give at least one corrected value', 'changes');
    const signer = await this.records.authenticate(ctx, input.signature, 'corrected');
    return this.records.ledger.write(async (em) => {
      const { item, kase } = await this.records.requireItem(em, ctx, itemId, 'contribute', { lock: true });
      const [target] = await em.query<Array<{ type: string; entry: Buffer }>>(
        `SELECT ie.type, le.entry FROM item_event ie JOIN ledger_entry le ON le.idx = ie.ledger_idx WHERE ie.item_id = $1 AND ie.ledger_idx = $2`,
        [item.id, input.corrects],
      );
      if (target === undefined)
        throw new CustodyInvalidError(
          'correction_target_invalid',
          `Entry ${input.corrects} is not an entry of ${item.item_number}`,
          'corrects',
        );
      const recorded = JSON.parse(target.entry.toString('utf8')) as { data: Record<string, unknown> };
      const diffs: Array<{ field: string; from: unknown; to: unknown }> = [];
      const updates: Array<[column: string, value: unknown]> = [];
      let newLocation: string | undefined;
      if (target.type === T.seized || target.type === T.derived) {
        const current = itemView(item) as unknown as Record<string, unknown>;
        for (const [field, raw] of changes) {
          if (field === 'location')
            throw new CustodyInvalidError(
              'correction_field_invalid',
              'A location is corrected on the storage move that recorded it',
              'changes.location',
            );
          let value: unknown = raw;
          let columns: Array<[string, unknown]> = [[CORRECTION_COLUMNS[field as keyof typeof CORRECTION_COLUMNS], raw]];
          if (field === 'macAddresses') {
            value = (raw as string[]).map((mac) => normaliseMac(mac)!);
            columns = [['mac_addresses', value]];
          } else if (field === 'capacityBytes') {
            value = String(raw);
          } else if (field === 'occurredAt') {
            const time = this.records.eventTime(raw as string, 'changes.occurredAt');
            value = time.text;
            columns = [
              ['occurred_at', time.instant],
              ['occurred_offset', time.offsetMinutes],
            ];
          }
          if (JSON.stringify(current[field] ?? null) === JSON.stringify(value)) continue;
          diffs.push({ field, from: current[field] ?? null, to: value });
          updates.push(...columns);
        }
      } else if (target.type === T.moved) {
        const other = changes.find(([field]) => field !== 'location');
        if (other !== undefined)
          throw new CustodyInvalidError(
            'correction_field_invalid',
            'A storage move is corrected in its location only',
            `changes.${other[0]}`,
          );
        newLocation = input.changes.location!;
        const was = await this.correctedValue(em, item.id, input.corrects, 'location', recorded.data.to);
        if (was !== newLocation) diffs.push({ field: 'location', from: was, to: newLocation });
      } else {
        throw new CustodyInvalidError(
          'correction_not_supported',
          `A ${target.type} entry cannot be corrected (record a new event instead)`,
          'corrects',
        );
      }
      if (diffs.length === 0)
        throw new CustodyInvalidError('correction_no_change', 'The corrected values are the ones on record', 'changes');
      const data: ItemCorrectedData = { changes: diffs };
      const event = await this.records.signEvent(
        em,
        {
          type: T.corrected,
          actor: this.records.entryActor(ctx),
          subject: { type: 'item', id: item.id, number: item.item_number },
          case: { id: kase.id, number: kase.case_number },
          data,
          corrects: { index: input.corrects, reason: input.reason },
        },
        [{ signer, ctx }],
      );
      const [entry] = await this.records.append(em, ctx, [event]);
      if (newLocation !== undefined) {
        const [latest] = await em.query<Array<{ idx: string }>>(
          `SELECT max(ledger_idx) AS idx FROM item_event WHERE item_id = $1 AND type = ANY($2)`,
          [item.id, LOCATION_EVENTS],
        );
        if (Number(latest.idx) === input.corrects)
          await em.query('UPDATE item SET location = $2 WHERE id = $1', [item.id, newLocation]);
      } else if (updates.length > 0) {
        await em.query(
          `UPDATE item SET ${updates.map(([column], n) => `${column} = $${n + 2}`).join(', ')} WHERE id = $1`,
          [item.id, ...updates.map(([, value]) => value)],
        );
      }
      await this.records.link(em, [{ itemId: item.id, index: entry.index, type: T.corrected }]);
      return (await this.views(em, [item.id]))[0];
    });
  }

  /** A field of an entry as last corrected (or as recorded when never corrected). */
  private async correctedValue(
    em: EntityManager,
    itemId: string,
    index: number,
    field: string,
    recorded: unknown,
  ): Promise<unknown> {
    const rows = await em.query<Array<{ entry: Buffer }>>(
      `SELECT le.entry FROM item_event ie JOIN ledger_entry le ON le.idx = ie.ledger_idx WHERE ie.item_id = $1 AND ie.type = $2 ORDER BY le.idx`,
      [itemId, T.corrected],
    );
    let value = recorded;
    for (const row of rows) {
      const entry = JSON.parse(row.entry.toString('utf8')) as { corrects?: { index: number }; data: ItemCorrectedData };
      if (entry.corrects?.index !== index) continue;
      for (const change of entry.data.changes) if (change.field === field) value = change.to;
    }
    return value;
  }
}
