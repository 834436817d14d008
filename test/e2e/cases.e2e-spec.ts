import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { formatBundleVerification, verifyBundle } from '../../src/bundles/bundle-verifier.js';
import { accept, phone, release, seize } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestAgency,
} from '../factories/identity.factory.js';
import { expectRefused } from '../utils/custody-state.js';
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
    expect(
      (
        await api()
          .post('/api/v1/cases')
          .set(bearer(officer))
          .send({ caseNumber: 'dil-2026/0142', title: 'Again' })
          .expect(409)
      ).body.code,
    ).toBe('case_number_taken');
    // Another agency may use the same number.
    await api()
      .post('/api/v1/cases')
      .set(bearer(argentineOfficer))
      .send({ caseNumber: 'DIL-2026/0142', title: 'Homonym' })
      .expect(201);
    await api()
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'X-1', title: 'T', extra: 1 })
      .expect(400);
    await api()
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'X-2', title: 'bad\u0000title' })
      .expect(400);
  });

  it('refuses blank, over-long (in characters, as the database counts them) or invisible case fields as 400s, and trims what it keeps', async () => {
    const open = (body: object): request.Test => api().post('/api/v1/cases').set(bearer(officer)).send(body);
    await expectRefused(db, () => open({ caseNumber: '   ', title: 'Blank number' }), 400, 'validation_failed', [
      'caseNumber',
    ]);
    await expectRefused(
      db,
      () => open({ caseNumber: 'VS-1', title: 'a\uFE0F'.repeat(150) }),
      400,
      'validation_failed',
      ['title'],
    );
    await expectRefused(db, () => open({ caseNumber: 'VS-2', title: 'Bidi \u202Etrick' }), 400, 'validation_failed', [
      'title',
    ]);
    await expectRefused(
      db,
      () => open({ caseNumber: 'LA-1', title: 'Blank warrant', legalAuthority: ['  '] }),
      400,
      'validation_failed',
      ['legalAuthority'],
    );
    await expectRefused(
      db,
      () => open({ caseNumber: 'LA-2', title: 'Null warrants', legalAuthority: null }),
      400,
      'validation_failed',
      ['legalAuthority'],
    );
    await expectRefused(
      db,
      () =>
        open({ caseNumber: 'LA-3', title: 'Too many', legalAuthority: Array.from({ length: 21 }, (_, i) => `W-${i}`) }),
      400,
      'validation_failed',
      ['legalAuthority'],
    );
    const created = await open({
      caseNumber: '  TRIM-1 ',
      title: ' Trimmed  ',
      legalAuthority: [' JI-1 Madrid 1/2026 '],
    }).expect(201);
    expect(created.body).toMatchObject({
      caseNumber: 'TRIM-1',
      title: 'Trimmed',
      legalAuthority: ['JI-1 Madrid 1/2026'],
    });
  });

  it('shares cross-border with an agency, then revokes: the revocation stays on record', async () => {
    const theCase = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'SHARE-1', title: 'Cross-border' })
        .expect(201)
    ).body;
    await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(argentineClerk)).expect(404);
    const share = await api()
      .post(`/api/v1/cases/${theCase.id}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'AR-PFA', access: 'contribute' })
      .expect(201);
    expect(share.body).toMatchObject({
      grantee: { type: 'agency', agency: { code: 'AR-PFA' } },
      access: 'contribute',
      status: 'active',
      revokedAt: null,
    });
    const seen = await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(argentineClerk)).expect(200);
    expect(seen.body).toMatchObject({ access: 'contribute', shared: true });
    expect(
      (await api().get('/api/v1/cases').set(bearer(argentineClerk)).expect(200)).body.cases.map(
        (c: { id: string }) => c.id,
      ),
    ).toContain(theCase.id);
    expect(
      (
        await api()
          .post(`/api/v1/cases/${theCase.id}/shares`)
          .set(bearer(officer))
          .send({ agencyCode: 'AR-PFA', access: 'read' })
          .expect(409)
      ).body.code,
    ).toBe('case_share_exists');
    // A contributor elsewhere cannot pass the case on.
    expect(
      (
        await api()
          .post(`/api/v1/cases/${theCase.id}/shares`)
          .set(bearer(argentineOfficer))
          .send({ agencyCode: 'AR-MPF', access: 'read' })
          .expect(403)
      ).body.code,
    ).toBe('case_share_forbidden');

    const revoked = await api()
      .delete(`/api/v1/cases/${theCase.id}/shares/${share.body.id}`)
      .set(bearer(officer))
      .expect(200);
    expect(revoked.body).toMatchObject({
      status: 'revoked',
      revokedBy: expect.any(String),
      revokedAt: expect.any(String),
    });
    await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(argentineClerk)).expect(404);
    expect(
      (await api().delete(`/api/v1/cases/${theCase.id}/shares/${share.body.id}`).set(bearer(officer)).expect(409)).body
        .code,
    ).toBe('case_share_revoked');
    const shares = await api().get(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).expect(200);
    expect(shares.body.shares).toHaveLength(1);
    expect(shares.body.shares[0].status).toBe('revoked');
    const rows = await db.query('SELECT count(*)::int AS n FROM case_share WHERE case_id = $1', [theCase.id]);
    expect(rows[0].n).toBe(1);
    // Shared again later: a new share, the old one untouched.
    await api()
      .post(`/api/v1/cases/${theCase.id}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'AR-PFA', access: 'read' })
      .expect(201);
    expect(
      (await api().get(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).expect(200)).body.shares.map(
        (s: { status: string }) => s.status,
      ),
    ).toEqual(['revoked', 'active']);
  });

  it('shares read-only with one prosecutor of another agency', async () => {
    const theCase = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'SHARE-2', title: 'For the prosecutor' })
        .expect(201)
    ).body;
    await api()
      .post(`/api/v1/cases/${theCase.id}/shares`)
      .set(bearer(officer))
      .send({ username: prosecutorUsername, access: 'read' })
      .expect(201);
    expect((await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(prosecutor)).expect(200)).body.access).toBe(
      'read',
    );
    expect((await api().get(`/api/v1/cases/${theCase.id}/shares`).set(bearer(prosecutor)).expect(403)).body.code).toBe(
      'case_share_forbidden',
    );
  });

  it('refuses meaningless shares', async () => {
    const theCase = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'SHARE-3', title: 'Bad shares' })
        .expect(201)
    ).body;
    const share = (body: object): request.Test =>
      api().post(`/api/v1/cases/${theCase.id}/shares`).set(bearer(officer)).send(body);
    expect((await share({ agencyCode: 'ES-PN', access: 'read' }).expect(400)).body.code).toBe('case_share_invalid');
    expect((await share({ agencyCode: 'FR-NONE', access: 'read' }).expect(400)).body.code).toBe(
      'share_grantee_unknown',
    );
    expect((await share({ username: 'nobody.at.all', access: 'read' }).expect(400)).body.code).toBe(
      'share_grantee_unknown',
    );
    await share({ access: 'read' }).expect(400);
    await share({ agencyCode: 'AR-PFA', username: prosecutorUsername, access: 'read' }).expect(400);
    await share({ agencyCode: 'AR-PFA', access: 'write' }).expect(400);
  });

  it('lists newest first with a cursor and a status filter', async () => {
    const fresh = await login(app, await createUser(db, await createAgency(db), { roles: ['officer'] }));
    for (let i = 0; i < 5; i++)
      await api()
        .post('/api/v1/cases')
        .set(bearer(fresh))
        .send({ caseNumber: `P-${i}`, title: `Page ${i}` })
        .expect(201);
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
    expect((await api().get('/api/v1/cases?cursor=abc').set(bearer(fresh)).expect(400)).body.code).toBe(
      'cursor_invalid',
    );
  });

  it('closes a case with a reason: no new seizures, custody goes on; reopening allows seizures again; both are in the ledger', async () => {
    const theCase = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'CLOSE-1', title: 'To be closed' })
        .expect(201)
    ).body;
    await api()
      .post(`/api/v1/cases/${theCase.id}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'AR-PFA', access: 'contribute' })
      .expect(201);
    await api()
      .post(`/api/v1/cases/${theCase.id}/shares`)
      .set(bearer(officer))
      .send({ username: prosecutorUsername, access: 'read' })
      .expect(201);
    const [seized] = await seize(app, officer, theCase.id, [phone()]);
    const reason = 'Judgment final (SAP Madrid 212/2027)\nEvidence retained until disposal is ordered';

    const closed = await api()
      .post(`/api/v1/cases/${theCase.id}/close`)
      .set(bearer(officer))
      .send({ reason: `  ${reason}  ` })
      .expect(200);
    expect(closed.body).toMatchObject({ id: theCase.id, status: 'closed', closeReason: reason });
    expect(Date.now() - Date.parse(closed.body.closedAt)).toBeLessThan(60_000);
    // The case view tells every reader when and why, a read-only prosecutor too.
    expect((await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(prosecutor)).expect(200)).body).toMatchObject({
      status: 'closed',
      closeReason: reason,
    });
    expect(
      (await api().get(`/api/v1/cases?status=closed`).set(bearer(officer)).expect(200)).body.cases.map(
        (c: { id: string }) => c.id,
      ),
    ).toContain(theCase.id);
    const [entry] = await db.query<Array<{ type: string; entry: Buffer }>>(
      `SELECT type, entry FROM ledger_entry WHERE case_id = $1 ORDER BY idx DESC LIMIT 1`,
      [theCase.id],
    );
    expect(entry.type).toBe('case.closed');
    expect(JSON.parse(entry.entry.toString('utf8'))).toMatchObject({
      data: { reason },
      actor: { username: officer.user.username },
      subject: { type: 'case', number: 'CLOSE-1' },
    });
    const logged = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM access_log WHERE event = 'case.close' AND case_id = $1`,
      [theCase.id],
    );
    expect(logged[0].n).toBe(1);

    // Closed: nothing new is registered in it, and closing again or by others changes nothing.
    await expectRefused(
      db,
      () =>
        api()
          .post(`/api/v1/cases/${theCase.id}/items`)
          .set(bearer(officer))
          .send({ items: [phone()] }),
      409,
      'case_closed',
    );
    await expectRefused(
      db,
      () => api().post(`/api/v1/cases/${theCase.id}/close`).set(bearer(officer)).send({ reason: 'Again' }),
      409,
      'case_closed',
    );
    await expectRefused(
      db,
      () => api().post(`/api/v1/cases/${theCase.id}/reopen`).set(bearer(argentineOfficer)).send({ reason: 'Mine now' }),
      403,
      'case_status_forbidden',
    );
    await expectRefused(
      db,
      () => api().post(`/api/v1/cases/${theCase.id}/reopen`).set(bearer(prosecutor)).send({ reason: 'Appeal' }),
      403,
      'role_forbidden',
    );
    // Custody goes on in a closed case: the phone is handed to the property room.
    const clerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
    await accept(app, clerk, await release(app, officer, [seized.id], clerk, 'Long-term storage after judgment'));

    // Reopened (an appeal): seizures are accepted again; reopening an open case is a conflict.
    const reopened = await api()
      .post(`/api/v1/cases/${theCase.id}/reopen`)
      .set(bearer(officer))
      .send({ reason: 'Appeal admitted' })
      .expect(200);
    expect(reopened.body).toMatchObject({ status: 'open', closedAt: null, closeReason: null });
    await expectRefused(
      db,
      () => api().post(`/api/v1/cases/${theCase.id}/reopen`).set(bearer(officer)).send({ reason: 'Again' }),
      409,
      'case_open',
    );
    await seize(app, officer, theCase.id, [phone()]);
    const types = await db.query<Array<{ type: string }>>(
      `SELECT type FROM ledger_entry WHERE case_id = $1 AND type LIKE 'case.%' ORDER BY idx`,
      [theCase.id],
    );
    expect(types.map((row) => row.type)).toEqual([
      'case.opened',
      'case.shared',
      'case.shared',
      'case.closed',
      'case.reopened',
    ]);
    // The case bundle tells it, as `custos verify` prints it.
    const bundle = await api().get(`/api/v1/cases/${theCase.id}/bundle`).set(bearer(prosecutor)).expect(200);
    const verified = verifyBundle(bundle.body as object);
    expect(verified.ok).toBe(true);
    const story = formatBundleVerification(verified);
    expect(story).toMatch(/case closed by [^\n]+: Judgment final \(SAP Madrid 212\/2027\)/);
    expect(story).toMatch(/case reopened by [^\n]+: Appeal admitted/);
  });

  it('refuses a status change without a reason, of an unknown case, or by a role that may not', async () => {
    const theCase = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'CLOSE-2', title: 'Stays open' })
        .expect(201)
    ).body;
    const close = (session: Session, body: unknown, id = theCase.id): request.Test =>
      api()
        .post(`/api/v1/cases/${id}/close`)
        .set(bearer(session))
        .send(body as object);
    await expectRefused(db, () => close(officer, {}), 400, 'validation_failed', ['reason']);
    await expectRefused(db, () => close(officer, { reason: '   ' }), 400, 'validation_failed', ['reason']);
    await expectRefused(db, () => close(officer, { reason: 'a\u202Eb' }), 400, 'validation_failed', ['reason']);
    await expectRefused(db, () => close(officer, { reason: 'x'.repeat(1001) }), 400, 'validation_failed', ['reason']);
    await expectRefused(db, () => close(officer, { reason: 'Done', status: 'closed' }), 400, 'validation_failed');
    await expectRefused(
      db,
      () => close(officer, { reason: 'Done' }, '00000000-0000-4000-8000-000000000000'),
      404,
      'case_not_found',
    );
    await expectRefused(db, () => close(argentineClerk, { reason: 'Done' }), 403, 'role_forbidden');
    // Not shared with Argentina: the case does not exist for its officers.
    await expectRefused(db, () => close(argentineOfficer, { reason: 'Done' }), 404, 'case_not_found');
    expect((await api().get(`/api/v1/cases/${theCase.id}`).set(bearer(officer)).expect(200)).body.status).toBe('open');
  });

  it('treats a malformed case id like a missing case', async () => {
    const response = await api().get('/api/v1/cases/123').set(bearer(officer)).expect(404);
    expect(response.body.code).toBe('case_not_found');
  });
});
