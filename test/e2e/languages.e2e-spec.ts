import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { ItemView } from '../../src/custody/item-records.js';
import { LANGUAGES } from '../../src/i18n/languages.js';
import type { LedgerEntry } from '../../src/ledger/core/entry.js';
import type { ReportIssuedData } from '../../src/reports/reports.service.js';
import { createCase } from '../factories/case.factory.js';
import { phone, seize } from '../factories/custody.factory.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

/**
 * Court reports and label sheets in the issuing agency's language (an agency setting) or the one
 * asked for with `?lang=` (ADR 0073); the `report.issued` entry records it.
 */
describe('languages of court reports and label sheets', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let work: string;
  let platform: Session;
  let officer: Session;
  let caseId: string;
  let item: ItemView;

  const api = () => request(app.getHttpServer());
  const pdf = async (path: string, session: Session): Promise<{ response: request.Response; text: string }> => {
    const response = await api()
      .get(path)
      .set(bearer(session))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    const file = join(work, `${Date.now()}-${Math.random().toString(36).slice(2)}.pdf`);
    writeFileSync(file, response.body as Buffer);
    const result = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`pdftotext failed (apt-get install poppler-utils): ${result.stderr}`);
    return { response, text: result.stdout.replace(/\s+/g, ' ') };
  };
  const entryAt = async (index: string): Promise<LedgerEntry> => {
    const rows = await db.query<Array<{ entry: Buffer }>>('SELECT entry FROM ledger_entry WHERE idx = $1', [index]);
    return JSON.parse(rows[0].entry.toString('utf8')) as LedgerEntry;
  };
  const reportsIssued = async (): Promise<number> =>
    Number(
      (await db.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM ledger_entry WHERE type = 'report.issued'`))[0]
        .n,
    );
  const expectRefused = (response: request.Response, value: string): void => {
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'language_unsupported', supported: [...LANGUAGES] });
    expect(response.body.detail).toContain(JSON.stringify(value));
    expect(response.body.detail).toContain('en, es, pt-BR, pt-PT');
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    db = dataSourceOf(app);
    work = mkdtempSync(join(tmpdir(), 'custos-languages-'));
    platform = await login(app, await createUser(db, null, { roles: ['admin'], platformAdmin: true }));
    // Inserted as a row predating the setting would be: English until an administrator sets it.
    const spain = await createAgency(db, { code: 'ES-GC', name: 'Guardia Civil', country: 'ES' });
    const officerUser = await createUser(db, spain, { roles: ['officer'], displayName: 'Lucía Pérez' });
    officer = await login(app, officerUser);
    caseId = (await createCase(db, spain.id, officerUser.id, { caseNumber: 'OP-NIEBLA-3' })).id;
    [item] = await seize(app, officer, caseId, [phone({ occurredAt: '2026-11-20T09:14:00+01:00' })]);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('gives a new agency its courts’ language unless one is given, and refuses one it does not print', async () => {
    const create = (body: Record<string, string>) => api().post('/api/v1/agencies').set(bearer(platform)).send(body);
    expect((await create({ code: 'BR-PF', name: 'Polícia Federal', country: 'BR' }).expect(201)).body.language).toBe(
      'pt-BR',
    );
    expect((await create({ code: 'AR-PFA', name: 'Policía Federal', country: 'AR' }).expect(201)).body.language).toBe(
      'es',
    );
    expect((await create({ code: 'US-FBI', name: 'FBI', country: 'US' }).expect(201)).body.language).toBe('en');
    expect(
      (await create({ code: 'PT-PJ', name: 'Polícia Judiciária', country: 'PT', language: 'en' }).expect(201)).body
        .language,
    ).toBe('en');
    expectRefused(await create({ code: 'IT-CC', name: 'Carabinieri', country: 'IT', language: 'it' }), 'it');
    expect((await db.query(`SELECT 1 FROM agency WHERE code = 'IT-CC'`)).length).toBe(0);
  });

  it('lets a platform administrator, and nobody else, change an agency’s language', async () => {
    const patch = (session: Session, code: string, language: string) =>
      api().patch(`/api/v1/agencies/${code}`).set(bearer(session)).send({ language });
    expectRefused(await patch(platform, 'ES-GC', 'pt-br'), 'pt-br');
    expect((await patch(officer, 'ES-GC', 'es')).status).toBe(403);
    expect((await patch(platform, 'XX-NONE', 'es').expect(404)).body.code).toBe('agency_not_found');
    const { body } = await patch(platform, 'ES-GC', 'es').expect(200);
    expect(body).toMatchObject({ code: 'ES-GC', country: 'ES', language: 'es' });
  });

  it('writes the report in the issuing agency’s language, says so, and records it in the ledger', async () => {
    const { response, text } = await pdf(`/api/v1/items/${item.id}/report.pdf`, officer);
    expect(response.headers['content-language']).toBe('es');
    expect(text).toContain('CADENA DE CUSTODIA');
    expect(text).toContain('Tipo Teléfono móvil');
    expect(text).toContain('Idioma de este informe Español (es)');
    expect(text).toContain('20/11/2026 09:14:00 +01:00');
    const entry = await entryAt(response.headers['custos-ledger-index']);
    expect((entry.data as ReportIssuedData).language).toBe('es');
    const lookup = await api()
      .get(`/api/v1/reports/${(entry.data as ReportIssuedData).sha256}`)
      .set(bearer(officer))
      .expect(200);
    expect(lookup.body.language).toBe('es');
  });

  it('writes it in the language asked for at download instead', async () => {
    const { response, text } = await pdf(`/api/v1/cases/${caseId}/report.pdf?lang=pt-PT`, officer);
    expect(response.headers['content-language']).toBe('pt-PT');
    expect(text).toContain('CADEIA DE CUSTÓDIA — PROCESSO OP-NIEBLA-3');
    expect(text).toContain('Telemóvel');
    expect(text).toContain('Idioma deste relatório Português (Portugal) (pt-PT)');
    expect(text).not.toContain('CADENA DE CUSTODIA');
    const entry = await entryAt(response.headers['custos-ledger-index']);
    expect((entry.data as ReportIssuedData).language).toBe('pt-PT');
  });

  it('refuses a language it does not print before issuing anything', async () => {
    const before = await reportsIssued();
    for (const lang of ['xx', 'pt-br', 'de', ''])
      expectRefused(await api().get(`/api/v1/items/${item.id}/report.pdf?lang=${lang}`).set(bearer(officer)), lang);
    expect(await reportsIssued()).toBe(before);
  });

  it('prints label sheets in the agency’s language, or the one asked for, and refuses others', async () => {
    const spanish = await pdf(`/api/v1/cases/${caseId}/labels.pdf`, officer);
    expect(spanish.response.headers['content-language']).toBe('es');
    expect(spanish.text).toContain('Intervenido');
    expect(spanish.text).toContain('Teléfono móvil:');
    const english = await pdf(`/api/v1/cases/${caseId}/labels.pdf?lang=en&items=${item.id}`, officer);
    expect(english.text).toContain('Seized');
    expect(english.text).toContain('Mobile phone:');
    expectRefused(await api().get(`/api/v1/cases/${caseId}/labels.pdf?lang=fr`).set(bearer(officer)), 'fr');
  });
});
