import { jest } from '@jest/globals';
import pg from 'pg';

import { createAgency, createUser, type TestAgency, type TestUser } from '../factories/identity.factory.js';
import type { ServiceProcess } from '../utils/service-process.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';
import {
  call,
  createDeployment,
  factoryDb,
  loginOver,
  startService,
  stopService,
  testPool,
  type Deployment,
} from './support.js';

jest.setTimeout(120_000);

/**
 * Each process keeps live sessions in memory (ADR 0064) and forgets them when PostgreSQL tells it
 * a session, an account or an agency changed. Revocation must still end access at the next
 * request, whichever process made the change and whichever serves the request — and when the
 * notices cannot be trusted (the listening connection lost), a process must read the database.
 */
describe('sessions cached in each process, revoked in all of them at once', () => {
  let database: TestDatabase;
  let deployment: Deployment;
  let pool: pg.Pool;
  let owner: pg.Pool;
  let superuser: pg.Pool;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let urlA: string;
  let urlB: string;
  let admin: TestUser;
  let agency: TestAgency;

  beforeAll(async () => {
    database = await createTestDatabase();
    deployment = createDeployment();
    pool = testPool(database.appUrl);
    owner = testPool(database.ownerUrl);
    superuser = testPool(database.adminUrl);
    agency = await createAgency(factoryDb(pool));
    admin = await createUser(factoryDb(pool), agency, { roles: ['admin'] });
    a = startService(deployment, database.appUrl);
    b = startService(deployment, database.appUrl);
    [urlA, urlB] = await Promise.all([a.listening, b.listening]);
    await waitForListeners();
  });

  afterAll(async () => {
    await Promise.all([stopService(a), stopService(b)]);
    await pool.end();
    await owner.end();
    await superuser.end();
    await database.drop();
  });

  /** The listeners connect at boot and again after a loss; poll until both processes have one. */
  async function waitForListeners(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await owner.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'custos-session-listener' AND datname = current_database()`,
      );
      if (Number(rows[0].n) >= 2) return;
      if (Date.now() > deadline) throw new Error('the session listeners did not connect');
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  async function officerSignedIn(): Promise<{ user: TestUser; token: string }> {
    const user = await createUser(factoryDb(pool), agency, { roles: ['officer'] });
    const token = await loginOver(urlA, user);
    // Served twice by B: the second answer comes from B's cache.
    for (let n = 0; n < 2; n++) expect((await call(urlB, 'GET', '/api/v1/auth/me', { token })).status).toBe(200);
    return { user, token };
  }

  it('a logout through one process ends the session in the other at the next request', async () => {
    const { token } = await officerSignedIn();
    expect((await call(urlA, 'POST', '/api/v1/auth/logout', { token })).status).toBe(204);
    const after = await call(urlB, 'GET', '/api/v1/auth/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('session_ended');
  });

  it('disabling a user through one process ends their access through the other', async () => {
    const { user, token } = await officerSignedIn();
    const adminToken = await loginOver(urlA, admin);
    const disabled = await call(urlA, 'PATCH', `/api/v1/users/${user.id}`, {
      token: adminToken,
      body: { active: false },
    });
    expect(disabled.status).toBe(200);
    expect((await call(urlB, 'GET', '/api/v1/auth/me', { token })).status).toBe(401);
  });

  it('a change made in the database by hand (an administrator, the CLI) reaches every process', async () => {
    const { user, token } = await officerSignedIn();
    await owner.query(`UPDATE user_account SET roles = ARRAY['prosecutor'] WHERE id = $1`, [user.id]);
    const me = await call(urlB, 'GET', '/api/v1/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual(['prosecutor']);
    await owner.query(`UPDATE auth_session SET revoked_at = now(), revoked_reason = 'logout' WHERE user_id = $1`, [
      user.id,
    ]);
    expect((await call(urlB, 'GET', '/api/v1/auth/me', { token })).status).toBe(401);
  });

  describe('without the notices', () => {
    afterEach(async () => {
      await owner.query('ALTER TABLE auth_session ENABLE TRIGGER auth_session_change_notify');
    });

    it('the cache is real: with the trigger disabled, a revoked session is still served from memory', async () => {
      // The control for the tests above: it shows B answers from its cache, so they could fail.
      const { user, token } = await officerSignedIn();
      await owner.query('ALTER TABLE auth_session DISABLE TRIGGER auth_session_change_notify');
      await owner.query(`UPDATE auth_session SET revoked_at = now(), revoked_reason = 'logout' WHERE user_id = $1`, [
        user.id,
      ]);
      expect((await call(urlB, 'GET', '/api/v1/auth/me', { token })).status).toBe(200);
    });

    it('a process that lost its listening connection reads sessions from the database', async () => {
      const { user, token } = await officerSignedIn();
      await owner.query('ALTER TABLE auth_session DISABLE TRIGGER auth_session_change_notify');
      // Every listener loses its connection (as in a database restart or a network cut)…
      const { rows } = await superuser.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
          WHERE application_name = 'custos-session-listener' AND datname = current_database()`,
      );
      expect(rows.length).toBe(2);
      // …and a revocation it can no longer hear about follows.
      await owner.query(`UPDATE auth_session SET revoked_at = now(), revoked_reason = 'logout' WHERE user_id = $1`, [
        user.id,
      ]);
      const deadline = Date.now() + 10_000;
      // The termination reaches B's client asynchronously; once it has, B must never serve the
      // stale session again — not while disconnected, nor after it listens again.
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        status = (await call(urlB, 'GET', '/api/v1/auth/me', { token })).status;
        if (status === 200) await new Promise((done) => setTimeout(done, 50));
      }
      expect(status).toBe(401);
      await waitForListeners();
      expect((await call(urlB, 'GET', '/api/v1/auth/me', { token })).status).toBe(401);
    });
  });
});
