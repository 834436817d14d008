/**
 * How custody events read as steps of an item's story. Pure (no Nest, no database): the item history
 * and the CSV export both read entries through `custodyStep`, so they cannot disagree.
 */
import type { HistoryEvent, HistoryHash } from '../contracts/custody.js';
import type { LedgerEntry } from '../ledger/core/entry.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemSeizedData,
  type PartyRef,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from './custody-events.js';

/** One event of an item’s custody timeline: declared once, with its schema, in src/contracts. */
export type { HistoryEvent, HistoryHash };

function who(party: PartyRef): string {
  return `${party.displayName} (${party.agency ?? 'no agency'})`;
}

/** A ledger entry with the RFC 6962 leaf hash an inclusion proof proves (hex). */
export interface CustodyEntry {
  readonly entry: LedgerEntry;
  readonly leafHash: string;
}

/** The corrections among an item's entries, by the index of the entry each corrects. */
export function correctionsOf(
  entries: readonly CustodyEntry[],
): Map<number, Array<HistoryEvent['correctedBy'][number]>> {
  const corrections = new Map<number, Array<HistoryEvent['correctedBy'][number]>>();
  for (const { entry } of entries) {
    if (entry.type !== T.corrected || entry.corrects === undefined) continue;
    const list = corrections.get(entry.corrects.index) ?? [];
    list.push({
      index: entry.index,
      reason: entry.corrects.reason,
      changes: (entry.data as unknown as ItemCorrectedData).changes,
    });
    corrections.set(entry.corrects.index, list);
  }
  return corrections;
}

/** An item's steps from its entries (those indexed under it), in ledger order, each with its later corrections. */
export function custodySteps(itemId: string, entries: readonly CustodyEntry[]): HistoryEvent[] {
  const corrections = correctionsOf(entries);
  return [...entries]
    .sort((a, b) => a.entry.index - b.entry.index)
    .map(({ entry, leafHash }) => custodyStep(entry, leafHash, itemId, corrections.get(entry.index) ?? []));
}

/**
 * One ledger entry as a step of an item's custody: who, when, from whom to whom, where, the seal, the
 * hashes and why — the one reading of each custody event type, shared by the item history
 * (`GET /items/:id/history`) and the CSV custody table. Pure.
 */
