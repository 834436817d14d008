/**
 * Replays custody events in ledger order and says what the custody of every item must be now, or
 * the first entry that breaks the chain: a release by someone who is not the custodian, an
 * acceptance of an item that is not pending in that transfer (or by anyone but the receiver the
 * release named), a change after disposal, a correction of an entry that is not the item's.
 *
 * `custos ledger verify` compares the result with the current-state tables; the offline bundle
 * verifier runs it over one item's or one case's entries. Dependency-free (no Nest, no database).
 */
import {
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type Integrity,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemSeizedData,
  type ItemState,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from './custody-events.js';

/** The members of a ledger entry the replay reads (a parsed `LedgerEntry` has them all). */
export interface CustodyEntry {
  readonly index: number;
  readonly type: string;
  readonly actor: { readonly id: string } | null;
  readonly subject: { readonly type: string; readonly id: string; readonly number?: string };
  readonly data: unknown;
  readonly signatures?: ReadonlyArray<{ readonly signerId: string; readonly meaning: string }>;
  readonly corrects?: { readonly index: number; readonly reason: string };
}

export interface ItemCustody {
  readonly id: string;
  readonly number: string;
  /** Ledger index of the registration (`item.seized`, `item.derived`). */
  readonly registeredIndex: number;
  /** What `CustodyReplayOptions.fingerprint` made of the registration entry; '' without it. */
  readonly fingerprint: string;
  /**
   * Corrections of the registration, oldest first (only for items that have any): a field's value
   * now is the `to` of its last correction.
   */
  corrections: Array<{
    readonly index: number;
    readonly field: string;
    readonly from: unknown;
    readonly to: unknown;
  }> | null;
  custodianId: string;
  state: ItemState;
  integrity: Integrity;
  /** Set by the disposal: how, and when it happened (RFC 3339 with its offset, as recorded). */
  disposition: string | null;
  disposedAt: string | null;
  location: string | null;
  /** Ledger index of the entry that set `location`, so a correction of it updates the location. */
  locationIndex: number;
  /** The pending transfer, while `state` is transfer_pending. */
  pendingTransfer: string | null;
  /** Ledger index of this item's latest entry (a transfer entry is one of each of its items). */
  lastIndex: number;
}

/** An item as the replay tracks it: with where its entries are in the entry log. */
interface TrackedItem extends ItemCustody {
  log: number;
}

const LOG_CHUNK = 1 << 16;

/**
 * Which entries concern which item, to check that a correction names one of the item's own: per
 * item and entry one (ledger index, previous pair of the item) pair, kept in typed arrays, each item
 * pointing at its newest pair. 12 bytes a pair and no object per item: an array per item would cost
 * some 180 bytes each, a map by entry more still, and `ledger verify` replays millions of items.
 */
class EntryLog {
  private readonly indexes: Float64Array[] = [];
  private readonly previous: Int32Array[] = [];
  private size = 0;

  /** Records `index` as the newest entry of the item whose newest pair was `link` (-1: none); returns the new pair. */
  add(link: number, index: number): number {
    const chunk = Math.floor(this.size / LOG_CHUNK);
    if (chunk === this.indexes.length) {
      this.indexes.push(new Float64Array(LOG_CHUNK));
      this.previous.push(new Int32Array(LOG_CHUNK));
    }
    this.indexes[chunk][this.size % LOG_CHUNK] = index;
    this.previous[chunk][this.size % LOG_CHUNK] = link;
    return this.size++;
  }

  /** Whether the item whose newest pair is `link` has the entry `index` (walking back: indexes descend). */
  includes(link: number, index: number): boolean {
    for (let at = link; at >= 0; at = this.previous[Math.floor(at / LOG_CHUNK)][at % LOG_CHUNK]) {
      const found = this.indexes[Math.floor(at / LOG_CHUNK)][at % LOG_CHUNK];
      if (found === index) return true;
      if (found < index) return false;
    }
    return false;
  }
}

/** The parties a release named, kept while some of its items are still pending. */
interface PendingTransfer {
  readonly from: string;
  readonly to: string;
  /** The hand-over time the release states (ADR 0033), as stated and in milliseconds. */
  readonly occurredAt: { readonly text: string; readonly ms: number } | undefined;
  pending: number;
}

export class CustodyChainError extends Error {
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(`entry ${index}: ${reason}`);
    this.name = 'CustodyChainError';
  }
}

const CUSTODY_TYPES = new Set<string>(Object.values(T));

const OFFSET_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A transfer entry's stated hand-over time (ADR 0033): absent in entries written before it existed
 * (their recording time is it); present, an RFC 3339 date-time with its offset.
 */
