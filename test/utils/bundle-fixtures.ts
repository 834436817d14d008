import { randomUUID } from 'node:crypto';

import type { PartyRef } from '../../src/custody/custody-events.js';
import {
  buildEntry,
  BUNDLE_FORMAT,
  canonicalBytes,
  eventHash,
  generateNoteKeys,
  inclusionProof,
  leafHash,
  rootFromLeafHashes,
  signBundleStatement,
  signCheckpoint,
  type BundleSubject,
  type CustodyBundle,
  type EntrySignature,
  type LedgerEntry,
  type LedgerEvent,
} from '../../src/ledger/core/index.js';

/**
 * Ledgers and bundles made in memory, signed with a throw-away key: what the service would never
 * write (a release by someone who is not the custodian, a result that lies about its values), to
 * prove that a verifier refuses it even when every signature and proof holds.
 */
export const SYNTHETIC_ORIGIN = 'synthetic.custos.invalid/ledger';

export interface Person extends PartyRef {
  readonly role: string;
}

export function person(displayName: string, role: string, agency = 'ES-PN'): Person {
  return { id: randomUUID(), username: displayName.toLowerCase().replace(/\W+/g, '.'), displayName, agency, role };
}

/** The actor member of an entry for a person. */
export const actor = (who: Person): LedgerEvent['actor'] => ({
  id: who.id,
  username: who.username,
  displayName: who.displayName,
  agency: who.agency,
  role: who.role,
});
export const party = (who: Person): PartyRef => ({
  id: who.id,
  username: who.username,
  displayName: who.displayName,
  agency: who.agency,
});

/**
 * Signs an event for each (person, meaning). The binding to the event's canonical content is made
 * when the ledger appends it (with its case), unless the test sets an `eventHash` of its own.
 */
export function sign(event: LedgerEvent, ...signers: Array<[Person, string]>): LedgerEvent {
  const hash = '';
  const signatures: EntrySignature[] = signers.map(([who, meaning]) => ({
    signerId: who.id,
    username: who.username,
    printedName: who.displayName,
    agency: who.agency,
    role: who.role,
    meaning,
    signedAt: '2026-11-20T10:00:00.000Z',
    eventHash: hash,
  }));
  return { ...event, signatures };
}

export class SyntheticLedger {
  readonly keys = generateNoteKeys(SYNTHETIC_ORIGIN);
  readonly entries: LedgerEntry[] = [];
  readonly caseRef = { id: randomUUID(), number: 'SYN-1' };

  append(event: LedgerEvent): LedgerEntry {
    const withCase = { ...event, case: event.case ?? this.caseRef };
    const bound = {
      ...withCase,
      signatures: (event.signatures ?? []).map((s) =>
        s.eventHash === '' ? { ...s, eventHash: eventHash(withCase) } : s,
      ),
    };
    const entry = buildEntry(bound, this.entries.length, new Date(Date.UTC(2026, 10, 20, 10, this.entries.length)));
    this.entries.push(entry);
    return entry;
  }

  /**
   * A bundle of the given entries (by index) under a checkpoint of the whole ledger, with a
   * statement listing exactly them: all signatures and proofs are genuine.
   */
  bundle(subject: BundleSubject, indexes: readonly number[]): CustodyBundle {
    const leaves = this.entries.map((entry) => leafHash(canonicalBytes(entry)));
    const treeSize = leaves.length;
    const rootHash = rootFromLeafHashes(leaves);
    const getNode = (level: number, index: number): Buffer =>
      rootFromLeafHashes(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    return {
      format: BUNDLE_FORMAT,
      origin: SYNTHETIC_ORIGIN,
      vkey: this.keys.verifierKey,
      subject,
      checkpoint: signCheckpoint({ origin: SYNTHETIC_ORIGIN, treeSize, rootHash }, this.keys.signerKey),
      statement: signBundleStatement(
        { origin: SYNTHETIC_ORIGIN, treeSize, rootHash, subject, indexes },
        this.keys.signerKey,
      ),
      entries: indexes.map((index) => ({
        index,
        entry: canonicalBytes(this.entries[index]).toString('utf8'),
        inclusionProof: inclusionProof(index, treeSize, getNode).map((hash) => hash.toString('base64')),
      })),
    };
  }
}
