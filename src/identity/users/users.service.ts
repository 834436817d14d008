import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { AccessLogService, type AccessLogSubject } from '../../access-log/access-log.service.js';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import type { RequestContext, Role } from '../../common/request-context.js';
import { insertOrConflict } from '../../common/unique-violation.js';
import type { CreatedUser } from '../../contracts/identity.js';
import { findAgencyByCode } from '../agencies/agencies.service.js';
import { PasswordThrottleService } from '../auth/password-throttle.service.js';
import { SessionCache } from '../auth/session-cache.js';
import { USERNAME_PATTERN } from '../dto/user.dto.js';
import { identityActor, isPlatformAdmin } from '../identity-actor.js';
import {
  AdminScopeError,
  AgencyNotFoundError,
  ConflictError,
  InvalidRequestError,
  PasswordRejectedError,
  UserNotFoundError,
} from '../identity.errors.js';
import { generatePassword, hashPassword } from '../passwords/password-hasher.js';
import { passwordProblem } from '../passwords/password-policy.js';
import { findUserById, revokeSessionsOf, USER_SELECT, userView, type UserRow, type UserView } from './user-records.js';

export interface NewUser {
  readonly username: string;
  readonly displayName: string;
  readonly agencyId: string | null;
  readonly roles: readonly Role[];
  readonly platformAdmin: boolean;
  readonly password: string;
  readonly mustChangePassword: boolean;
  /** IANA zone for log imports (docs/hash-import.md); validated by the DTO. */
  readonly timeZone?: string | null;
}

/** docs/design.md §1: an administrator holds no custody and signs nothing; the role stands alone. */
export function rolesProblem(roles: readonly Role[], platformAdmin: boolean): string | undefined {
  if (roles.length === 0) return 'at least one role is needed';
  if (new Set(roles).size !== roles.length) return 'roles must not repeat';
  if (roles.includes('admin') && roles.length > 1) return 'admin cannot be combined with custody roles';
  if (platformAdmin && !(roles.length === 1 && roles[0] === 'admin'))
    return 'a platform administrator has the admin role only';
  return undefined;
}

