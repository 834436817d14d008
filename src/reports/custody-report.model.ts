/**
 * What a court custody report says (docs/reports.md), computed from nothing but a custody bundle's
 * entries: the report prints exactly what the bundle whose SHA-256 it names proves, and a reader
 * who runs `custos verify` on that bundle sees the same story. Layout is elsewhere
 * (custody-report.pdf.ts); data gathering and issuing in reports.service.ts.
 *
 * Pure and dependency-free but for node:crypto: unit-testable without a database.
 */
import { createHash } from 'node:crypto';

import {
  CORRECTABLE_ITEM_FIELDS,
  CUSTODY_EVENT_TYPES as T,
  type AcceptedItem,
  type HashRecordedData,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDescription,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemSeizedData,
  type PartyRef,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from '../custody/custody-events.js';
import type { CustodyBundle } from '../ledger/core/bundle.js';
import type { EntryActor, EntrySignature, LedgerEntry } from '../ledger/core/entry.js';
import { legalBasisFor, type LegalBasis } from './legal-basis.js';
import { humanize, itemKindWords } from './words.js';

export const REPORT_ISSUED = 'report.issued';

/** A person as a report prints them: printed name, role, agency code and name. */
export interface ReportParty {
  readonly name: string;
  readonly username: string | null;
  readonly role: string | null;
  readonly agency: string | null;
  readonly agencyName: string | null;
}

/** A signature as 21 CFR 11.50 wants it shown: printed name, date and time, meaning. */
export interface ReportSignature {
  readonly entry: number;
  readonly printedName: string;
  readonly username: string;
  readonly role: string;
  readonly agency: string | null;
  readonly agencyName: string | null;
  readonly meaning: string;
  /** Display form, with offset. */
  readonly signedAt: string;
  readonly eventHash: string;
  /** What was signed, in a few words ("Release to Luis García"). */
  readonly act: string;
}

/** One side of a hand-over: a person (with their signature, if they signed) or a plain statement. */
export interface ReportPartyCell {
  readonly party: ReportParty | null;
  readonly text: string | null;
  readonly signature: { readonly meaning: string; readonly at: string } | null;
  /** Why a person named here did not sign (an act that is not signed, a receipt that did not happen). */
  readonly unsigned?: string;
}

export interface ReportConditionLine {
  readonly text: string;
  /** A broken seal or a mismatch: printed so nobody can miss it. */
  readonly alert: boolean;
}

/** A row of the custody table, as on the paper forms: who released, who received, why, where, in what state. */
export interface CustodyRow {
  readonly entries: readonly number[];
  /** What happened when: "Released" at a time with its offset. */
  readonly when: ReadonlyArray<{ readonly label: string; readonly time: string }>;
  readonly releasedBy: ReportPartyCell;
  readonly receivedBy: ReportPartyCell;
  readonly purpose: readonly ReportConditionLine[];
  readonly location: string | null;
  readonly condition: readonly ReportConditionLine[];
}

export interface HashRow {
  readonly entry: number;
  readonly target: string;
  readonly role: 'reference' | 'verification';
  readonly context: 'acquisition' | 'recorded' | 'on receipt';
  readonly algorithm: string;
  readonly value: string;
  /** For verifications: match, mismatch or not_compared; null for references. */
  readonly result: string | null;
  readonly referenceEntry: number | null;
  readonly weak: boolean;
  readonly tool: string | null;
  readonly when: string;
  readonly by: ReportParty | null;
}

export interface ReportCorrection {
  readonly entry: number;
  readonly corrects: number;
  readonly reason: string;
  readonly changes: ReadonlyArray<{ readonly field: string; readonly from: string; readonly to: string }>;
  readonly by: ReportParty | null;
}

export interface ReportDisposition {
  readonly entry: number;
  readonly disposition: string;
  readonly occurredAt: string;
  readonly authorityReference: string;
  readonly recipient: string | null;
  readonly notes: string | null;
  readonly custodian: ReportParty;
  readonly witness: ReportParty;
  readonly signatures: readonly ReportSignature[];
}

export interface ReportFinding {
  readonly entry: number;
  /** "HASH MISMATCH" or "SEAL BROKEN". */
  readonly label: string;
  readonly text: string;
}

/** One item: what was seized (as corrected), its custody, hashes, disposition and signatures. */
export interface ReportItem {
  readonly id: string;
  readonly number: string;
  readonly registrationEntry: number;
  readonly registeredAt: string;
  readonly registeredBy: ReportParty | null;
  readonly derived: boolean;
  readonly description: ItemDescription;
  readonly acquisition: ItemDerivedData['acquisition'] | null;
  /** Fields whose value shown is a correction of what was registered. */
  readonly correctedFields: ReadonlySet<string>;
  readonly corrections: readonly ReportCorrection[];
  readonly custody: readonly CustodyRow[];
  readonly hashes: readonly HashRow[];
  readonly findings: readonly ReportFinding[];
  readonly verifications: { readonly match: number; readonly mismatch: number; readonly notCompared: number };
  readonly disposition: ReportDisposition | null;
  readonly signatures: readonly ReportSignature[];
  /** As of the bundle's checkpoint. */
  readonly current: {
    readonly state: 'in_custody' | 'transfer_pending' | 'disposed';
    readonly custodian: ReportParty;
    readonly location: string | null;
    readonly pendingTo: ReportParty | null;
  };
}

export interface ReportCase {
  readonly id: string;
  readonly number: string;
  readonly title: string;
  readonly agency: string;
  readonly agencyName: string;
  readonly legalAuthority: readonly string[];
  readonly status: string;
}

/** A line of a case's own record (opened, shared, reports issued earlier). */
export interface CaseRecordLine {
  readonly entry: number;
  readonly when: string;
  readonly text: string;
  /** A hash the line names (a report's PDF SHA-256), printed in full in a fixed-width font. */
  readonly sha256?: string;
}

export interface LedgerEntryLine {
  readonly index: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly subject: string;
  /** Hex RFC 6962 leaf hash: SHA-256(0x00 ‖ entry bytes). */
  readonly leafHash: string;
}

export interface ReportVerification {
  readonly origin: string;
  readonly vkey: string;
  /** The signed checkpoint note, exactly as in the bundle. */
  readonly checkpointNote: string;
  readonly treeSize: number;
  readonly rootBase64: string;
  readonly rootHex: string;
  readonly bundleSha256: string;
  readonly bundleFileName: string;
  readonly bundlePath: string;
  readonly entryCount: number;
}

export interface CustodyReport {
  readonly subject: { readonly type: 'item' | 'case'; readonly id: string; readonly number: string };
  readonly title: string;
  readonly issuedAt: Date;
  readonly issuedBy: ReportParty;
  readonly case: ReportCase;
  readonly items: readonly ReportItem[];
  readonly caseRecord: readonly CaseRecordLine[];
  readonly verification: ReportVerification;
  readonly entries: readonly LedgerEntryLine[];
  /** What the report cites, for the jurisdiction of the agency that issues it. */
  readonly legalBasis: LegalBasis;
}

export interface ReportContext {
  readonly issuedAt: Date;
  readonly issuedBy: Omit<ReportParty, 'agencyName'>;
  readonly case: Omit<ReportCase, 'agencyName'>;
  /** Agency names by code, for every agency the entries name. */
  readonly agencyNames: ReadonlyMap<string, string>;
  /** Two-letter country of the issuing agency (the issuer's, else the case's): decides the legal wording. */
  readonly issuingCountry: string | null;
}

// ---------------------------------------------------------------------------------------------
// Display forms
// ---------------------------------------------------------------------------------------------

/** An RFC 3339 time with its offset, as people read it: `2026-11-20 09:14:00 +01:00`. */
export function displayTime(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return text;
  return `${match[1]} ${match[2]} ${match[3] === 'Z' ? '+00:00' : match[3]}`;
}

/**
 * When a hand-over happened (ADR 0033): the time its entry states, with the recording time beside
 * it when they are a minute or more apart; entries that state none were recorded as it happened.
 */
function handOverTimes(
  label: string,
  recordedLabel: string,
  occurredAt: string | undefined,
  recordedAt: string,
): Array<{ label: string; time: string }> {
  if (occurredAt === undefined) return [{ label, time: displayTime(recordedAt) }];
  const apart = Math.abs(Date.parse(occurredAt) - Date.parse(recordedAt)) >= 60_000;
  return [
    { label, time: displayTime(occurredAt) },
    ...(apart ? [{ label: recordedLabel, time: displayTime(recordedAt) }] : []),
  ];
}

export function displayInstant(instant: Date): string {
  return displayTime(instant.toISOString());
}

export { humanize, itemKindWords };

/** Agencies that are named in entries by code only. */
export function agencyCodesOf(bundle: CustodyBundle): string[] {
  const codes = new Set<string>();
  for (const { entry } of bundle.entries) {
    collectAgencies(JSON.parse(entry) as unknown, codes);
  }
  return [...codes].sort();
}

function collectAgencies(value: unknown, codes: Set<string>): void {
  if (Array.isArray(value)) {
    for (const element of value) collectAgencies(element, codes);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) {
      if (key === 'agency' && typeof member === 'string') codes.add(member);
      else collectAgencies(member, codes);
    }
  }
}

