import { createHash } from 'node:crypto';

import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { RequestContext } from '../../src/common/request-context.js';
import { Ctx } from '../../src/identity/auth.decorators.js';
import { IdentityModule } from '../../src/identity/identity.module.js';
import type { SignatureMeaning, SignatureRecord, SigningRole } from '../../src/identity/signing/signature.js';
import { SigningService } from '../../src/identity/signing/signing.service.js';
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
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

interface SignBody {
  password: string;
  meaning: SignatureMeaning;
  eventHash: string;
  role: SigningRole;
}

/** Stands in for a signed custody action (a transfer release): signs, stores nothing. */
@Controller('test-signatures')
class SignatureProbeController {
  constructor(private readonly signing: SigningService) {}

  @Post()
  @HttpCode(200)
  sign(@Ctx() ctx: RequestContext, @Body() body: SignBody): Promise<SignatureRecord> {
    return this.signing.sign(ctx, body.password, body.meaning, body.eventHash, { role: body.role });
  }
}

@Module({ imports: [IdentityModule], controllers: [SignatureProbeController] })
class SignatureProbeModule {}

const eventHash = createHash('sha256').update('{"type":"transfer.released"}').digest('hex');

describe('electronic signatures', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let agency: TestAgency;
  let adminSession: Session;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      imports: [SignatureProbeModule],
      env: {
        LOGIN_RATE_LIMIT_PER_IP: '10000',
        TRUST_PROXY: 'true',
        PASSWORD_THROTTLE_FREE_FAILURES: '3',
        PASSWORD_THROTTLE_FIRST_DELAY_SECONDS: '60',
      },
    });
    db = dataSourceOf(app);
    agency = await createAgency(db, { code: 'ES-PN' });
    adminSession = await login(app, await createUser(db, agency, { roles: ['admin'] }));
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const sign = (session: Session, body: Partial<SignBody>): request.Test =>
    request(app.getHttpServer())
      .post('/api/v1/test-signatures')
      .set(bearer(session))
      .send({ password: FACTORY_PASSWORD, meaning: 'released', eventHash, role: 'officer', ...body });

  it('re-checks the password and returns the signature record of docs/design.md §3', async () => {
    const officer = await createUser(db, agency, { roles: ['officer'], displayName: 'Ana García' });
    const response = await sign(await login(app, officer), {}).expect(200);
    expect(response.body).toEqual({
      signerId: officer.id,
      username: officer.username,
      printedName: 'Ana García',
      agency: 'ES-PN',
      role: 'officer',
      meaning: 'released',
      signedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      eventHash,
    });
    const rows = await db.query(
      `SELECT outcome, details->>'eventHash' AS hash FROM access_log WHERE event = 'signature.sign' AND actor_user_id = $1`,
      [officer.id],
    );
    expect(rows).toEqual([{ outcome: 'success', hash: eventHash }]);
  });

  it('a wrong password is a 401 problem, is logged, and delays this signer from this client only', async () => {
    const officer: TestUser = await createUser(db, agency, { roles: ['officer'] });
    const session = await login(app, officer);
    const wrong = await sign(session, { password: 'not my password!' }).expect(401);
    expect(wrong.body).toMatchObject({ code: 'signature_password_invalid', status: 401 });
    // The session is not ended by a mistyped signature password.
    await request(app.getHttpServer()).get('/api/v1/auth/me').set(bearer(session)).expect(200);
    await sign(session, { password: 'still not it!!' }).expect(401);
    await sign(session, { password: 'third time wrong' }).expect(401);
    await sign(session, { password: 'fourth time wrong' }).expect(401);
    expect((await sign(session, {}).expect(429)).body.code).toBe('password_throttled');
    // The account is not locked: from another client its owner logs in.
    await request(app.getHttpServer())
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '198.51.100.23')
      .send({ username: officer.username, password: FACTORY_PASSWORD })
      .expect(200);
    const rows = await db.query(
      `SELECT event, outcome FROM access_log WHERE actor_user_id = $1 AND event = 'signature.sign' ORDER BY id`,
      [officer.id],
    );
    expect(rows).toEqual([
      { event: 'signature.sign', outcome: 'failure' },
      { event: 'signature.sign', outcome: 'failure' },
      { event: 'signature.sign', outcome: 'failure' },
      { event: 'signature.sign', outcome: 'failure' },
      { event: 'signature.sign', outcome: 'denied' },
    ]);
  });

  it('an administrator who reset a password cannot sign as the user, even with the password they set', async () => {
    const officer = await createUser(db, agency, { roles: ['officer'] });
    await request(app.getHttpServer())
      .post(`/api/v1/users/${officer.id}/password`)
      .set(bearer(adminSession))
      .send({ password: 'Set by the admin 2026!' })
      .expect(200);
    // The admin logs in as the user with the password they chose ...
    const hijacked = await login(app, { username: officer.username, password: 'Set by the admin 2026!' });
    // ... and can neither act nor sign.
    const refused = await sign(hijacked, { password: 'Set by the admin 2026!' }).expect(403);
    expect(refused.body.code).toBe('password_change_required');
    const rows = await db.query(
      `SELECT count(*)::int AS n FROM access_log WHERE event = 'signature.sign' AND outcome = 'success' AND actor_user_id = $1`,
      [officer.id],
    );
    expect(rows[0].n).toBe(0);
    // Once the user has chosen their own password, they sign with it.
    await request(app.getHttpServer())
      .post('/api/v1/auth/password')
      .set(bearer(hijacked))
      .send({ currentPassword: 'Set by the admin 2026!', newPassword: 'Chosen by me alone 4417' })
      .expect(200);
    await sign(hijacked, { password: 'Set by the admin 2026!' }).expect(401);
    await sign(hijacked, { password: 'Chosen by me alone 4417' }).expect(200);
  });

  it('SigningService refuses a user with an administrator-set password even if the route lets them through', async () => {
    const officer = await createUser(db, agency, {
      roles: ['officer'],
      mustChangePassword: true,
      password: 'Admin chosen temporary 1',
    });
    const signing = app.get(SigningService);
    const ctx: RequestContext = {
      actor: {
        id: officer.id,
        username: officer.username,
        displayName: officer.displayName,
        agencyId: agency.id,
        agencyCode: 'ES-PN',
        roles: ['officer'],
      },
      requestId: 'direct',
      ip: null,
    };
    await expect(
      signing.sign(ctx, 'Admin chosen temporary 1', 'released', eventHash, { role: 'officer' }),
    ).rejects.toMatchObject({
      code: 'signature_password_change_required',
    });
  });

  it('the signing role must be held, and administrators sign nothing', async () => {
    const clerk = await createUser(db, agency, { roles: ['clerk'] });
    expect((await sign(await login(app, clerk), { role: 'officer' }).expect(403)).body.code).toBe(
      'signature_role_missing',
    );
    await sign(await login(app, clerk), { role: 'clerk', meaning: 'received' }).expect(200);
    expect((await sign(adminSession, { role: 'admin' as SigningRole }).expect(403)).body.code).toBe(
      'signature_not_allowed',
    );
  });

  it('binds a SHA-256 hex of the event and a known meaning', async () => {
    const officer = await createUser(db, agency, { roles: ['officer'] });
    const session = await login(app, officer);
    expect((await sign(session, { eventHash: 'ABC' }).expect(400)).body.code).toBe('signature_event_hash_invalid');
    expect((await sign(session, { meaning: 'approved' as SignatureMeaning }).expect(400)).body.code).toBe(
      'signature_meaning_invalid',
    );
  });
});
