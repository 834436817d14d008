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

describe('password throttling per (account, client): growing delays, never a locked account', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let agency: TestAgency;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Small numbers so the test is quick; the defaults are 3 free failures, then 2 s doubling to 15 minutes.
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: {
        TRUST_PROXY: 'true',
        PASSWORD_THROTTLE_FREE_FAILURES: '3',
        PASSWORD_THROTTLE_FIRST_DELAY_SECONDS: '1',
        PASSWORD_THROTTLE_MAX_DELAY_SECONDS: '4',
        LOGIN_RATE_LIMIT_PER_IP: '10000',
      },
    });
    db = dataSourceOf(app);
    agency = await createAgency(db);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const CLIENT_A = '203.0.113.7';
  const CLIENT_B = '198.51.100.23';
  const attempt = (username: string, password: string, client = CLIENT_A): request.Test =>
    request(app.getHttpServer()).post('/api/v1/auth/login').set('X-Forwarded-For', client).send({ username, password });
  /** Lets the current delay pass without waiting for it: the test is about the counting. */
  const skipDelay = (): Promise<unknown> => db.query(`UPDATE password_throttle SET delayed_until = now()`);

  it('wrong passwords from client A do not keep the owner out from client B', async () => {
    const user = await createUser(db, agency);
    for (let i = 1; i <= 6; i++) {
      await attempt(user.username, `wrong password ${i}!`).expect(401);
      await skipDelay();
    }
    await attempt(user.username, 'wrong password 7!').expect(401);
    // Client A now waits, even with the right password, and is told how long (Retry-After, problem+json).
    const delayed = await attempt(user.username, FACTORY_PASSWORD).expect(429);
    expect(delayed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(delayed.body).toMatchObject({ code: 'password_throttled', status: 429 });
    expect(delayed.headers['retry-after']).toBe(String(delayed.body.retryAfterSeconds));
    expect(delayed.body.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // The owner, elsewhere, is not affected.
    await attempt(user.username, FACTORY_PASSWORD, CLIENT_B).expect(200);
    const throttled = await db.query(
      `SELECT outcome, details->>'limitedBy' AS by FROM access_log WHERE event = 'auth.login_throttled' AND actor_username = $1`,
      [user.username],
    );
    expect(throttled).toEqual([{ outcome: 'denied', by: 'failures' }]);
  });

  it('the delays grow: none for the first failures, then doubling up to the cap', async () => {
    const user = await createUser(db, agency);
    for (let i = 1; i <= 7; i++) {
      await attempt(user.username, `wrong password ${i}!`).expect(401);
      await skipDelay();
    }
    const rows = await db.query<Array<{ delay: string }>>(
      `SELECT details->>'delaySeconds' AS delay FROM access_log
        WHERE event = 'auth.login' AND outcome = 'failure' AND actor_username = $1 ORDER BY id`,
      [user.username],
    );
    expect(rows.map((row) => Number(row.delay))).toEqual([0, 0, 0, 1, 2, 4, 4]);
  });

  it('the delay ends by itself, and a success resets the count', async () => {
    const user = await createUser(db, agency);
    for (let i = 1; i <= 4; i++) await attempt(user.username, `wrong password ${i}!`).expect(401);
    await attempt(user.username, FACTORY_PASSWORD).expect(429);
    await sleep(1_200);
    await attempt(user.username, FACTORY_PASSWORD).expect(200);
    for (let i = 1; i <= 3; i++) await attempt(user.username, `wrong password ${i}!`).expect(401);
    await attempt(user.username, FACTORY_PASSWORD).expect(200);
  });

  it('throttles names that do not exist exactly like names that do (no enumeration)', async () => {
    for (let i = 0; i < 4; i++) await attempt('no.such.user', `wrong password ${i}!`).expect(401);
    expect((await attempt('no.such.user', 'anything at all').expect(429)).body.code).toBe('password_throttled');
  });

  it('keeps the delays in the database, for every service process', async () => {
    const user = await createUser(db, agency);
    for (let i = 0; i < 4; i++) await attempt(user.username, `wrong password ${i}!`).expect(401);
    await db.query(`UPDATE password_throttle SET delayed_until = now() + interval '60 seconds'`);
    const second = await createTestApp({ databaseUrl: database.appUrl, env: { TRUST_PROXY: 'true' } });
    try {
      await request(second.getHttpServer())
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', CLIENT_A)
        .send({ username: user.username, password: FACTORY_PASSWORD })
        .expect(429);
      await request(second.getHttpServer())
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', CLIENT_B)
        .send({ username: user.username, password: FACTORY_PASSWORD })
        .expect(200);
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
      env: { LOGIN_RATE_LIMIT_PER_IP: '3' },
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

  it('not per account name alone: anyone could spend that and keep the owner out', async () => {
    const app = await createTestApp({ databaseUrl: database.appUrl, env: { TRUST_PROXY: 'true' } });
    try {
      const db = dataSourceOf(app);
      const user = await createUser(db, agency);
      for (let i = 0; i < 30; i++) {
        await request(app.getHttpServer())
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', `192.0.2.${i + 1}`)
          .send({ username: user.username, password: `wrong password ${i}` })
          .expect(401);
      }
      await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '198.51.100.99')
        .send({ username: user.username, password: FACTORY_PASSWORD })
        .expect(200);
    } finally {
      await app.close();
    }
  });
});
