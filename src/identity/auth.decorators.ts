import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

import type { RequestContext, Role } from '../common/request-context.js';
import { requestIdOf } from '../common/request-id.js';

export const IS_PUBLIC = 'custos:public';
export const REQUIRED_ROLES = 'custos:roles';
export const ALLOWED_BEFORE_PASSWORD_CHANGE = 'custos:allowed-before-password-change';

/** Opts a route out of the global authentication guard (login, refresh, health). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The caller must hold at least one of these roles; checked by the global AccessGuard. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLES, roles);

/** Reachable by a user who must first choose a new password (me, password, logout). */
export const AllowedBeforePasswordChange = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ALLOWED_BEFORE_PASSWORD_CHANGE, true);

/** Where the guard leaves the request's context. */
export interface ContextCarrier {
  custosContext?: RequestContext;
}

export function contextOfRequest(request: Request): RequestContext {
  const carried = (request as Request & ContextCarrier).custosContext;
  return carried ?? { actor: null, requestId: requestIdOf(request), ip: request.ip ?? null };
}

/** The RequestContext of the current request, for the controller to pass to its service. */
export const Ctx = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext =>
  contextOfRequest(context.switchToHttp().getRequest<Request>()),
);