function statedTime(entry: CustodyEntry, text: unknown): { text: string; ms: number } | undefined {
  if (text === undefined) return undefined;
  const ms = typeof text === 'string' && OFFSET_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new CustodyChainError(
      entry.index,
      `${entry.type} states occurredAt ${JSON.stringify(text)}, not a date-time`,
    );
  return { text: text as string, ms };
}

export function isCustodyEvent(type: string): boolean {
  return CUSTODY_TYPES.has(type);
}

/** Meanings each custody event must be signed with, by whom (docs/design.md §3). */
function requireSignature(entry: CustodyEntry, signerId: string, meaning: string): void {
  const found = (entry.signatures ?? []).some(
    (signature) => signature.signerId === signerId && signature.meaning === meaning,
  );
  if (!found) throw new CustodyChainError(entry.index, `${entry.type} lacks the "${meaning}" signature of ${signerId}`);
}

export interface CustodyReplayOptions {
  /**
   * A bundle holds the entries of some items only: a transfer names items whose registration is
   * not in it. When true, such items are skipped instead of being an error.
   */
  readonly partial?: boolean;
  /**
   * A compact digest of what a registration entry records (kept per item instead of the
   * description itself, so `ledger verify` can compare every registered field with flat memory).
   */
  readonly fingerprint?: (entry: CustodyEntry) => string;
}

export class CustodyReplay {
  private readonly tracked = new Map<string, TrackedItem>();
  private readonly log = new EntryLog();
  /** Custodians' ids, one string each however many items they hold. */
  private readonly people = new Map<string, string>();
  /** Released transfers with items still pending, by transfer id: what accepts, rejects and cancels must match. */
  private readonly transfers = new Map<string, PendingTransfer>();
  /** In a partial replay, the custody entries seen, to tell an entry outside the bundle from another item's. */
  private readonly seen: Set<number> | undefined;

  constructor(private readonly options: CustodyReplayOptions = {}) {
    this.seen = options.partial ? new Set() : undefined;
  }

  /** Every item registered so far, by id, with the custody the entries so far give it. */
  get items(): ReadonlyMap<string, ItemCustody> {
    return this.tracked;
  }

  private person(id: string): string {
    const known = this.people.get(id);
    if (known !== undefined) return known;
    this.people.set(id, id);
    return id;
  }

  /**
   * Applies one entry; entries must come in index order. Non-custody entries are ignored. An entry
   * whose data lacks what its type promises is a CustodyChainError too, not a TypeError.
   */
  apply(entry: CustodyEntry): void {
    if (!isCustodyEvent(entry.type)) return;
    try {
      this.dispatch(entry);
    } catch (error) {
      if (error instanceof CustodyChainError) throw error;
      throw new CustodyChainError(entry.index, `malformed ${entry.type} entry (${(error as Error).message})`);
    }
  }

  private dispatch(entry: CustodyEntry): void {
    switch (entry.type) {
      case T.seized:
      case T.derived:
        return this.register(entry);
      case T.hashRecorded:
        return this.hashRecorded(entry);
      case T.moved:
        return this.moved(entry);
      case T.disposed:
        return this.disposed(entry);
      case T.corrected:
        return this.corrected(entry);
      case T.released:
        return this.released(entry);
      case T.accepted:
        return this.accepted(entry);
      case T.rejected:
      case T.cancelled:
        return this.closed(entry);
    }
  }

  private item(entry: CustodyEntry, id: string): TrackedItem | undefined {
    const item = this.tracked.get(id);
    if (item === undefined && !this.options.partial)
      throw new CustodyChainError(entry.index, `${entry.type} names item ${id}, which was never registered`);
    return item;
  }

  private note(entry: CustodyEntry, items: TrackedItem[]): void {
    for (const item of items) {
      item.log = this.log.add(item.log, entry.index);
      item.lastIndex = entry.index;
    }
    this.seen?.add(entry.index);
  }

  private requireLive(entry: CustodyEntry, item: TrackedItem): void {
    if (item.state === 'disposed')
      throw new CustodyChainError(entry.index, `${entry.type} of ${item.number} after its disposal`);
  }

  private requireCustodian(entry: CustodyEntry, item: TrackedItem, userId: string | undefined, what: string): void {
    if (item.custodianId !== userId) {
      throw new CustodyChainError(
        entry.index,
        `${what} of ${item.number} by ${userId ?? 'nobody'}, but its custodian is ${item.custodianId}`,
      );
    }
  }

  /** Acts of the custodian alone (hash records, storage moves): the item is theirs and not in transit. */
  private requireHeld(entry: CustodyEntry, item: TrackedItem, what: string): void {
    this.requireLive(entry, item);
    if (item.state !== 'in_custody')
      throw new CustodyChainError(entry.index, `${what} of ${item.number} while it is ${item.state}`);
    this.requireCustodian(entry, item, entry.actor?.id, what);
  }

