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
import type { Language } from '../i18n/languages.js';
import { translator, type Translator } from '../i18n/translator.js';
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
  /** Independent attestations of the checkpoint (issue #15): RFC 3161 timestamp, witness cosignatures. */
  readonly attestations: ReportAttestations;
}

/** What vouches for the checkpoint beyond the ledger's own signature; verified by the caller. */
export interface ReportAttestations {
  /** The RFC 3161 timestamp of the bundle's checkpoint: genTime (display form) and the TSA's subject. */
  readonly timestamp: { readonly genTime: string; readonly tsa: string } | null;
  /** Witness cosignatures on the checkpoint: witness name and when it cosigned (display form). */
  readonly cosignatures: ReadonlyArray<{ readonly witness: string; readonly at: string }>;
}

export interface CustodyReport {
  readonly subject: { readonly type: 'item' | 'case'; readonly id: string; readonly number: string };
  /** The language it is written in: every word, date and number the model and the PDF print. */
  readonly language: Language;
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
  /** The checkpoint's verified timestamp and cosignatures, when it has any. */
  readonly attestations?: ReportAttestations;
  /** The language to write in (English when not given). */
  readonly language?: Language;
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
  time: (text: string) => string,
): Array<{ label: string; time: string }> {
  if (occurredAt === undefined) return [{ label, time: time(recordedAt) }];
  const apart = Math.abs(Date.parse(occurredAt) - Date.parse(recordedAt)) >= 60_000;
  return [{ label, time: time(occurredAt) }, ...(apart ? [{ label: recordedLabel, time: time(recordedAt) }] : [])];
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

function valueText(value: unknown, none = '(none)'): string {
  if (value === null || value === undefined) return none;
  if (Array.isArray(value)) return value.length === 0 ? none : value.map(String).join(', ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

class ReportBuilder {
  private readonly tracks = new Map<string, ItemTrack>();
  private readonly transfers = new Map<string, OpenTransfer>();
  private readonly caseRecord: CaseRecordLine[] = [];
  private readonly tr: Translator;
  private readonly t: Translator['t'];
  private readonly time: (text: string) => string;

  constructor(private readonly context: ReportContext) {
    this.tr = translator(context.language ?? 'en');
    this.t = this.tr.t;
    this.time = this.tr.time;
  }

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
      signedAt: this.time(signature.signedAt),
      eventHash: signature.eventHash,
      act,
    }));
  }

  private signatureOf(entry: LedgerEntry, signerId: string, meaning: string): { meaning: string; at: string } | null {
    const found = entry.signatures.find(
      (signature) => signature.signerId === signerId && signature.meaning === meaning,
    );
    return found === undefined ? null : { meaning: found.meaning, at: this.time(found.signedAt) };
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
      registeredAt: this.time(entry.recordedAt),
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
        { label: this.t(derived ? 'custody.made' : 'custody.seized'), time: this.time(data.item.occurredAt) },
        { label: this.t('custody.recorded'), time: this.time(entry.recordedAt) },
      ],
      releasedBy: derived
        ? {
            party: null,
            text: this.t('custody.made_from', { number: data.item.parent?.number ?? this.t('custody.unknown') }),
            signature: null,
          }
        : {
            party: null,
            text:
              this.t('custody.seized_at', { place: data.item.place }) +
              (data.item.seizedFrom ? this.t('custody.seized_from', { reference: data.item.seizedFrom }) : ''),
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
            ? this.t('custody.acquisition', {
                tool: `${acquisition!.tool} ${acquisition!.toolVersion}${acquisition!.method ? ` (${acquisition!.method})` : ''}`,
              })
            : data.item.legalAuthority
              ? this.t('custody.seizure_under', { authority: data.item.legalAuthority })
              : this.t('custody.seizure'),
          alert: false,
        },
      ],
      location: data.location,
      condition: [
        {
          text: data.item.sealNumber
            ? this.t('custody.sealed_bag', { seal: data.item.sealNumber })
            : this.t('custody.no_seal'),
          alert: false,
        },
      ],
    };
    this.addRow(track, entry.index, row);
    track.signatures.push(
      ...this.signatures(entry, this.t(derived ? 'act.acquisition' : 'act.registration', { number: track.number })),
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
        when: this.time(occurredAt),
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
        label: this.t('integrity.hash_mismatch'),
        text: this.t('finding.hash_mismatch', {
          algorithm: value.algorithm.toUpperCase(),
          target,
          onReceipt: context === 'on receipt' ? 'yes' : 'no',
          entry: String(entry.index),
          time: when,
          by: by?.name ?? this.t('report.the_system'),
          reference: reference ? String(reference.entry) : 'none',
        }),
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
      track.signatures.push(...this.signatures(entry, this.t('act.reference_hashes', { target: data.target })));
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
        this.time(data.occurredAt),
        this.party(entry.actor),
      );
    track.signatures.push(...this.signatures(entry, this.t('act.verification', { target: data.target })));
  }

  private moved(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as unknown as ItemMovedData;
    const custodian = this.party(entry.actor)!;
    this.addRow(track, entry.index, {
      entries: [entry.index],
      when: [{ label: this.t('custody.moved'), time: this.time(entry.recordedAt) }],
      releasedBy: { party: custodian, text: null, signature: null },
      receivedBy: { party: null, text: this.t('custody.same_custodian'), signature: null },
      purpose: [
        {
          text: data.reason
            ? this.t('custody.storage_move_reason', { reason: data.reason })
            : this.t('custody.storage_move'),
          alert: false,
        },
      ],
      location: data.from ? this.t('custody.moved_from', { to: data.to, from: data.from }) : data.to,
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
    const signatures = this.signatures(entry, this.t('act.disposition', { number: track.number }));
    const kind = this.tr.word('disposition', data.disposition);
    this.addRow(track, entry.index, {
      entries: [entry.index],
      when: [
        { label: this.t('custody.disposed'), time: this.time(data.occurredAt) },
        { label: this.t('custody.recorded'), time: this.time(entry.recordedAt) },
      ],
      releasedBy: { party: custodian, text: null, signature: this.signatureOf(entry, data.custodian.id, 'disposed') },
      receivedBy: {
        party: null,
        text:
          data.disposition === 'destroyed'
            ? this.t('custody.destroyed_none')
            : this.t('custody.recipient', {
                recipient:
                  data.recipient ??
                  this.t(
                    data.disposition === 'returned_to_owner' ? 'custody.the_owner' : 'custody.receiving_authority',
                  ),
              }),
        signature: null,
      },
      purpose: [
        {
          text: this.t('custody.disposition_under', {
            disposition: kind.toLowerCase(),
            authority: data.authorityReference,
          }),
          alert: false,
        },
        {
          text: witnessSignature
            ? this.t('custody.witness_signed', {
                name: `${witness.name}${witness.agency ? ` (${witness.agency})` : ''}`,
                meaning: this.tr.meaning('witnessed'),
                time: this.time(witnessSignature.signedAt),
              })
            : this.t('custody.witness', { name: `${witness.name}${witness.agency ? ` (${witness.agency})` : ''}` }),
          alert: false,
        },
      ],
      location: null,
      condition: [],
    });
    track.disposition = {
      entry: entry.index,
      disposition: kind,
      occurredAt: this.time(data.occurredAt),
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
        from: valueText(change.from, this.t('report.none_value')),
        to: valueText(change.to, this.t('report.none_value')),
      })),
      by: this.party(entry.actor),
    });
    track.signatures.push(...this.signatures(entry, this.t('act.correction', { entry: String(corrects) })));
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
        location: this.t('custody.location_corrected', {
          to: valueText(location.to, this.t('report.none_value')),
          entry: String(entry.index),
          from: valueText(location.from, this.t('report.none_value')),
        }),
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
        when: handOverTimes(
          this.t('custody.released'),
          this.t('custody.release_recorded'),
          data.occurredAt,
          entry.recordedAt,
          this.time,
        ),
        releasedBy: { party: from, text: null, signature: this.signatureOf(entry, data.from.id, 'released') },
        receivedBy: { party: to, text: null, signature: null, unsigned: this.t('custody.receipt_not_signed') },
        purpose: [
          { text: data.purpose, alert: false },
          { text: this.t('custody.pending'), alert: true },
        ],
        location: null,
        condition: [],
      });
      track.signatures.push(...this.signatures(entry, this.t('act.release', { name: to.name })));
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
          ...handOverTimes(
            this.t('custody.received'),
            this.t('custody.receipt_recorded'),
            data.occurredAt,
            entry.recordedAt,
            this.time,
          ),
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
      track.signatures.push(...this.signatures(entry, this.t('act.receipt', { name: from.name })));
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
    if (accepted.sealIntact) lines.push({ text: this.t('integrity.seal_intact'), alert: false });
    else {
      lines.push({ text: this.t('integrity.seal_broken'), alert: true });
      if (accepted.sealNote) lines.push({ text: accepted.sealNote, alert: false });
      track.findings.push({
        entry: entry.index,
        label: this.t('integrity.seal_broken'),
        text: this.t('finding.seal_broken', {
          name: `${to.name}${to.agency ? ` (${to.agency})` : ''}`,
          entry: String(entry.index),
          time: this.time(receivedAt),
          note: accepted.sealNote ? `: “${accepted.sealNote}”` : '',
        }),
      });
    }
    if (accepted.sealNote && accepted.sealIntact) lines.push({ text: accepted.sealNote, alert: false });
    for (const hash of accepted.hashes) {
      this.verification(track, entry, hash.target, hash, 'on receipt', null, this.time(receivedAt), to);
      lines.push({
        text: this.t('custody.rehash', { algorithm: hash.algorithm.toUpperCase(), target: hash.target }),
        alert: false,
      });
      lines.push(
        hash.result === 'mismatch'
          ? { text: this.t('hash.mismatch'), alert: true }
          : { text: this.t(hash.result === 'match' ? 'custody.matches' : 'custody.not_compared'), alert: false },
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
      const outcome = this.t(rejected ? 'custody.rejected_by' : 'custody.cancelled_by', {
        name: rejected ? to.name : from.name,
        time: this.time(entry.recordedAt),
        reason: data.reason ? `: ${data.reason}` : '',
        from: from.name,
      });
      const row: CustodyRow = {
        entries: [...(release?.entries ?? []), entry.index],
        when: [
          ...(release?.when ?? []),
          { label: this.t(rejected ? 'custody.rejected' : 'custody.cancelled'), time: this.time(entry.recordedAt) },
        ],
        releasedBy: release?.releasedBy ?? { party: from, text: null, signature: null },
        receivedBy: rejected
          ? { party: to, text: null, signature: this.signatureOf(entry, data.to.id, 'rejected') }
          : { party: to, text: null, signature: null, unsigned: this.t('custody.cancelled_before_receipt') },
        purpose: [
          ...(release === undefined ? [] : release.purpose.filter((line) => !line.alert)),
          { text: outcome, alert: false },
        ],
        location: null,
        condition: [{ text: this.t('custody.not_handed_over'), alert: false }],
      };
      if (rowIndex === undefined) this.addRow(track, entry.index, row);
      else {
        track.custody[rowIndex] = row;
        track.rowsByEntry.set(entry.index, row);
      }
      track.signatures.push(
        ...this.signatures(
          entry,
          rejected ? this.t('act.rejection', { name: from.name }) : this.t('act.cancellation', { name: to.name }),
        ),
      );
      track.state = 'in_custody';
      track.pendingTo = null;
    }
  }

  private other(entry: LedgerEntry): void {
    const by =
      entry.actor === null
        ? this.t('report.the_system')
        : `${entry.actor.displayName}${entry.actor.agency ? ` (${entry.actor.agency})` : ''}`;
    const data = entry.data as Record<string, unknown>;
    let text: string;
    switch (entry.type) {
      case 'case.opened':
        text = this.t('record.case_opened', { by });
        break;
      case 'case.shared':
        text = this.t('record.case_shared', { grantee: valueText(data.grantee), access: valueText(data.access), by });
        break;
      case 'case.share_revoked':
        text = this.t('record.share_revoked', { by });
        break;
      case 'case.closed':
        text = this.t('record.case_closed', { by, reason: valueText(data.reason) });
        break;
      case 'case.reopened':
        text = this.t('record.case_reopened', { by, reason: valueText(data.reason) });
        break;
      case REPORT_ISSUED: {
        const about =
          entry.subject.type === 'item'
            ? this.t('record.about_item', { number: entry.subject.number ?? entry.subject.id })
            : this.t('record.about_case');
        text = this.t('record.report_issued', {
          format: valueText(data.format).toUpperCase(),
          pages: Number(data.pages),
          about,
          by,
        });
        this.caseRecord.push({
          entry: entry.index,
          when: this.time(entry.recordedAt),
          text,
          sha256: valueText(data.sha256),
        });
        return;
      }
      default:
        text = this.t('record.other', { type: entry.type, by });
    }
    this.caseRecord.push({ entry: entry.index, when: this.time(entry.recordedAt), text });
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
  const language = context.language ?? 'en';
  const { t, time } = translator(language);
  const builder = new ReportBuilder(context);
  const entries: LedgerEntryLine[] = [];
  for (const element of bundle.entries) {
    const entry = JSON.parse(element.entry) as LedgerEntry;
    builder.apply(entry);
    entries.push({
      index: element.index,
      type: entry.type,
      recordedAt: time(entry.recordedAt),
      subject: `${entry.subject.type} ${entry.subject.number ?? entry.subject.id}`,
      leafHash: leafHashHex(element.entry),
    });
  }
  const checkpoint = decodeCheckpoint(bundle.checkpoint);
  const { subject } = bundle;
  const items = builder.items();
  const title = t(subject.type === 'item' ? 'report.title_item' : 'report.title_case', { number: subject.number });
  const agencyName = (code: string | null): string | null =>
    code === null ? null : (context.agencyNames.get(code) ?? null);
  return {
    subject,
    language,
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
      attestations: context.attestations ?? { timestamp: null, cosignatures: [] },
    },
    entries,
    legalBasis: legalBasisFor(context.issuingCountry, language),
  };
}
