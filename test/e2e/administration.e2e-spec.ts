import { existsSync, readFileSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { createApp } from '../../src/app.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  FACTORY_PASSWORD,
  login,
  type Session,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import { createTestApp, testConfig } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

/** The app as main.ts builds it, with its log captured: the log says where the bootstrap password is. */
async function appWithCapturedLog(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<{ app: NestExpressApplication; log: () => string }> {
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString('utf8');
      done();
    },
  });
  const app = await createApp({ config: testConfig(env), databaseUrl, logger: pino({ level: 'info' }, sink) });
  return { app, log: () => log };
}

describe('first start: the bootstrap administrator', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('is created once with a random password, in a 0600 file the log names, which must be changed first', async () => {
    const first = await appWithCapturedLog(database.appUrl);
    let password: string;
    try {
      const line = first
        .log()
        .split('\n')
        .find((entry) => entry.includes('one-time password'));
      expect(line).toBeDefined();
      expect(JSON.parse(line!).level).toBe(40); // warn
      const file = /one-time password is in (\S+)/.exec(line!)![1];
      expect(file).toMatch(/\/initial-admin-password$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      password = readFileSync(file, 'utf8').trim();
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      // The password itself stays out of the log, which is shipped and kept elsewhere.
      expect(first.log()).not.toContain(password);

      const server = first.app.getHttpServer();
      const session = (
        await request(server).post('/api/v1/auth/login').send({ username: 'admin', password }).expect(200)
      ).body as Session;
      expect(session.user).toMatchObject({
        username: 'admin',
        platformAdmin: true,
        agency: null,
        roles: ['admin'],
        mustChangePassword: true,
      });
      const blocked = await request(server).get('/api/v1/users').set(bearer(session)).expect(403);
      expect(blocked.body.code).toBe('password_change_required');
      await request(server)
        .post('/api/v1/agencies')
        .set(bearer(session))
        .send({ code: 'ES-GC', name: 'Guardia Civil', country: 'ES' })
        .expect(403);
      await request(server).get('/api/v1/auth/me').set(bearer(session)).expect(200);
      await request(server)
        .post('/api/v1/auth/password')
        .set(bearer(session))
        .send({ currentPassword: password, newPassword: 'Chosen at first login 2026' })
        .expect(200);
      expect(existsSync(file)).toBe(false);
      await request(server)
        .post('/api/v1/agencies')
        .set(bearer(session))
        .send({ code: 'ES-GC', name: 'Guardia Civil', country: 'ES' })
        .expect(201);
    } finally {
      await first.app.close();
    }
    const second = await appWithCapturedLog(database.appUrl);
    try {
      expect(second.log()).not.toContain('one-time password');
      const admins = await dataSourceOf(second.app).query(
        `SELECT count(*)::int AS n FROM user_account WHERE username = 'admin'`,
      );
      expect(admins[0].n).toBe(1);
    } finally {
      await second.app.close();
    }
  });

  it('uses CUSTOS_BOOTSTRAP_ADMIN_PASSWORD when set, without a forced change', async () => {
    const fresh = await createTestDatabase();
    const app = await createTestApp({
      databaseUrl: fresh.appUrl,
      env: { CUSTOS_BOOTSTRAP_ADMIN_PASSWORD: 'operator chosen first secret' },
    });
    try {
      const session = await login(app, { username: 'admin', password: 'operator chosen first secret' });
      expect(session.user.mustChangePassword).toBe(false);
      await request(app.getHttpServer()).get('/api/v1/users').set(bearer(session)).expect(200);
    } finally {
      await app.close();
      await fresh.drop();
    }
  });

  it('refuses to start with a weak CUSTOS_BOOTSTRAP_ADMIN_PASSWORD', async () => {
    const fresh = await createTestDatabase();
    try {
      await expect(
        createTestApp({ databaseUrl: fresh.appUrl, env: { CUSTOS_BOOTSTRAP_ADMIN_PASSWORD: 'password1234' } }),
      ).rejects.toThrow(/CUSTOS_BOOTSTRAP_ADMIN_PASSWORD is refused/);
    } finally {
      await fresh.drop();
    }
  });
});

