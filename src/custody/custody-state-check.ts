/**
 * Whether an item's row agrees with its latest ledger entry (issue #16): checked before every
 * custody write acts on the row, and by the ledger monitor for every item new entries touch. The
 * row names its latest entry (`last_event_idx`); the history index (`item_event`) must name the same
 * one; its bytes must hash to its stored leaf hash; it must concern the item; and what it says about
 * the item's custody — who holds it, in what state, in which transfer, whether it was found
 * compromised — must be what the row says. A correction says nothing about custody: the entry before
 * it does. Pure: the caller reads the rows and entries.
 */
import { leafHash } from '../ledger/core/merkle.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type ItemDisposedData,
  type ItemSeizedData,
  type ItemState,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from './custody-events.js';

/** A ledger entry as stored: index, bytes and leaf hash. */
export interface StoredEntry {
  readonly index: number;
  readonly bytes: Buffer | null;
  readonly leafHash: Buffer | null;
}

/** What the row of an item says about its custody. */
export interface ItemCustodyRow {
  readonly id: string;
  readonly item_number: string;
  readonly custodian_id: string;
  readonly state: ItemState;
  readonly integrity: string;
  readonly last_event_idx: string;
  readonly pending_transfer_id: string | null;
}

/** What an entry says an item's custody is right after it. */
export interface CustodyClaim {
  readonly custodianId: string;
  readonly state: ItemState;
  /** The pending transfer, while the item is in one. */
  readonly transferId: string | null;
  /** The entry itself found the item compromised (a mismatch, a broken seal). */
  readonly compromised: boolean;
}

export class CustodyStateProblem extends Error {
  constructor(
    /** The ledger index the row disagrees with. */
    readonly index: number | null,
    reason: string,
  ) {
    super(reason);
    this.name = 'CustodyStateProblem';
  }
}

interface ParsedEntry {
  readonly index: number;
  readonly type: string;
  readonly actor: { readonly id: string } | null;
  readonly subject: { readonly type: string; readonly id: string };
  readonly data: unknown;
}

/** An entry whose bytes hash to its stored leaf, parsed; a problem otherwise. */
export function trustedEntry(entry: StoredEntry, what: string): ParsedEntry {
  if (entry.bytes === null || entry.leafHash === null)
    throw new CustodyStateProblem(entry.index, `${what}: ledger entry ${entry.index} is missing`);
  if (!leafHash(entry.bytes).equals(entry.leafHash))
    throw new CustodyStateProblem(entry.index, `${what}: ledger entry ${entry.index} does not hash to its leaf hash`);
  let parsed: ParsedEntry;
  try {
    parsed = JSON.parse(entry.bytes.toString('utf8')) as ParsedEntry;
  } catch {
    throw new CustodyStateProblem(entry.index, `${what}: ledger entry ${entry.index} is not JSON`);
  }
  if (parsed?.index !== entry.index)
    throw new CustodyStateProblem(entry.index, `${what}: ledger entry ${entry.index} states another index`);
  return parsed;
}

/**
 * What `entry` says about the custody of `itemId`: null when it does not concern the item,
 * 'silent' for a correction (custody is never corrected).
 */
