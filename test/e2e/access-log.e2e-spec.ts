import { createHash } from 'node:crypto';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { ACCESS_LOG_EVENTS } from '../../src/access-log/access-log-events.js';
import { AccessLogService } from '../../src/access-log/access-log.service.js';
import type { RequestContext } from '../../src/common/request-context.js';
import { SigningService } from '../../src/identity/signing/signing.service.js';
import { generateCosignerKeys } from '../../src/ledger/core/index.js';
import { LedgerMonitorService } from '../../src/ledger/ledger-monitor.service.js';
import { LedgerWitnessingService } from '../../src/ledger/witnessing/ledger-witnessing.service.js';
import { createCase } from '../factories/case.factory.js';
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

interface LogEntry {
  id: string;
  event: string;
  outcome: string;
  actor: { id: string | null; username: string | null; agencyId: string | null };
  subject: { type: string; id: string; label: string | null; agencyId: string | null } | null;
  caseId: string | null;
  ip: string | null;
  requestId: string | null;
  occurredAt: string;
}

describe('access log', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let argentina: TestAgency;
  let auditorSession: Session;
  let foreignAuditorSession: Session;
  let platformSession: Session;
  let officer: TestUser;
  let foreignCaseId: string;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const post = (session: Session, path: string, body: object): request.Test =>
    api().post(path).set(bearer(session)).send(body);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: {
        LOGIN_RATE_LIMIT_PER_IP: '10000',
        PASSWORD_THROTTLE_FREE_FAILURES: '3',
        PASSWORD_THROTTLE_FIRST_DELAY_SECONDS: '600',
        // A witness nobody runs: a witnessing round records ledger.witness_refused.
        LEDGER_WITNESSES: `http://127.0.0.1:9 ${generateCosignerKeys('witness.test/absent').verifierKey}`,
        LEDGER_WITNESS_INTERVAL_MS: '86400000',
      },
    });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN' });
    argentina = await createAgency(db, { code: 'AR-PFA', country: 'AR' });
    auditorSession = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
    foreignAuditorSession = await login(app, await createUser(db, argentina, { roles: ['auditor'] }));
    platformSession = await login(app, await createUser(db, null, { roles: ['admin'], platformAdmin: true }));
    const adminSession = await login(app, await createUser(db, spain, { roles: ['admin'] }));
    officer = await createUser(db, spain, { roles: ['officer'] });
    foreignCaseId = (await createCase(db, argentina.id, (await createUser(db, argentina)).id)).id;

    // Every event of the catalogue, through the API where there is one.
    const session = await login(app, officer); // auth.login success
    await api()
      .post('/api/v1/auth/login')
      .send({ username: officer.username, password: 'not the password' })
      .expect(401); // auth.login failure
    const victim = await createUser(db, spain);
    for (let i = 0; i < 4; i++)
      await api()
        .post('/api/v1/auth/login')
        .send({ username: victim.username, password: `wrong ${i} password` });
    await api().post('/api/v1/auth/login').send({ username: victim.username, password: FACTORY_PASSWORD }); // auth.login_throttled
    const refreshed = (
      await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200)
    ).body as Session; // auth.refresh
    await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401); // auth.refresh_reuse
    await api().get('/api/v1/auth/me').set(bearer(refreshed)).expect(401); // auth.token_rejected (session ended)
    const officerSession = await login(app, officer);
    await post(officerSession, '/api/v1/auth/password', {
      currentPassword: FACTORY_PASSWORD,
      newPassword: 'Officer picked a new one 1',
    }).expect(200); // auth.password_change
    await api().get('/api/v1/users').set(bearer(officerSession)).expect(403); // auth.access_denied
    const created = (
      await post(adminSession, '/api/v1/users', {
        username: 'log.subject',
        displayName: 'Log Subject',
        roles: ['clerk'],
      }).expect(201)
    ).body; // user.create
    await api()
      .patch(`/api/v1/users/${created.id}`)
      .set(bearer(adminSession))
      .send({ displayName: 'Renamed Subject' })
      .expect(200); // user.update
    await api()
      .patch(`/api/v1/users/${created.id}`)
      .set(bearer(adminSession))
      .send({ roles: ['examiner'] })
      .expect(200); // user.roles_change
    await api().patch(`/api/v1/users/${created.id}`).set(bearer(adminSession)).send({ active: false }).expect(200); // user.disable
    await api().patch(`/api/v1/users/${created.id}`).set(bearer(adminSession)).send({ active: true }).expect(200); // user.enable
    await post(adminSession, `/api/v1/users/${created.id}/password`, { password: 'A temporary passphrase 5' }).expect(
      200,
    ); // user.password_reset
    await post(platformSession, '/api/v1/agencies', { code: 'ES-GC', name: 'Guardia Civil', country: 'ES' }).expect(
      201,
    ); // agency.create
    await api().patch('/api/v1/agencies/ES-GC').set(bearer(platformSession)).send({ language: 'en' }).expect(200); // agency.update
    const newCase = (
      await post(officerSession, '/api/v1/cases', { caseNumber: 'LOG-1', title: 'Logged case' }).expect(201)
    ).body; // case.create
    await api().get(`/api/v1/cases/${newCase.id}`).set(bearer(officerSession)).expect(200); // case.read
    await api().get(`/api/v1/cases/${foreignCaseId}`).set(bearer(officerSession)).expect(404); // case.access_denied
    const share = (
      await post(officerSession, `/api/v1/cases/${newCase.id}/shares`, { agencyCode: 'AR-PFA', access: 'read' }).expect(
        201,
      )
    ).body; // case.share
    await api().delete(`/api/v1/cases/${newCase.id}/shares/${share.id}`).set(bearer(officerSession)).expect(200); // case.share_revoke
    await post(officerSession, `/api/v1/cases/${newCase.id}/close`, { reason: 'Logged closure' }).expect(200); // case.close
    await post(officerSession, `/api/v1/cases/${newCase.id}/reopen`, { reason: 'Logged reopening' }).expect(200); // case.reopen
    await post(adminSession, '/api/v1/ledger/verifications', {}).expect(202); // ledger.verify
    await app.get(LedgerWitnessingService).witnessNow(); // ledger.witness_refused
    // Not reachable over HTTP yet: signatures (custody actions) and reads of custody records.
    const ctx: RequestContext = {
      actor: {
        id: officer.id,
        username: officer.username,
        displayName: officer.displayName,
        agencyId: spain.id,
        agencyCode: 'ES-PN',
        roles: ['officer'],
      },
      requestId: 'later-feature',
      ip: '203.0.113.7',
    };
    await app
      .get(SigningService)
      .sign(ctx, 'Officer picked a new one 1', 'released', createHash('sha256').update('e').digest('hex'), {
        role: 'officer',
      }); // signature.sign
    const accessLog = app.get(AccessLogService);
    for (const what of ['custody_history', 'bundle', 'report'] as const) {
      await accessLog.logRead(ctx, what, {
        type: 'case',
        id: newCase.id,
        label: 'LOG-1',
        caseId: newCase.id,
        caseAgencyId: spain.id,
      });
    }
    await api()
      .post('/api/v1/auth/logout')
      .set(bearer(await login(app, await createUser(db, spain))))
      .expect(204); // auth.logout
    await api().get('/api/v1/access-log?limit=1').set(bearer(auditorSession)).expect(200); // access_log.read
    // ledger.integrity_alarm: raised by the service itself (no agency), as the monitor does on a
    // difference in a state table; a non-structural one, so the reads below still work.
    await app
      .get(LedgerMonitorService)
      .alarm({ kind: 'item_state', index: null, reason: 'raised by the access-log test', source: 'monitor' });
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  async function readAll(session: Session, query = ''): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await api()
        .get(`/api/v1/access-log?limit=50${query}${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(session))
        .expect(200);
      entries.push(...(page.body.entries as LogEntry[]));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return entries;
  }

  it('records every event of the catalogue, each visible to the auditors of the agency concerned', async () => {
    const spanish = await readAll(auditorSession);
    const seen = new Set(spanish.map((entry) => entry.event));
    // agency.create by a platform admin concerns the new agency; the integrity alarm and the witness
    // refusals are the service's own (no agency): platform administrators read both. Everything else concerns ES-PN.
    // auth.lockout names rows written before ADR 0016 (nothing locks an account any more).
    const platformEvents = ['agency.create', 'agency.update', 'ledger.integrity_alarm', 'ledger.witness_refused'];
    expect(
      ACCESS_LOG_EVENTS.filter(
        (event) => !seen.has(event) && !platformEvents.includes(event) && event !== 'auth.lockout',
      ),
    ).toEqual([]);
    const platform = await readAll(platformSession);
    expect(platform.map((entry) => entry.event)).toEqual(expect.arrayContaining(platformEvents));
  });

  it('says who, what, when, from where and with what outcome', async () => {
    const [failure] = await readAll(auditorSession, `&event=auth.login&outcome=failure&username=${officer.username}`);
    expect(failure).toMatchObject({
      event: 'auth.login',
      outcome: 'failure',
      actor: { id: officer.id, username: officer.username, agencyId: spain.id },
      ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      requestId: expect.any(String),
    });
    expect(Date.parse(failure.occurredAt)).toBeGreaterThan(Date.now() - 120_000);
    const [roles] = await readAll(auditorSession, '&event=user.roles_change');
    expect(roles.subject).toMatchObject({ type: 'user', label: 'log.subject', agencyId: spain.id });
    expect(roles.actor.username).not.toBe('log.subject'); // the admin who did it, and the user it was done to
    const [reads] = await readAll(auditorSession, '&event=report.read');
    expect(reads).toMatchObject({ actor: { id: officer.id }, caseId: expect.any(String), ip: '203.0.113.7' });
  });

  it('shows an agency its own rows only', async () => {
    const argentinian = await readAll(foreignAuditorSession);
    const spanishIds = new Set((await readAll(auditorSession)).map((entry) => entry.id));
    for (const entry of argentinian) {
      expect([entry.actor.agencyId, entry.subject?.agencyId]).toContain(argentina.id);
    }
    // The Argentine auditors see that someone outside their agency asked for their case …
    const denied = argentinian.filter((entry) => entry.event === 'case.access_denied');
    expect(denied).toHaveLength(1);
    expect(denied[0].caseId).toBe(foreignCaseId);
    expect(spanishIds.has(denied[0].id)).toBe(true);
    // … and the share of a Spanish case with them is not theirs to audit.
    expect(argentinian.some((entry) => entry.event === 'case.share')).toBe(false);
  });

  it('is for auditors (and platform administrators) only', async () => {
    const officerSession = await login(app, { username: officer.username, password: 'Officer picked a new one 1' });
    expect((await api().get('/api/v1/access-log').set(bearer(officerSession)).expect(403)).body.code).toBe(
      'role_forbidden',
    );
    const agencyAdmin = await login(app, await createUser(db, spain, { roles: ['admin'] }));
    expect((await api().get('/api/v1/access-log').set(bearer(agencyAdmin)).expect(403)).body.code).toBe(
      'access_log_forbidden',
    );
    await api().get('/api/v1/access-log').expect(401);
  });

  it('pages newest first with an opaque cursor and filters', async () => {
    const first = await api().get('/api/v1/access-log?limit=3').set(bearer(auditorSession)).expect(200);
    const second = await api()
      .get(`/api/v1/access-log?limit=3&cursor=${first.body.nextCursor}`)
      .set(bearer(auditorSession))
      .expect(200);
    const ids = [...first.body.entries, ...second.body.entries].map((entry: LogEntry) => Number(entry.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(6);
    const onlyCases = await readAll(auditorSession, '&event=case.create');
    expect(onlyCases.every((entry) => entry.event === 'case.create')).toBe(true);
    await api().get('/api/v1/access-log?event=made.up').set(bearer(auditorSession)).expect(400);
    expect((await api().get('/api/v1/access-log?cursor=xyz').set(bearer(auditorSession)).expect(400)).body.code).toBe(
      'cursor_invalid',
    );
  });
});
