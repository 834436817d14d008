import type { DataSource, EntityManager } from 'typeorm';

import type { Role } from '../../common/request-context.js';
import type { AgencyView, UserView } from '../../contracts/identity.js';

export type Queryable = Pick<EntityManager | DataSource, 'query'>;

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  agency_id: string | null;
  agency_code: string | null;
  agency_name: string | null;
  agency_country: string | null;
  roles: Role[];
  platform_admin: boolean;
  active: boolean;
  password_hash: string;
  must_change_password: boolean;
  time_zone: string | null;
  auth_version: number;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

// Declared once, with their schemas, in src/contracts (ADR 0009).
export type { AgencyView, UserView };

export const USER_SELECT = `
  SELECT u.id, u.username, u.display_name, u.agency_id, a.code AS agency_code, a.name AS agency_name,
         a.country AS agency_country, u.roles, u.platform_admin, u.active, u.password_hash,
         u.must_change_password, u.time_zone, u.auth_version, u.last_login_at, u.created_at, u.updated_at
    FROM user_account u LEFT JOIN agency a ON a.id = u.agency_id`;

export async function findUserById(db: Queryable, id: string, lock = false): Promise<UserRow | undefined> {
  const rows = await db.query<UserRow[]>(`${USER_SELECT} WHERE u.id = $1${lock ? ' FOR UPDATE OF u' : ''}`, [id]);
  return rows[0];
}

export async function findUserByUsername(db: Queryable, username: string): Promise<UserRow | undefined> {
  const rows = await db.query<UserRow[]>(`${USER_SELECT} WHERE lower(u.username) = lower($1)`, [username]);
  return rows[0];
}

export function agencyViewOf(
  row: Pick<UserRow, 'agency_id' | 'agency_code' | 'agency_name' | 'agency_country'>,
): AgencyView | null {
  return row.agency_id === null
    ? null
    : { id: row.agency_id, code: row.agency_code!, name: row.agency_name!, country: row.agency_country!.trim() };
}

export function userView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    agency: agencyViewOf(row),
    roles: row.roles,
    platformAdmin: row.platform_admin,
    active: row.active,
    mustChangePassword: row.must_change_password,
    timeZone: row.time_zone,
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Ends every open session of a user (disable, role change, password reset or change). */
export async function revokeSessionsOf(
  db: Queryable,
  userId: string,
  reason: 'user_disabled' | 'roles_changed' | 'password_changed' | 'password_reset',
  exceptSessionId?: string,
): Promise<void> {
  await db.query(
    `UPDATE auth_session SET revoked_at = now(), revoked_reason = $2
      WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
    [userId, reason, exceptSessionId ?? null],
  );
}
