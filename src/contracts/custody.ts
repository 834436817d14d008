/**
 * Custody responses (docs/custody.md): items, their hash records and history, and transfers. The
 * mappers that build them are `itemView` (custody/item-records.ts), `hashView` (hashes.service.ts),
 * `custodyStep` (custody-steps.ts) and `transferView` (transfers.service.ts).
 */
import {
  DISPOSITIONS,
  HASH_RESULTS,
  INTEGRITY_STATES,
  ITEM_KINDS,
  ITEM_STATES,
  POWER_STATES,
} from '../custody/custody-events.js';
import { DateTime, Hex, Index, List, Nullable, Page, StringEnum, Type, type Static } from './schema.js';

/** A person as custody records name them: nothing beyond a custodian's name (docs/design.md §4). */
export const PartyRef = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    displayName: Type.String(),
    agency: Nullable(Type.String({ description: 'Agency code, e.g. ES-PN; null for a platform administrator.' })),
  },
  { title: 'PartyRef' },
);
export type PartyRef = Static<typeof PartyRef>;

export const ItemView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    itemNumber: Type.String(),
    case: Type.Object({ id: Type.String({ format: 'uuid' }), caseNumber: Type.String(), agency: Type.String() }),
    kind: StringEnum(ITEM_KINDS),
    description: Type.String(),
    make: Nullable(Type.String()),
    model: Nullable(Type.String()),
    serial: Nullable(Type.String()),
    imeis: List(Type.String()),
    iccid: Nullable(Type.String()),
    macAddresses: List(Type.String()),
    capacityBytes: Nullable(
      Type.String({ pattern: '^[0-9]+$', description: 'Bytes, as a decimal string (beyond a JSON number).' }),
    ),
    condition: Nullable(Type.String()),
    powerState: Nullable(StringEnum(POWER_STATES)),
    sealNumber: Nullable(Type.String()),
    occurredAt: DateTime('When it was seized (or made), with the offset of the place.'),
    place: Type.String(),
    seizedFrom: Nullable(Type.String({ description: 'An opaque reference, never a name.' })),
    legalAuthority: Nullable(Type.String()),
    parent: Nullable(Type.Object({ id: Type.String({ format: 'uuid' }), itemNumber: Type.String() })),
    acquisition: Nullable(
      Type.Object({ tool: Type.String(), toolVersion: Nullable(Type.String()), method: Nullable(Type.String()) }),
    ),
    custodian: PartyRef,
    location: Nullable(Type.String()),
    state: StringEnum(ITEM_STATES),
    integrity: StringEnum(INTEGRITY_STATES),
    pendingTransferId: Nullable(Type.String({ format: 'uuid' })),
    disposition: Nullable(Type.Object({ kind: StringEnum(DISPOSITIONS), at: DateTime() })),
    registeredAt: DateTime(),
    registeredBy: Type.String({ description: 'Username of the registering user.' }),
    lastLedgerIndex: Index('Ledger index of the item’s latest event.'),
  },
  { title: 'ItemView', description: 'An item: what was seized (corrected values), and its custody now.' },
);
export type ItemView = Static<typeof ItemView>;

export const HashRecordView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    target: Type.String(),
    algorithm: Type.String(),
    value: Hex(),
    role: StringEnum(['reference', 'verification'] as const, {
      description: 'The first record of a target is its reference; later ones are verifications compared with it.',
    }),
    result: Nullable(StringEnum(HASH_RESULTS)),
    weak: Type.Boolean({ description: 'A reference with no algorithm of at least 256 bits.' }),
    referenceId: Nullable(Type.String({ format: 'uuid' })),
    tool: Nullable(Type.String()),
    toolVersion: Nullable(Type.String()),
    occurredAt: DateTime(),
    recordedAt: DateTime(),
    recordedBy: Type.Object({ username: Type.String(), displayName: Type.String(), agency: Nullable(Type.String()) }),
    ledgerIndex: Index(),
    transferId: Nullable(Type.String({ format: 'uuid' })),
  },
  { title: 'HashRecordView' },
);
export type HashRecordView = Static<typeof HashRecordView>;

export const HistoryHash = Type.Object({
  target: Type.String(),
  algorithm: Type.String(),
  value: Hex(),
  role: StringEnum(['reference', 'verification'] as const),
  result: Nullable(Type.String()),
  referenceIndex: Nullable(Index()),
});
export type HistoryHash = Static<typeof HistoryHash>;

export const EntryActorView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    displayName: Type.String(),
    agency: Nullable(Type.String()),
    role: Nullable(Type.String({ description: 'The role under which the actor did this.' })),
  },
  { title: 'EntryActor' },
);