export function custodyClaim(entry: ParsedEntry, itemId: string): CustodyClaim | null | 'silent' {
  const item = entry.subject.type === 'item' && entry.subject.id === itemId;
  switch (entry.type) {
    case T.seized:
    case T.derived: {
      if (!item) return null;
      const data = entry.data as ItemSeizedData;
      return { custodianId: data.custodian.id, state: 'in_custody', transferId: null, compromised: false };
    }
    case T.hashRecorded: {
      if (!item || entry.actor === null) return null;
      const data = entry.data as HashRecordedData;
      const mismatch = data.values.some((value) => 'result' in value && value.result === 'mismatch');
      return { custodianId: entry.actor.id, state: 'in_custody', transferId: null, compromised: mismatch };
    }
    case T.moved:
      if (!item || entry.actor === null) return null;
      return { custodianId: entry.actor.id, state: 'in_custody', transferId: null, compromised: false };
    case T.disposed:
      if (!item) return null;
      return {
        custodianId: (entry.data as ItemDisposedData).custodian.id,
        state: 'disposed',
        transferId: null,
        compromised: false,
      };
    case T.corrected:
      return item ? 'silent' : null;
    case T.released: {
      const data = entry.data as TransferReleasedData;
      if (!data.items.some((ref) => ref.id === itemId)) return null;
      return { custodianId: data.from.id, state: 'transfer_pending', transferId: entry.subject.id, compromised: false };
    }
    case T.accepted: {
      const data = entry.data as TransferAcceptedData;
      const accepted = data.items.find((ref) => ref.id === itemId);
      if (accepted === undefined) return null;
      const compromised = !accepted.sealIntact || accepted.hashes.some((hash) => hash.result === 'mismatch');
      return { custodianId: data.to.id, state: 'in_custody', transferId: null, compromised };
    }
    case T.rejected:
    case T.cancelled: {
      const data = entry.data as TransferClosedData;
      if (!data.items.some((ref) => ref.id === itemId)) return null;
      return { custodianId: data.from.id, state: 'in_custody', transferId: null, compromised: false };
    }
    default:
      return null;
  }
}

/**
 * Checks `row` against its latest entry per the history index (`latest`) and, when that is a
 * correction, the latest entry that states custody (`stating`, which the caller reads only then:
 * `needsStatingEntry`). Throws a CustodyStateProblem naming the index and what differs.
 */
export function checkItemAgainstLedger(
  row: ItemCustodyRow,
  latest: StoredEntry | null,
  stating?: StoredEntry | null,
): void {
  const what = `item ${row.item_number}`;
  const lastIndex = Number(row.last_event_idx);
  if (latest === null)
    throw new CustodyStateProblem(
      lastIndex,
      `${what}: its row names ledger entry ${lastIndex} but its history has none`,
    );
  if (latest.index !== lastIndex) {
    throw new CustodyStateProblem(
      latest.index,
      `${what}: its row names ledger entry ${lastIndex} as its latest, but its history's latest is entry ${latest.index}`,
    );
  }
  const entry = trustedEntry(latest, what);
  let claim = custodyClaim(entry, row.id);
  let at = latest.index;
  if (claim === null)
    throw new CustodyStateProblem(latest.index, `${what}: its latest ledger entry ${latest.index} does not concern it`);
  if (claim === 'silent') {
    if (stating === undefined) throw new Error('the entry that states custody is needed (needsStatingEntry)');
    if (stating === null)
      throw new CustodyStateProblem(latest.index, `${what}: no ledger entry before the correction states its custody`);
    const before = trustedEntry(stating, what);
    claim = custodyClaim(before, row.id);
    if (claim === null || claim === 'silent')
      throw new CustodyStateProblem(stating.index, `${what}: ledger entry ${stating.index} does not state its custody`);
    at = stating.index;
  }
  const differences: Array<[string, unknown, unknown]> = [
    ['custodian', row.custodian_id, claim.custodianId],
    ['state', row.state, claim.state],
    ['pending transfer', row.pending_transfer_id, claim.transferId],
  ];
  for (const [column, stored, recorded] of differences) {
    if (stored !== recorded) {
      throw new CustodyStateProblem(
        at,
        `${what}: its row has ${column} ${String(stored)} but ledger entry ${at} gives ${String(recorded)}`,
      );
    }
  }
  if (claim.compromised && row.integrity !== 'compromised')
    throw new CustodyStateProblem(at, `${what}: its row says intact but ledger entry ${at} found it compromised`);
}

/** Whether the latest entry is a correction, so the entry before it that states custody must be read. */
export function needsStatingEntry(latest: StoredEntry | null, type: string | null): boolean {
  return latest !== null && type === T.corrected;
}

/** A reference hash row with the ledger entry it names. */
export interface ReferenceRow {
  readonly item_id: string;
  readonly item_number?: string;
  readonly target: string;
  readonly algorithm: string;
  readonly value: string;
  readonly ledger_idx: string;
  readonly entry: Buffer | null;
  readonly leaf_hash: Buffer | null;
}

