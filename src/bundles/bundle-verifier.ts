/**
 * The offline verifier of custody bundles (docs/bundle-format.md), as `custos verify` runs it on a
 * machine with no database: first everything cryptography proves (src/ledger/core/bundle.ts), then
 * what the custody rules require of the entries — that they concern the bundle's subject, that they
 * form an unbroken custody chain (src/custody/custody-chain.ts, the replay `custos ledger verify`
 * runs), and that every hash verification's recorded result is what its values and the reference
 * they name give. Its report says who held each item, in order, with the signatures' meanings, and
 * whether the item is intact and why not.
 *
 * Dependency-free: no Nest, TypeORM or pg is loaded (the command imports only this module).
 */
import { CustodyChainError, CustodyReplay, isCustodyEvent } from '../custody/custody-chain.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type AcceptedItem,
  type HashRecordedData,
  type HashValue,
  type Integrity,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemRef,
  type ItemSeizedData,
  type ItemState,
  type PartyRef,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from '../custody/custody-events.js';
import {
  BundleError,
  proveBundle,
  type BundleSubject,
  type ProveBundleOptions,
  type ProvenBundle,
} from '../ledger/core/bundle.js';
import type { EntrySignature, LedgerEntry } from '../ledger/core/entry.js';

export interface SignatureLine {
  readonly printedName: string;
  readonly username: string;
  readonly agency: string | null;
  readonly role: string;
  readonly meaning: string;
  readonly signedAt: string;
}

/** One entry as a line of an item's custody story. */
export interface BundleEventLine {
  readonly index: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly text: string;
  readonly signatures: readonly SignatureLine[];
}

/** A custodian and since when (the entry that gave them custody). */
export interface CustodianSpell {
  readonly custodian: PartyRef;
  readonly fromIndex: number;
  readonly since: string;
}

export interface ItemCustodyReport {
  readonly id: string;
  readonly number: string;
  readonly kind: string;
  /** As registered, with corrections of the registration applied. */
  readonly description: string;
  readonly parent: ItemRef | null;
  readonly events: readonly BundleEventLine[];
  readonly custodians: readonly CustodianSpell[];
  readonly state: ItemState;
  readonly location: string | null;
  readonly integrity: Integrity;
  /** Why the item is compromised, one finding per mismatch or broken seal ([] when intact). */
  readonly findings: readonly string[];
  readonly verifications: { readonly match: number; readonly mismatch: number; readonly notCompared: number };
}

export interface BundleReport {
  /** Hex SHA-256 of the bundle's canonical bytes. */
  readonly sha256: string;
  readonly subject: BundleSubject;
  readonly key: ProvenBundle['key'];
  readonly checkpoint: { readonly origin: string; readonly treeSize: number; readonly rootHash: string };
  readonly consistency: { readonly treeSize: number; readonly rootHash: string } | null;
  readonly held: ReadonlyArray<{ readonly treeSize: number; readonly rootHash: string }>;
  readonly entryCount: number;
  readonly case: { readonly id: string; readonly number: string; readonly title: string | null } | null;
  readonly items: readonly ItemCustodyReport[];
  /** Entries about the case itself (opened, shared …), in a case bundle. */
  readonly caseEvents: readonly BundleEventLine[];
}

export type BundleVerification =
  | { readonly ok: true; readonly report: BundleReport }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Ledger index of the first bad entry, where the failure is about one. */
      readonly index: number | null;
      readonly keyPinned: boolean;
    };

export type VerifyBundleOptions = ProveBundleOptions;

