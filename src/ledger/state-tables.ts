import { createHash } from 'node:crypto';

import type pg from 'pg';

import type { CustodyEntry, ItemCustody } from '../custody/custody-chain.js';
import {
  CORRECTABLE_ITEM_FIELDS,
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type ItemDerivedData,
  type ItemSeizedData,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from '../custody/custody-events.js';
import { formatOffsetDateTime } from '../custody/item-records.js';
import type { LedgerEntry } from './core/entry.js';

/**
 * The current-state tables replayed from the ledger (docs/ledger.md §4, issue #16): what
 * `custos ledger verify` and the service's verification runs compare, besides the `item` custody
 * columns the custody replay gives. Every difference is reported with its table, its row and the
 * ledger index that says otherwise.
 *
 * - Rows written once per entry (`hash_record`, `item_event`) and transfers (`transfer` with its
 *   `transfer_item` rows) are read in ledger order through cursors on the verification's snapshot
 *   and merged with the entries as they stream past: memory stays flat whatever their number.
 *   A hash record's reference is checked as the row it points at (its entry, item, target and
 *   algorithm), not as an id the ledger never states.
 * - Cases and their shares are few: kept in memory and compared at the end.
 * - An item's registered fields are kept as a fingerprint (a digest, see `registrationFingerprint`)
 *   and its corrections as their changes, so the whole registration is compared without keeping it.
 */

export interface StateDifference {
  readonly table: string;
  /** The row: its key as a person would name it (item number, ids). */
  readonly row: string;
  /** The ledger entry that says otherwise; null for a row no entry accounts for. */
  readonly index: number | null;
  readonly reason: string;
}

/** At most this many differences are kept (the lowest ledger indexes first). */
export const MAX_DIFFERENCES = 100;

/** Collects differences, keeping the `MAX_DIFFERENCES` at the lowest ledger indexes. */
export class Differences {
  private readonly list: StateDifference[] = [];

  add(difference: StateDifference): void {
    this.list.push(difference);
    if (this.list.length > MAX_DIFFERENCES * 2) this.trim();
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  private trim(): void {
    const order = (d: StateDifference): number => d.index ?? Number.POSITIVE_INFINITY;
    this.list.sort((a, b) => order(a) - order(b) || (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
    this.list.length = Math.min(this.list.length, MAX_DIFFERENCES);
  }

  sorted(): StateDifference[] {
    this.trim();
    return [...this.list];
  }
}

/** A value in a difference's reason, always as JSON, so that `withoutValues` finds every one. */
export const quoted = (value: unknown): string =>
  value === null || value === undefined ? 'null' : JSON.stringify(value);

/**
 * A difference's reason without the values it quotes (every value is quoted as JSON by `quoted`):
 * what the service shows auditors and administrators of every agency, who may not read the case the
 * value belongs to. The full reason goes to the operator's log and the command line.
 */
export const withoutValues = (reason: string): string => reason.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');

/**
 * Rows of one query, in order, a page at a time through a cursor of the verification's transaction
 * (the next page is asked for while the current one is compared).
 */
class PagedCursor<R> {
  private page: R[] = [];
  private at = 0;
  private next: Promise<R[]> | undefined;
  private done = false;

  constructor(
    private readonly client: pg.Client,
    private readonly name: string,
    private readonly sql: string,
    private readonly pageSize = 5000,
  ) {}

  async open(): Promise<void> {
    await this.client.query(`DECLARE ${this.name} NO SCROLL CURSOR FOR ${this.sql}`);
    this.next = this.fetch();
  }

  private fetch(): Promise<R[]> {
    const page = this.client.query(`FETCH FORWARD ${this.pageSize} FROM ${this.name}`).then((r) => r.rows as R[]);
    // Awaited by `peek`; an error before that must not be an unhandled rejection meanwhile.
    page.catch(() => undefined);
    return page;
  }

  /** The next row (not consumed), or undefined at the end. */
  async peek(): Promise<R | undefined> {
    while (this.at >= this.page.length) {
      if (this.done || this.next === undefined) return undefined;
      this.page = await this.next;
      this.at = 0;
      if (this.page.length < this.pageSize) {
        this.done = true;
        this.next = undefined;
      } else {
        this.next = this.fetch();
      }
    }
    return this.page[this.at];
  }

  shift(): void {
    this.at++;
  }

  /** The rows whose key is below `index` (passed over) and those at it. */
  async until(index: number, key: (row: R) => number, passed: (row: R) => void): Promise<R[]> {
    const at: R[] = [];
    for (let row = await this.peek(); row !== undefined; row = await this.peek()) {
      const k = key(row);
      if (k > index) break;
      this.shift();
      if (k < index) passed(row);
      else at.push(row);
    }
    return at;
  }
}

interface HashRow {
  ledger_idx: string;
  id: string;
  item_id: string;
  target: string;
  algorithm: string;
  value: string;
  role: string;
  result: string | null;
  has_reference: boolean;
  reference_idx: string | null;
  reference_same: boolean | null;
  tool: string | null;
  tool_version: string | null;
  occurred_at: Date;
  occurred_offset: number;
  recorded_by: string;
  transfer_id: string | null;
}

const HASH_ROWS = `
  SELECT h.ledger_idx::text AS ledger_idx, h.id::text AS id, h.item_id::text AS item_id, h.target, h.algorithm, h.value,
         h.role, h.result, h.reference_id IS NOT NULL AS has_reference, r.ledger_idx::text AS reference_idx,
         (r.item_id = h.item_id AND r.target = h.target AND r.algorithm = h.algorithm AND r.role = 'reference') AS reference_same,
         h.tool, h.tool_version, h.occurred_at, h.occurred_offset, h.recorded_by::text AS recorded_by,
         h.transfer_id::text AS transfer_id
    FROM hash_record h LEFT JOIN hash_record r ON r.id = h.reference_id
   ORDER BY h.ledger_idx`;

interface ItemEventRow {
  ledger_idx: string;
  item_id: string;
  type: string;
}

// Ordered by the column, not by its text alias (which would put 10 before 4).
const ITEM_EVENT_ROWS = `SELECT e.ledger_idx::text AS ledger_idx, e.item_id::text AS item_id, e.type FROM item_event e ORDER BY e.ledger_idx`;

interface TransferRow {
  at: string;
  id: string;
  case_id: string;
  from_user_id: string;
  to_user_id: string;
  purpose: string;
  status: string;
  item_count: number;
  release_idx: string;
  resolved_by: string | null;
  resolution_idx: string | null;
  resolution_note: string | null;
  release_occurred_ms: string;
  release_occurred_offset: number;
  accepted_occurred_ms: string | null;
  accepted_occurred_offset: number | null;
  /** [item_id, position, pending, seal_intact, seal_note] by position. */
  items: Array<[string, number, boolean, boolean | null, string | null]> | null;
}

/** A transfer's row is final at its resolution, or at its release while it is pending. */
const TRANSFER_ROWS = `
  SELECT coalesce(t.resolution_idx, t.release_idx)::text AS at, t.id::text AS id, t.case_id::text AS case_id,
         t.from_user_id::text AS from_user_id, t.to_user_id::text AS to_user_id, t.purpose, t.status, t.item_count,
         t.release_idx::text AS release_idx, t.resolved_by::text AS resolved_by, t.resolution_idx::text AS resolution_idx,
         t.resolution_note,
         (extract(epoch FROM t.release_occurred_at) * 1000)::bigint::text AS release_occurred_ms, t.release_occurred_offset,
         (extract(epoch FROM t.accepted_occurred_at) * 1000)::bigint::text AS accepted_occurred_ms, t.accepted_occurred_offset,
         (SELECT json_agg(json_build_array(ti.item_id, ti.position, ti.pending, ti.seal_intact, ti.seal_note)
                          ORDER BY ti.position, ti.item_id)
            FROM transfer_item ti WHERE ti.transfer_id = t.id) AS items
    FROM transfer t
   ORDER BY coalesce(t.resolution_idx, t.release_idx), t.id`;

/** A hash record as its entry states it. */
interface ExpectedHash {
  itemId: string;
  itemNumber: string;
  target: string;
  algorithm: string;
  value: string;
  role: 'reference' | 'verification';
  result: string | null;
  referenceIndex: number | null;
  tool: string | null;
  /** Undefined: the entry does not say. */
  toolVersion: string | null | undefined;
  occurredAt: string;
  recordedBy: string;
  transferId: string | null;
}

/** The hash records an entry creates (a registration with acquisition hashes, a hash record, an acceptance). */
function expectedHashes(entry: LedgerEntry): ExpectedHash[] {
  const recordedBy = entry.actor?.id ?? '';
  if (entry.type === T.derived) {
    const data = entry.data as unknown as ItemDerivedData;
    return data.hashes.values.map((value) => ({
      itemId: entry.subject.id,
      itemNumber: entry.subject.number ?? entry.subject.id,
      target: data.hashes.target,
      algorithm: value.algorithm,
      value: value.value,
      role: 'reference',
      result: null,
      referenceIndex: null,
      tool: data.acquisition.tool,
      toolVersion: data.acquisition.toolVersion,
      occurredAt: data.hashes.occurredAt,
      recordedBy,
      transferId: null,
    }));
  }
  if (entry.type === T.hashRecorded) {
    const data = entry.data as unknown as HashRecordedData;
    return data.values.map((value) => ({
      itemId: entry.subject.id,
      itemNumber: entry.subject.number ?? entry.subject.id,
      target: data.target,
      algorithm: value.algorithm,
      value: value.value,
      role: data.role,
      result: 'result' in value ? value.result : null,
      referenceIndex: 'referenceIndex' in value ? (value.referenceIndex ?? null) : null,
      tool: data.tool?.name ?? null,
      // The entry keeps a version only with a tool's name (the table keeps one given alone).
      toolVersion: data.tool === null ? undefined : data.tool.version,
      occurredAt: data.occurredAt,
      recordedBy,
      transferId: null,
    }));
  }
  if (entry.type === T.accepted) {
    const data = entry.data as unknown as TransferAcceptedData;
    // Before ADR 0033 an acceptance stated no time, and its recording time was the hashes'.
    const occurredAt = data.occurredAt ?? formatOffsetDateTime(new Date(entry.recordedAt), 0);
    return data.items.flatMap((item) =>
      item.hashes.map((hash) => ({
        itemId: item.id,
        itemNumber: item.number,
        target: hash.target,
        algorithm: hash.algorithm,
        value: hash.value,
        role: 'verification' as const,
        result: hash.result,
        referenceIndex: hash.referenceIndex ?? null,
        tool: null,
        toolVersion: null,
        occurredAt,
        recordedBy,
        transferId: entry.subject.id,
      })),
    );
  }
  return [];
}

/** The items an entry is indexed under (`item_event`): its item, or every item of its transfer. */
function linkedItems(entry: LedgerEntry): string[] {
  switch (entry.type) {
    case T.seized:
    case T.derived:
    case T.hashRecorded:
    case T.moved:
    case T.disposed:
    case T.corrected:
      return [entry.subject.id];
    case T.released:
    case T.accepted:
    case T.rejected:
    case T.cancelled:
      return (entry.data as unknown as { items: Array<{ id: string }> }).items.map((item) => item.id);
    default:
      return [];
  }
}

interface ReleasedTransfer {
  readonly index: number;
  readonly caseId: string | null;
  readonly from: string;
  readonly to: string;
  readonly purpose: string;
  readonly items: readonly string[];
  /** The hand-over time the release states; undefined in entries from before ADR 0033. */
  readonly occurredAt: string | undefined;
  /** Its row was found at the release (it must be, unless a later entry resolves it). */
  seenAtRelease: boolean;
}

interface CaseState {
  readonly number: string;
  readonly agency: string | null;
  readonly createdBy: string | null;
  readonly title: unknown;
  readonly legalAuthority: unknown;
  status: 'open' | 'closed';
  closeReason: string | null;
  lastIndex: number;
}

interface ShareState {
  readonly caseId: string;
  readonly grantee: unknown;
  readonly access: unknown;
  readonly grantedBy: string | null;
  readonly index: number;
  revokedBy: string | null;
  revokedIndex: number | null;
}

export const CASE_EVENT_TYPES = ['case.opened', 'case.shared', 'case.share_revoked', 'case.closed', 'case.reopened'];
const CASE_TYPES = new Set(CASE_EVENT_TYPES);

/** Whether entries of this type change a state table (and must be parsed to replay them). */
export function changesState(type: string, custody: boolean): boolean {
  return custody || CASE_TYPES.has(type);
}

/**
 * A digest of everything an item's registration records and its row keeps: the case, who
 * registered it for which agency, what it is and where it came from, and every correctable field
 * (by its API name, in `CORRECTABLE_ITEM_FIELDS` order). 16 bytes of SHA-256, base64: what the
 * replay keeps per item instead of the description.
 */
export function registrationFingerprint(fields: RegisteredFields): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest().subarray(0, 16).toString('base64');
}

/** [case, agency, registered by, kind, parent, acquisition tool, version, method, ...correctable fields]. */
export type RegisteredFields = unknown[];
const FIXED = 8;

export function registeredFieldsOfEntry(entry: CustodyEntry): RegisteredFields {
  const data = entry.data as ItemSeizedData | ItemDerivedData;
  const full = entry as LedgerEntry;
  const item = data.item as unknown as Record<string, unknown>;
  const acquisition = 'acquisition' in data ? data.acquisition : null;
  return [
    full.case?.id ?? null,
    full.actor?.agency ?? null,
    full.actor?.id ?? null,
    data.item.kind,
    data.item.parent?.id ?? null,
    acquisition?.tool ?? null,
    acquisition?.toolVersion ?? null,
    acquisition?.method ?? null,
    ...CORRECTABLE_ITEM_FIELDS.map((field) => item[field] ?? null),
  ];
}

const FIELD_NAMES = [
  'case',
  'agency',
  'registered_by',
  'kind',
  'parent',
  'acquisition tool',
  'acquisition tool version',
  'acquisition method',
  ...CORRECTABLE_ITEM_FIELDS,
];

/** The columns of an item row in the order of `registeredFieldsOfEntry` (occurredAt formatted by the caller). */
export const ITEM_FIELDS_SQL = `json_build_array(i.case_id, a.code, i.registered_by, i.kind, i.parent_id, i.acquisition_tool,
  i.acquisition_tool_version, i.acquisition_method, i.description, i.make, i.model, i.serial, i.imeis, i.iccid, i.mac_addresses,
  i.capacity_bytes::text, i.condition, i.power_state, i.seal_number, NULL, i.place, i.seized_from, i.legal_authority)::text`;
const OCCURRED_AT = FIXED + CORRECTABLE_ITEM_FIELDS.indexOf('occurredAt');

export function registeredFieldsOfRow(
  fieldsJson: string,
  occurredMs: number,
  occurredOffset: number,
): RegisteredFields {
  const fields = JSON.parse(fieldsJson) as RegisteredFields;
  fields[OCCURRED_AT] = formatOffsetDateTime(new Date(occurredMs), occurredOffset);
  return fields;
}

/**
 * Compares an item row's registered fields with the replay: the corrected fields must hold their
 * last correction's value, and with each one's value before its first correction put back, the
 * row must be the registration. Returns the first difference found, or undefined: `unnamed` when
 * only the fingerprint says so (`nameRegisteredDifference` names the field from the registration).
 */
export function registeredDifference(
  item: ItemCustody,
  rowFields: RegisteredFields,
): { reason: string; unnamed: boolean } | undefined {
  const original = [...rowFields];
  if (item.corrections !== null) {
    const last = new Map<string, { index: number; to: unknown }>();
    for (const change of item.corrections) {
      const position =
        FIXED + CORRECTABLE_ITEM_FIELDS.indexOf(change.field as (typeof CORRECTABLE_ITEM_FIELDS)[number]);
      if (position < FIXED) continue;
      const before = last.get(change.field);
      if (before !== undefined && JSON.stringify(before.to) !== JSON.stringify(change.from ?? null)) {
        return {
          reason: `item ${item.number}: the correction at entry ${change.index} says ${change.field} was ${quoted(change.from)}, but the correction at entry ${before.index} made it ${quoted(before.to)}`,
          unnamed: false,
        };
      }
      if (before === undefined) original[position] = change.from ?? null;
      last.set(change.field, { index: change.index, to: change.to ?? null });
    }
    for (const [field, { index, to }] of last) {
      const position = FIXED + CORRECTABLE_ITEM_FIELDS.indexOf(field as (typeof CORRECTABLE_ITEM_FIELDS)[number]);
      if (JSON.stringify(rowFields[position]) !== JSON.stringify(to)) {
        return {
          reason: `item ${item.number}: the item table has ${field} ${quoted(rowFields[position])} but the correction at entry ${index} gives ${quoted(to)}`,
          unnamed: false,
        };
      }
    }
  }
  if (registrationFingerprint(original) !== item.fingerprint) {
    return {
      reason: `item ${item.number}: the item table's registered fields differ from its registration at entry ${item.registeredIndex}`,
      unnamed: true,
    };
  }
  return undefined;
}

/** Names the field that differs, given the registration entry (read again only when a fingerprint differs). */
export function nameRegisteredDifference(
  item: ItemCustody,
  rowFields: RegisteredFields,
  registration: CustodyEntry,
): string | undefined {
  const registered = registeredFieldsOfEntry(registration);
  const corrected = new Set((item.corrections ?? []).map((change) => change.field));
  for (const [position, value] of registered.entries()) {
    const name = FIELD_NAMES[position];
    if (corrected.has(name)) continue;
    if (JSON.stringify(value) !== JSON.stringify(rowFields[position])) {
      return `item ${item.number}: the item table has ${name} ${quoted(rowFields[position])} but its registration at entry ${item.registeredIndex} gives ${quoted(value)}`;
    }
  }
  return undefined;
}

/**
 * The merge of the ledger's state-changing entries with the state tables. `open` declares the
 * cursors on the verification's snapshot; `entry` takes each custody or case entry in index order
 * (after the custody replay accepted it); `finish` compares what is left, cases and shares.
 */
export class StateTables {
  private readonly hashes: PagedCursor<HashRow>;
  private readonly events: PagedCursor<ItemEventRow>;
  private readonly transferRows: PagedCursor<TransferRow>;
  private readonly released = new Map<string, ReleasedTransfer>();
  private readonly cases = new Map<string, CaseState>();
  private readonly shares = new Map<string, ShareState>();

  constructor(
    private readonly client: pg.Client,
    private readonly differences: Differences,
  ) {
    this.hashes = new PagedCursor(client, 'custos_verify_hash_record', HASH_ROWS);
    this.events = new PagedCursor(client, 'custos_verify_item_event', ITEM_EVENT_ROWS);
    this.transferRows = new PagedCursor(client, 'custos_verify_transfer', TRANSFER_ROWS, 1000);
  }

  async open(): Promise<void> {
    await this.hashes.open();
    await this.events.open();
    await this.transferRows.open();
  }

  private differ(table: string, row: string, index: number | null, reason: string): void {
    this.differences.add({ table, row, index, reason });
  }

  /** Rows keyed at an index where no entry creates them. */
  private stray = {
    hash: (row: HashRow): void =>
      this.differ(
        'hash_record',
        row.id,
        null,
        `hash_record ${row.id} (item ${row.item_id}, ${row.target}, ${row.algorithm}) names ledger entry ${row.ledger_idx}, which records no such hash`,
      ),
    event: (row: ItemEventRow): void =>
      this.differ(
        'item_event',
        `${row.item_id}@${row.ledger_idx}`,
        null,
        `item_event links item ${row.item_id} to ledger entry ${row.ledger_idx} (${row.type}), which does not concern it`,
      ),
    transfer: (row: TransferRow): void =>
      this.differ(
        'transfer',
        row.id,
        null,
        `transfer ${row.id} names ledger entry ${row.at} as its ${row.resolution_idx === null ? 'release' : 'resolution'}, which is not`,
      ),
  };

  async entry(entry: LedgerEntry): Promise<void> {
    const index = entry.index;
    if (CASE_TYPES.has(entry.type)) {
      this.caseEntry(entry);
      return;
    }
    this.hashEntry(entry, await this.hashes.until(index, (row) => Number(row.ledger_idx), this.stray.hash));
    this.itemEventEntry(entry, await this.events.until(index, (row) => Number(row.ledger_idx), this.stray.event));
    const transfers = await this.transferRows.until(index, (row) => Number(row.at), this.stray.transfer);
    this.transferEntry(entry, transfers);
  }

  private hashEntry(entry: LedgerEntry, rows: HashRow[]): void {
    const expected = expectedHashes(entry);
    const key = (item: string, target: string, algorithm: string): string => `${item}/${target}/${algorithm}`;
    const byKey = new Map(rows.map((row) => [key(row.item_id, row.target, row.algorithm), row]));
    for (const hash of expected) {
      const name = `${hash.itemNumber} ${hash.target} ${hash.algorithm} at entry ${entry.index}`;
      const k = key(hash.itemId, hash.target, hash.algorithm);
      const row = byKey.get(k);
      if (row === undefined) {
        this.differ(
          'hash_record',
          name,
          entry.index,
          `hash_record of item ${hash.itemNumber} (${hash.target}, ${hash.algorithm}) recorded at entry ${entry.index} is missing from the table`,
        );
        continue;
      }
      byKey.delete(k);
      const fields: Array<[string, unknown, unknown]> = [
        ['value', row.value, hash.value],
        ['role', row.role, hash.role],
        ['result', row.result, hash.result],
        ['tool', row.tool, hash.tool],
        ['tool_version', row.tool_version, hash.toolVersion],
        ['occurred_at', formatOffsetDateTime(row.occurred_at, row.occurred_offset), hash.occurredAt],
        ['recorded_by', row.recorded_by, hash.recordedBy],
        ['transfer_id', row.transfer_id, hash.transferId],
      ];
      for (const [column, stored, recorded] of fields) {
        if (recorded !== undefined && stored !== recorded) {
          this.differ(
            'hash_record',
            row.id,
            entry.index,
            `hash_record of item ${hash.itemNumber} (${hash.target}, ${hash.algorithm}) at entry ${entry.index}: the table has ${column} ${quoted(stored)} but the ledger gives ${quoted(recorded)}`,
          );
          break;
        }
      }
      const reference =
        hash.referenceIndex === null
          ? row.has_reference
            ? 'a reference, but the ledger compared it with none'
            : undefined
          : !row.has_reference || row.reference_idx === null
            ? `no reference, but the ledger compared it with the reference at entry ${hash.referenceIndex}`
            : Number(row.reference_idx) !== hash.referenceIndex || row.reference_same !== true
              ? `reference_id pointing at ${row.reference_same === true ? '' : 'another item, target, algorithm or a verification, '}entry ${row.reference_idx}, but the ledger compared it with the reference at entry ${hash.referenceIndex}`
              : undefined;
      if (reference !== undefined) {
        this.differ(
          'hash_record',
          row.id,
          entry.index,
          `hash_record of item ${hash.itemNumber} (${hash.target}, ${hash.algorithm}) at entry ${entry.index}: the table has ${reference}`,
        );
      }
    }
    for (const row of byKey.values()) {
      this.differ(
        'hash_record',
        row.id,
        entry.index,
        `hash_record ${row.id} (item ${row.item_id}, ${row.target}, ${row.algorithm}) names entry ${entry.index}, which records no such hash`,
      );
    }
  }

  private itemEventEntry(entry: LedgerEntry, rows: ItemEventRow[]): void {
    const linked = new Set(rows.map((row) => row.item_id));
    for (const itemId of linkedItems(entry)) {
      if (!linked.delete(itemId)) {
        this.differ(
          'item_event',
          `${itemId}@${entry.index}`,
          entry.index,
          `item_event: entry ${entry.index} (${entry.type}) concerns item ${itemId} but is missing from its history index`,
        );
      }
    }
    for (const row of rows) {
      if (linked.has(row.item_id)) this.stray.event(row);
      else if (row.type !== entry.type) {
        this.differ(
          'item_event',
          `${row.item_id}@${row.ledger_idx}`,
          entry.index,
          `item_event of item ${row.item_id} at entry ${entry.index}: the table has type ${quoted(row.type)} but the entry is ${quoted(entry.type)}`,
        );
      }
    }
  }

  private transferEntry(entry: LedgerEntry, rows: TransferRow[]): void {
    const transferId = entry.subject.id;
    const isTransfer = entry.subject.type === 'transfer';
    const mine = isTransfer ? rows.find((row) => row.id === transferId) : undefined;
    for (const row of rows) if (row !== mine) this.stray.transfer(row);
    if (!isTransfer) return;
    if (entry.type === T.released) {
      const data = entry.data as unknown as TransferReleasedData;
      const released: ReleasedTransfer = {
        index: entry.index,
        caseId: entry.case?.id ?? null,
        from: data.from.id,
        to: data.to.id,
        purpose: data.purpose,
        items: data.items.map((item) => item.id),
        occurredAt: data.occurredAt,
        seenAtRelease: mine !== undefined,
      };
      this.released.set(transferId, released);
      if (mine !== undefined) this.compareTransfer(mine, released, entry, 'pending', null);
      return;
    }
    const released = this.released.get(transferId);
    if (released === undefined) return; // the custody replay refuses a resolution without its release
    this.released.delete(transferId);
    if (mine === undefined) {
      this.differ(
        'transfer',
        transferId,
        entry.index,
        `transfer ${transferId}: ${entry.type} at entry ${entry.index} but the table's row does not record it`,
      );
      return;
    }
    const status = entry.type === T.accepted ? 'accepted' : entry.type === T.rejected ? 'rejected' : 'cancelled';
    this.compareTransfer(
      mine,
      released,
      entry,
      status,
      entry.type === T.accepted ? null : (entry.data as TransferClosedData).reason,
    );
  }

  private compareTransfer(
    row: TransferRow,
    released: ReleasedTransfer,
    entry: LedgerEntry,
    status: string,
    note: string | null,
  ): void {
    const resolved = status !== 'pending';
    const fields: Array<[string, unknown, unknown]> = [
      ['status', row.status, status],
      ['release_idx', Number(row.release_idx), released.index],
      ['case_id', row.case_id, released.caseId],
      ['from_user_id', row.from_user_id, released.from],
      ['to_user_id', row.to_user_id, released.to],
      ['purpose', row.purpose, released.purpose],
      ['item_count', row.item_count, released.items.length],
      ['resolved_by', row.resolved_by, resolved ? (entry.actor?.id ?? null) : null],
      [
        'resolution_idx',
        row.resolution_idx === null ? null : Number(row.resolution_idx),
        resolved ? entry.index : null,
      ],
      ['resolution_note', row.resolution_note, note ?? null],
    ];
    // Hand-over times (ADR 0033), where the entries state them: older ones leave the backfill alone.
    const stated = (ms: string | null, offset: number | null): string | null =>
      ms === null ? null : formatOffsetDateTime(new Date(Number(ms)), offset ?? 0);
    if (released.occurredAt !== undefined)
      fields.push([
        'release_occurred_at',
        stated(row.release_occurred_ms, row.release_occurred_offset),
        released.occurredAt,
      ]);
    const acceptedAt = entry.type === T.accepted ? (entry.data as TransferAcceptedData).occurredAt : null;
    if (acceptedAt !== undefined)
      fields.push(['accepted_occurred_at', stated(row.accepted_occurred_ms, row.accepted_occurred_offset), acceptedAt]);
    for (const [column, stored, recorded] of fields) {
      if (stored !== recorded) {
        this.differ(
          'transfer',
          row.id,
          entry.index,
          `transfer ${row.id}: the table has ${column} ${quoted(stored)} but the ledger gives ${quoted(recorded)}`,
        );
        return;
      }
    }
    const accepted =
      entry.type === T.accepted
        ? new Map((entry.data as unknown as TransferAcceptedData).items.map((item) => [item.id, item]))
        : undefined;
    const items = row.items ?? [];
    if (items.length !== released.items.length) {
      this.differ(
        'transfer_item',
        row.id,
        entry.index,
        `transfer ${row.id}: the transfer_item table has ${items.length} items but the release at entry ${released.index} names ${released.items.length}`,
      );
      return;
    }
    for (const [position, itemId] of released.items.entries()) {
      const [id, storedPosition, pending, sealIntact, sealNote] = items[position];
      const statement = accepted?.get(itemId);
      const expected: Array<[string, unknown, unknown]> = [
        ['item_id', id, itemId],
        ['position', storedPosition, position],
        ['pending', pending, !resolved],
        ['seal_intact', sealIntact, statement?.sealIntact ?? null],
        ['seal_note', sealNote, statement?.sealNote ?? null],
      ];
      for (const [column, stored, recorded] of expected) {
        if (stored !== recorded) {
          this.differ(
            'transfer_item',
            `${row.id}/${itemId}`,
            entry.index,
            `transfer_item of transfer ${row.id}, item ${itemId}: the table has ${column} ${quoted(stored)} but the ledger gives ${quoted(recorded)}`,
          );
          return;
        }
      }
    }
  }

  private caseEntry(entry: LedgerEntry): void {
    const data = entry.data as Record<string, unknown>;
    const caseId = entry.subject.id;
    const kase = this.cases.get(caseId);
    const actorId = entry.actor?.id ?? null;
    switch (entry.type) {
      case 'case.opened':
        if (kase !== undefined) {
          this.differ(
            'case_file',
            caseId,
            entry.index,
            `case ${caseId} is opened twice (entries ${kase.lastIndex} and ${entry.index})`,
          );
          return;
        }
        this.cases.set(caseId, {
          number: typeof data.caseNumber === 'string' ? data.caseNumber : (entry.subject.number ?? ''),
          agency: entry.actor?.agency ?? null,
          createdBy: actorId,
          title: data.title ?? null,
          legalAuthority: data.legalAuthority ?? [],
          status: 'open',
          closeReason: null,
          lastIndex: entry.index,
        });
        return;
      case 'case.closed':
      case 'case.reopened':
        if (kase === undefined) return this.unopened(entry);
        kase.status = entry.type === 'case.closed' ? 'closed' : 'open';
        kase.closeReason = entry.type === 'case.closed' ? ((data.reason as string | undefined) ?? null) : null;
        kase.lastIndex = entry.index;
        return;
      case 'case.shared': {
        if (kase === undefined) return this.unopened(entry);
        const shareId = String(data.shareId);
        this.shares.set(shareId, {
          caseId,
          grantee: data.grantee ?? null,
          access: data.access ?? null,
          grantedBy: actorId,
          index: entry.index,
          revokedBy: null,
          revokedIndex: null,
        });
        return;
      }
      case 'case.share_revoked': {
        const share = this.shares.get(String(data.shareId));
        if (share === undefined || share.caseId !== caseId) {
          this.differ(
            'case_share',
            String(data.shareId),
            entry.index,
            `case_share: entry ${entry.index} revokes share ${String(data.shareId)} of case ${caseId}, which no earlier entry grants`,
          );
          return;
        }
        share.revokedBy = actorId;
        share.revokedIndex = entry.index;
      }
    }
  }

  private unopened(entry: LedgerEntry): void {
    this.differ(
      'case_file',
      entry.subject.id,
      entry.index,
      `case ${entry.subject.id}: ${entry.type} at entry ${entry.index} but no earlier entry opens it`,
    );
  }

  /** Rows left after the last entry, transfers still pending, and the case tables. */
  async finish(): Promise<{ cases: number; shares: number }> {
    const end = Number.MAX_SAFE_INTEGER;
    await this.hashes.until(end, (row) => Number(row.ledger_idx), this.stray.hash);
    await this.events.until(end, (row) => Number(row.ledger_idx), this.stray.event);
    await this.transferRows.until(end, (row) => Number(row.at), this.stray.transfer);
    for (const [id, transfer] of this.released) {
      if (!transfer.seenAtRelease) {
        this.differ(
          'transfer',
          id,
          transfer.index,
          `transfer ${id} released at entry ${transfer.index} and still pending has no row as released`,
        );
      }
    }
    const [orphans] = (
      await this.client.query<{ count: string }>(
        'SELECT count(*)::text AS count FROM transfer_item ti WHERE NOT EXISTS (SELECT 1 FROM transfer t WHERE t.id = ti.transfer_id)',
      )
    ).rows;
    if (Number(orphans.count) > 0) {
      this.differ('transfer_item', '-', null, `${orphans.count} transfer_item rows belong to no transfer`);
    }
    return { cases: await this.compareCases(), shares: await this.compareShares() };
  }

  private async compareCases(): Promise<number> {
    const { rows } = await this.client.query<{
      id: string;
      case_number: string;
      title: string;
      legal_authority: string[];
      agency: string | null;
      created_by: string;
      status: string;
      close_reason: string | null;
    }>(
      `SELECT c.id::text AS id, c.case_number, c.title, c.legal_authority, a.code AS agency, c.created_by::text AS created_by,
              c.status, c.close_reason
         FROM case_file c LEFT JOIN agency a ON a.id = c.agency_id`,
    );
    const seen = new Set<string>();
    for (const row of rows) {
      const kase = this.cases.get(row.id);
      if (kase === undefined) {
        this.differ(
          'case_file',
          row.case_number,
          null,
          `case ${row.case_number} (${row.id}) is in the case_file table but no ledger entry opens it`,
        );
        continue;
      }
      seen.add(row.id);
      const fields: Array<[string, unknown, unknown]> = [
        ['case_number', row.case_number, kase.number],
        ['title', row.title, kase.title],
        ['legal_authority', row.legal_authority, kase.legalAuthority],
        ['agency', row.agency, kase.agency],
        ['created_by', row.created_by, kase.createdBy],
        ['status', row.status, kase.status],
        ['close_reason', row.close_reason, kase.closeReason],
      ];
      for (const [column, stored, recorded] of fields) {
        if (JSON.stringify(stored) !== JSON.stringify(recorded)) {
          this.differ(
            'case_file',
            row.case_number,
            kase.lastIndex,
            `case ${row.case_number}: the case_file table has ${column} ${quoted(stored)} but the ledger gives ${quoted(recorded)}`,
          );
          break;
        }
      }
    }
    for (const [id, kase] of this.cases) {
      if (!seen.has(id))
        this.differ(
          'case_file',
          kase.number,
          kase.lastIndex,
          `case ${kase.number} (${id}) is opened in the ledger but missing from the case_file table`,
        );
    }
    return rows.length;
  }

  private async compareShares(): Promise<number> {
    const { rows } = await this.client.query<{
      id: string;
      case_id: string;
      grantee: string | null;
      access: string;
      granted_by: string;
      revoked: boolean;
      revoked_by: string | null;
    }>(
      `SELECT s.id::text AS id, s.case_id::text AS case_id, coalesce(ga.code, gu.username) AS grantee, s.access,
              s.granted_by::text AS granted_by, s.revoked_at IS NOT NULL AS revoked, s.revoked_by::text AS revoked_by
         FROM case_share s LEFT JOIN agency ga ON ga.id = s.grantee_agency_id LEFT JOIN user_account gu ON gu.id = s.grantee_user_id`,
    );
    const seen = new Set<string>();
    for (const row of rows) {
      const share = this.shares.get(row.id);
      if (share === undefined) {
        this.differ(
          'case_share',
          row.id,
          null,
          `case_share ${row.id} (case ${row.case_id}, ${row.grantee ?? '?'}) is in the table but no ledger entry grants it`,
        );
        continue;
      }
      seen.add(row.id);
      const at = share.revokedIndex ?? share.index;
      const fields: Array<[string, unknown, unknown]> = [
        ['case_id', row.case_id, share.caseId],
        ['grantee', row.grantee, share.grantee],
        ['access', row.access, share.access],
        ['granted_by', row.granted_by, share.grantedBy],
        ['revoked', row.revoked, share.revokedIndex !== null],
        ['revoked_by', row.revoked_by, share.revokedBy],
      ];
      for (const [column, stored, recorded] of fields) {
        if (stored !== recorded) {
          this.differ(
            'case_share',
            row.id,
            at,
            `case_share ${row.id} (case ${row.case_id}): the table has ${column} ${quoted(stored)} but the ledger gives ${quoted(recorded)}`,
          );
          break;
        }
      }
    }
    for (const [id, share] of this.shares) {
      if (!seen.has(id))
        this.differ(
          'case_share',
          id,
          share.index,
          `case_share ${id} granted at entry ${share.index} is missing from the table`,
        );
    }
    return rows.length;
  }
}
