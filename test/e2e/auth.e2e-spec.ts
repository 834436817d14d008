import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  FACTORY_PASSWORD,
  login,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const withoutInstance = (body: Record<string, unknown>): Record<string, unknown> => {
  const { instance: _i, requestId: _r, ...rest } = body;
  return rest;
};

describe('authentication and sessions', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let agency: TestAgency;
  let admin: TestUser;
  const key = randomBytes(48).toString('base64url');

  beforeAll(async () => {
    database = await createTestDatabase();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'custos-jwt-')), 'jwt-secret');
    writeFileSync(keyFile, key, { mode: 0o600 });
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: {
        JWT_SECRET_FILE: keyFile,
        LOGIN_RATE_LIMIT_PER_IP: '10000',
        LOGIN_RATE_LIMIT_PER_ACCOUNT: '10000',
        PASSWORD_THROTTLE_FREE_FAILURES: '50',
      },
    });
    db = dataSourceOf(app);
    agency = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional' });
    admin = await createUser(db, agency, { roles: ['admin'] });
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const me = (token: string): request.Test => api().get('/api/v1/auth/me').set(bearer(token));

  /** A token signed with the real key and claims of a live session, altered as a test needs. */
  function forge(
    session: { accessToken: string },
    change: (claims: Record<string, unknown>) => Record<string, unknown>,
    options: jwt.SignOptions = {},
  ): string {
    const claims = jwt.decode(session.accessToken) as Record<string, unknown>;
    return jwt.sign(change({ ...claims }), key, { algorithm: 'HS256', ...options });
  }

  it('logs in with an access token, a refresh token and the user', async () => {
    const user = await createUser(db, agency, { roles: ['officer', 'clerk'], displayName: 'Ana García' });
    const response = await api()
      .post('/api/v1/auth/login')
      .send({ username: user.username.toUpperCase(), password: FACTORY_PASSWORD })
      .expect(200);
    expect(response.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: {
        id: user.id,
        username: user.username,
        displayName: 'Ana García',
        roles: ['officer', 'clerk'],
        agency: { code: 'ES-PN', country: 'ES' },
        mustChangePassword: false,
      },
    });
    const header = JSON.parse(Buffer.from(response.body.accessToken.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('HS256');
    const claims = jwt.decode(response.body.accessToken) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: user.id, iss: 'custos', aud: 'custos-api', typ: 'access' });
    expect(claims).not.toHaveProperty('roles');
    expect(response.body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await db.query(
      'SELECT count(*)::int AS n FROM refresh_token WHERE token_hash = sha256($1::text::bytea)',
      [response.body.refreshToken],
    );
    expect(stored[0].n).toBe(1);
    await me(response.body.accessToken)
      .expect(200)
      .expect(({ body }) => expect(body.username).toBe(user.username));
  });

  it('answers a wrong password, an unknown user and a disabled account with the same 401', async () => {
    const user = await createUser(db, agency);
    const disabled = await createUser(db, agency, { active: false });
    const wrongPassword = await api()
      .post('/api/v1/auth/login')
      .send({ username: user.username, password: 'not-the-password-at-all' })
      .expect(401);
    const unknownUser = await api()
      .post('/api/v1/auth/login')
      .send({ username: 'nobody.here', password: FACTORY_PASSWORD })
      .expect(401);
    const disabledUser = await api()
      .post('/api/v1/auth/login')
      .send({ username: disabled.username, password: FACTORY_PASSWORD })
      .expect(401);
    expect(wrongPassword.body.code).toBe('invalid_credentials');
    expect(withoutInstance(unknownUser.body)).toEqual(withoutInstance(wrongPassword.body));
    expect(withoutInstance(disabledUser.body)).toEqual(withoutInstance(wrongPassword.body));
    expect(unknownUser.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('spends an Argon2 verification on unknown users too (no timing shortcut)', async () => {
    const user = await createUser(db, agency);
    const time = async (username: string): Promise<number> => {
      const started = process.hrtime.bigint();
      await api().post('/api/v1/auth/login').send({ username, password: 'wrong-password-123' }).expect(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(user.username));
      unknown.push(await time(`ghost.${i}`));
    }
    // Both pay for Argon2id (tens of ms); a shortcut for unknown names would be several times faster.
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
  });

  it('refuses requests without a token, with a malformed header, or another scheme', async () => {
    const none = await api().get('/api/v1/auth/me').expect(401);
    expect(none.body.code).toBe('unauthenticated');
    expect((await api().get('/api/v1/auth/me').set('Authorization', 'Basic YWRtaW46YWRtaW4=')).body.code).toBe(
      'token_invalid',
    );
    expect((await api().get('/api/v1/auth/me').set('Authorization', 'Bearer garbage')).body.code).toBe('token_invalid');
  });

  describe('forged and stale tokens are refused', () => {
    let session: { accessToken: string; refreshToken: string };

    beforeAll(async () => {
      session = await login(app, await createUser(db, agency));
    });

    it('accepts the genuine token', async () => {
      await me(session.accessToken).expect(200);
    });

    it('alg none', async () => {
      const [, payload] = session.accessToken.split('.');
      const response = await me(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`).expect(401);
      expect(response.body.code).toBe('token_invalid');
    });

    it('signed with another key', async () => {
      const claims = jwt.decode(session.accessToken) as Record<string, unknown>;
      await me(jwt.sign(claims, randomBytes(48), { algorithm: 'HS256' })).expect(401);
    });

    it('HS512 with the right key (the algorithm is pinned)', async () => {
      await me(forge(session, (c) => c, { algorithm: 'HS512' })).expect(401);
    });

    it('HS256 signed with the key but with a tampered payload', async () => {
      const [header, payload, signature] = session.accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      await me(`${header}.${b64({ ...claims, sub: admin.id })}.${signature}`).expect(401);
    });

    it('expired', async () => {
      const response = await me(
        forge(session, (c) => ({ ...c, iat: (c.iat as number) - 3600, exp: Math.floor(Date.now() / 1000) - 5 })),
      ).expect(401);
      expect(response.body.code).toBe('token_expired');
    });

    it('another issuer or audience', async () => {
      await me(forge(session, (c) => ({ ...c, iss: 'evil' }))).expect(401);
      await me(forge(session, (c) => ({ ...c, aud: 'another-api' }))).expect(401);
    });

    it('a well-signed token naming another user on this session, or a session that does not exist', async () => {
      expect((await me(forge(session, (c) => ({ ...c, sub: admin.id }))).expect(401)).body.code).toBe('session_ended');
      await me(forge(session, (c) => ({ ...c, sid: '00000000-0000-4000-8000-000000000000' }))).expect(401);
    });

    it('logs rejected credentials in the access log', async () => {
      const rows = await db.query(`SELECT count(*)::int AS n FROM access_log WHERE event = 'auth.token_rejected'`);
      expect(rows[0].n).toBeGreaterThanOrEqual(6);
    });
  });

  describe('refresh-token rotation', () => {
    it('rotates on every use; the new pair works', async () => {
      const first = await login(app, await createUser(db, agency));
      const second = await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
      expect(second.body.refreshToken).not.toBe(first.refreshToken);
      await me(second.body.accessToken).expect(200);
      const third = await api()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: second.body.refreshToken })
        .expect(200);
      await me(third.body.accessToken).expect(200);
    });

    it('reuse of a rotated refresh token revokes the whole family', async () => {
      const user = await createUser(db, agency);
      const first = await login(app, user);
      const other = await login(app, user);
      const second = (await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200))
        .body;
      const reuse = await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
      expect(reuse.body.code).toBe('refresh_token_reused');
      // Every token of that login is dead: the rotated refresh token and both access tokens.
      expect(
        (await api().post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401)).body.code,
      ).toBe('refresh_token_invalid');
      expect((await me(second.accessToken).expect(401)).body.code).toBe('session_ended');
      await me(first.accessToken).expect(401);
      // Another login of the same user is another family.
      await me(other.accessToken).expect(200);
      const rows = await db.query(
        `SELECT event, outcome, actor_user_id FROM access_log WHERE event = 'auth.refresh_reuse' AND actor_user_id = $1`,
        [user.id],
      );
      expect(rows).toEqual([{ event: 'auth.refresh_reuse', outcome: 'denied', actor_user_id: user.id }]);
    });

    it('of two concurrent refreshes with one token exactly one succeeds', async () => {
      const session = await login(app, await createUser(db, agency));
      const results = await Promise.all(
        [0, 1].map(() => api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('refuses a refresh after the session’s absolute expiry, however fresh the refresh token', async () => {
      const user = await createUser(db, agency);
      const first = await login(app, user);
      const second = (await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200))
        .body as { refreshToken: string; accessToken: string };
      const { sid } = jwt.decode(second.accessToken) as { sid: string };
      // The service may not move a session's expiry (it has UPDATE on revoked_at only): the owner does.
      await sql(database.ownerUrl, `UPDATE auth_session SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        sid,
      ]);
      const tokensBefore = await db.query(`SELECT count(*)::int AS n FROM refresh_token WHERE session_id = $1`, [sid]);
      const refused = await api().post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
      expect(refused.body.code).toBe('refresh_token_invalid');
      expect(await db.query(`SELECT count(*)::int AS n FROM refresh_token WHERE session_id = $1`, [sid])).toEqual(
        tokensBefore,
      );
      const [logged] = await db.query(
        `SELECT outcome, details->>'reason' AS reason FROM access_log WHERE event = 'auth.refresh' AND actor_user_id = $1 AND outcome <> 'success'`,
        [user.id],
      );
      expect(logged).toEqual({ outcome: 'failure', reason: 'session_expired' });
    });

    it('refuses unknown refresh tokens', async () => {
      expect(
        (
          await api()
            .post('/api/v1/auth/refresh')
            .send({ refreshToken: randomBytes(32).toString('base64url') })
            .expect(401)
        ).body.code,
      ).toBe('refresh_token_invalid');
    });
  });

  it('logout ends the session: its access and refresh tokens stop working', async () => {
    const user = await createUser(db, agency);
    const session = await login(app, user);
    await api().post('/api/v1/auth/logout').set(bearer(session)).expect(204);
    expect((await me(session.accessToken).expect(401)).body.code).toBe('session_ended');
    await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
    const rows = await db.query(`SELECT outcome FROM access_log WHERE event = 'auth.logout' AND actor_user_id = $1`, [
      user.id,
    ]);
    expect(rows).toEqual([{ outcome: 'success' }]);
  });

  describe('disabling a user or changing roles ends their sessions at the next request', () => {
    let adminSession: { accessToken: string };

    beforeAll(async () => {
      adminSession = await login(app, admin);
    });

    it('disable', async () => {
      const user = await createUser(db, agency);
      const session = await login(app, user);
      await me(session.accessToken).expect(200);
      await api()
        .patch(`/api/v1/users/${user.id}`)
        .set(bearer(adminSession.accessToken))
        .send({ active: false })
        .expect(200);
      expect((await me(session.accessToken).expect(401)).body.code).toBe('session_ended');
      await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      await api().post('/api/v1/auth/login').send({ username: user.username, password: FACTORY_PASSWORD }).expect(401);
      await api()
        .patch(`/api/v1/users/${user.id}`)
        .set(bearer(adminSession.accessToken))
        .send({ active: true })
        .expect(200);
      await login(app, user);
    });

    it('role change', async () => {
      const user = await createUser(db, agency, { roles: ['officer'] });
      const session = await login(app, user);
      await api()
        .post('/api/v1/cases')
        .set(bearer(session))
        .send({ caseNumber: 'R-1', title: 'Before the change' })
        .expect(201);
      await api()
        .patch(`/api/v1/users/${user.id}`)
        .set(bearer(adminSession.accessToken))
        .send({ roles: ['clerk'] })
        .expect(200);
      expect((await me(session.accessToken).expect(401)).body.code).toBe('session_ended');
      const again = await login(app, user);
      expect(again.user.roles).toEqual(['clerk']);
      await api()
        .post('/api/v1/cases')
        .set(bearer(again))
        .send({ caseNumber: 'R-2', title: 'After the change' })
        .expect(403);
    });

    it('a display-name change leaves sessions alone', async () => {
      const user = await createUser(db, agency);
      const session = await login(app, user);
      await api()
        .patch(`/api/v1/users/${user.id}`)
        .set(bearer(adminSession.accessToken))
        .send({ displayName: 'New Name' })
        .expect(200);
      expect((await me(session.accessToken).expect(200)).body.displayName).toBe('New Name');
    });
  });

  describe('passwords', () => {
    it('change needs the current password and follows the policy', async () => {
      const user = await createUser(db, agency, { username: 'lucia.moreno', displayName: 'Lucía Moreno' });
      const session = await login(app, user);
      const change = (currentPassword: string, newPassword: string): request.Test =>
        api().post('/api/v1/auth/password').set(bearer(session)).send({ currentPassword, newPassword });
      expect((await change('wrong-current-password', 'A brand new passphrase 42').expect(401)).body.code).toBe(
        'current_password_invalid',
      );
      const cases: Array<[string, string]> = [
        ['short-1', 'too_short'],
        ['qwertyuiopasdfgh', 'common'],
        ['lucia.moreno-secret', 'contains_username'],
        [FACTORY_PASSWORD, 'unchanged'],
        // The security review's three (issue 16, item 8), and the context words of ADR 0017.
        ['password123456', 'common_decorated'],
        ['P@ssw0rd1234', 'common_decorated'],
        ['abcabcabcabc', 'repetitive'],
        [`${agency.code} evidence room 9`, 'contains_agency'],
        ['my Cust0s password 9', 'contains_service_name'],
      ];
      for (const [password, reason] of cases) {
        const refused = await change(FACTORY_PASSWORD, password).expect(400);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.body).toMatchObject({ code: 'password_rejected', reason });
        expect(refused.body.detail).toMatch(/^The (new )?password /);
      }
      await change(FACTORY_PASSWORD, 'A brand new passphrase 42').expect(200);
      await api().post('/api/v1/auth/login').send({ username: user.username, password: FACTORY_PASSWORD }).expect(401);
      await login(app, { username: user.username, password: 'A brand new passphrase 42' });
      // The session that changed the password goes on.
      await me(session.accessToken).expect(200);
    });

    it('a change ends the user’s other sessions', async () => {
      const user = await createUser(db, agency);
      const here = await login(app, user);
      const elsewhere = await login(app, user);
      await api()
        .post('/api/v1/auth/password')
        .set(bearer(here))
        .send({ currentPassword: FACTORY_PASSWORD, newPassword: 'Another long passphrase 77' })
        .expect(200);
      await me(here.accessToken).expect(200);
      await me(elsewhere.accessToken).expect(401);
    });

    it('stores Argon2id hashes with explicit parameters', async () => {
      const user = await createUser(db, agency);
      const session = await login(app, user);
      await api()
        .post('/api/v1/auth/password')
        .set(bearer(session))
        .send({ currentPassword: FACTORY_PASSWORD, newPassword: 'Stored as argon2id please' })
        .expect(200);
      const rows = await db.query('SELECT password_hash FROM user_account WHERE id = $1', [user.id]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });
  });
});