describe('administration scope', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let argentina: TestAgency;
  let agencyAdmin: TestUser;
  let adminSession: Session;
  let platformSession: Session;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional' });
    argentina = await createAgency(db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    agencyAdmin = await createUser(db, spain, { roles: ['admin'] });
    adminSession = await login(app, agencyAdmin);
    platformSession = await login(app, await createUser(db, null, { roles: ['admin'], platformAdmin: true }));
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());

  it('an agency admin creates users of their agency, who must set their own password', async () => {
    const created = await api()
      .post('/api/v1/users')
      .set(bearer(adminSession))
      .send({ username: 'Pablo.Ruiz', displayName: 'Pablo Ruiz', roles: ['examiner', 'clerk'] })
      .expect(201);
    expect(created.body).toMatchObject({
      username: 'pablo.ruiz',
      agency: { code: 'ES-PN' },
      roles: ['examiner', 'clerk'],
      mustChangePassword: true,
      active: true,
    });
    expect(created.body.initialPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const session = await login(app, { username: 'pablo.ruiz', password: created.body.initialPassword });
    expect((await api().get('/api/v1/cases').set(bearer(session)).expect(403)).body.code).toBe(
      'password_change_required',
    );
    const listed = await api().get('/api/v1/users').set(bearer(adminSession)).expect(200);
    expect(listed.body.users.map((u: { username: string }) => u.username)).toContain('pablo.ruiz');
    expect(listed.body.users.every((u: { agency: { code: string } }) => u.agency.code === 'ES-PN')).toBe(true);
  });

  it('refuses duplicates, bad roles and weak initial passwords', async () => {
    await api()
      .post('/api/v1/users')
      .set(bearer(adminSession))
      .send({ username: 'dup.user', displayName: 'Dup', roles: ['clerk'] })
      .expect(201);
    expect(
      (
        await api()
          .post('/api/v1/users')
          .set(bearer(adminSession))
          .send({ username: 'DUP.USER', displayName: 'Dup', roles: ['clerk'] })
          .expect(409)
      ).body.code,
    ).toBe('username_taken');
    expect(
      (
        await api()
          .post('/api/v1/users')
          .set(bearer(adminSession))
          .send({ username: 'mixed.roles', displayName: 'M', roles: ['admin', 'officer'] })
          .expect(400)
      ).body.code,
    ).toBe('roles_invalid');
    await api()
      .post('/api/v1/users')
      .set(bearer(adminSession))
      .send({ username: 'bad.role', displayName: 'B', roles: ['superuser'] })
      .expect(400);
    expect(
      (
        await api()
          .post('/api/v1/users')
          .set(bearer(adminSession))
          .send({ username: 'weak.pw', displayName: 'W', roles: ['clerk'], password: 'password' })
          .expect(400)
      ).body.code,
    ).toBe('password_rejected');
  });

  it('refuses blank, over-long (as the database counts characters) or invisible names as 400s, changing nothing, and trims what it keeps', async () => {
    const counts = async (): Promise<{ users: number; agencies: number }> =>
      (
        await db.query<Array<{ users: number; agencies: number }>>(
          'SELECT (SELECT count(*)::int FROM user_account) AS users, (SELECT count(*)::int FROM agency) AS agencies',
        )
      )[0];
    const before = await counts();
    const vs16 = 'a\uFE0F'.repeat(150); // 300 code points that class-validator's Length counted as 150
    for (const displayName of ['   ', vs16, 'Eve\u202Eliam']) {
      const refused = await api()
        .post('/api/v1/users')
        .set(bearer(adminSession))
        .send({ username: 'name.probe', displayName, roles: ['clerk'] })
        .expect(400);
      expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual(['displayName']);
    }
    for (const name of ['   ', vs16]) {
      const refused = await api()
        .post('/api/v1/agencies')
        .set(bearer(platformSession))
        .send({ code: 'ES-NP', name, country: 'ES' })
        .expect(400);
      expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual(['name']);
    }
    const target = (
      await api()
        .post('/api/v1/users')
        .set(bearer(adminSession))
        .send({ username: 'name.kept', displayName: '  Ana  Gil ', roles: ['clerk'] })
        .expect(201)
    ).body;
    expect(target.displayName).toBe('Ana  Gil');
    await api().patch(`/api/v1/users/${target.id}`).set(bearer(adminSession)).send({ displayName: ' ' }).expect(400);
    await api().patch(`/api/v1/users/${target.id}`).set(bearer(adminSession)).send({ displayName: null }).expect(400);
    expect((await api().get(`/api/v1/users/${target.id}`).set(bearer(adminSession)).expect(200)).body.displayName).toBe(
      'Ana  Gil',
    );
    expect(await counts()).toEqual({ users: before.users + 1, agencies: before.agencies });
  });

  it('sets, changes and clears a user’s time zone, refusing a zone that does not exist and logging the change', async () => {
    const user = (
      await api()
        .post('/api/v1/users')
        .set(bearer(adminSession))
        .send({ username: 'zone.user', displayName: 'Zoe Lopez', roles: ['examiner'] })
        .expect(201)
    ).body;
    expect(user.timeZone).toBeNull();
    const changed = await api()
      .patch(`/api/v1/users/${user.id}`)
      .set(bearer(adminSession))
      .send({ timeZone: 'America/Argentina/Buenos_Aires' })
      .expect(200);
    expect(changed.body).toMatchObject({
      timeZone: 'America/Argentina/Buenos_Aires',
      displayName: 'Zoe Lopez',
      roles: ['examiner'],
    });
    for (const timeZone of ['Mars/Olympus', 'UTC+3', 42]) {
      const refused = await api()
        .patch(`/api/v1/users/${user.id}`)
        .set(bearer(adminSession))
        .send({ timeZone })
        .expect(400);
      expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual(['timeZone']);
    }
    expect((await api().get(`/api/v1/users/${user.id}`).set(bearer(adminSession)).expect(200)).body.timeZone).toBe(
      'America/Argentina/Buenos_Aires',
    );
    expect(
      (await api().patch(`/api/v1/users/${user.id}`).set(bearer(adminSession)).send({ timeZone: null }).expect(200))
        .body.timeZone,
    ).toBeNull();
    const logged = await db.query<Array<{ details: { timeZone: { from: string | null; to: string | null } } }>>(
      `SELECT details FROM access_log WHERE event = 'user.update' AND subject_id = $1 ORDER BY id`,
      [user.id],
    );
    expect(logged.map((row) => row.details.timeZone)).toEqual([
      { from: null, to: 'America/Argentina/Buenos_Aires' },
      { from: 'America/Argentina/Buenos_Aires', to: null },
    ]);
  });

  it('of two concurrent creations of one username, one wins and the other is a 409', async () => {
    const results = await Promise.all(
      [0, 1].map(() =>
        api()
          .post('/api/v1/users')
          .set(bearer(adminSession))
          .send({ username: 'race.user', displayName: 'Race', roles: ['clerk'] }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('an agency admin cannot reach other agencies, platform admins, agencies, or themselves', async () => {
    const foreigner = await createUser(db, argentina);
    await api().get(`/api/v1/users/${foreigner.id}`).set(bearer(adminSession)).expect(404);
    await api().patch(`/api/v1/users/${foreigner.id}`).set(bearer(adminSession)).send({ active: false }).expect(404);
    await api()
      .post('/api/v1/users')
      .set(bearer(adminSession))
      .send({ username: 'ar.user', displayName: 'AR', agencyCode: 'AR-PFA', roles: ['clerk'] })
      .expect(403);
    await api()
      .post('/api/v1/users')
      .set(bearer(adminSession))
      .send({ username: 'root.two', displayName: 'Root', roles: ['admin'], platformAdmin: true })
      .expect(403);
    expect(
      (
        await api()
          .post('/api/v1/agencies')
          .set(bearer(adminSession))
          .send({ code: 'ES-MOSSOS', name: 'Mossos', country: 'ES' })
          .expect(403)
      ).body.code,
    ).toBe('admin_scope_forbidden');
    expect(
      (
        await api()
          .patch(`/api/v1/users/${agencyAdmin.id}`)
          .set(bearer(adminSession))
          .send({ active: false })
          .expect(403)
      ).body.code,
    ).toBe('admin_self_change_forbidden');
    await api().get('/api/v1/users/not-a-uuid').set(bearer(adminSession)).expect(404);
  });

  it('a platform admin manages agencies and the users of every agency', async () => {
    const created = await api()
      .post('/api/v1/agencies')
      .set(bearer(platformSession))
      .send({ code: 'PT-PJ', name: 'Polícia Judiciária', country: 'PT' })
      .expect(201);
    expect(created.body).toMatchObject({ code: 'PT-PJ', country: 'PT' });
    expect(
      (
        await api()
          .post('/api/v1/agencies')
          .set(bearer(platformSession))
          .send({ code: 'PT-PJ', name: 'Again', country: 'PT' })
          .expect(409)
      ).body.code,
    ).toBe('agency_code_taken');
    expect(
      (
        await api()
          .post('/api/v1/agencies')
          .set(bearer(platformSession))
          .send({ code: 'XX-NOPE', name: 'No', country: 'UK' })
          .expect(400)
      ).body.code,
    ).toBe('country_invalid');
    await api()
      .post('/api/v1/agencies')
      .set(bearer(platformSession))
      .send({ code: 'es-pn', name: 'lower', country: 'ES' })
      .expect(400);
    const ptAdmin = await api()
      .post('/api/v1/users')
      .set(bearer(platformSession))
      .send({
        username: 'pt.admin',
        displayName: 'PT Admin',
        agencyCode: 'PT-PJ',
        roles: ['admin'],
        password: 'Temporary passphrase for PT',
      })
      .expect(201);
    expect(ptAdmin.body).toMatchObject({ agency: { code: 'PT-PJ' }, mustChangePassword: true });
    expect(ptAdmin.body).not.toHaveProperty('initialPassword');
    const all = await api().get('/api/v1/users?limit=500').set(bearer(platformSession)).expect(200);
    const codes = new Set(all.body.users.map((u: { agency: { code: string } | null }) => u.agency?.code ?? null));
    expect(codes).toEqual(new Set([null, 'ES-PN', 'AR-PFA', 'PT-PJ']));
    const agencies = await api().get('/api/v1/agencies').set(bearer(adminSession)).expect(200);
    expect(agencies.body.agencies.map((a: { code: string }) => a.code)).toEqual(['AR-PFA', 'ES-PN', 'PT-PJ']);
  });

  it('paginates users with an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) await createUser(db, spain, { username: `page.user${i}` });
    const first = await api().get('/api/v1/users?limit=2').set(bearer(adminSession)).expect(200);
    expect(first.body.users).toHaveLength(2);
    const seen = first.body.users.map((u: { username: string }) => u.username);
    let cursor = first.body.nextCursor as string | null;
    while (cursor !== null) {
      const page = await api().get(`/api/v1/users?limit=2&cursor=${cursor}`).set(bearer(adminSession)).expect(200);
      seen.push(...page.body.users.map((u: { username: string }) => u.username));
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['page.user0', 'page.user1', 'page.user2']));
    expect((await api().get('/api/v1/users?cursor=bogus').set(bearer(adminSession)).expect(400)).body.code).toBe(
      'cursor_invalid',
    );
  });

  it('an admin reset forces the user to choose a new password and ends their sessions', async () => {
    const user = await createUser(db, spain);
    const session = await login(app, user);
    await api()
      .post(`/api/v1/users/${user.id}/password`)
      .set(bearer(adminSession))
      .send({ password: 'Reset by the admin 2026' })
      .expect(200);
    await api().get('/api/v1/auth/me').set(bearer(session)).expect(401);
    await api().post('/api/v1/auth/login').send({ username: user.username, password: FACTORY_PASSWORD }).expect(401);
    const after = await login(app, { username: user.username, password: 'Reset by the admin 2026' });
    expect(after.user.mustChangePassword).toBe(true);
  });
});
