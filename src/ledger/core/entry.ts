/**
 * The ledger entry, version 1 (docs/ledger.md): what every custody event looks like once recorded.
 * An entry is a JSON object; its RFC 8785 canonical UTF-8 bytes are what is stored, served, hashed
 * into the Merkle tree, and verified offline.
 *
 * Signatures (21 CFR Part 11 model, docs/design.md §3) are made before the entry has an index or a
 * recording time, over the hash of the entry's *signed content*: every member except `index`,
 * `recordedAt` and `signatures`. Moving a signature to another entry therefore breaks the binding.
 *
 * Dependency-free (node:crypto only), like the rest of this folder.
 */
import { createHash } from 'node:crypto';

import { canonicalBytes } from './jcs.js';

export const ENTRY_VERSION = 1;

export interface EntryActor {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  /** Agency code, e.g. ES-PN; null for a platform administrator. */
  readonly agency: string | null;
  /** The role under which the actor did this. */
  readonly role: string | null;
}

export interface EntrySubject {
  readonly type: string;
  readonly id: string;
  /** Human identifier (item number, case number) where there is one. */
  readonly number?: string;
}

export interface EntrySignature {
  readonly signerId: string;
  readonly username: string;
  readonly printedName: string;
  readonly agency: string | null;
  readonly role: string;
  /** What the signature means: released, received, verified, disposed, witnessed, … */
  readonly meaning: string;
  readonly signedAt: string;
  /** Hex SHA-256 of the canonical signed content of the entry. */
  readonly eventHash: string;
}

/** What a caller records; the ledger adds `v`, `index`, `recordedAt`. */
export interface LedgerEvent {
  readonly type: string;
  readonly actor: EntryActor | null;
  readonly subject: EntrySubject;
  readonly case?: { readonly id: string; readonly number: string };
  readonly data: Readonly<Record<string, unknown>>;
  readonly signatures?: readonly EntrySignature[];
  readonly corrects?: { readonly index: number; readonly reason: string };
}

export interface LedgerEntry extends LedgerEvent {
  readonly v: number;
  readonly index: number;
  /** ISO 8601 UTC with milliseconds; never decreases along the index. */
  readonly recordedAt: string;
  readonly signatures: readonly EntrySignature[];
}

/** The members a signature covers: everything but index, recording time and the signatures. */
export function signedContent(event: LedgerEvent | LedgerEntry): Record<string, unknown> {
  const content: Record<string, unknown> = {
    v: ENTRY_VERSION,
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    data: event.data,
  };
  if (event.case !== undefined) content.case = event.case;
  if (event.corrects !== undefined) content.corrects = event.corrects;
  return content;
}

/** Hex SHA-256 of the canonical signed content: what each signature's `eventHash` must equal. */
export function eventHash(event: LedgerEvent | LedgerEntry): string {
  return createHash('sha256')
    .update(canonicalBytes(signedContent(event)))
    .digest('hex');
}

export function buildEntry(event: LedgerEvent, index: number, recordedAt: Date): LedgerEntry {
  const entry: LedgerEntry = {
    v: ENTRY_VERSION,
    index,
    recordedAt: recordedAt.toISOString(),
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    ...(event.case !== undefined ? { case: event.case } : {}),
    data: event.data,
    signatures: event.signatures ?? [],
    ...(event.corrects !== undefined ? { corrects: event.corrects } : {}),
  };
  return entry;
}

/** Why an entry's own content is not acceptable (index, version, signature binding), or undefined. */
export function entryProblem(entry: LedgerEntry, expectedIndex: number): string | undefined {
  if (entry.v !== ENTRY_VERSION) return `entry ${expectedIndex} has unknown version ${String(entry.v)}`;
  if (entry.index !== expectedIndex)
    return `entry stored at index ${expectedIndex} says its index is ${String(entry.index)}`;
  // Parsed JSON may lack the array its type promises.
  const raw: unknown = entry.signatures;
  if (!Array.isArray(raw)) return `entry ${expectedIndex} has no signatures array`;
  const signatures: readonly EntrySignature[] = entry.signatures;
  if (signatures.length > 0) {
    const expected = eventHash(entry);
    for (const signature of signatures) {
      if (signature.eventHash !== expected) {
        return `a signature of entry ${expectedIndex} (${signature.meaning} by ${signature.username}) is bound to another event`;
      }
    }
  }
  return undefined;
}
