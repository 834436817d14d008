import type { Role } from '../../common/request-context.js';

/** What a signer declares by signing (docs/design.md §3, 21 CFR 11.50). Later features may add meanings. */
export const SIGNATURE_MEANINGS = [
  'released',
  'received',
  'rejected',
  'acquired',
  'verified',
  'disposed',
  'corrected',
  'witnessed',
] as const;
export type SignatureMeaning = (typeof SIGNATURE_MEANINGS)[number];

/** The custody roles that sign; an administrator signs nothing for anyone (docs/design.md §1). */
export type SigningRole = Exclude<Role, 'admin'>;

/**
 * A signature as stored inside the ledger entry it signs: who (printed name, agency, role), what
 * they meant, when, and the SHA-256 of the canonical event, so it cannot be moved to another record.
 */
export interface SignatureRecord {
  readonly signerId: string;
  readonly username: string;
  readonly printedName: string;
  readonly agency: string;
  readonly role: SigningRole;
  readonly meaning: SignatureMeaning;
  readonly signedAt: string;
  /** Lower-case hex SHA-256 of the canonical (RFC 8785) event being signed. */
  readonly eventHash: string;
}

/** A signer whose password was checked for one meaning and role: signs event hashes without I/O. */
export interface Signer {
  readonly signer: {
    readonly id: string;
    readonly username: string;
    readonly displayName: string;
    readonly agency: string;
    readonly agencyId: string;
  };
  sign(canonicalEventHash: string): SignatureRecord;
}
