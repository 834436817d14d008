import type { Actor, RequestContext, Role } from '../common/request-context.js';

/** The actor the AccessGuard builds: the common Actor plus what identity rules need. */
export interface IdentityActor extends Actor {
  /** Manages agencies and the users of every agency (agency-less bootstrap admin, or flagged). */
  readonly platformAdmin: boolean;
  readonly mustChangePassword: boolean;
  readonly sessionId: string;
}

export function identityActor(ctx: RequestContext): IdentityActor | null {
  return ctx.actor as IdentityActor | null;
}

export function isPlatformAdmin(ctx: RequestContext): boolean {
  return identityActor(ctx)?.platformAdmin === true;
}

export function hasRole(ctx: RequestContext, ...roles: Role[]): boolean {
  return ctx.actor !== null && ctx.actor.roles.some((role) => roles.includes(role));
}