export function custodyStep(
  entry: LedgerEntry,
  leafHash: string,
  itemId: string,
  correctedBy: HistoryEvent['correctedBy'] = [],
): HistoryEvent {
  const base = {
    ledgerIndex: entry.index,
    leafHash,
    type: entry.type,
    recordedAt: entry.recordedAt,
    actor: entry.actor,
    signatures: entry.signatures,
    corrects: entry.corrects ?? null,
    correctedBy,
    data: entry.data,
    occurredAt: null,
    from: null,
    to: null,
    transferId: null,
    purpose: null,
    location: null,
    seal: null,
    hashes: [] as HistoryHash[],
    reason: null,
  };
  const by = entry.actor === null ? 'the system' : who({ ...entry.actor });
  switch (entry.type) {
    case T.seized:
    case T.derived: {
      const data = entry.data as unknown as ItemSeizedData | ItemDerivedData;
      const derived = 'acquisition' in data;
      return {
        ...base,
        summary: derived
          ? `Made from ${data.item.parent?.number ?? 'its parent'} by ${by} with ${data.acquisition.tool} ${data.acquisition.toolVersion}`
          : `Seized by ${by} at ${data.item.place}`,
        occurredAt: data.item.occurredAt,
        to: data.custodian,
        location: data.location,
        seal: { number: data.item.sealNumber, intact: null, note: null },
        hashes: derived
          ? data.hashes.values.map((value) => ({
              target: data.hashes.target,
              algorithm: value.algorithm,
              value: value.value,
              role: 'reference' as const,
              result: null,
              referenceIndex: null,
            }))
          : [],
      };
    }
    case T.hashRecorded: {
      const data = entry.data as unknown as HashRecordedData;
      const results = data.values.map((value) => ('result' in value ? value.result : null));
      return {
        ...base,
        summary:
          data.role === 'reference'
            ? `Reference hash of ${data.target} recorded by ${by}${data.weak ? ' (weak: no SHA-256 or stronger)' : ''}`
            : `${data.target} re-verified by ${by}: ${results.join(', ')}`,
        occurredAt: data.occurredAt,
        hashes: data.values.map((value) => ({
          target: data.target,
          algorithm: value.algorithm,
          value: value.value,
          role: data.role,
          result: 'result' in value ? value.result : null,
          referenceIndex: 'referenceIndex' in value ? (value.referenceIndex ?? null) : null,
        })),
      };
    }
    case T.moved: {
      const data = entry.data as unknown as ItemMovedData;
      return {
        ...base,
        summary: `Moved by ${by} from ${data.from ?? 'unrecorded location'} to ${data.to}`,
        location: data.to,
        reason: data.reason,
      };
    }
    case T.disposed: {
      const data = entry.data as unknown as ItemDisposedData;
      return {
        ...base,
        summary: `Disposed (${data.disposition.replace(/_/g, ' ')}) by ${who(data.custodian)}, witnessed by ${who(data.witness)}, under ${data.authorityReference}`,
        occurredAt: data.occurredAt,
        from: data.custodian,
        reason: data.notes,
      };
    }
    case T.corrected: {
      const data = entry.data as unknown as ItemCorrectedData;
      return {
        ...base,
        summary: `Correction of entry ${entry.corrects?.index ?? '?'} by ${by}: ${data.changes.map((change) => change.field).join(', ')}`,
        reason: entry.corrects?.reason ?? null,
      };
    }
    case T.released: {
      const data = entry.data as unknown as TransferReleasedData;
      return {
        ...base,
        summary: `Released by ${who(data.from)} to ${who(data.to)}: ${data.purpose}`,
        // Entries from before ADR 0033 state no hand-over time: their recording time is it.
        occurredAt: data.occurredAt ?? null,
        from: data.from,
        to: data.to,
        transferId: entry.subject.id,
        purpose: data.purpose,
      };
    }
    case T.accepted: {
      const data = entry.data as unknown as TransferAcceptedData;
      const mine = data.items.find((accepted) => accepted.id === itemId);
      const broken = mine !== undefined && !mine.sealIntact;
      const mismatch = mine?.hashes.some((hash) => hash.result === 'mismatch') ?? false;
      return {
        ...base,
        summary: `Received by ${who(data.to)} from ${who(data.from)}${broken ? ' — SEAL BROKEN' : ''}${mismatch ? ' — HASH MISMATCH' : ''}`,
        occurredAt: data.occurredAt ?? null,
        from: data.from,
        to: data.to,
        transferId: entry.subject.id,
        location: data.location,
        seal: mine === undefined ? null : { number: null, intact: mine.sealIntact, note: mine.sealNote },
        hashes: (mine?.hashes ?? []).map((hash) => ({
          target: hash.target,
          algorithm: hash.algorithm,
          value: hash.value,
          role: 'verification' as const,
          result: hash.result,
          referenceIndex: hash.referenceIndex ?? null,
        })),
      };
    }
    case T.rejected:
    case T.cancelled: {
      const data = entry.data as unknown as TransferClosedData;
      const verb =
        entry.type === T.rejected
          ? `Rejected by ${who(data.to)}`
          : `Transfer to ${who(data.to)} cancelled by ${who(data.from)}`;
      return {
        ...base,
        summary: `${verb}${data.reason ? `: ${data.reason}` : ''}`,
        from: data.from,
        to: data.to,
        transferId: entry.subject.id,
        reason: data.reason,
      };
    }
    default:
      return { ...base, summary: entry.type };
  }
}
