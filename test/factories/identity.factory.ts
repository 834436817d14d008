import { randomBytes } from 'node:crypto';

import type { NestExpressApplication } from '@nestjs/platform-express';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { Role } from '../../src/common/request-context.js';
import { hashPassword } from '../../src/identity/passwords/password-hasher.js';

/** A password every factory user has unless told otherwise (long, not common). */
export const FACTORY_PASSWORD = 'Chain-of-Custody-Test-7719';

let factoryHash: Promise<string> | undefined;

function passwordHash(password: string): Promise<string> {
  if (password !== FACTORY_PASSWORD) return hashPassword(password);
  factoryHash ??= hashPassword(FACTORY_PASSWORD);
  return factoryHash;
}

const suffix = (): string => randomBytes(4).toString('hex');

export function dataSourceOf(app: NestExpressApplication): DataSource {
  return app.get<DataSource>(getDataSourceToken());
}

export interface TestAgency {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly country: string;
}

export async function createAgency(
  db: DataSource,
  overrides: Partial<Omit<TestAgency, 'id'>> = {},
): Promise<TestAgency> {
  const code = overrides.code ?? `ES-T${suffix().toUpperCase()}`;
  const rows = await db.query<Array<{ id: string }>>(
    'INSERT INTO agency (code, name, country) VALUES ($1, $2, $3) RETURNING id',
    [code, overrides.name ?? `Agency ${code}`, overrides.country ?? code.slice(0, 2)],
  );
  return {
    id: rows[0].id,
    code,
    name: overrides.name ?? `Agency ${code}`,
    country: overrides.country ?? code.slice(0, 2),
  };
}

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly password: string;
  readonly agencyId: string | null;
  readonly roles: readonly Role[];
}

export interface UserOverrides {
  username?: string;
  displayName?: string;
  roles?: Role[];
  platformAdmin?: boolean;
  password?: string;
  mustChangePassword?: boolean;
  active?: boolean;
}

/** Inserts a user directly (as the service role would), with a known password. */
export async function createUser(
  db: DataSource,
  agency: TestAgency | null,
  overrides: UserOverrides = {},
): Promise<TestUser> {
  const roles = overrides.roles ?? ['officer'];
  const username = overrides.username ?? `${roles[0]}.${suffix()}`;
  const displayName = overrides.displayName ?? `Agent ${username.split('.').pop()}`;
  const password = overrides.password ?? FACTORY_PASSWORD;
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO user_account (username, display_name, agency_id, roles, platform_admin, password_hash, must_change_password, active)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      username,
      displayName,
      agency?.id ?? null,
      roles,
      overrides.platformAdmin ?? agency === null,
      await passwordHash(password),
      overrides.mustChangePassword ?? false,
      overrides.active ?? true,
    ],
  );
  return { id: rows[0].id, username, displayName, password, agencyId: agency?.id ?? null, roles };
}

export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly user: Record<string, unknown>;
}

export async function login(
  app: NestExpressApplication,
  user: { username: string; password: string },
): Promise<Session> {
  const response = await request(app.getHttpServer())
    .post('/api/v1/auth/login')
    .send({ username: user.username, password: user.password });
  if (response.status !== 200)
    throw new Error(`login of ${user.username} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Session;
}

export const bearer = (session: Session | string): { Authorization: string } => ({
  Authorization: `Bearer ${typeof session === 'string' ? session : session.accessToken}`,
});
