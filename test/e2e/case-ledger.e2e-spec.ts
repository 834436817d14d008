import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import type { LedgerEntry } from '../../src/ledger/core/entry.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';

// Every state change is a ledger entry written in the same transaction (docs/design.md §4): cases too.
describe('case events in the ledger', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let officer: Session;
  let auditor: Session;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    const db = dataSourceOf(app);
    const spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    await createAgency(db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const entries = async (): Promise<LedgerEntry[]> => {
    const { body } = await request(app.getHttpServer())
      .get('/api/v1/ledger/entries?from=0&to=1000')
      .set(bearer(auditor))
      .expect(200);
    return (body.entries as Array<{ entry: string }>).map((e) => JSON.parse(e.entry) as LedgerEntry);
  };

  it('records opening, sharing and revoking a case, attributed to the officer, in order', async () => {
    const api = request(app.getHttpServer());
    const theCase = (
      await api
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'OP-NEPTUNO-7', title: 'Neptuno' })
        .expect(201)
    ).body;
    const share = (
      await request(app.getHttpServer())
        .post(`/api/v1/cases/${theCase.id}/shares`)
        .set(bearer(officer))
        .send({ agencyCode: 'AR-PFA', access: 'read' })
        .expect(201)
    ).body;
    await request(app.getHttpServer())
      .delete(`/api/v1/cases/${theCase.id}/shares/${share.id}`)
      .set(bearer(officer))
      .expect(200);

    const recorded = await entries();
    expect(recorded.map((e) => [e.index, e.type])).toEqual([
      [0, 'case.opened'],
      [1, 'case.shared'],
      [2, 'case.share_revoked'],
    ]);
    for (const entry of recorded) {
      expect(entry.subject).toEqual({ type: 'case', id: theCase.id, number: 'OP-NEPTUNO-7' });
      expect(entry.case).toEqual({ id: theCase.id, number: 'OP-NEPTUNO-7' });
      expect(entry.actor).toMatchObject({ username: officer.user.username, agency: 'ES-PN', role: 'officer' });
    }
    expect(recorded[0].data).toMatchObject({ caseNumber: 'OP-NEPTUNO-7', title: 'Neptuno' });
    expect(recorded[1].data).toMatchObject({ shareId: share.id, grantee: 'AR-PFA', access: 'read' });
    const { rows } = await sql(database.appUrl, 'SELECT count(*)::int AS n FROM ledger_entry WHERE case_id = $1', [
      theCase.id,
    ]);
    expect(rows[0].n).toBe(3);
  });

  it('writes no entry when the change is refused', async () => {
    const before = (await entries()).length;
    await request(app.getHttpServer())
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'OP-NEPTUNO-7', title: 'Again' })
      .expect(409);
    await request(app.getHttpServer())
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'X', title: 'T', extra: 1 })
      .expect(400);
    expect((await entries()).length).toBe(before);
  });
});