  private register(entry: CustodyEntry): void {
    const data = entry.data as ItemSeizedData | ItemDerivedData;
    if (this.tracked.has(entry.subject.id))
      throw new CustodyChainError(entry.index, `item ${entry.subject.id} is registered twice`);
    if (entry.actor === null || data.custodian.id !== entry.actor.id) {
      throw new CustodyChainError(entry.index, 'an item starts in the custody of the person who registers it');
    }
    if (entry.type === T.derived) {
      requireSignature(entry, entry.actor.id, 'acquired');
      const parent = data.item.parent === null ? undefined : this.item(entry, data.item.parent.id);
      if (parent !== undefined) {
        this.requireLive(entry, parent);
        this.requireCustodian(entry, parent, entry.actor.id, 'derivation');
      }
    }
    const item: TrackedItem = {
      id: entry.subject.id,
      number: entry.subject.number ?? entry.subject.id,
      registeredIndex: entry.index,
      fingerprint: this.options.fingerprint?.(entry) ?? '',
      corrections: null,
      custodianId: this.person(data.custodian.id),
      state: 'in_custody',
      integrity: 'intact',
      disposition: null,
      disposedAt: null,
      location: data.location,
      locationIndex: entry.index,
      pendingTransfer: null,
      lastIndex: entry.index,
      log: -1,
    };
    this.tracked.set(item.id, item);
    this.note(entry, [item]);
  }

  private hashRecorded(entry: CustodyEntry): void {
    const item = this.item(entry, entry.subject.id);
    if (item === undefined) return;
    const data = entry.data as HashRecordedData;
    this.requireHeld(entry, item, 'hash record');
    if (data.role === 'reference') requireSignature(entry, entry.actor?.id ?? '', 'acquired');
    if (data.values.some((value) => 'result' in value && value.result === 'mismatch')) item.integrity = 'compromised';
    this.note(entry, [item]);
  }

  private moved(entry: CustodyEntry): void {
    const item = this.item(entry, entry.subject.id);
    if (item === undefined) return;
    this.requireHeld(entry, item, 'storage move');
    item.location = (entry.data as ItemMovedData).to;
    item.locationIndex = entry.index;
    this.note(entry, [item]);
  }

  private disposed(entry: CustodyEntry): void {
    const item = this.item(entry, entry.subject.id);
    if (item === undefined) return;
    const data = entry.data as ItemDisposedData;
    this.requireLive(entry, item);
    if (item.state !== 'in_custody')
      throw new CustodyChainError(entry.index, `disposal of ${item.number} while it is ${item.state}`);
    this.requireCustodian(entry, item, entry.actor?.id, 'disposal');
    requireSignature(entry, item.custodianId, 'disposed');
    if (data.witness.id === item.custodianId)
      throw new CustodyChainError(entry.index, 'the custodian cannot witness their own disposal');
    requireSignature(entry, data.witness.id, 'witnessed');
    item.state = 'disposed';
    item.disposition = data.disposition;
    item.disposedAt = data.occurredAt;
    this.note(entry, [item]);
  }

  private corrected(entry: CustodyEntry): void {
    const item = this.item(entry, entry.subject.id);
    if (item === undefined) return;
    const corrects = entry.corrects;
    if (corrects === undefined)
      throw new CustodyChainError(entry.index, 'a correction must name the entry it corrects');
    if (entry.actor === null) throw new CustodyChainError(entry.index, 'a correction needs a person who makes it');
    requireSignature(entry, entry.actor.id, 'corrected');
    if (!this.log.includes(item.log, corrects.index)) {
      // In a partial replay the corrected entry may simply be outside the bundle.
      if (this.seen !== undefined && !this.seen.has(corrects.index)) return this.note(entry, [item]);
      throw new CustodyChainError(
        entry.index,
        `correction of entry ${corrects.index}, which is not an entry of ${item.number}`,
      );
    }
    const { changes } = entry.data as ItemCorrectedData;
    const location = changes.find((change) => change.field === 'location');
    if (location !== undefined && corrects.index === item.locationIndex) item.location = location.to as string | null;
    if (corrects.index === item.registeredIndex) {
      item.corrections ??= [];
      for (const change of changes)
        item.corrections.push({ index: entry.index, field: change.field, from: change.from, to: change.to });
    }
    this.note(entry, [item]);
  }

