/**
 * The custody table of an item or a case as CSV for spreadsheets (docs/exports.md): one row per
 * custody event of each item, in ledger order, with the facts the item history shows.
 *
 * Pure: ledger entries in, bytes out. RFC 4180 (comma, CRLF, fields with a comma, quote or line
 * break quoted and their quotes doubled), UTF-8 with a byte order mark so Excel reads accents, and
 * every cell a spreadsheet would read as a formula neutralised (OWASP "CSV injection").
 */
import {
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemSeizedData,
  type PartyRef,
} from '../custody/custody-events.js';
import { correctionsOf, custodyStep, type CustodyEntry } from '../custody/custody-steps.js';
import type { EntrySignature, LedgerEntry } from '../ledger/core/entry.js';

export type { CustodyEntry } from '../custody/custody-steps.js';

export interface CustodyRowHash {
  readonly target: string;
  readonly algorithm: string;
  readonly value: string;
  /** `reference` for a reference (acquisition) value; the comparison result for a verification. */
  readonly result: string;
}

/** One custody event of one item, as the history shows it (docs/custody.md §History). */
export interface CustodyRow {
  readonly itemNumber: string;
  readonly itemDescription: string;
  readonly ledgerIndex: number;
  readonly leafHash: string;
  readonly recordedAt: string;
  readonly occurredAt: string | null;
  readonly event: string;
  readonly recordedBy: string | null;
  readonly from: PartyRef | null;
  readonly to: PartyRef | null;
  readonly purpose: string | null;
  readonly location: string | null;
  readonly sealNumber: string | null;
  readonly sealIntact: boolean | null;
  readonly sealNote: string | null;
  readonly hashes: readonly CustodyRowHash[];
  readonly signatures: readonly EntrySignature[];
  readonly reason: string | null;
  /** What else the entry says: disposition and witness, corrections, tools, the transfer id. */
  readonly details: readonly string[];
}

export interface CustodyItem {
  readonly id: string;
  readonly number: string;
  /** The item's description as it reads now (corrected value). */
  readonly description: string;
}

/** A person as custody tables print them: "Ana Morales (ES-PN)". */
export function partyText(party: PartyRef | null): string {
  return party === null ? '' : `${party.displayName} (${party.agency ?? 'no agency'})`;
}