const fail = (reason: string, index: number | null = null): never => {
  throw new BundleError(reason, index);
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseJson(input: string | Uint8Array): unknown {
  let text: string;
  try {
    text = typeof input === 'string' ? input : strictUtf8.decode(input);
  } catch {
    return fail('the bundle is not UTF-8 text');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(`the bundle is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Verifies a bundle (its bytes, its text, or the parsed JSON) and returns the report, or the first
 * failure with its reason. Never throws for a bad bundle.
 */
export function verifyBundle(
  input: string | Uint8Array | object,
  options: VerifyBundleOptions = {},
): BundleVerification {
  const keyPinned = options.trustedKey !== undefined;
  let proven: ProvenBundle | undefined;
  try {
    const value = typeof input === 'string' || input instanceof Uint8Array ? parseJson(input) : input;
    proven = proveBundle(value, options);
    return { ok: true, report: new CustodyCheck(proven).run() };
  } catch (error) {
    if (error instanceof BundleError) return { ok: false, reason: error.message, index: error.index, keyPinned };
    if (error instanceof CustodyChainError)
      return { ok: false, reason: withNames(error.message, proven), index: error.index, keyPinned };
    throw error;
  }
}

/** The custody replay names people by id; a court reads names (the entries give them). */
function withNames(reason: string, proven: ProvenBundle | undefined): string {
  if (proven === undefined) return reason;
  const names = new Map<string, string>();
  const add = (who: unknown): void => {
    const p = who as { id?: unknown; displayName?: unknown; agency?: unknown } | null;
    if (typeof p?.id === 'string' && typeof p.displayName === 'string')
      names.set(p.id, `${p.displayName} (${typeof p.agency === 'string' ? p.agency : 'no agency'})`);
  };
  for (const { entry } of proven.entries) {
    add(entry.actor);
    for (const signature of entry.signatures)
      add({ id: signature.signerId, displayName: signature.printedName, agency: signature.agency });
    const data = entry.data as Record<string, unknown>;
    for (const role of ['from', 'to', 'custodian', 'witness']) add(data[role]);
  }
  let named = reason;
  for (const [id, name] of names) named = named.split(id).join(name);
  return named;
}

// ---------------------------------------------------------------------------------------------
// Custody checks
// ---------------------------------------------------------------------------------------------

interface Reference {
  readonly index: number;
  readonly values: ReadonlyMap<string, string>;
}

interface ItemTrack {
  readonly id: string;
  readonly number: string;
  readonly registrationIndex: number;
  readonly kind: string;
  description: string;
  readonly parent: ItemRef | null;
  readonly events: BundleEventLine[];
  readonly custodians: CustodianSpell[];
  /** Reference hashes by target. */
  readonly references: Map<string, Reference>;
  readonly findings: string[];
  readonly verifications: { match: number; mismatch: number; notCompared: number };
}

type HashResultValue = HashValue & { readonly result?: string; readonly referenceIndex?: number };

const STRONG_ALGORITHMS = ['sha256', 'sha512'];
const party = (p: PartyRef): string => `${p.displayName} (${p.agency ?? 'no agency'})`;
const actorOf = (entry: LedgerEntry): string =>
  entry.actor === null ? 'the system' : `${entry.actor.displayName} (${entry.actor.agency ?? 'no agency'})`;
const signatureLines = (signatures: readonly EntrySignature[]): SignatureLine[] =>
  signatures.map(({ printedName, username, agency, role, meaning, signedAt }) => ({
    printedName,
    username,
    agency,
    role,
    meaning,
    signedAt,
  }));

/** Does the entry concern the item: about it, or a transfer that names it? */
function concerns(entry: LedgerEntry, itemId: string): boolean {
  if (entry.subject.type === 'item') return entry.subject.id === itemId;
  if (entry.subject.type !== 'transfer') return false;
  const items = (entry.data as { items?: unknown }).items;
  return Array.isArray(items) && items.some((item) => (item as { id?: unknown } | null)?.id === itemId);
}

class CustodyCheck {
  private readonly tracks = new Map<string, ItemTrack>();
  private readonly caseEvents: BundleEventLine[] = [];
  private caseTitle: string | null = null;

  constructor(private readonly proven: ProvenBundle) {}

  run(): BundleReport {
    const { bundle, entries } = this.proven;
    const subject = bundle.subject;
    this.checkSubject();
    const replay = new CustodyReplay({ partial: subject.type === 'item' });
    for (const { entry } of entries) {
      replay.apply(entry);
      try {
        this.account(entry);
      } catch (error) {
        if (error instanceof BundleError || error instanceof CustodyChainError) throw error;
        fail(`entry ${entry.index}: malformed ${entry.type} entry (${(error as Error).message})`, entry.index);
      }
    }
    const items = [...this.tracks.values()].map((track): ItemCustodyReport => {
      const custody = replay.items.get(track.id)!;
      if ((custody.integrity === 'compromised') !== track.findings.length > 0) {
        fail(
          `item ${track.number}: the integrity the chain gives (${custody.integrity}) disagrees with its hash and seal records`,
        );
      }
      return {
        id: track.id,
        number: track.number,
        kind: track.kind,
        description: track.description,
        parent: track.parent,
        events: track.events,
        custodians: track.custodians,
        state: custody.state,
        location: custody.location,
        integrity: custody.integrity,
        findings: track.findings,
        verifications: track.verifications,
      };
    });
    const first = entries[0]?.entry;
    const b64 = (hash: Buffer): string => hash.toString('base64');
    return {
      sha256: this.proven.sha256,
      subject,
      key: this.proven.key,
      checkpoint: {
        origin: this.proven.checkpoint.origin,
        treeSize: this.proven.checkpoint.treeSize,
        rootHash: b64(this.proven.checkpoint.rootHash),
      },
      consistency:
        this.proven.consistency === null
          ? null
          : { treeSize: this.proven.consistency.treeSize, rootHash: b64(this.proven.consistency.rootHash) },
      held: this.proven.held.map((head) => ({ treeSize: head.treeSize, rootHash: b64(head.rootHash) })),
      entryCount: entries.length,
      case:
        subject.type === 'case'
          ? { id: subject.id, number: subject.number, title: this.caseTitle }
          : first?.case === undefined
            ? null
            : { id: first.case.id, number: first.case.number, title: null },
      items,
      caseEvents: this.caseEvents,
    };
  }

  /** Every entry belongs to the subject; an item bundle starts with the item's registration. */
  private checkSubject(): void {
    const { subject } = this.proven.bundle;
    const entries = this.proven.entries.map((proven) => proven.entry);
    if (subject.type === 'item') {
      const first = entries[0];
      if (first === undefined)
        fail(`the bundle has no entry of item ${subject.number}: an item's entries start with its registration`);
      if ((first.type !== T.seized && first.type !== T.derived) || first.subject.id !== subject.id) {
        fail(
          `the bundle does not start with the registration of item ${subject.number}: entry ${first.index} is ${first.type} of ${first.subject.type} ${first.subject.id}`,
          first.index,
        );
      }
      if (first.subject.number !== subject.number) {
        fail(
          `the bundle is about item number ${subject.number}, but entry ${first.index} registers ${first.subject.number ?? 'an item without number'}`,
          first.index,
        );
      }
      for (const entry of entries)
        if (!concerns(entry, subject.id))
          fail(`entry ${entry.index} (${entry.type}) does not concern item ${subject.number}`, entry.index);
    } else {
      for (const entry of entries) {
        if (entry.case?.id !== subject.id || entry.case.number !== subject.number) {
          fail(`entry ${entry.index} (${entry.type}) is not an entry of case ${subject.number}`, entry.index);
        }
      }
    }
  }

  private line(entry: LedgerEntry, text: string): BundleEventLine {
    return {
      index: entry.index,
      type: entry.type,
      recordedAt: entry.recordedAt,
      text,
      signatures: signatureLines(entry.signatures),
    };
  }

  /** Adds the entry to the stories of the bundle's items it concerns, checking its hash results. */
  private account(entry: LedgerEntry): void {
    if (!isCustodyEvent(entry.type)) {
      const data = entry.data as { grantee?: unknown; access?: unknown; reason?: unknown };
      const reason = typeof data.reason === 'string' ? `: ${data.reason}` : '';
      const text =
        entry.type === 'case.opened'
          ? `case opened by ${actorOf(entry)}`
          : entry.type === 'case.shared' && typeof data.grantee === 'string'
            ? `case shared with ${data.grantee} (${String(data.access)}) by ${actorOf(entry)}`
            : entry.type === 'case.closed' || entry.type === 'case.reopened'
              ? `case ${entry.type === 'case.closed' ? 'closed' : 'reopened'} by ${actorOf(entry)}${reason}`
              : `${entry.type} by ${actorOf(entry)}`;
      if (entry.type === 'case.opened') {
        const title = (entry.data as { title?: unknown }).title;
        if (typeof title === 'string') this.caseTitle = title;
      }
      const line = this.line(entry, text);
      if (entry.subject.type === 'item') this.tracks.get(entry.subject.id)?.events.push(line);
      else this.caseEvents.push(line);
      return;
    }
    switch (entry.type) {
      case T.seized:
      case T.derived:
        return this.registered(entry);
      case T.hashRecorded:
        return this.hashRecorded(entry);
      case T.moved: {
        const data = entry.data as ItemMovedData;
        this.tracks
          .get(entry.subject.id)
          ?.events.push(
            this.line(
              entry,
              `moved by ${actorOf(entry)} from ${data.from ?? 'an unrecorded location'} to ${data.to}${data.reason ? ` (${data.reason})` : ''}`,
            ),
          );
        return;
      }
      case T.disposed: {
        const data = entry.data as ItemDisposedData;
        this.tracks
          .get(entry.subject.id)
          ?.events.push(
            this.line(
              entry,
              `disposed of (${data.disposition.replace(/_/g, ' ')}) by ${party(data.custodian)} under ${data.authorityReference}` +
                `${data.recipient ? `, to ${data.recipient}` : ''}, witnessed by ${party(data.witness)}, on ${data.occurredAt}`,
            ),
          );
        return;
      }
      case T.corrected:
        return this.corrected(entry);
      case T.released: {
        const data = entry.data as TransferReleasedData;
        for (const ref of data.items)
          this.tracks.get(ref.id)?.events.push(
            this.line(
              entry,
              // A release from before ADR 0033 states no time: its recording time is the hand-over's.
              `released by ${party(data.from)} to ${party(data.to)}${data.occurredAt ? ` on ${data.occurredAt}` : ''}: ${data.purpose}`,
            ),
          );
        return;
      }
      case T.accepted:
        return this.accepted(entry);
      case T.rejected:
      case T.cancelled: {
        const data = entry.data as TransferClosedData;
        const what =
          entry.type === T.rejected
            ? `transfer rejected by ${party(data.to)}`
            : `transfer to ${party(data.to)} cancelled by ${party(data.from)}`;
        for (const ref of data.items)
          this.tracks
            .get(ref.id)
            ?.events.push(
              this.line(
                entry,
                `${what}${data.reason ? `: ${data.reason}` : ''}; custody stays with ${party(data.from)}`,
              ),
            );
        return;
      }
    }
  }

  private registered(entry: LedgerEntry): void {
    const data = entry.data as ItemSeizedData | ItemDerivedData;
    const derived = entry.type === T.derived;
    const track: ItemTrack = {
      id: entry.subject.id,
      number: entry.subject.number ?? entry.subject.id,
      registrationIndex: entry.index,
      kind: data.item.kind,
      description: data.item.description,
      parent: data.item.parent,
      events: [],
      custodians: [{ custodian: data.custodian, fromIndex: entry.index, since: entry.recordedAt }],
      references: new Map(),
      findings: [],
      verifications: { match: 0, mismatch: 0, notCompared: 0 },
    };
    this.tracks.set(track.id, track);
    let text = derived
      ? `made from ${data.item.parent?.number ?? 'another item'} by ${actorOf(entry)} with ${(data as ItemDerivedData).acquisition.tool} ${(data as ItemDerivedData).acquisition.toolVersion}`
      : `seized by ${actorOf(entry)} at ${data.item.place}`;
    text += ` on ${data.item.occurredAt}${data.item.sealNumber ? `, seal ${data.item.sealNumber}` : ''}${data.location ? `, stored at ${data.location}` : ''}`;
    if (derived) {
      const hashes = (data as ItemDerivedData).hashes;
      this.reference(entry, track, hashes.target, hashes.values, hashes.weak);
      text += `; reference hashes of ${hashes.target}: ${hashes.values.map((v) => `${v.algorithm} ${v.value}`).join(', ')}`;
    }
    track.events.push(this.line(entry, text));
  }

  /** Records a reference of a target: the first record of a target, and only one. */
  private reference(
    entry: LedgerEntry,
    track: ItemTrack,
    target: string,
    values: readonly HashValue[],
    weak: boolean | undefined,
  ): void {
    const earlier = track.references.get(target);
    if (earlier !== undefined) {
      fail(
        `entry ${entry.index} records a second reference hash of ${target} of ${track.number} (the reference is entry ${earlier.index})`,
        entry.index,
      );
    }
    const strong = values.some((value) => STRONG_ALGORITHMS.includes(value.algorithm));
    if (weak !== !strong) {
      fail(
        `entry ${entry.index}: the reference of ${target} of ${track.number} is recorded as ${weak ? '' : 'not '}weak, but it ${strong ? 'has' : 'lacks'} SHA-256 or SHA-512`,
        entry.index,
      );
    }
    track.references.set(target, {
      index: entry.index,
      values: new Map(values.map((value) => [value.algorithm, value.value])),
    });
  }

  /** Recomputes a verification's result from its value and the reference it names. */
  private compare(entry: LedgerEntry, track: ItemTrack, target: string, value: HashResultValue): string {
    const reference = track.references.get(target);
    if (reference === undefined) {
      return fail(
        `entry ${entry.index}: a verification of ${target} of ${track.number}, which has no reference hash before it in the bundle`,
        entry.index,
      );
    }
    const referenceValue = reference.values.get(value.algorithm);
    const expected =
      referenceValue === undefined ? 'not_compared' : referenceValue === value.value ? 'match' : 'mismatch';
    const what = `the ${value.algorithm} of ${target} of ${track.number}`;
    if (value.result !== expected) {
      fail(
        `entry ${entry.index}: ${what} is recorded as ${JSON.stringify(value.result ?? null)}, but compared with the reference (entry ${reference.index}) it is a ${expected}`,
        entry.index,
      );
    }
    const named = value.referenceIndex;
    if (expected === 'not_compared' ? named !== undefined : named !== reference.index) {
      fail(
        `entry ${entry.index}: ${what} names reference entry ${named ?? 'none'}, but its reference is entry ${reference.index}`,
        entry.index,
      );
    }
    if (expected === 'match') track.verifications.match++;
    else if (expected === 'mismatch') {
      track.verifications.mismatch++;
      track.findings.push(
        `#${entry.index}: the ${value.algorithm} of ${target} does not match its reference (#${reference.index})`,
      );
    } else track.verifications.notCompared++;
    return expected === 'not_compared'
      ? `${value.algorithm} not compared (no reference ${value.algorithm})`
      : `${value.algorithm} ${expected === 'match' ? 'matches' : 'DOES NOT MATCH'} #${reference.index}`;
  }

  private hashRecorded(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as HashRecordedData;
    if (data.role === 'reference') {
      this.reference(entry, track, data.target, data.values, data.weak);
      track.events.push(
        this.line(
          entry,
          `reference hashes of ${data.target} recorded by ${actorOf(entry)} on ${data.occurredAt}: ${data.values.map((v) => `${v.algorithm} ${v.value}`).join(', ')}`,
        ),
      );
      return;
    }
    if (data.role !== 'verification')
      fail(`entry ${entry.index}: unknown hash record role ${JSON.stringify(data.role)}`, entry.index);
    const results = data.values.map((value) => `${value.value} (${this.compare(entry, track, data.target, value)})`);
    track.events.push(
      this.line(entry, `${data.target} re-hashed by ${actorOf(entry)} on ${data.occurredAt}: ${results.join(', ')}`),
    );
  }

  private corrected(entry: LedgerEntry): void {
    const track = this.tracks.get(entry.subject.id);
    if (track === undefined) return;
    const data = entry.data as ItemCorrectedData;
    if (entry.corrects?.index === track.registrationIndex) {
      const description = data.changes.find((change) => change.field === 'description');
      if (description !== undefined && typeof description.to === 'string') track.description = description.to;
    }
    const changes = data.changes
      .map((change) => `${change.field} ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`)
      .join(', ');
    track.events.push(
      this.line(
        entry,
        `correction of entry ${entry.corrects?.index ?? '?'} by ${actorOf(entry)}: ${changes} (${entry.corrects?.reason ?? 'no reason'})`,
      ),
    );
  }

  private accepted(entry: LedgerEntry): void {
    const data = entry.data as TransferAcceptedData;
    const byId = new Map<string, AcceptedItem>(data.items.map((item) => [item.id, item]));
    for (const [id, accepted] of byId) {
      const track = this.tracks.get(id);
      if (track === undefined) continue;
      const parts = [
        `received by ${party(data.to)} from ${party(data.from)}${data.occurredAt ? ` on ${data.occurredAt}` : ''}`,
      ];
      parts.push(
        accepted.sealIntact ? 'seal intact' : `SEAL BROKEN${accepted.sealNote ? ` (${accepted.sealNote})` : ''}`,
      );
      if (!accepted.sealIntact)
        track.findings.push(
          `#${entry.index}: seal broken on receipt by ${party(data.to)}${accepted.sealNote ? `: ${accepted.sealNote}` : ''}`,
        );
      for (const hash of accepted.hashes)
        parts.push(`${hash.target} ${hash.value} (${this.compare(entry, track, hash.target, hash)})`);
      if (data.location) parts.push(`stored at ${data.location}`);
      track.custodians.push({ custodian: data.to, fromIndex: entry.index, since: entry.recordedAt });
      track.events.push(this.line(entry, parts.join('; ')));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The human summary
// ---------------------------------------------------------------------------------------------

/** The warning printed whenever the key was taken from the bundle itself. */
export function unpinnedKeyWarning(vkey: string | null): string {
  return (
    `WARNING: key not pinned: trusting the key inside the bundle${vkey === null ? '' : ` (${vkey})`}. ` +
    'Whoever can edit the bundle can re-sign it with a key of their own: pass --key with the verifier key ' +
    'obtained from the ledger operator through another channel (GET /api/v1/ledger/public-key, a report, a letter).'
  );
}

function signatureText(signature: SignatureLine): string {
  return `signed "${signature.meaning}" by ${signature.printedName} (${signature.role}, ${signature.agency ?? 'no agency'}) at ${signature.signedAt}`;
}

function eventLines(events: readonly BundleEventLine[], indent: string): string[] {
  const lines: string[] = [];
  for (const event of events) {
    lines.push(`${indent}#${event.index}  ${event.recordedAt}  ${event.text}`);
    for (const signature of event.signatures)
      lines.push(`${indent}${' '.repeat(String(event.index).length + 3)}${signatureText(signature)}`);
  }
  return lines;
}

/** The human summary of a verified bundle (or its first failure). */
export function formatBundleVerification(
  result: BundleVerification,
  vkey: string | null = null,
  fileSha256: string | null = null,
): string {
  const lines: string[] = [];
  const pinned = result.ok ? result.report.key.pinned : result.keyPinned;
  if (!pinned) lines.push(unpinnedKeyWarning(result.ok ? result.report.key.vkey : vkey), '');
  if (!result.ok) {
    lines.push(`bundle FAILED: ${result.reason}`);
    return `${lines.join('\n')}\n`;
  }
  const report = result.report;
  const { subject } = report;
  lines.push(
    `custody bundle of ${subject.type} ${subject.number}${report.case !== null && subject.type === 'item' ? ` (case ${report.case.number})` : ''}`,
  );
  lines.push(`  bundle SHA-256   ${report.sha256}`);
  if (fileSha256 !== null && fileSha256 !== report.sha256) {
    lines.push(
      `  this file        ${fileSha256}: a re-formatted copy (whitespace added); the bundle SHA-256 above is that of its canonical bytes`,
    );
  }
  lines.push(
    `  signing key      ${report.key.name}+${report.key.keyId} (${report.key.pinned ? 'pinned with --key' : 'NOT PINNED: taken from the bundle'})`,
  );
  lines.push(
    `  checkpoint       ${report.checkpoint.origin}, tree size ${report.checkpoint.treeSize}, root ${report.checkpoint.rootHash}`,
  );
  if (report.consistency !== null) {
    lines.push(
      `  consistent with  the checkpoint of tree size ${report.consistency.treeSize}, root ${report.consistency.rootHash}`,
    );
  }
  for (const held of report.held)
    lines.push(`  your checkpoint  tree size ${held.treeSize}, root ${held.rootHash}: the same ledger`);
  lines.push(
    `  entries          ${report.entryCount}, each proven included in the checkpoint; the signed statement says they are all of ${subject.type} ${subject.number}`,
  );
  if (subject.type === 'case') {
    lines.push('', `case ${subject.number}${report.case?.title ? ` — ${report.case.title}` : ''}`);
    lines.push(...eventLines(report.caseEvents, '  '));
  }
  for (const item of report.items) {
    lines.push(
      '',
      `item ${item.number} — ${item.kind}: ${item.description}${item.parent !== null ? ` (made from ${item.parent.number})` : ''}`,
    );
    lines.push(...eventLines(item.events, '  '));
    lines.push(
      `  custodians in order: ${item.custodians.map((spell) => `${party(spell.custodian)} from #${spell.fromIndex}`).join(' → ')}`,
    );
    const holder = item.custodians.at(-1)!.custodian;
    lines.push(
      `  now: ${item.state.replace(/_/g, ' ')}, ${item.state === 'disposed' ? 'last held by' : 'held by'} ${party(holder)}${item.location ? `, at ${item.location}` : ''}`,
    );
    const { match, mismatch, notCompared } = item.verifications;
    const counted = `${match} hash verification${match === 1 ? '' : 's'} matching, ${mismatch} mismatching${notCompared > 0 ? `, ${notCompared} not compared` : ''}`;
    lines.push(
      item.integrity === 'intact'
        ? `  integrity: INTACT (${counted}; no broken seal)`
        : `  integrity: COMPROMISED — ${item.findings.join('; ')}`,
    );
  }
  lines.push(
    '',
    `VERIFIED: ${subject.type} ${subject.number}, ${report.entryCount} entries, checkpoint of tree size ${report.checkpoint.treeSize}`,
  );
  return `${lines.join('\n')}\n`;
}