/** Shared by the API, the bootstrap and `custos user create`: every rule of a new account. */
export async function insertUser(em: EntityManager, input: NewUser): Promise<UserRow> {
  const username = input.username.toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw new InvalidRequestError(
      'username_invalid',
      'username must be 3–64 lower-case letters, digits, ".", "-" or "_"',
      'username',
    );
  }
  const problem = rolesProblem(input.roles, input.platformAdmin);
  if (problem !== undefined) throw new InvalidRequestError('roles_invalid', problem, 'roles');
  if (input.agencyId === null && !input.platformAdmin) {
    throw new InvalidRequestError(
      'agency_required',
      'Every user but a platform administrator belongs to an agency',
      'agencyCode',
    );
  }
  const agency =
    input.agencyId === null
      ? undefined
      : (
          await em.query<Array<{ code: string; name: string }>>('SELECT code, name FROM agency WHERE id = $1', [
            input.agencyId,
          ])
        )[0];
  const passwordIssue = passwordProblem(input.password, {
    username,
    displayName: input.displayName,
    agencyCode: agency?.code,
    agencyName: agency?.name,
  });
  if (passwordIssue !== undefined) throw new PasswordRejectedError(passwordIssue);
  const taken = await em.query<unknown[]>('SELECT 1 FROM user_account WHERE lower(username) = $1', [username]);
  if (taken.length > 0) throw new ConflictError('username_taken', `The username ${username} is taken`);
  const passwordHash = await hashPassword(input.password);
  const inserted = await insertOrConflict(
    () =>
      em.query<Array<{ id: string }>>(
        `INSERT INTO user_account (username, display_name, agency_id, roles, platform_admin, password_hash, must_change_password, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [
          username,
          input.displayName.trim(),
          input.agencyId,
          input.roles,
          input.platformAdmin,
          passwordHash,
          input.mustChangePassword,
          input.timeZone ?? null,
        ],
      ),
    () => new ConflictError('username_taken', `The username ${username} is taken`),
  );
  return (await findUserById(em, inserted[0].id))!;
}

export const userSubject = (user: UserRow): AccessLogSubject => ({
  type: 'user',
  id: user.id,
  label: user.username,
  agencyId: user.agency_id,
});

export type { CreatedUser };

/**
 * Accounts, managed by administrators: an agency's administrator manages the users of that agency;
 * a platform administrator manages every user (and platform administrators). Users outside the
 * caller's scope are 404, as if they did not exist.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accessLog: AccessLogService,
    private readonly throttle: PasswordThrottleService,
    private readonly sessions: SessionCache,
  ) {}

  async create(
    ctx: RequestContext,
    input: {
      username: string;
      displayName: string;
      agencyCode?: string;
      roles: Role[];
      platformAdmin?: boolean;
      password?: string;
      timeZone?: string;
    },
  ): Promise<CreatedUser> {
    const actor = identityActor(ctx)!;
    const platform = isPlatformAdmin(ctx);
    const platformAdmin = input.platformAdmin === true;
    let agencyId: string | null;
    if (input.agencyCode === undefined) {
      agencyId = platformAdmin ? null : actor.agencyId;
      if (agencyId === null && !platformAdmin) {
        throw new InvalidRequestError('agency_required', 'Name the agency of the new user (agencyCode)', 'agencyCode');
      }
    } else {
      const agency = await findAgencyByCode(this.dataSource, input.agencyCode);
      if (agency === undefined) throw new AgencyNotFoundError(input.agencyCode);
      agencyId = agency.id;
    }
    if (!platform && (platformAdmin || agencyId !== actor.agencyId)) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'user.create',
        outcome: 'denied',
        details: { username: input.username, agencyCode: input.agencyCode, platformAdmin },
      });
      throw new AdminScopeError('You manage the users of your own agency only');
    }
    const password = input.password ?? generatePassword();
    return this.dataSource.transaction(async (em) => {
      const user = await insertUser(em, {
        username: input.username,
        displayName: input.displayName,
        agencyId,
        roles: input.roles,
        platformAdmin,
        password,
        // Whoever set this password is not the user: docs/design.md §3, a password is the user's own.
        mustChangePassword: true,
        timeZone: input.timeZone ?? null,
      });
      await this.accessLog.record(
        ctx,
        {
          event: 'user.create',
          outcome: 'success',
          subject: userSubject(user),
          details: { roles: user.roles, platformAdmin },
        },
        em,
      );
      return { ...userView(user), ...(input.password === undefined ? { initialPassword: password } : {}) };
    });
  }

  async list(
    ctx: RequestContext,
    query: { agencyCode?: string; limit: number; cursor?: string },
  ): Promise<{ users: UserView[]; nextCursor: string | null }> {
    const actor = identityActor(ctx)!;
    const params: unknown[] = [];
    const where: string[] = [];
    if (!isPlatformAdmin(ctx)) {
      params.push(actor.agencyId);
      where.push(`u.agency_id = $${params.length} AND NOT u.platform_admin`);
    } else if (query.agencyCode !== undefined) {
      params.push(query.agencyCode);
      where.push(`a.code = $${params.length}`);
    }
    if (query.cursor !== undefined) {
      params.push(decodeCursor(query.cursor, ['string'] as const)[0]);
      where.push(`u.username > $${params.length}`);
    }
    params.push(query.limit + 1);
    const rows = await this.dataSource.query<UserRow[]>(
      `${USER_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY u.username LIMIT $${params.length}`,
      params,
    );
    const users = rows.slice(0, query.limit).map(userView);
    return { users, nextCursor: rows.length > query.limit ? encodeCursor([users[users.length - 1].username]) : null };
  }

  async get(ctx: RequestContext, id: string): Promise<UserView> {
    return userView(await this.userInScope(this.dataSource, ctx, id));
  }

  /** Agency administrators see their agency's users, platform administrators everyone. */
  private async userInScope(
    db: DataSource | EntityManager,
    ctx: RequestContext,
    id: string,
    lock = false,
  ): Promise<UserRow> {
    const user = await findUserById(db, id, lock);
    const actor = identityActor(ctx)!;
    const visible =
      user !== undefined && (isPlatformAdmin(ctx) || (user.agency_id === actor.agencyId && !user.platform_admin));
    if (!visible) throw new UserNotFoundError();
    return user;
  }

  async update(
    ctx: RequestContext,
    id: string,
    change: { displayName?: string; roles?: Role[]; active?: boolean; timeZone?: string | null },
  ): Promise<UserView> {
    const actor = identityActor(ctx)!;
    if (id === actor.id && (change.roles !== undefined || change.active !== undefined)) {
      throw new AdminScopeError('You cannot change your own roles or disable yourself', 'admin_self_change_forbidden');
    }
    const updated = await this.dataSource.transaction(async (em) => {
      const user = await this.userInScope(em, ctx, id, true);
      const subject = userSubject(user);
      const rolesChanged =
        change.roles !== undefined && [...change.roles].sort().join() !== [...user.roles].sort().join();
      const activeChanged = change.active !== undefined && change.active !== user.active;
      const nameChanged = change.displayName !== undefined && change.displayName.trim() !== user.display_name;
      const zoneChanged = change.timeZone !== undefined && change.timeZone !== user.time_zone;
      if (rolesChanged) {
        const problem = rolesProblem(change.roles!, user.platform_admin);
        if (problem !== undefined) throw new InvalidRequestError('roles_invalid', problem, 'roles');
      }
      if (!rolesChanged && !activeChanged && !nameChanged && !zoneChanged) return userView(user);
      await em.query(
        `UPDATE user_account SET display_name = $2, roles = $3, active = $4, time_zone = $6, updated_at = now(),
                auth_version = auth_version + CASE WHEN $5 THEN 1 ELSE 0 END
          WHERE id = $1`,
        [
          id,
          nameChanged ? change.displayName!.trim() : user.display_name,
          rolesChanged ? change.roles : user.roles,
          activeChanged ? change.active : user.active,
          rolesChanged || activeChanged,
          zoneChanged ? change.timeZone : user.time_zone,
        ],
      );
      if (nameChanged || zoneChanged) {
        const details = {
          ...(nameChanged ? { displayName: { from: user.display_name, to: change.displayName!.trim() } } : {}),
          ...(zoneChanged ? { timeZone: { from: user.time_zone, to: change.timeZone } } : {}),
        };
        await this.accessLog.record(ctx, { event: 'user.update', outcome: 'success', subject, details }, em);
      }
      if (rolesChanged) {
        await revokeSessionsOf(em, id, 'roles_changed');
        await this.accessLog.record(
          ctx,
          { event: 'user.roles_change', outcome: 'success', subject, details: { from: user.roles, to: change.roles } },
          em,
        );
      }
      if (activeChanged) {
        if (!change.active) await revokeSessionsOf(em, id, 'user_disabled');
        await this.accessLog.record(
          ctx,
          { event: change.active ? 'user.enable' : 'user.disable', outcome: 'success', subject },
          em,
        );
      }
      return userView((await findUserById(em, id))!);
    });
    // Committed: this process forgets the user's sessions now, the others when the trigger's notice arrives.
    this.sessions.invalidate(`u:${id}`);
    return updated;
  }

  /**
   * An administrator's reset: a temporary password the user must replace before doing anything
   * else — and before signing anything (docs/design.md §3). Ends the user's sessions and lifts the password delays of the account.
   */
  async resetPassword(ctx: RequestContext, id: string, password: string): Promise<UserView> {
    const actor = identityActor(ctx)!;
    if (id === actor.id) {
      throw new AdminScopeError(
        'Change your own password with POST /api/v1/auth/password',
        'admin_self_change_forbidden',
      );
    }
    const target = await this.userInScope(this.dataSource, ctx, id);
    const problem = passwordProblem(password, {
      username: target.username,
      displayName: target.display_name,
      agencyCode: target.agency_code,
      agencyName: target.agency_name,
    });
    if (problem !== undefined) throw new PasswordRejectedError(problem);
    const hash = await hashPassword(password);
    const updated = await this.dataSource.transaction(async (em) => {
      const user = await this.userInScope(em, ctx, id, true);
      await em.query(
        `UPDATE user_account SET password_hash = $2, must_change_password = true, password_changed_at = now(),
                auth_version = auth_version + 1, updated_at = now()
          WHERE id = $1`,
        [id, hash],
      );
      await revokeSessionsOf(em, id, 'password_reset');
      await this.accessLog.record(
        ctx,
        { event: 'user.password_reset', outcome: 'success', subject: userSubject(user) },
        em,
      );
      return (await findUserById(em, id))!;
    });
    this.sessions.invalidate(`u:${id}`);
    await this.throttle.clearAccount(updated.username);
    return userView(updated);
  }
}
