import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../../access-log/access-log.service.js';
import type { RequestContext, Role } from '../../common/request-context.js';
import { requestIdOf } from '../../common/request-id.js';
import { prepared, queryPrepared } from '../../database/prepared.js';
import { ALLOWED_BEFORE_PASSWORD_CHANGE, IS_PUBLIC, REQUIRED_ROLES, type ContextCarrier } from '../auth.decorators.js';
import type { IdentityActor } from '../identity-actor.js';
import {
  AuthenticationRequiredError,
  PasswordChangeRequiredError,
  RoleForbiddenError,
  TokenInvalidError,
} from '../identity.errors.js';
import { AccessTokenError, bearerToken, type AccessTokenClaims } from '../tokens/access-token.js';
import { authenticateAccessToken } from './passport-strategies.js';
import { SessionCache } from './session-cache.js';

interface SessionActorRow {
  user_id: string;
  username: string;
  display_name: string;
  agency_id: string | null;
  agency_code: string | null;
  roles: Role[];
  platform_admin: boolean;
  active: boolean;
  auth_version: number;
  must_change_password: boolean;
  session_live: boolean;
  expires_at: Date;
}

/** Who a live session belongs to: every authenticated request runs it. */
const SESSION_ACTOR = prepared(
  `SELECT u.id AS user_id, u.username, u.display_name, u.agency_id, a.code AS agency_code, u.roles, u.platform_admin,
          u.active, u.auth_version, u.must_change_password,
          (s.revoked_at IS NULL AND s.expires_at > now()) AS session_live, s.expires_at
     FROM auth_session s
     JOIN user_account u ON u.id = s.user_id
     LEFT JOIN agency a ON a.id = u.agency_id
    WHERE s.id = $1`,
);

/**
 * The one gate of every route (registered as APP_GUARD): deny by default, `@Public()` opts out.
 * A token is only the start: its session must be live and the user active at the auth version the
 * token carries, read on every request by one indexed lookup, so logout, disabling a user or
 * changing their roles ends their access at the next request — from the process's SessionCache
 * when it holds the session, kept current by NOTIFY (ADR 0064). Then the forced password change and
 * `@Roles(...)`. Case access is the business of CaseAccessService, not of routes.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessLog: AccessLogService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionCache<SessionActorRow>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & ContextCarrier>();
    const targets = [context.getHandler(), context.getClass()];
    const anonymous: RequestContext = { actor: null, requestId: requestIdOf(request), ip: request.ip ?? null };
    request.custosContext = anonymous;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const token = bearerToken(request.headers.authorization);
    if (token === undefined) throw new AuthenticationRequiredError();
    let claims: AccessTokenClaims;
    try {
      if (token === '') throw new AccessTokenError('token_invalid', 'not a bearer JWT');
      claims = await authenticateAccessToken(request);
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      // Expiry is the ordinary life of a token; anything else is logged as a rejected credential.
      if (error.failure === 'token_invalid') {
        await this.accessLog.recordRefusal(anonymous, {
          event: 'auth.token_rejected',
          outcome: 'failure',
          details: { reason: error.message.slice(0, 200), route: routeOf(request) },
        });
      }
      throw new TokenInvalidError(error.failure);
    }

    const row = this.sessions.get(claims.sid) ?? (await this.readSession(claims.sid));
    if (
      row === undefined ||
      row.user_id !== claims.sub ||
      !row.session_live ||
      !row.active ||
      row.auth_version !== claims.ver
    ) {
      await this.accessLog.recordRefusal(anonymous, {
        event: 'auth.token_rejected',
        outcome: 'denied',
        actor: row ? { id: row.user_id, username: row.username, agencyId: row.agency_id } : undefined,
        details: { reason: 'session_ended', route: routeOf(request) },
      });
      throw new TokenInvalidError('session_ended');
    }
    const actor: IdentityActor = {
      id: row.user_id,
      username: row.username,
      displayName: row.display_name,
      agencyId: row.agency_id,
      agencyCode: row.agency_code,
      roles: row.roles,
      platformAdmin: row.platform_admin,
      mustChangePassword: row.must_change_password,
      sessionId: claims.sid,
    };
    const ctx: RequestContext = { ...anonymous, actor };
    request.custosContext = ctx;

    if (
      actor.mustChangePassword &&
      !this.reflector.getAllAndOverride<boolean>(ALLOWED_BEFORE_PASSWORD_CHANGE, targets)
    ) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'auth.access_denied',
        outcome: 'denied',
        details: { reason: 'password_change_required', route: routeOf(request) },
      });
      throw new PasswordChangeRequiredError();
    }
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (required !== undefined && !actor.roles.some((role) => required.includes(role))) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'auth.access_denied',
        outcome: 'denied',
        details: { reason: 'role', required, route: routeOf(request) },
      });
      throw new RoleForbiddenError();
    }
    return true;
  }

  /** The session from the database; a live one is kept for the next requests. */
  private async readSession(sessionId: string): Promise<SessionActorRow | undefined> {
    const ticket = this.sessions.ticket();
    const rows = await queryPrepared<SessionActorRow[]>(this.dataSource, SESSION_ACTOR, [sessionId]);
    const row = rows[0];
    if (row?.session_live && row.active) this.sessions.store(ticket, sessionId, row.user_id, row.expires_at, row);
    return row;
  }
}

function routeOf(request: Request): string {
  return `${request.method} ${(request.originalUrl ?? request.url).split('?')[0].slice(0, 200)}`;
}
