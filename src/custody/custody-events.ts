/**
 * The custody events as the ledger records them (docs/custody.md §Ledger events): the `type` of
 * each entry and the shape of its `data`. These shapes are part of the bundle format a court's
 * verifier reads, so they change only with a new entry version.
 *
 * Dependency-free, like src/ledger/core: the offline verifier and `custos ledger verify` replay
 * them (custody-chain.ts) without Nest or a database.
 *
 * Type aliases rather than interfaces: an entry's `data` is a JSON object (`Record<string,
 * unknown>`), which object type aliases satisfy and interfaces do not.
 */

export const ITEM_KINDS = [
  'mobile_phone',
  'computer',
  'laptop',
  'tablet',
  'hard_drive',
  'ssd',
  'usb_drive',
  'memory_card',
  'sim_card',
  'optical_disc',
  'camera',
  'game_console',
  'forensic_image',
  'extraction',
  'other',
] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

/** Kinds that are made in a lab from another item, never seized. */
export const DERIVED_KINDS: readonly ItemKind[] = ['forensic_image', 'extraction'];

export const POWER_STATES = ['on', 'off', 'airplane', 'unknown'] as const;
export type PowerState = (typeof POWER_STATES)[number];

export const ITEM_STATES = ['in_custody', 'transfer_pending', 'disposed'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const INTEGRITY_STATES = ['intact', 'compromised'] as const;
export type Integrity = (typeof INTEGRITY_STATES)[number];

export const DISPOSITIONS = ['returned_to_owner', 'destroyed', 'released_to_authority'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const HASH_RESULTS = ['match', 'mismatch', 'not_compared'] as const;
export type HashResult = (typeof HASH_RESULTS)[number];

export const CUSTODY_EVENT_TYPES = {
  seized: 'item.seized',
  derived: 'item.derived',
  hashRecorded: 'hash.recorded',
  moved: 'item.moved',
  disposed: 'item.disposed',
  corrected: 'item.corrected',
  released: 'transfer.released',
  accepted: 'transfer.accepted',
  rejected: 'transfer.rejected',
  cancelled: 'transfer.cancelled',
} as const;
export type CustodyEventType = (typeof CUSTODY_EVENT_TYPES)[keyof typeof CUSTODY_EVENT_TYPES];

/**
 * What a correction of a registration entry (`item.seized`, `item.derived`) may change: the
 * registered description. A storage move's correction changes its `location`; nothing else is
 * correctable (docs/custody.md).
 */
export const CORRECTABLE_ITEM_FIELDS = [
  'description',
  'make',
  'model',
  'serial',
  'imeis',
  'iccid',
  'macAddresses',
  'capacityBytes',
  'condition',
  'powerState',
  'sealNumber',
  'occurredAt',
  'place',
  'seizedFrom',
  'legalAuthority',
] as const;

/** A person in custody records: the ledger keeps custodians' names and nothing more about them. */
export type PartyRef = {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly agency: string | null;
};

export type ItemRef = {
  readonly id: string;
  readonly number: string;
};

/** What was seized (or derived), as registered. Corrections are separate entries. */
export type ItemDescription = {
  readonly kind: ItemKind;
  readonly description: string;
  readonly make: string | null;
  readonly model: string | null;
  readonly serial: string | null;
  readonly imeis: readonly string[];
  readonly iccid: string | null;
  readonly macAddresses: readonly string[];
  /** Bytes, as a decimal string (capacities exceed what a JSON number carries exactly). */
  readonly capacityBytes: string | null;
  readonly condition: string | null;
  readonly powerState: PowerState | null;
  readonly sealNumber: string | null;
  /** RFC 3339 with the offset the officer's clock showed, e.g. 2026-11-28T09:14:00+01:00. */
  readonly occurredAt: string;
  readonly place: string;
  /** An opaque reference (exhibit schedule line, property receipt number), never a name. */
  readonly seizedFrom: string | null;
  readonly legalAuthority: string | null;
  readonly parent: ItemRef | null;
};

export type HashValue = {
  readonly algorithm: string;
  readonly value: string;
};

export type ComparedHashValue = HashValue & {
  readonly result: HashResult;
  /** Ledger index of the reference record compared against; absent when not compared. */
  readonly referenceIndex?: number;
};

/** `item.seized`: subject is the item; the registering officer is its first custodian. */
export type ItemSeizedData = {
  readonly item: ItemDescription;
  readonly custodian: PartyRef;
  readonly location: string | null;
};

/** `item.derived`: an image or extraction made from `item.parent`, with its acquisition hashes (signed `acquired`). */
export type ItemDerivedData = ItemSeizedData & {
  readonly acquisition: { readonly tool: string; readonly toolVersion: string; readonly method: string | null };
  readonly hashes: {
    readonly target: string;
    readonly occurredAt: string;
    readonly values: readonly HashValue[];
    readonly weak: boolean;
  };
};

/** `hash.recorded`: a reference (signed `acquired`) or a verification compared value by value. */
export type HashRecordedData = {
  readonly target: string;
  readonly role: 'reference' | 'verification';
  readonly tool: { readonly name: string; readonly version: string | null } | null;
  readonly occurredAt: string;
  readonly values: readonly (HashValue | ComparedHashValue)[];
  /** A reference without an algorithm of at least 256 bits (docs/design.md §2). */
  readonly weak?: boolean;
  /** Present when the values were imported from a tool's log (docs/hash-import.md); the log itself is not kept. */
  readonly source?: HashRecordSource;
};

/** What an imported acquisition log said, as extracted; `logSha256` identifies the exact text. */
export type HashRecordSource = {
  readonly format: string;
  readonly tool: string;
  readonly toolVersion: string | null;
  readonly logSha256: string;
  readonly caseNumber: string | null;
  readonly evidenceNumber: string | null;
  /** RFC 3339 with the offset the log printed, or the assumed zone's (`timeZoneAssumed`). */
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly timeZoneAssumed: string | null;
  /** The tool's own verification: `verified`, `failed` or `not_reported`. */
  readonly reportedResult: string;
  readonly device: { readonly model: string | null; readonly serial: string | null } | null;
  /** Warnings the examiner confirmed when importing (e.g. `tool_verification_failed`). */
  readonly confirmed: readonly string[];
};

export type TransferParties = {
  readonly from: PartyRef;
  readonly to: PartyRef;
  readonly items: readonly ItemRef[];
};

/**
 * `transfer.released`: subject is the transfer; signed `released` by `from`. `occurredAt` is when
 * the items were handed over (RFC 3339 with the place's offset); entries from before it existed
 * lack it, and their `recordedAt` is the hand-over time (ADR 0033).
 */
export type TransferReleasedData = TransferParties & {
  readonly purpose: string;
  readonly occurredAt?: string;
};

export type AcceptedItem = ItemRef & {
  readonly sealIntact: boolean;
  readonly sealNote: string | null;
  readonly hashes: readonly (ComparedHashValue & { readonly target: string })[];
};

/**
 * `transfer.accepted`: signed `received` by `to`; custody passes to `to`. `occurredAt`: when they
 * received the items, not before the release's; absent in older entries, as for the release.
 */
export type TransferAcceptedData = {
  readonly from: PartyRef;
  readonly to: PartyRef;
  readonly items: readonly AcceptedItem[];
  readonly location: string | null;
  readonly occurredAt?: string;
};

/** `transfer.rejected` (signed `rejected` by `to`) and `transfer.cancelled` (by `from`): custody stays. */
export type TransferClosedData = TransferParties & {
  readonly reason: string | null;
};

/** `item.moved`: a storage move by the custodian. */
export type ItemMovedData = {
  readonly from: string | null;
  readonly to: string;
  readonly reason: string | null;
};

/** `item.disposed`: terminal; signed `disposed` by the custodian and `witnessed` by the witness. */
export type ItemDisposedData = {
  readonly disposition: Disposition;
  readonly authorityReference: string;
  readonly recipient: string | null;
  readonly notes: string | null;
  readonly custodian: PartyRef;
  readonly witness: PartyRef;
  readonly occurredAt: string;
};

/** `item.corrected` (with the entry's `corrects {index, reason}`), signed `corrected`. */
export type ItemCorrectedData = {
  readonly changes: ReadonlyArray<{ readonly field: string; readonly from: unknown; readonly to: unknown }>;
};