  private released(entry: CustodyEntry): void {
    const data = entry.data as TransferReleasedData;
    if (entry.actor?.id !== data.from.id)
      throw new CustodyChainError(entry.index, 'a release is made by the releasing custodian');
    requireSignature(entry, data.from.id, 'released');
    if (data.from.id === data.to.id) throw new CustodyChainError(entry.index, 'a transfer needs two different people');
    if (this.transfers.has(entry.subject.id))
      throw new CustodyChainError(entry.index, `transfer ${entry.subject.id} is released twice`);
    const occurredAt = statedTime(entry, data.occurredAt);
    const items: TrackedItem[] = [];
    for (const ref of data.items) {
      const item = this.item(entry, ref.id);
      if (item === undefined) continue;
      this.requireLive(entry, item);
      if (item.state !== 'in_custody')
        throw new CustodyChainError(entry.index, `release of ${item.number} while it is ${item.state}`);
      this.requireCustodian(entry, item, data.from.id, 'release');
      item.state = 'transfer_pending';
      item.pendingTransfer = entry.subject.id;
      items.push(item);
    }
    if (items.length > 0)
      this.transfers.set(entry.subject.id, { from: data.from.id, to: data.to.id, occurredAt, pending: items.length });
    this.note(entry, items);
  }

  /** An accept, reject or cancel names the parties of the release it resolves. */
  private requireReleased(
    entry: CustodyEntry,
    data: TransferClosedData | TransferAcceptedData,
  ): PendingTransfer | undefined {
    const transfer = this.transfers.get(entry.subject.id);
    if (transfer === undefined) {
      // A bundle may hold none of the transfer's pending items; in a full replay nothing is pending.
      if (this.options.partial) return undefined;
      throw new CustodyChainError(
        entry.index,
        `${entry.type} of transfer ${entry.subject.id}, which has no pending release`,
      );
    }
    if (data.from.id !== transfer.from || data.to.id !== transfer.to) {
      throw new CustodyChainError(
        entry.index,
        `${entry.type} names ${data.from.id} → ${data.to.id}, but transfer ${entry.subject.id} was released by ${transfer.from} to ${transfer.to}`,
      );
    }
    return transfer;
  }

  private resolved(entry: CustodyEntry, transfer: PendingTransfer | undefined, items: TrackedItem[]): void {
    if (transfer === undefined) return;
    transfer.pending -= items.length;
    if (transfer.pending <= 0) this.transfers.delete(entry.subject.id);
  }

  private pendingItems(entry: CustodyEntry, data: { items: readonly { id: string }[] }): TrackedItem[] {
    const items: TrackedItem[] = [];
    for (const ref of data.items) {
      const item = this.item(entry, ref.id);
      if (item === undefined) continue;
      // Listed twice, an item would be counted twice against the transfer's pending items.
      if (item.state !== 'transfer_pending' || item.pendingTransfer !== entry.subject.id || items.includes(item)) {
        throw new CustodyChainError(
          entry.index,
          `${entry.type} of ${item.number}, which is not pending in transfer ${entry.subject.id}`,
        );
      }
      items.push(item);
    }
    return items;
  }

  private accepted(entry: CustodyEntry): void {
    const data = entry.data as TransferAcceptedData;
    if (entry.actor?.id !== data.to.id)
      throw new CustodyChainError(entry.index, 'only the named receiver accepts a transfer');
    requireSignature(entry, data.to.id, 'received');
    const transfer = this.requireReleased(entry, data);
    const occurredAt = statedTime(entry, data.occurredAt);
    if (occurredAt !== undefined && transfer?.occurredAt !== undefined && occurredAt.ms < transfer.occurredAt.ms) {
      throw new CustodyChainError(
        entry.index,
        `transfer ${entry.subject.id} is received at ${occurredAt.text}, before its release at ${transfer.occurredAt.text}`,
      );
    }
    const items = this.pendingItems(entry, data);
    const byId = new Map(data.items.map((accepted) => [accepted.id, accepted]));
    for (const item of items) {
      const accepted = byId.get(item.id)!;
      item.custodianId = this.person(data.to.id);
      item.state = 'in_custody';
      item.pendingTransfer = null;
      item.location = data.location;
      item.locationIndex = entry.index;
      if (!accepted.sealIntact || accepted.hashes.some((hash) => hash.result === 'mismatch'))
        item.integrity = 'compromised';
    }
    this.resolved(entry, transfer, items);
    this.note(entry, items);
  }

  private closed(entry: CustodyEntry): void {
    const data = entry.data as TransferClosedData;
    if (entry.type === T.rejected) {
      if (entry.actor?.id !== data.to.id)
        throw new CustodyChainError(entry.index, 'only the named receiver rejects a transfer');
      requireSignature(entry, data.to.id, 'rejected');
    } else if (entry.actor?.id !== data.from.id) {
      throw new CustodyChainError(entry.index, 'only the releasing custodian cancels a transfer');
    }
    const transfer = this.requireReleased(entry, data);
    const items = this.pendingItems(entry, data);
    for (const item of items) {
      item.state = 'in_custody';
      item.pendingTransfer = null;
    }
    this.resolved(entry, transfer, items);
    this.note(entry, items);
  }
}
