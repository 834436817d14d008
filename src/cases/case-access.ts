import type { Role } from '../common/request-context.js';

export type CaseAccess = 'read' | 'contribute';

/** How a user stands to a case: their agency owns it, or it is shared with their agency or them. */
export interface CaseRelation {
  readonly ownAgency: boolean;
  /** The strongest active share to the user's agency or to the user; null when none. */
  readonly share: CaseAccess | null;
}

/** Roles that hold custody (docs/design.md §1): they work on the cases of their agency and those shared with them. */
export const CASE_WORKER_ROLES: readonly Role[] = ['officer', 'clerk', 'examiner', 'prosecutor'];

/**
 * The case access model (docs/access-control.md, ADR 0013), as a pure function:
 * - custody roles: contribute on their agency's cases; on a shared case, what the share grants;
 * - auditors: read on their agency's cases and on cases shared with them, never more;
 * - administrators: nothing (docs/design.md §1: they manage accounts, they see no custody).
 */
export function caseAccessFor(roles: readonly Role[], relation: CaseRelation): CaseAccess | null {
  const worker = roles.some((role) => CASE_WORKER_ROLES.includes(role));
  const auditor = roles.includes('auditor');
  if (worker && relation.ownAgency) return 'contribute';
  if (worker && relation.share !== null) return relation.share;
  if (auditor && (relation.ownAgency || relation.share !== null)) return 'read';
  return null;
}

export function satisfies(access: CaseAccess | null, need: CaseAccess): boolean {
  return access === 'contribute' || (access === 'read' && need === 'read');
}
