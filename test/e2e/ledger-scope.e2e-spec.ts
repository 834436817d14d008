import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { leafHash, rootFromLeafHashes, verifyInclusion } from '../../src/ledger/core/index.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

interface ServedEntry {
  index: number;
  leafHash: string;
  entry?: string;
  entryBase64?: string;
  withheld?: true;
}

const b64 = (text: string): Buffer => Buffer.from(text, 'base64');

// Issue 16 item 1: an auditor of ES-PN read a DE-BKA case through GET /ledger/entries that
// GET /items/:id answered 404 for. Ledger reads follow the case access model (ADR 0015).
describe('ledger entries, scoped by case access', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let germanOfficer: Session;
  let germanAuditor: Session;
  let spanishAuditor: Session;
  let caseId: string;
  let itemId: string;
  let range: { from: number; to: number };

  // What the German officer wrote: none of it may reach another agency's auditor.
  const SECRETS = {
    title: 'Operation Nordlicht Geheim',
    description: 'Grey laptop with Nordlicht sticker',
    place: 'Hafenstrasse 17, Hamburg',
    serial: 'SN-NORDLICHT-4471',
    seizedFrom: 'Nordlicht schedule line 3',
  };

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());

  const readRange = async (session: Session): Promise<{ text: string; entries: ServedEntry[]; treeSize: number }> => {
    const response = await api()
      .get(`/api/v1/ledger/entries?from=${range.from}&to=${range.to}`)
      .set(bearer(session))
      .expect(200);
    return { text: response.text, entries: response.body.entries, treeSize: response.body.treeSize };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    const db = dataSourceOf(app);
    const bka = await createAgency(db, { code: 'DE-BKA', name: 'Bundeskriminalamt', country: 'DE' });
    const spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    germanOfficer = await login(app, await createUser(db, bka, { roles: ['officer'] }));
    germanAuditor = await login(app, await createUser(db, bka, { roles: ['auditor'] }));
    spanishAuditor = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
    const before = (await api().get('/api/v1/ledger/status').set(bearer(germanOfficer)).expect(200)).body as {
      treeSize: number;
    };
    const opened = await api()
      .post('/api/v1/cases')
      .set(bearer(germanOfficer))
      .send({ caseNumber: 'BKA-2026-0071', title: SECRETS.title, legalAuthority: ['AG Hamburg 12 Gs 71/26'] })
      .expect(201);
    caseId = opened.body.id;
    const seized = await api()
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(germanOfficer))
      .send({
        items: [
          {
            kind: 'laptop',
            description: SECRETS.description,
            serial: SECRETS.serial,
            occurredAt: '2026-11-28T09:14:00+01:00',
            place: SECRETS.place,
            seizedFrom: SECRETS.seizedFrom,
          },
        ],
      })
      .expect(201);
    itemId = seized.body.items[0].id;
    range = { from: before.treeSize, to: before.treeSize + 2 };
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('serves the owning agency’s auditor the entries in full', async () => {
    const { text, entries } = await readRange(germanAuditor);
    expect(entries.map((e) => e.index)).toEqual([range.from, range.from + 1]);
    for (const value of Object.values(SECRETS)) expect(text).toContain(value);
    for (const entry of entries) {
      expect(entry.withheld).toBeUndefined();
      expect(leafHash(b64(entry.entryBase64!)).toString('base64')).toBe(entry.leafHash);
    }
  });

  it('gives another agency’s auditor index and leaf hash only, as GET /items/:id gives them 404', async () => {
    await api().get(`/api/v1/items/${itemId}`).set(bearer(spanishAuditor)).expect(404);
    const { text, entries } = await readRange(spanishAuditor);
    for (const value of [...Object.values(SECRETS), caseId, itemId, 'BKA-2026-0071', 'case.opened', 'seized'])
      expect(text).not.toContain(value);
    const german = await readRange(germanAuditor);
    expect(entries).toEqual(german.entries.map((e) => ({ index: e.index, leafHash: e.leafHash, withheld: true })));
  });

  it('keeps the tree verifiable from what a withheld reader gets', async () => {
    const checkpoint = (await api().post('/api/v1/ledger/checkpoints').set(bearer(spanishAuditor)).expect(201)).body;
    const all = (
      await api().get(`/api/v1/ledger/entries?from=0&to=${checkpoint.treeSize}`).set(bearer(spanishAuditor)).expect(200)
    ).body.entries as ServedEntry[];
    expect(all.every((e) => e.withheld === true)).toBe(true);
    expect(rootFromLeafHashes(all.map((e) => b64(e.leafHash))).toString('base64')).toBe(checkpoint.rootHash);
    const proof = (
      await api()
        .get(`/api/v1/ledger/proofs/inclusion?index=${range.from + 1}&treeSize=${checkpoint.treeSize}`)
        .set(bearer(spanishAuditor))
        .expect(200)
    ).body;
    expect(() =>
      verifyInclusion(
        b64(all[range.from + 1].leafHash),
        range.from + 1,
        checkpoint.treeSize,
        (proof.proof as string[]).map(b64),
        b64(checkpoint.rootHash),
      ),
    ).not.toThrow();
  });

  it('serves the content once the case is shared with the agency, and withholds it again after revocation', async () => {
    const share = await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(germanOfficer))
      .send({ agencyCode: 'ES-PN', access: 'read' })
      .expect(201);
    const shared = await readRange(spanishAuditor);
    for (const value of Object.values(SECRETS)) expect(shared.text).toContain(value);
    expect(shared.entries.some((e) => e.withheld)).toBe(false);

    await api().delete(`/api/v1/cases/${caseId}/shares/${share.body.id}`).set(bearer(germanOfficer)).expect(200);
    const revoked = await readRange(spanishAuditor);
    for (const value of Object.values(SECRETS)) expect(revoked.text).not.toContain(value);
    expect(revoked.entries.every((e) => e.withheld)).toBe(true);
  });
});
