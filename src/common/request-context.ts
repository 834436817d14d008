/**
 * Who is acting, for whom, in which request: passed explicitly to every service method (as
 * Vendure does), so audit attribution and ledger entries never depend on ambient state.
 */
export const ROLES = ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  /** Null only for a platform administrator who belongs to no agency. */
  readonly agencyId: string | null;
  readonly agencyCode: string | null;
  readonly roles: readonly Role[];
}

export interface RequestContext {
  /** Absent for the system itself (startup tasks, the scheduler, the command line). */
  readonly actor: Actor | null;
  readonly requestId: string;
  readonly ip: string | null;
}

export function systemContext(requestId = 'system'): RequestContext {
  return { actor: null, requestId, ip: null };
}
