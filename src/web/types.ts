/** The API's shapes as the web app reads them (see the OpenAPI document at /api/docs). */
export type Role = 'officer' | 'clerk' | 'examiner' | 'prosecutor' | 'auditor' | 'admin';

export interface Agency {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly country: string;
}

export interface User {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly agency: Agency | null;
  readonly roles: readonly Role[];
  readonly platformAdmin: boolean;
  readonly mustChangePassword: boolean;
  /** IANA zone the user's forensic tools write local times in, when an administrator set one. */
  readonly timeZone?: string | null;
}

export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly sessionExpiresAt: string;
  readonly user: User;
}

export interface FieldProblem {
  readonly field: string;
  readonly messages: readonly string[];
}

export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldProblem[];
  readonly [extension: string]: unknown;
}

export interface CaseView {
  readonly id: string;
  readonly caseNumber: string;
  readonly title: string;
  readonly legalAuthority: readonly string[];
  readonly status: 'open' | 'closed';
  /** When and why it was closed; null while open. */
  readonly closedAt: string | null;
  readonly closeReason: string | null;
  readonly agency: Agency;
  readonly createdAt: string;
  readonly createdBy: { readonly username: string; readonly displayName: string };
  readonly access: 'read' | 'contribute';
  readonly shared: boolean;
}

/** A case in the list (GET /cases), with its items counted: integrity problems show before it is opened. */
export interface CaseListEntry extends CaseView {
  readonly items: { readonly total: number; readonly compromised: number };
}

export interface Party {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly agency: string | null;
}

export type ItemState = 'in_custody' | 'transfer_pending' | 'disposed';

export interface ItemView {
  readonly id: string;
  readonly itemNumber: string;
  readonly case: { readonly id: string; readonly caseNumber: string; readonly agency: string };
  readonly kind: string;
  readonly description: string;
  readonly make: string | null;
  readonly model: string | null;
  readonly serial: string | null;
  readonly imeis: readonly string[];
  readonly iccid: string | null;
  readonly sealNumber: string | null;
  readonly occurredAt: string;
  readonly place: string;
  readonly custodian: Party;
  readonly location: string | null;
  readonly state: ItemState;
  readonly integrity: 'intact' | 'compromised';
  readonly pendingTransferId: string | null;
  readonly parent: { readonly id: string; readonly itemNumber: string } | null;
}

export interface TransferView {
  readonly id: string;
  readonly case: { readonly id: string; readonly caseNumber: string };
  readonly from: Party;
  readonly to: Party;
  readonly purpose: string;
  readonly status: 'pending' | 'accepted' | 'rejected' | 'cancelled';
  readonly itemCount: number;
  readonly items: ReadonlyArray<{
    readonly id: string;
    readonly itemNumber: string;
    readonly kind: string;
    readonly description: string;
    readonly sealNumber: string | null;
    readonly sealIntact: boolean | null;
    readonly sealNote: string | null;
  }>;
  readonly releasedAt: string;
  /** When the items were handed over, with the place's offset (the release may be entered later). */
  readonly releaseOccurredAt: string;
  readonly resolvedAt: string | null;
  readonly acceptedOccurredAt: string | null;
  readonly reason: string | null;
}

export interface Signature {
  readonly username: string;
  readonly printedName: string;
  readonly agency: string | null;
  readonly role: string;
  readonly meaning: string;
  readonly signedAt: string;
  readonly eventHash: string;
}

export interface HistoryEvent {
  readonly ledgerIndex: number;
  readonly type: string;
  readonly summary: string;
  readonly recordedAt: string;
  readonly occurredAt: string | null;
  readonly actor: {
    readonly username: string;
    readonly displayName: string;
    readonly agency: string | null;
    readonly role?: string;
  } | null;
  readonly from: Party | null;
  readonly to: Party | null;
  readonly purpose: string | null;
  readonly location: string | null;
  readonly seal: {
    readonly number: string | null;
    readonly intact: boolean | null;
    readonly note: string | null;
  } | null;
  readonly hashes: ReadonlyArray<{
    readonly target: string;
    readonly algorithm: string;
    readonly value: string;
    readonly role: string;
    readonly result: string | null;
  }>;
  readonly reason: string | null;
  readonly signatures: readonly Signature[];
  readonly correctedBy: ReadonlyArray<{ readonly index: number; readonly reason: string }>;
  /** The entry's `data` as recorded (e.g. the tool of a hash record). */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface HashRecord {
  readonly id: string;
  readonly target: string;
  readonly algorithm: string;
  readonly value: string;
  readonly role: 'reference' | 'verification';
  readonly result: 'match' | 'mismatch' | 'not_compared' | null;
  readonly weak: boolean;
  readonly occurredAt: string;
  readonly recordedBy: { readonly displayName: string };
}

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
  'other',
] as const;

export const POWER_STATES = ['on', 'off', 'airplane', 'unknown'] as const;
export const HASH_ALGORITHMS = ['sha256', 'sha512', 'sha1', 'md5'] as const;

export interface ShareView {
  readonly id: string;
  readonly caseId: string;
  readonly grantee:
    | { readonly type: 'agency'; readonly agency: Agency }
    | {
        readonly type: 'user';
        readonly user: {
          readonly id: string;
          readonly username: string;
          readonly displayName: string;
          readonly agencyCode: string | null;
        };
      };
  readonly access: 'read' | 'contribute';
  readonly grantedAt: string;
  readonly grantedBy: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly status: 'active' | 'revoked';
}

export interface LedgerVerifier {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
}

/** A full verification of the ledger, as the server recorded it (GET /ledger/verifications). */
export interface LedgerVerification {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly deep: boolean;
  readonly outcome: 'ok' | 'failed' | 'error';
  readonly treeSize: number | null;
  readonly rootHash: string | null;
  readonly checkpointsVerified: number | null;
  readonly itemsChecked: number | null;
  readonly failedIndex: number | null;
  readonly reason: string | null;
  readonly source: 'service' | 'cli';
  readonly requestedBy: LedgerVerifier | null;
}

/** The run going on now, in any process; its start and requester are null when the server cannot tell. */
export interface LedgerVerificationRunning {
  readonly startedAt: string | null;
  readonly source: 'service' | 'cli' | null;
  readonly requestedBy: LedgerVerifier | null;
}

export interface LedgerVerifications {
  readonly verifications: readonly LedgerVerification[];
  readonly running: LedgerVerificationRunning | null;
}
