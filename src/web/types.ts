/**
 * The API's shapes as the web app reads them: the server's own contracts (src/contracts, ADR 0009),
 * imported as types only, so nothing of the server reaches the bundle. Only the names the web app
 * has always used are given here; no shape is written out again.
 */
import type { CaseListEntry, CaseView, ShareView } from '../contracts/cases.js';
import type {
  EntrySignature,
  HashRecordView,
  HistoryEvent,
  ItemView,
  PartyRef,
  TransferView,
} from '../contracts/custody.js';
import type { AgencyView, SessionTokens, UserView } from '../contracts/identity.js';
import type { PersonView, RunningView, VerificationList, VerificationView } from '../contracts/ledger.js';
import type { FieldProblem, ProblemMembers } from '../contracts/problem.js';

export type { Role } from '../common/request-context.js';
export type { ItemState } from '../custody/custody-events.js';
export type { CaseListEntry, CaseView, FieldProblem, HistoryEvent, ItemView, SessionTokens, ShareView, TransferView };
/** A server's problem, or one the web app makes itself when no answer came (no `type` then). */
export type Problem = Omit<ProblemMembers, 'type'> & { readonly type?: string; readonly [extension: string]: unknown };
export type Agency = AgencyView;
export type User = UserView;
export type Party = PartyRef;
export type Signature = EntrySignature;
export type HashRecord = HashRecordView;
export type LedgerVerifier = PersonView;
export type LedgerVerification = VerificationView;
export type LedgerVerificationRunning = RunningView;
export type LedgerVerifications = VerificationList;

/** The choices the web app's forms offer (a seizure registers no derived kinds: those come from the lab). */
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