const leafHashHex = (text: string): string =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(Buffer.from(text, 'utf8'))
    .digest('hex');

function decodeCheckpoint(note: string): { origin: string; treeSize: number; rootBase64: string } {
  const [origin, size, root] = note.split('\n');
  return { origin, treeSize: Number(size), rootBase64: root };
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

interface ItemTrack {
  readonly id: string;
  readonly number: string;
  readonly registrationEntry: number;
  readonly registeredAt: string;
  readonly registeredBy: ReportParty | null;
  readonly derived: boolean;
  readonly registered: ItemDescription;
  description: ItemDescription;
  readonly acquisition: ItemDerivedData['acquisition'] | null;
  readonly correctedFields: Set<string>;
  readonly corrections: ReportCorrection[];
  readonly custody: CustodyRow[];
  /** Custody rows by ledger index of the entry that made them (a move a correction may amend). */
  readonly rowsByEntry: Map<number, CustodyRow>;
  readonly hashes: HashRow[];
  /** Reference values by target and algorithm, with the entry that recorded them. */
  readonly references: Map<string, { entry: number; values: Map<string, string> }>;
  readonly findings: ReportFinding[];
  readonly verifications: { match: number; mismatch: number; notCompared: number };
  disposition: ReportDisposition | null;
  readonly signatures: ReportSignature[];
  state: 'in_custody' | 'transfer_pending' | 'disposed';
  custodian: ReportParty;
  location: string | null;
  pendingTo: ReportParty | null;
}

/** A pending hand-over: the release row, completed by the acceptance, rejection or cancellation. */
interface OpenTransfer {
  readonly released: LedgerEntry;
  readonly data: TransferReleasedData;
  readonly rows: Map<string, number>;
}

const EDITABLE_FIELDS: ReadonlySet<string> = new Set(CORRECTABLE_ITEM_FIELDS);

function valueText(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(String).join(', ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

class ReportBuilder {
  private readonly tracks = new Map<string, ItemTrack>();
  private readonly transfers = new Map<string, OpenTransfer>();
  private readonly caseRecord: CaseRecordLine[] = [];

  constructor(private readonly context: ReportContext) {}

  party(ref: PartyRef | EntryActor | null, role: string | null = null): ReportParty | null {
    if (ref === null) return null;
    return {
      name: ref.displayName,
      username: ref.username,
      role: 'role' in ref ? (ref.role ?? role) : role,
      agency: ref.agency,
      agencyName: ref.agency === null ? null : (this.context.agencyNames.get(ref.agency) ?? null),
    };
  }

  private signatures(entry: LedgerEntry, act: string): ReportSignature[] {
    return entry.signatures.map((signature: EntrySignature) => ({
      entry: entry.index,
      printedName: signature.printedName,
      username: signature.username,
      role: signature.role,
      agency: signature.agency,
      agencyName: signature.agency === null ? null : (this.context.agencyNames.get(signature.agency) ?? null),
      meaning: signature.meaning,
      signedAt: displayTime(signature.signedAt),
      eventHash: signature.eventHash,
      act,
    }));
  }

  private signatureOf(entry: LedgerEntry, signerId: string, meaning: string): { meaning: string; at: string } | null {
    const found = entry.signatures.find(
      (signature) => signature.signerId === signerId && signature.meaning === meaning,
    );
    return found === undefined ? null : { meaning: found.meaning, at: displayTime(found.signedAt) };
  }

  apply(entry: LedgerEntry): void {
    switch (entry.type) {
      case T.seized:
      case T.derived:
        return this.registered(entry);
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
      default:
        return this.other(entry);
    }
  }

  private registered(entry: LedgerEntry): void {
    const data = entry.data as unknown as ItemSeizedData | ItemDerivedData;
    const derived = entry.type === T.derived;
    const custodian = this.party(data.custodian, entry.actor?.role ?? null)!;
    const track: ItemTrack = {
      id: entry.subject.id,
      number: entry.subject.number ?? entry.subject.id,
      registrationEntry: entry.index,
      registeredAt: displayTime(entry.recordedAt),
      registeredBy: this.party(entry.actor),
      derived,
      registered: data.item,
      description: { ...data.item },
      acquisition: derived ? (data as ItemDerivedData).acquisition : null,
      correctedFields: new Set(),
      corrections: [],
      custody: [],
      rowsByEntry: new Map(),
      hashes: [],
      references: new Map(),
      findings: [],
      verifications: { match: 0, mismatch: 0, notCompared: 0 },
      disposition: null,
      signatures: [],
      state: 'in_custody',
      custodian,
      location: data.location,
      pendingTo: null,
    };
    this.tracks.set(track.id, track);
    const acquisition = derived ? (data as ItemDerivedData).acquisition : null;
    const row: CustodyRow = {
      entries: [entry.index],
      when: [
        { label: derived ? 'Made' : 'Seized', time: displayTime(data.item.occurredAt) },
        { label: 'Recorded', time: displayTime(entry.recordedAt) },
      ],
      releasedBy: derived
        ? { party: null, text: `Made from item ${data.item.parent?.number ?? '(unknown)'}`, signature: null }
        : {
            party: null,
            text: `Seized at ${data.item.place}${data.item.seizedFrom ? `; from ${data.item.seizedFrom}` : ''}`,
            signature: null,
          },
      receivedBy: {
        party: custodian,
        text: null,
        signature: derived ? this.signatureOf(entry, data.custodian.id, 'acquired') : null,
      },
      purpose: [
        {
          text: derived
            ? `Forensic acquisition with ${acquisition!.tool} ${acquisition!.toolVersion}${acquisition!.method ? ` (${acquisition!.method})` : ''}`
            : `Seizure${data.item.legalAuthority ? ` under ${data.item.legalAuthority}` : ''}`,
          alert: false,
        },
      ],
      location: data.location,
      condition: [
        { text: data.item.sealNumber ? `Sealed: bag ${data.item.sealNumber}` : 'No seal recorded', alert: false },
      ],
    };
    this.addRow(track, entry.index, row);
    track.signatures.push(
      ...this.signatures(entry, derived ? `Acquisition of ${track.number}` : `Registration of ${track.number}`),
    );
    if (derived) {
      const hashes = (data as ItemDerivedData).hashes;
      this.reference(
        track,
        entry,
        hashes.target,
        hashes.values,
        hashes.weak,
        'acquisition',
        `${acquisition!.tool} ${acquisition!.toolVersion}`,
        hashes.occurredAt,
      );
    }
  }

  private addRow(track: ItemTrack, index: number, row: CustodyRow): void {
    track.custody.push(row);
    track.rowsByEntry.set(index, row);
  }

  private reference(
    track: ItemTrack,
    entry: LedgerEntry,
    target: string,
    values: ReadonlyArray<{ algorithm: string; value: string }>,
    weak: boolean | undefined,
    context: HashRow['context'],
    tool: string | null,
    occurredAt: string,
  ): void {
    track.references.set(target, {
      entry: entry.index,
      values: new Map(values.map((value) => [value.algorithm, value.value])),
    });
    for (const value of values) {
      track.hashes.push({
        entry: entry.index,
        target,
        role: 'reference',
        context,
        algorithm: value.algorithm,
        value: value.value,
        result: null,
        referenceEntry: null,
        weak: weak === true,
        tool,
        when: displayTime(occurredAt),
        by: this.party(entry.actor),
      });
    }
  }

  private verification(
    track: ItemTrack,
    entry: LedgerEntry,
    target: string,
    value: { algorithm: string; value: string; result?: string; referenceIndex?: number },
    context: HashRow['context'],
    tool: string | null,
    when: string,
    by: ReportParty | null,
  ): void {
    const result = value.result ?? 'not_compared';
    track.hashes.push({
      entry: entry.index,
      target,
      role: 'verification',
      context,
      algorithm: value.algorithm,
      value: value.value,
      result,
      referenceEntry: value.referenceIndex ?? null,
      weak: false,
      tool,
      when,
      by,
    });
    if (result === 'match') track.verifications.match++;
    else if (result === 'mismatch') {
      track.verifications.mismatch++;
      const reference = track.references.get(target);
      track.findings.push({
        entry: entry.index,
        label: 'HASH MISMATCH',
        text:
          `${value.algorithm.toUpperCase()} of ${target} recorded ${context === 'on receipt' ? 'on receipt ' : ''}in entry #${entry.index} (${when}, ` +
          `${by?.name ?? 'the system'}) does not match the reference${reference ? ` recorded in entry #${reference.entry}` : ''}.`,
      });
    } else track.verifications.notCompared++;
  }

  private hashRecorded(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as unknown as HashRecordedData;
    const tool = data.tool === null ? null : `${data.tool.name}${data.tool.version ? ` ${data.tool.version}` : ''}`;
    if (data.role === 'reference') {
      this.reference(track, entry, data.target, data.values, data.weak, 'recorded', tool, data.occurredAt);
      track.signatures.push(...this.signatures(entry, `Reference hashes of ${data.target}`));
      return;
    }
    for (const value of data.values)
      this.verification(
        track,
        entry,
        data.target,
        value,
        'recorded',
        tool,
        displayTime(data.occurredAt),
        this.party(entry.actor),
      );
    track.signatures.push(...this.signatures(entry, `Verification of ${data.target}`));
  }

  private moved(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as unknown as ItemMovedData;
    const custodian = this.party(entry.actor)!;
    this.addRow(track, entry.index, {
      entries: [entry.index],
      when: [{ label: 'Moved', time: displayTime(entry.recordedAt) }],
      releasedBy: { party: custodian, text: null, signature: null },
      receivedBy: { party: null, text: 'Same custodian (storage move)', signature: null },
      purpose: [{ text: `Storage move${data.reason ? `: ${data.reason}` : ''}`, alert: false }],
      location: `${data.to}${data.from ? ` (from ${data.from})` : ''}`,
      condition: [],
    });
    track.location = data.to;
  }

  private disposed(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as unknown as ItemDisposedData;
    const custodian = this.party(data.custodian, entry.actor?.role ?? null)!;
    const witness = this.party(data.witness)!;
    const witnessSignature = entry.signatures.find(
      (signature) => signature.signerId === data.witness.id && signature.meaning === 'witnessed',
    );
    const signatures = this.signatures(entry, `Disposition of ${track.number}`);
    const kind = humanize(data.disposition);
    this.addRow(track, entry.index, {
      entries: [entry.index],
      when: [
        { label: 'Disposed', time: displayTime(data.occurredAt) },
        { label: 'Recorded', time: displayTime(entry.recordedAt) },
      ],
      releasedBy: { party: custodian, text: null, signature: this.signatureOf(entry, data.custodian.id, 'disposed') },
      receivedBy: {
        party: null,
        text:
          data.disposition === 'destroyed'
            ? 'None: destroyed'
            : `Recipient: ${data.recipient ?? (data.disposition === 'returned_to_owner' ? 'the owner' : 'the receiving authority')}`,
        signature: null,
      },
      purpose: [
        { text: `Disposition: ${kind.toLowerCase()} under ${data.authorityReference}`, alert: false },
        {
          text: `Witness: ${witness.name}${witness.agency ? ` (${witness.agency})` : ''}${witnessSignature ? `, signed “witnessed” ${displayTime(witnessSignature.signedAt)}` : ''}`,
          alert: false,
        },
      ],
      location: null,
      condition: [],
    });
    track.disposition = {
      entry: entry.index,
      disposition: kind,
      occurredAt: displayTime(data.occurredAt),
      authorityReference: data.authorityReference,
      recipient: data.recipient,
      notes: data.notes,
      custodian,
      witness: { ...witness, role: witnessSignature?.role ?? witness.role },
      signatures,
    };
    track.signatures.push(...signatures);
    track.state = 'disposed';
  }

  private corrected(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as unknown as ItemCorrectedData;
    const corrects = entry.corrects?.index ?? -1;
    track.corrections.push({
      entry: entry.index,
      corrects,
      reason: entry.corrects?.reason ?? '',
      changes: data.changes.map((change) => ({
        field: change.field,
        from: valueText(change.from),
        to: valueText(change.to),
      })),
      by: this.party(entry.actor),
    });
    track.signatures.push(...this.signatures(entry, `Correction of entry #${corrects}`));
    if (corrects === track.registrationEntry) {
      const description = { ...track.description } as Record<string, unknown>;
      for (const change of data.changes) {
        if (!EDITABLE_FIELDS.has(change.field)) continue;
        description[change.field] = change.to;
        track.correctedFields.add(change.field);
      }
      track.description = description as unknown as ItemDescription;
      return;
    }
    const row = track.rowsByEntry.get(corrects);
    const location = data.changes.find((change) => change.field === 'location');
    if (row !== undefined && location !== undefined) {
      const index = track.custody.indexOf(row);
      const amended: CustodyRow = {
        ...row,
        location: `${valueText(location.to)} (corrected by entry #${entry.index}; recorded as ${valueText(location.from)})`,
      };
      track.custody[index] = amended;
      track.rowsByEntry.set(corrects, amended);
      if (track.location === location.from) track.location = valueText(location.to);
    }
  }

  private released(entry: LedgerEntry): void {
    const data = entry.data as unknown as TransferReleasedData;
    const open: OpenTransfer = { released: entry, data, rows: new Map() };
    this.transfers.set(entry.subject.id, open);
    const from = this.party(data.from, entry.actor?.role ?? null)!;
    const to = this.party(data.to)!;
    for (const ref of data.items) {
      const track = this.tracks.get(ref.id);
      if (track === undefined) continue;
      open.rows.set(ref.id, track.custody.length);
      this.addRow(track, entry.index, {
        entries: [entry.index],
        when: handOverTimes('Released', 'Release recorded', data.occurredAt, entry.recordedAt),
        releasedBy: { party: from, text: null, signature: this.signatureOf(entry, data.from.id, 'released') },
        receivedBy: { party: to, text: null, signature: null, unsigned: 'Receipt not yet signed' },
        purpose: [
          { text: data.purpose, alert: false },
          { text: 'PENDING: not yet received when the bundle was signed', alert: true },
        ],
        location: null,
        condition: [],
      });
      track.signatures.push(...this.signatures(entry, `Release to ${to.name}`));
      track.state = 'transfer_pending';
      track.pendingTo = to;
    }
  }

  private accepted(entry: LedgerEntry): void {
    const data = entry.data as unknown as TransferAcceptedData;
    const open = this.transfers.get(entry.subject.id);
    const to = this.party(data.to, entry.actor?.role ?? null)!;
    const from = this.party(data.from)!;
    for (const accepted of data.items) {
      const track = this.tracks.get(accepted.id);
      if (track === undefined) continue;
      const condition = this.receiptCondition(track, entry, accepted, to, data.occurredAt ?? entry.recordedAt);
      const rowIndex = open?.rows.get(accepted.id);
      const release = rowIndex === undefined ? undefined : track.custody[rowIndex];
      const row: CustodyRow = {
        entries: [...(release?.entries ?? []), entry.index],
        when: [
          ...(release?.when ?? []),
          ...handOverTimes('Received', 'Receipt recorded', data.occurredAt, entry.recordedAt),
        ],
        releasedBy: release?.releasedBy ?? { party: from, text: null, signature: null },
        receivedBy: { party: to, text: null, signature: this.signatureOf(entry, data.to.id, 'received') },
        purpose: release === undefined ? [] : release.purpose.filter((line) => !line.alert),
        location: data.location,
        condition,
      };
      if (rowIndex === undefined) this.addRow(track, entry.index, row);
      else {
        track.custody[rowIndex] = row;
        track.rowsByEntry.set(entry.index, row);
      }
      track.signatures.push(...this.signatures(entry, `Receipt from ${from.name}`));
      track.state = 'in_custody';
      track.custodian = to;
      track.pendingTo = null;
      if (data.location !== null) track.location = data.location;
    }
  }

  private receiptCondition(
    track: ItemTrack,
    entry: LedgerEntry,
    accepted: AcceptedItem,
    to: ReportParty,
    receivedAt: string,
  ): ReportConditionLine[] {
    const lines: ReportConditionLine[] = [];
    if (accepted.sealIntact) lines.push({ text: 'Seal intact', alert: false });
    else {
      lines.push({ text: 'SEAL BROKEN', alert: true });
      if (accepted.sealNote) lines.push({ text: accepted.sealNote, alert: false });
      track.findings.push({
        entry: entry.index,
        label: 'SEAL BROKEN',
        text: `On receipt by ${to.name}${to.agency ? ` (${to.agency})` : ''} in entry #${entry.index} (${displayTime(receivedAt)}) the seal was reported broken${accepted.sealNote ? `: “${accepted.sealNote}”` : ''}.`,
      });
    }
    if (accepted.sealNote && accepted.sealIntact) lines.push({ text: accepted.sealNote, alert: false });
    for (const hash of accepted.hashes) {
      this.verification(track, entry, hash.target, hash, 'on receipt', null, displayTime(receivedAt), to);
      lines.push({ text: `Re-hash ${hash.algorithm.toUpperCase()} of ${hash.target}:`, alert: false });
      lines.push(
        hash.result === 'mismatch'
          ? { text: 'MISMATCH', alert: true }
          : { text: hash.result === 'match' ? 'matches' : 'not compared', alert: false },
      );
    }
    return lines;
  }

  private closed(entry: LedgerEntry): void {
    const data = entry.data as unknown as TransferClosedData;
    const open = this.transfers.get(entry.subject.id);
    const rejected = entry.type === T.rejected;
    for (const ref of data.items) {
      const track = this.tracks.get(ref.id);
      if (track === undefined) continue;
      const rowIndex = open?.rows.get(ref.id);
      const release = rowIndex === undefined ? undefined : track.custody[rowIndex];
      const from = this.party(data.from)!;
      const to = this.party(data.to)!;
      const outcome = rejected
        ? `REJECTED by ${to.name} ${displayTime(entry.recordedAt)}${data.reason ? `: ${data.reason}` : ''}. Custody stayed with ${from.name}.`
        : `CANCELLED by ${from.name} ${displayTime(entry.recordedAt)}${data.reason ? `: ${data.reason}` : ''}. Custody stayed with ${from.name}.`;
      const row: CustodyRow = {
        entries: [...(release?.entries ?? []), entry.index],
        when: [
          ...(release?.when ?? []),
          { label: rejected ? 'Rejected' : 'Cancelled', time: displayTime(entry.recordedAt) },
        ],
        releasedBy: release?.releasedBy ?? { party: from, text: null, signature: null },
        receivedBy: rejected
          ? { party: to, text: null, signature: this.signatureOf(entry, data.to.id, 'rejected') }
          : { party: to, text: null, signature: null, unsigned: 'Cancelled before receipt' },
        purpose: [
          ...(release === undefined ? [] : release.purpose.filter((line) => !line.alert)),
          { text: outcome, alert: false },
        ],
        location: null,
        condition: [{ text: 'Not handed over', alert: false }],
      };
      if (rowIndex === undefined) this.addRow(track, entry.index, row);
      else {
        track.custody[rowIndex] = row;
        track.rowsByEntry.set(entry.index, row);
      }
      track.signatures.push(
        ...this.signatures(
          entry,
          rejected ? `Rejection of transfer from ${from.name}` : `Cancellation of transfer to ${to.name}`,
        ),
      );
      track.state = 'in_custody';
      track.pendingTo = null;
    }
  }

  private other(entry: LedgerEntry): void {
    const by =
      entry.actor === null
        ? 'the system'
        : `${entry.actor.displayName}${entry.actor.agency ? ` (${entry.actor.agency})` : ''}`;
    const data = entry.data as Record<string, unknown>;
    let text: string;
    switch (entry.type) {
      case 'case.opened':
        text = `Case opened by ${by}`;
        break;
      case 'case.shared':
        text = `Shared with ${valueText(data.grantee)} (${valueText(data.access) === 'contribute' ? 'contributor' : 'read-only'}) by ${by}`;
        break;
      case 'case.share_revoked':
        text = `A share was revoked by ${by}`;
        break;
      case 'case.closed':
        text = `Case closed by ${by}: ${valueText(data.reason)}`;
        break;
      case 'case.reopened':
        text = `Case reopened by ${by}: ${valueText(data.reason)}`;
        break;
      case REPORT_ISSUED: {
        const about = entry.subject.type === 'item' ? `item ${entry.subject.number ?? entry.subject.id}` : 'the case';
        text = `Court report (${valueText(data.format).toUpperCase()}, ${valueText(data.pages)} pages) of ${about} issued to ${by}`;
        this.caseRecord.push({
          entry: entry.index,
          when: displayTime(entry.recordedAt),
          text,
          sha256: valueText(data.sha256),
        });
        return;
      }
      default:
        text = `${entry.type} by ${by}`;
    }
    this.caseRecord.push({ entry: entry.index, when: displayTime(entry.recordedAt), text });
  }

  items(): ReportItem[] {
    return [...this.tracks.values()].map((track) => ({
      id: track.id,
      number: track.number,
      registrationEntry: track.registrationEntry,
      registeredAt: track.registeredAt,
      registeredBy: track.registeredBy,
      derived: track.derived,
      description: track.description,
      acquisition: track.acquisition,
      correctedFields: track.correctedFields,
      corrections: track.corrections,
      custody: track.custody,
      hashes: track.hashes,
      findings: track.findings,
      verifications: track.verifications,
      disposition: track.disposition,
      signatures: track.signatures,
      current: { state: track.state, custodian: track.custodian, location: track.location, pendingTo: track.pendingTo },
    }));
  }

  record(): CaseRecordLine[] {
    return this.caseRecord;
  }
}

/** The report of a bundle: every entry in it, read as the custody story of its item or case. */
export function custodyReport(bundle: CustodyBundle, bundleSha256: string, context: ReportContext): CustodyReport {
  const builder = new ReportBuilder(context);
  const entries: LedgerEntryLine[] = [];
  for (const element of bundle.entries) {
    const entry = JSON.parse(element.entry) as LedgerEntry;
    builder.apply(entry);
    entries.push({
      index: element.index,
      type: entry.type,
      recordedAt: displayTime(entry.recordedAt),
      subject: `${entry.subject.type} ${entry.subject.number ?? entry.subject.id}`,
      leafHash: leafHashHex(element.entry),
    });
  }
  const checkpoint = decodeCheckpoint(bundle.checkpoint);
  const { subject } = bundle;
  const items = builder.items();
  const title =
    subject.type === 'item' ? `CHAIN OF CUSTODY — ${subject.number}` : `CHAIN OF CUSTODY — CASE ${subject.number}`;
  const agencyName = (code: string | null): string | null =>
    code === null ? null : (context.agencyNames.get(code) ?? null);
  return {
    subject,
    title,
    issuedAt: context.issuedAt,
    issuedBy: { ...context.issuedBy, agencyName: agencyName(context.issuedBy.agency) },
    case: { ...context.case, agencyName: agencyName(context.case.agency) ?? context.case.agency },
    items,
    caseRecord: builder.record(),
    verification: {
      origin: bundle.origin,
      vkey: bundle.vkey,
      checkpointNote: bundle.checkpoint,
      treeSize: checkpoint.treeSize,
      rootBase64: checkpoint.rootBase64,
      rootHex: Buffer.from(checkpoint.rootBase64, 'base64').toString('hex'),
      bundleSha256,
      bundleFileName: `${subject.number}-at-${checkpoint.treeSize}.custos-bundle.json`.replace(/[^A-Za-z0-9._-]/g, '_'),
      bundlePath: `/api/v1/${subject.type === 'item' ? 'items' : 'cases'}/${subject.id}/bundle`,
      entryCount: bundle.entries.length,
    },
    entries,
    legalBasis: legalBasisFor(context.issuingCountry),
  };
}
