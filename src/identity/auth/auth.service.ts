import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { AccessLogService } from '../../access-log/access-log.service.js';
import type { RequestContext } from '../../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import type { SessionTokens } from '../../contracts/identity.js';
import { BOOTSTRAP_ADMIN_USERNAME } from '../bootstrap-admin.service.js';
import { identityActor } from '../identity-actor.js';
import {
  CurrentPasswordInvalidError,
  InvalidCredentialsError,
  PasswordRejectedError,
  PasswordThrottledError,
  RefreshTokenInvalidError,
} from '../identity.errors.js';
import { initialAdminPasswordFile, removeInitialAdminPassword } from '../initial-admin-password.js';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../passwords/password-hasher.js';
import { passwordProblem } from '../passwords/password-policy.js';
import { refreshTokenDigest, TokenService } from '../tokens/token.service.js';
import {
  findUserById,
  findUserByUsername,
  revokeSessionsOf,
  userView,
  type UserRow,
  type UserView,
} from '../users/user-records.js';
import { accountThrottleKey, PasswordThrottleService, type ThrottleKey } from './password-throttle.service.js';
import { SessionCache } from './session-cache.js';

export type { SessionTokens };

interface SessionRow {
  session_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

type RefreshOutcome =
  | { kind: 'rotated'; tokens: SessionTokens }
  | { kind: 'reused'; user: UserRow | undefined; sessionId: string }
  | { kind: 'invalid'; user: UserRow | undefined; reason: string };

const subjectOf = (user: UserRow): { type: string; id: string; label: string; agencyId: string | null } => ({
  type: 'user',
  id: user.id,
  label: user.username,
  agencyId: user.agency_id,
});

/**
 * Logins, refresh-token rotation with reuse detection, logout and password changes (ADR 0010).
 * A wrong username, a wrong password and a disabled account take the same path, cost one Argon2
 * verification each and give the same answer.
 */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly throttle: PasswordThrottleService,
    private readonly accessLog: AccessLogService,
    private readonly sessions: SessionCache,
  ) {}

  async login(ctx: RequestContext, username: string, password: string): Promise<SessionTokens> {
    const throttleKey = accountThrottleKey(username, ctx.ip);
    const delayedFor = await this.throttle.delayedFor(throttleKey);
    const user = await findUserByUsername(this.dataSource, username);
    const claimed = { id: user?.id ?? null, username: user?.username ?? username, agencyId: user?.agency_id ?? null };
    if (delayedFor > 0) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'auth.login_throttled',
        outcome: 'denied',
        actor: claimed,
        details: { limitedBy: 'failures', retryAfterSeconds: delayedFor },
      });
      throw new PasswordThrottledError(delayedFor);
    }
    const passwordMatches = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
    if (user === undefined || !passwordMatches || !user.active) {
      const reason = user === undefined ? 'unknown_username' : !passwordMatches ? 'wrong_password' : 'account_disabled';
      await this.recordPasswordFailure(ctx, throttleKey, claimed, 'auth.login', reason);
      throw new InvalidCredentialsError();
    }
    await this.throttle.recordSuccess(throttleKey);
    const tokens = await this.dataSource.transaction(async (em) => {
      if (needsRehash(user.password_hash)) {
        await em.query('UPDATE user_account SET password_hash = $2 WHERE id = $1', [
          user.id,
          await hashPassword(password),
        ]);
      }
      await em.query('UPDATE user_account SET last_login_at = now() WHERE id = $1', [user.id]);
      const session = await em.query<Array<{ id: string; expires_at: Date }>>(
        `INSERT INTO auth_session (user_id, expires_at, ip) VALUES ($1, now() + make_interval(secs => $2), $3)
         RETURNING id, expires_at`,
        [user.id, this.config.auth.refreshTokenTtlSeconds, ctx.ip],
      );
      await this.accessLog.record(
        ctx,
        {
          event: 'auth.login',
          outcome: 'success',
          actor: claimed,
          subject: subjectOf(user),
          details: { sessionId: session[0].id },
        },
        em,
      );
      const fresh = (await findUserById(em, user.id))!;
      return this.issue(em, fresh, session[0].id, session[0].expires_at);
    });
    return tokens;
  }

  /** Counts a failed password check towards the throttle of `key` and logs it with the delay it causes. */
  async recordPasswordFailure(
    ctx: RequestContext,
    key: ThrottleKey,
    actor: { id: string | null; username: string | null; agencyId: string | null },
    event: 'auth.login' | 'auth.password_change' | 'signature.sign',
    reason: string,
  ): Promise<void> {
    const { failureCount, delaySeconds } = await this.throttle.recordFailure(key);
    await this.accessLog.recordRefusal(ctx, {
      event,
      outcome: 'failure',
      actor,
      details: { reason, failureCount, delaySeconds, throttledClient: key.client },
    });
  }

  async refresh(ctx: RequestContext, refreshToken: string): Promise<SessionTokens> {
    const digest = refreshTokenDigest(refreshToken);
    const outcome = await this.dataSource.transaction(async (em): Promise<RefreshOutcome> => {
      // Marking the token used is the rotation's serialisation point: of two concurrent refreshes
      // with one token, exactly one finds it unused.
      const used = await em.query<[Array<{ session_id: string }>, number]>(
        `UPDATE refresh_token SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL RETURNING session_id`,
        [digest],
      );
      const claimed = used[0];
      if (claimed.length === 0) {
        const earlier = await em.query<Array<{ session_id: string; user_id: string }>>(
          `SELECT t.session_id, s.user_id FROM refresh_token t JOIN auth_session s ON s.id = t.session_id WHERE t.token_hash = $1`,
          [digest],
        );
        if (earlier.length === 0) return { kind: 'invalid', user: undefined, reason: 'unknown_token' };
        // A rotated token came back: someone holds a copy. End the whole family (RFC 9700 §4.14.2).
        await em.query(
          `UPDATE auth_session SET revoked_at = now(), revoked_reason = 'refresh_reuse' WHERE id = $1 AND revoked_at IS NULL`,
          [earlier[0].session_id],
        );
        return { kind: 'reused', user: await findUserById(em, earlier[0].user_id), sessionId: earlier[0].session_id };
      }
      const sessions = await em.query<SessionRow[]>(
        `SELECT id AS session_id, user_id, expires_at, revoked_at FROM auth_session WHERE id = $1 FOR UPDATE`,
        [claimed[0].session_id],
      );
      const session = sessions[0];
      const user = await findUserById(em, session.user_id);
      if (
        session.revoked_at !== null ||
        session.expires_at.getTime() <= Date.now() ||
        user === undefined ||
        !user.active
      ) {
        return { kind: 'invalid', user, reason: session.revoked_at !== null ? 'session_revoked' : 'session_expired' };
      }
      await this.accessLog.record(
        ctx,
        {
          event: 'auth.refresh',
          outcome: 'success',
          actor: { id: user.id, username: user.username, agencyId: user.agency_id },
          details: { sessionId: session.session_id },
        },
        em,
      );
      return { kind: 'rotated', tokens: await this.issue(em, user, session.session_id, session.expires_at) };
    });
    switch (outcome.kind) {
      case 'rotated':
        return outcome.tokens;
      case 'reused':
        // Committed: this process forgets the session now, the others when the trigger's notice arrives.
        this.sessions.invalidate(`s:${outcome.sessionId}`);
        await this.accessLog.recordRefusal(ctx, {
          event: 'auth.refresh_reuse',
          outcome: 'denied',
          actor: {
            id: outcome.user?.id ?? null,
            username: outcome.user?.username ?? null,
            agencyId: outcome.user?.agency_id ?? null,
          },
          subject: outcome.user ? subjectOf(outcome.user) : undefined,
          details: { sessionId: outcome.sessionId, sessionRevoked: true },
        });
        throw new RefreshTokenInvalidError('refresh_token_reused');
      case 'invalid':
        await this.accessLog.recordRefusal(ctx, {
          event: 'auth.refresh',
          outcome: 'failure',
          actor: {
            id: outcome.user?.id ?? null,
            username: outcome.user?.username ?? null,
            agencyId: outcome.user?.agency_id ?? null,
          },
          details: { reason: outcome.reason },
        });
        throw new RefreshTokenInvalidError();
    }
  }

  private async issue(
    em: EntityManager,
    user: UserRow,
    sessionId: string,
    sessionExpiresAt: Date,
  ): Promise<SessionTokens> {
    const refresh = this.tokens.newRefreshToken();
    await em.query('INSERT INTO refresh_token (session_id, token_hash) VALUES ($1, $2)', [sessionId, refresh.digest]);
    return {
      accessToken: this.tokens.issueAccessToken({ userId: user.id, sessionId, authVersion: user.auth_version }),
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTokenTtlSeconds,
      sessionExpiresAt: sessionExpiresAt.toISOString(),
      user: userView(user),
    };
  }

  async logout(ctx: RequestContext): Promise<void> {
    const actor = identityActor(ctx)!;
    await this.dataSource.transaction(async (em) => {
      await em.query(
        `UPDATE auth_session SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1 AND revoked_at IS NULL`,
        [actor.sessionId],
      );
      await this.accessLog.record(
        ctx,
        { event: 'auth.logout', outcome: 'success', details: { sessionId: actor.sessionId } },
        em,
      );
    });
    this.sessions.invalidate(`s:${actor.sessionId}`);
  }

  async me(ctx: RequestContext): Promise<UserView> {
    return userView((await findUserById(this.dataSource, ctx.actor!.id))!);
  }

  /** The user's own change: needs the current password; ends the user's other sessions. */
  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<UserView> {
    const actor = identityActor(ctx)!;
    const user = (await findUserById(this.dataSource, actor.id))!;
    const claimed = { id: user.id, username: user.username, agencyId: user.agency_id };
    const throttleKey = accountThrottleKey(user.username, ctx.ip);
    const delayedFor = await this.throttle.delayedFor(throttleKey);
    if (delayedFor > 0) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'auth.password_change',
        outcome: 'denied',
        details: { reason: 'password_throttled', retryAfterSeconds: delayedFor },
      });
      throw new PasswordThrottledError(delayedFor);
    }
    if (!(await verifyPassword(user.password_hash, currentPassword))) {
      await this.recordPasswordFailure(ctx, throttleKey, claimed, 'auth.password_change', 'wrong_current_password');
      throw new CurrentPasswordInvalidError();
    }
    await this.throttle.recordSuccess(throttleKey);
    const problem =
      newPassword === currentPassword
        ? 'unchanged'
        : passwordProblem(newPassword, {
            username: user.username,
            displayName: user.display_name,
            agencyCode: user.agency_code,
            agencyName: user.agency_name,
          });
    if (problem !== undefined) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'auth.password_change',
        outcome: 'failure',
        details: { reason: problem },
      });
      throw new PasswordRejectedError(problem);
    }
    const hash = await hashPassword(newPassword);
    await this.dataSource.transaction(async (em) => {
      await em.query(
        `UPDATE user_account SET password_hash = $2, must_change_password = false, password_changed_at = now(), updated_at = now()
          WHERE id = $1`,
        [user.id, hash],
      );
      await revokeSessionsOf(em, user.id, 'password_changed', actor.sessionId);
      await this.accessLog.record(
        ctx,
        {
          event: 'auth.password_change',
          outcome: 'success',
          subject: subjectOf(user),
          details: { wasRequired: user.must_change_password },
        },
        em,
      );
    });
    this.sessions.invalidate(`u:${user.id}`);
    // The one-time password has served its purpose: it must not outlive it on disk.
    if (user.username === BOOTSTRAP_ADMIN_USERNAME && user.agency_id === null)
      removeInitialAdminPassword(initialAdminPasswordFile(this.config.dataDir));
    return userView((await findUserById(this.dataSource, user.id))!);
  }
}