export const EntrySignatureView = Type.Object(
  {
    signerId: Type.String({ format: 'uuid' }),
    username: Type.String(),
    printedName: Type.String(),
    agency: Nullable(Type.String()),
    role: Type.String(),
    meaning: Type.String({ description: 'released, received, verified, disposed, witnessed, …' }),
    signedAt: DateTime(),
    eventHash: Hex('SHA-256 of the canonical signed content of the entry.'),
  },
  { title: 'EntrySignature' },
);
export type EntrySignature = Static<typeof EntrySignatureView>;
export type EntryActor = Static<typeof EntryActorView>;

/** Any JSON object (an entry's `data` as recorded). */
const JsonObject = Type.Unsafe<Readonly<Record<string, unknown>>>({ type: 'object', additionalProperties: true });

export const HistoryEvent = Type.Object(
  {
    ledgerIndex: Index(),
    leafHash: Hex('RFC 6962 leaf hash of the entry: what an inclusion proof proves.'),
    type: Type.String(),
    summary: Type.String({ description: 'One line for people: “Released by … to … for …”.' }),
    recordedAt: DateTime(),
    occurredAt: Nullable(DateTime('When it happened, with the offset of the place, where the event states it.')),
    actor: Nullable(EntryActorView),
    from: Nullable(PartyRef),
    to: Nullable(PartyRef),
    transferId: Nullable(Type.String({ format: 'uuid' })),
    purpose: Nullable(Type.String()),
    location: Nullable(Type.String()),
    seal: Nullable(
      Type.Object({ number: Nullable(Type.String()), intact: Nullable(Type.Boolean()), note: Nullable(Type.String()) }),
    ),
    hashes: List(HistoryHash),
    reason: Nullable(Type.String()),
    signatures: List(EntrySignatureView),
    corrects: Nullable(Type.Object({ index: Index(), reason: Type.String() })),
    correctedBy: List(
      Type.Object({
        index: Index(),
        reason: Type.String(),
        changes: List(Type.Object({ field: Type.String(), from: Type.Unknown(), to: Type.Unknown() })),
      }),
      { description: 'Later entries that correct this one (their changes show in the item’s current view).' },
    ),
    data: JsonObject,
  },
  {
    title: 'HistoryEvent',
    description: 'One event of an item’s custody timeline, exactly as its ledger entry records it.',
  },
);
export type HistoryEvent = Static<typeof HistoryEvent>;

export const TransferItemView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  itemNumber: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  sealNumber: Nullable(Type.String()),
  sealIntact: Nullable(Type.Boolean({ description: 'On acceptance: the receiver’s statement; null before.' })),
  sealNote: Nullable(Type.String()),
});
export type TransferItemView = Static<typeof TransferItemView>;

export const TRANSFER_STATUSES = ['pending', 'accepted', 'rejected', 'cancelled'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export const TransferView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    case: Type.Object({ id: Type.String({ format: 'uuid' }), caseNumber: Type.String() }),
    from: PartyRef,
    to: PartyRef,
    purpose: Type.String(),
    status: StringEnum(TRANSFER_STATUSES),
    itemCount: Index(),
    items: List(TransferItemView),
    releasedAt: DateTime(),
    releaseOccurredAt: Type.String({
      format: 'date-time',
      description: 'When the items were handed over, with the offset of the place (ADR 0033).',
    }),
    releaseLedgerIndex: Index(),
    resolvedAt: Nullable(DateTime()),
    acceptedOccurredAt: Nullable(
      Type.String({
        format: 'date-time',
        description: 'When an accepted transfer was received, with the offset of the place; null otherwise.',
      }),
    ),
    resolvedBy: Nullable(Type.String({ description: 'Username of who accepted, rejected or cancelled.' })),
    resolutionLedgerIndex: Nullable(Index()),
    reason: Nullable(Type.String({ description: 'Rejection or cancellation reason.' })),
  },
  { title: 'TransferView' },
);
export type TransferView = Static<typeof TransferView>;

// The routes' bodies.
export const ItemList = Type.Object({ items: List(ItemView) }, { title: 'ItemList' });
export const ItemPage = Page('items', ItemView, 'ItemPage');
export const ItemHistory = Type.Object({ item: ItemView, events: List(HistoryEvent) }, { title: 'ItemHistory' });
export type ItemHistory = Static<typeof ItemHistory>;
export const RecordedHashes = Type.Object(
  { item: ItemView, records: List(HashRecordView) },
  { title: 'RecordedHashes' },
);
export type RecordedHashes = Static<typeof RecordedHashes>;
export const HashRecordList = Type.Object({ hashes: List(HashRecordView) }, { title: 'HashRecordList' });
export const TransferPage = Page('transfers', TransferView, 'TransferPage');