/**
 * A reference hash is what a verification is compared with: before one is recorded, the reference
 * row must be what its entry (`ledger_idx`) recorded — a reference of that item and target with
 * that value, in a registration's acquisition hashes or a `hash.recorded` reference.
 */
export function checkReferenceAgainstLedger(row: ReferenceRow): void {
  const index = Number(row.ledger_idx);
  const what = `the ${row.algorithm} reference of ${row.target} of item ${row.item_number ?? row.item_id}`;
  const entry = trustedEntry({ index, bytes: row.entry, leafHash: row.leaf_hash }, what);
  if (entry.subject.type !== 'item' || entry.subject.id !== row.item_id)
    throw new CustodyStateProblem(index, `${what}: ledger entry ${index} does not concern the item`);
  let recorded: readonly { algorithm: string; value: string }[] | undefined;
  if (entry.type === T.hashRecorded) {
    const data = entry.data as HashRecordedData;
    if (data.role === 'reference' && data.target === row.target) recorded = data.values;
  } else if (entry.type === T.derived) {
    const data = entry.data as { hashes: { target: string; values: Array<{ algorithm: string; value: string }> } };
    if (data.hashes.target === row.target) recorded = data.hashes.values;
  }
  const value = recorded?.find((hash) => hash.algorithm === row.algorithm)?.value;
  if (value !== row.value) {
    throw new CustodyStateProblem(
      index,
      `${what}: the table has ${row.value} but ledger entry ${index} records ${value ?? 'no such reference'}`,
    );
  }
}

/** The item's latest entry per its history index, with the entry's bytes: columns and join for `item i`. */
export const LATEST_ENTRY_COLUMNS = `latest.ledger_idx::text AS latest_idx, latest.type AS latest_type, le.entry AS latest_entry,
         le.leaf_hash AS latest_leaf_hash`;
export const LATEST_ENTRY_JOIN = `LEFT JOIN LATERAL (SELECT e.ledger_idx, e.type FROM item_event e WHERE e.item_id = i.id
                                 ORDER BY e.ledger_idx DESC LIMIT 1) latest ON true
    LEFT JOIN ledger_entry le ON le.idx = latest.ledger_idx`;

/** The latest entry of an item that states its custody (the one before its corrections). */
export const STATING_ENTRY_SQL = `
  SELECT e.ledger_idx::text AS idx, le.entry, le.leaf_hash FROM item_event e LEFT JOIN ledger_entry le ON le.idx = e.ledger_idx
   WHERE e.item_id = $1::uuid AND e.type <> 'item.corrected' ORDER BY e.ledger_idx DESC LIMIT 1`;

/** An item's custody columns with its latest entry (the monitor's check of items new entries touch). */
export const ITEM_STATE_SQL = `
  SELECT i.id::text AS id, i.item_number, i.custodian_id::text AS custodian_id, i.state, i.integrity,
         i.last_event_idx::text AS last_event_idx,
         (SELECT ti.transfer_id::text FROM transfer_item ti WHERE ti.item_id = i.id AND ti.pending) AS pending_transfer_id,
         ${LATEST_ENTRY_COLUMNS}
    FROM item i
    ${LATEST_ENTRY_JOIN}`;

export interface LatestEntryColumns {
  latest_idx: string | null;
  latest_type: string | null;
  latest_entry: Buffer | null;
  latest_leaf_hash: Buffer | null;
}

export function latestEntryOf(row: LatestEntryColumns): StoredEntry | null {
  return row.latest_idx === null
    ? null
    : { index: Number(row.latest_idx), bytes: row.latest_entry, leafHash: row.latest_leaf_hash };
}

export function statingEntryOf(
  rows: Array<{ idx: string; entry: Buffer | null; leaf_hash: Buffer | null }>,
): StoredEntry | null {
  return rows.length === 0 ? null : { index: Number(rows[0].idx), bytes: rows[0].entry, leafHash: rows[0].leaf_hash };
}
