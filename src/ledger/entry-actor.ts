import type { RequestContext, Role } from '../common/request-context.js';
import type { EntryActor } from './core/entry.js';

/**
 * The actor of a ledger entry: who did it and under which of their roles. Only custodians' names
 * enter the ledger (docs/design.md §4); `null` is the system itself.
 */
export function entryActor(ctx: RequestContext, role: Role | null): EntryActor | null {
  const actor = ctx.actor;
  if (actor === null) return null;
  return {
    id: actor.id,
    username: actor.username,
    displayName: actor.displayName,
    agency: actor.agencyCode,
    role: role !== null && actor.roles.includes(role) ? role : (actor.roles[0] ?? null),
  };
}
