import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import {
  createAgency,
  createUser,
  dataSourceOf,
  FACTORY_PASSWORD,
  type TestAgency,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('lockout after repeated failures', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let agency: TestAgency;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Small numbers so the test is quick; the defaults are 5 failures and 15 minutes.
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: {
        LOGIN_LOCKOUT_THRESHOLD: '3',
        LOGIN_LOCKOUT_SECONDS: '2',
        LOGIN_RATE_LIMIT_PER_IP: '10000',
        LOGIN_RATE_LIMIT_PER_ACCOUNT: '10000',
      },
    });
    db = dataSourceOf(app);
    agency = await createAgency(db);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const attempt = (username: string, password: string): request.Test =>
    request(app.getHttpServer()).post('/api/v1/auth/login').send({ username, password });

  it('locks the account after N failures, refuses even the right password, is logged, and lifts by itself', async () => {
    const user = await createUser(db, agency);
    for (let i = 0; i < 3; i++) await attempt(user.username, `wrong password ${i}!`).expect(401);
    const locked = await attempt(user.username, FACTORY_PASSWORD).expect(429);
    expect(locked.body).toMatchObject({ code: 'account_locked', status: 429 });
    expect(locked.body.retryAfterSeconds).toBeGreaterThanOrEqual(1);

    const rows = await db.query(
      `SELECT event, outcome, details->>'reason' AS reason FROM access_log
        WHERE actor_username = $1 AND event IN ('auth.login', 'auth.lockout') ORDER BY id`,
      [user.username],
    );
    expect(rows).toEqual([
      { event: 'auth.login', outcome: 'failure', reason: 'wrong_password' },
      { event: 'auth.login', outcome: 'failure', reason: 'wrong_password' },
      { event: 'auth.login', outcome: 'failure', reason: 'wrong_password' },
      { event: 'auth.lockout', outcome: 'denied', reason: null },
      { event: 'auth.login', outcome: 'denied', reason: 'account_locked' },
    ]);
    const lockout = await db.query(
      `SELECT subject_id, subject_agency_id FROM access_log WHERE event = 'auth.lockout' AND actor_username = $1`,
      [user.username],
    );
    expect(lockout[0]).toEqual({ subject_id: user.id, subject_agency_id: agency.id });

    await sleep(2_200);
    await attempt(user.username, FACTORY_PASSWORD).expect(200);
  });

  it('a success resets the count', async () => {
    const user = await createUser(db, agency);
    await attempt(user.username, 'wrong password one').expect(401);
    await attempt(user.username, 'wrong password two').expect(401);
    await attempt(user.username, FACTORY_PASSWORD).expect(200);
    await attempt(user.username, 'wrong password three').expect(401);
    await attempt(user.username, FACTORY_PASSWORD).expect(200);
  });

  it('locks names that do not exist exactly like names that do (no enumeration)', async () => {
    for (let i = 0; i < 3; i++) await attempt('no.such.user', `wrong password ${i}!`).expect(401);
    expect((await attempt('no.such.user', 'anything at all').expect(429)).body.code).toBe('account_locked');
    const rows = await db.query(
      `SELECT count(*)::int AS n FROM access_log WHERE event = 'auth.lockout' AND actor_username = 'no.such.user'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('keeps the lockout in the database, for every service process', async () => {
    const user = await createUser(db, agency);
    for (let i = 0; i < 3; i++) await attempt(user.username, `wrong password ${i}!`).expect(401);
    const second = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_SECONDS: '2' },
    });
    try {
      await request(second.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: FACTORY_PASSWORD })
        .expect(429);
    } finally {
      await second.close();
    }
  });
});

describe('login rate limits', () => {
  let database: TestDatabase;
  let agency: TestAgency;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('per client IP', async () => {
    const app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_RATE_LIMIT_PER_IP: '3', LOGIN_LOCKOUT_THRESHOLD: '100' },
    });
    try {
      const db = dataSourceOf(app);
      agency = await createAgency(db);
      const user = await createUser(db, agency);
      for (let i = 0; i < 3; i++) {
        await request(app.getHttpServer())
          .post('/api/v1/auth/login')
          .send({ username: `someone.${i}`, password: 'wrong password here' })
          .expect(401);
      }
      const limited = await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: FACTORY_PASSWORD })
        .expect(429);
      expect(limited.body).toMatchObject({ code: 'login_rate_limited' });
      const rows = await db.query(
        `SELECT outcome, details->>'limitedBy' AS by FROM access_log WHERE event = 'auth.login_throttled'`,
      );
      expect(rows).toEqual([{ outcome: 'denied', by: 'ip' }]);
    } finally {
      await app.close();
    }
  });

  it('per account name', async () => {
    const app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_RATE_LIMIT_PER_ACCOUNT: '2', LOGIN_LOCKOUT_THRESHOLD: '100' },
    });
    try {
      const db = dataSourceOf(app);
      const user = await createUser(db, agency);
      const other = await createUser(db, agency);
      await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: 'wrong password here' })
        .expect(401);
      await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: user.username.toUpperCase(), password: 'wrong again here' })
        .expect(401);
      await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: FACTORY_PASSWORD })
        .expect(429);
      await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: other.username, password: FACTORY_PASSWORD })
        .expect(200);
    } finally {
      await app.close();
    }
  });
});
