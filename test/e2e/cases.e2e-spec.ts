import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session, type TestAgency } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

describe('cases and sharing', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let argentina: TestAgency;
  let officer: Session;
  let argentineOfficer: Session;
  let argentineClerk: Session;
  let prosecutorUsername: string;
  let prosecutor: Session;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN' });
    argentina = await createAgency(db, { code: 'AR-PFA', country: 'AR' });
    const prosecutorAgency = await createAgency(db, { code: 'AR-MPF', country: 'AR' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    argentineOfficer = await login(app, await createUser(db, argentina, { roles: ['officer'] }));
    argentineClerk = await login(app, await createUser(db, argentina, { roles: ['clerk'] }));
    const prosecutorUser = await createUser(db, prosecutorAgency, { roles: ['prosecutor'] });
    prosecutorUsername = prosecutorUser.username;
    prosecutor = await login(app, prosecutorUser);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('opens a case of the officer’s agency; case numbers are unique per agency', async () => {
    const created = await api()
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'DIL-2026/0142', title: 'Operación Tormenta', legalAuthority: ['JI-7 Madrid 118/2026'] })
      .expect(201);
    expect(created.body).toMatchObject({
      caseNumber: 'DIL-2026/0142',
      title: 'Operación Tormenta',
      legalAuthority: ['JI-7 Madrid 118/2026'],
      status: 'open',
      agency: { code: 'ES-PN' },
      access: 'contribute',
      shared: false,
    });
    expect((await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'dil-2026/0142', title: 'Again' }).expect(409)).body.code).toBe(
      'case_number_taken',
    );
    // Another agency may use the same number.
    await api().post('/api/v1/cases').set(bearer(argentineOfficer)).send({ caseNumber: 'DIL-2026/0142', title: 'Homonym' }).expect(201);
    await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'X-1', title: 'T', extra: 1 }).expect(400);
    await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'X-2', title: 'bad\u0000title' }).expect(400);
  });

  it('shares cross-border with an agency, then revokes: the revocation stays on record', async () => {
    const theCase = (await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'SHARE-1', title: 'Cross-border' }).expect(201)).body;
    await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(argentineClerk)).expect(404);
    const share = await api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).send({ agencyCode: 'AR-PFA', access: 'contribute' }).expect(201);
    expect(share.body).toMatchObject({ grantee: { type: 'agency', agency: { code: 'AR-PFA' } }, access: 'contribute', status: 'active', revokedAt: null });
    const seen = await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(argentineClerk)).expect(200);
    expect(seen.body).toMatchObject({ access: 'contribute', shared: true });
    expect((await api().get('/api/v1/cases').set(bearer(argentineClerk)).expect(200)).body.cases.map((c: { id: string }) => c.id)).toContain(theCase.id);
    expect((await api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).send({ agencyCode: 'AR-PFA', access: 'read' }).expect(409)).body.code).toBe(
      'case_share_exists',
    );
    // A contributor elsewhere cannot pass the case on.
    expect(
      (await api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(argentineOfficer)).send({ agencyCode: 'AR-MPF', access: 'read' }).expect(403)).body.code,
    ).toBe('case_share_forbidden');

    const revoked = await api().delete(`/api/v1/cases/${theCase.id}/shares/${share.body.id}`).set(bearer(officer)).expect(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedBy: expect.any(String), revokedAt: expect.any(String) });
    await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(argentineClerk)).expect(404);
    expect((await api().delete(`/api/v1/cases/${theCase.id}/shares/${share.body.id}`).set(bearer(officer)).expect(409)).body.code).toBe('case_share_revoked');
    const shares = await api().get(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).expect(200);
    expect(shares.body.shares).toHaveLength(1);
    expect(shares.body.shares[0].status).toBe('revoked');
    const rows = await db.query('SELECT count(*)::int AS n FROM case_share WHERE case_id = $1', [theCase.id]);
    expect(rows[0].n).toBe(1);
    // Shared again later: a new share, the old one untouched.
    await api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).send({ agencyCode: 'AR-PFA', access: 'read' }).expect(201);
    expect((await api().get(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).expect(200)).body.shares.map((s: { status: string }) => s.status)).toEqual([
      'revoked',
      'active',
    ]);
  });

  it('shares read-only with one prosecutor of another agency', async () => {
    const theCase = (await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'SHARE-2', title: 'For the prosecutor' }).expect(201)).body;
    await api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).send({ username: prosecutorUsername, access: 'read' }).expect(201);
    expect((await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(prosecutor)).expect(200)).body.access).toBe('read');
    expect((await api().get(`/api/v1/cases/${theCase.id}/shares`).set(bearer(prosecutor)).expect(403)).body.code).toBe('case_share_forbidden');
  });

  it('refuses meaningless shares', async () => {
    const theCase = (await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'SHARE-3', title: 'Bad shares' }).expect(201)).body;
    const share = (body: object): request.Test => api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).send(body);
    expect((await share({ agencyCode: 'ES-PN', access: 'read' }).expect(400)).body.code).toBe('case_share_invalid');
    expect((await share({ agencyCode: 'FR-NONE', access: 'read' }).expect(400)).body.code).toBe('share_grantee_unknown');
    expect((await share({ username: 'nobody.at.all', access: 'read' }).expect(400)).body.code).toBe('share_grantee_unknown');
    await share({ access: 'read' }).expect(400);
    await share({ agencyCode: 'AR-PFA', username: prosecutorUsername, access: 'read' }).expect(400);
    await share({ agencyCode: 'AR-PFA', access: 'write' }).expect(400);
  });

  it('lists newest first with a cursor and a status filter', async () => {
    const fresh = await login(app, await createUser(db, await createAgency(db), { roles: ['officer'] }));
    for (let i = 0; i < 5; i++) await api().post('/api/v1/cases').set(bearer(fresh)).send({ caseNumber: `P-${i}`, title: `Page ${i}` }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await api()
        .get(`/api/v1/cases?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(fresh))
        .expect(200);
      seen.push(...page.body.cases.map((c: { caseNumber: string }) => c.caseNumber));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(['P-4', 'P-3', 'P-2', 'P-1', 'P-0']);
    expect((await api().get('/api/v1/cases?status=closed').set(bearer(fresh)).expect(200)).body.cases).toEqual([]);
    expect((await api().get('/api/v1/cases?cursor=abc').set(bearer(fresh)).expect(400)).body.code).toBe('cursor_invalid');
  });

  it('treats a malformed case id like a missing case', async () => {
    const response = await api().get('/api/v1/cases/123').set(bearer(officer)).expect(404);
    expect(response.body.code).toBe('case_not_found');
  });
});