/** "name (role, agency) meaning at time", the signature as a court form prints it. */
export function signatureText(signature: EntrySignature): string {
  return `${signature.printedName} (${signature.role}, ${signature.agency ?? 'no agency'}) ${signature.meaning} at ${signature.signedAt}`;
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

/** The custody rows of one item from its ledger entries (those indexed under it), in ledger order. */
export function custodyRows(item: CustodyItem, entries: readonly CustodyEntry[]): CustodyRow[] {
  const corrections = correctionsOf(entries);
  return [...entries]
    .sort((a, b) => a.entry.index - b.entry.index)
    .map(({ entry, leafHash }) => {
      const row = custodyRow(item, entry, leafHash);
      const correctedBy = (corrections.get(entry.index) ?? []).map(
        (c) => `corrected by entry ${c.index} (${c.reason})`,
      );
      return correctedBy.length === 0 ? row : { ...row, details: [...row.details, ...correctedBy] };
    });
}

/** One entry as a row of `item`'s table: the item history's reading of the entry (`custodyStep`), in columns. */
export function custodyRow(item: CustodyItem, entry: LedgerEntry, leafHash: string): CustodyRow {
  const step = custodyStep(entry, leafHash, item.id);
  return {
    itemNumber: item.number,
    itemDescription: item.description,
    ledgerIndex: entry.index,
    leafHash,
    recordedAt: entry.recordedAt,
    occurredAt: step.occurredAt,
    event: entry.type,
    recordedBy:
      entry.actor === null
        ? null
        : `${entry.actor.displayName} (${entry.actor.role ?? 'no role'}, ${entry.actor.agency ?? 'no agency'})`,
    from: step.from,
    to: step.to,
    purpose: step.purpose,
    location: step.location,
    sealNumber: step.seal?.number ?? null,
    sealIntact: step.seal?.intact ?? null,
    sealNote: step.seal?.note ?? null,
    hashes: step.hashes.map((hash) => ({
      target: hash.target,
      algorithm: hash.algorithm,
      value: hash.value,
      result: hash.role === 'reference' ? 'reference' : (hash.result ?? ''),
    })),
    signatures: entry.signatures,
    reason: step.reason,
    details: detailsOf(entry),
  };
}

/** What else an entry says, beyond the columns: where and from whom it was seized, tools, disposition and witness, corrections, the transfer. */
function detailsOf(entry: LedgerEntry): string[] {
  switch (entry.type) {
    case T.seized:
    case T.derived: {
      const data = entry.data as unknown as ItemSeizedData | ItemDerivedData;
      const derived = 'acquisition' in data;
      const details = [`${data.item.kind.replace(/_/g, ' ')} ${derived ? 'made' : 'seized'} at ${data.item.place}`];
      if (data.item.seizedFrom !== null) details.push(`seized from ${data.item.seizedFrom}`);
      if (data.item.legalAuthority !== null) details.push(`legal authority ${data.item.legalAuthority}`);
      if (derived) {
        details.push(
          `made from ${data.item.parent?.number ?? 'its parent'} with ${data.acquisition.tool} ${data.acquisition.toolVersion}`,
        );
        if (data.hashes.weak) details.push('weak reference: no SHA-256 or stronger');
      }
      return details;
    }
    case T.hashRecorded: {
      const data = entry.data as unknown as HashRecordedData;
      const details = [`${data.role} hashes of ${data.target}`];
      if (data.tool !== null)
        details.push(`tool ${data.tool.name}${data.tool.version === null ? '' : ` ${data.tool.version}`}`);
      if (data.weak === true) details.push('weak reference: no SHA-256 or stronger');
      return details;
    }
    case T.moved:
      return [`moved from ${(entry.data as unknown as ItemMovedData).from ?? 'unrecorded location'}`];
    case T.disposed: {
      const data = entry.data as unknown as ItemDisposedData;
      const details = [
        `${data.disposition.replace(/_/g, ' ')} under ${data.authorityReference}`,
        `witnessed by ${partyText(data.witness)}`,
      ];
      if (data.recipient !== null) details.push(`recipient ${data.recipient}`);
      return details;
    }
    case T.corrected: {
      const data = entry.data as unknown as ItemCorrectedData;
      return [
        `corrects entry ${entry.corrects?.index ?? '?'}`,
        ...data.changes.map((change) => `${change.field}: ${valueText(change.from)} → ${valueText(change.to)}`),
      ];
    }
    case T.released:
    case T.accepted:
    case T.rejected:
    case T.cancelled:
      return [`transfer ${entry.subject.id}`];
    default:
      return [];
  }
}

/** The columns, in order; docs/exports.md describes each. */
export const CUSTODY_CSV_HEADER = [
  'Item number',
  'Item description',
  'Ledger index',
  'Recorded at (UTC)',
  'Occurred at (local time, UTC offset)',
  'Event',
  'Recorded by',
  'From (name, agency)',
  'To (name, agency)',
  'Purpose',
  'Location',
  'Seal number',
  'Seal intact',
  'Seal note',
  'Hash target',
  'Hash algorithm',
  'Hash value',
  'Hash result',
  'Signatures',
  'Reason',
  'Details',
  'Leaf hash (SHA-256)',
] as const;

/** Several values of one event in one cell, in the same order across the hash columns. */
const LIST_SEPARATOR = '; ';

export function custodyRowCells(row: CustodyRow): string[] {
  return [
    row.itemNumber,
    row.itemDescription,
    String(row.ledgerIndex),
    row.recordedAt,
    row.occurredAt ?? '',
    row.event,
    row.recordedBy ?? '',
    partyText(row.from),
    partyText(row.to),
    row.purpose ?? '',
    row.location ?? '',
    row.sealNumber ?? '',
    row.sealIntact === null ? '' : row.sealIntact ? 'yes' : 'no',
    row.sealNote ?? '',
    row.hashes.map((hash) => hash.target).join(LIST_SEPARATOR),
    row.hashes.map((hash) => hash.algorithm).join(LIST_SEPARATOR),
    row.hashes.map((hash) => hash.value).join(LIST_SEPARATOR),
    row.hashes.map((hash) => hash.result).join(LIST_SEPARATOR),
    row.signatures.map(signatureText).join(LIST_SEPARATOR),
    row.reason ?? '',
    row.details.join(LIST_SEPARATOR),
    row.leafHash,
  ];
}

/**
 * Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP CSV
 * injection): such a cell gets a leading apostrophe, which spreadsheets show as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A field as RFC 4180 writes it, after neutralising a formula. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/** RFC 4180 bytes (CRLF after every record, header first), UTF-8 with a byte order mark. */
export function csvBytes(header: readonly string[], records: ReadonlyArray<readonly string[]>): Buffer {
  const text = [header, ...records].map((record) => `${record.map(csvField).join(',')}\r\n`).join('');
  return Buffer.concat([BYTE_ORDER_MARK, Buffer.from(text, 'utf8')]);
}

/** The custody table of one or more items, item by item (in the given order), each in ledger order. */
export function custodyCsv(tables: ReadonlyArray<{ item: CustodyItem; entries: readonly CustodyEntry[] }>): Buffer {
  const records = tables.flatMap(({ item, entries }) => custodyRows(item, entries).map(custodyRowCells));
  return csvBytes(CUSTODY_CSV_HEADER, records);
}
