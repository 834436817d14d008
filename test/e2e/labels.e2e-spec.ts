import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { ItemView } from '../../src/custody/item-records.js';
import { createCase, shareCase } from '../factories/case.factory.js';
import { hardDrive, phone, seize } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestAgency,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

/** poppler-utils: the label sheet is read back as a person's PDF viewer and printer driver see it. */
function poppler(tool: string, args: readonly string[]): string {
  const result = spawnSync(tool, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined)
    throw new Error(`${tool} is needed by this test (apt-get install poppler-utils): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * Evidence-bag labels (GET /api/v1/cases/:id/labels.pdf): what is printed on them, how many fit a
 * sheet, which items, and who may print them — the same people who may read the items.
 */
describe('evidence labels', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let work: string;
  let spain: TestAgency;
  let officer: Session;
  let prosecutor: Session;
  let outsider: Session;
  let admin: Session;
  let caseId: string;
  let otherCaseItem: ItemView;
  let items: ItemView[];

  const api = () => request(app.getHttpServer());
  const fetchPdf = async (
    path: string,
    session: Session,
  ): Promise<{ response: request.Response; text: string; file: string }> => {
    const response = await api()
      .get(path)
      .set(bearer(session))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    const file = join(work, `labels-${Date.now()}-${Math.random().toString(36).slice(2)}.pdf`);
    writeFileSync(file, response.body as Buffer);
    return { response, text: poppler('pdftotext', ['-layout', file, '-']), file };
  };
  const pages = (file: string): number => Number(/Pages:\s+(\d+)/.exec(poppler('pdfinfo', [file]))![1]);
  const pageSize = (file: string): string => /Page size:\s+([^\n]+)/.exec(poppler('pdfinfo', [file]))![1];
  /** Embedded images (barcodes) per page, from pdfimages' listing. */
  const images = (file: string): number =>
    poppler('pdfimages', ['-list', file])
      .split('\n')
      .slice(2)
      .filter((line) => line.trim().split(/\s+/)[2] === 'image').length;

  beforeAll(async () => {
    poppler('pdftotext', ['-v']);
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    db = dataSourceOf(app);
    work = mkdtempSync(join(tmpdir(), 'custos-labels-'));
    spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const portugal = await createAgency(db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    const germany = await createAgency(db, { code: 'DE-BKA', name: 'Bundeskriminalamt', country: 'DE' });
    const officerUser = await createUser(db, spain, { roles: ['officer'], displayName: 'Ana Morales' });
    officer = await login(app, officerUser);
    prosecutor = await login(app, await createUser(db, portugal, { roles: ['prosecutor'] }));
    outsider = await login(app, await createUser(db, germany, { roles: ['prosecutor'] }));
    admin = await login(app, await createUser(db, spain, { roles: ['admin'] }));
    const kase = await createCase(db, spain.id, officerUser.id, { caseNumber: 'OP-TORMENTA-9' });
    caseId = kase.id;
    await shareCase(db, caseId, { agencyId: portugal.id }, 'read', officerUser.id);
    items = await seize(app, officer, caseId, [
      phone({ sealNumber: 'ES-PN-SEAL-0042117', occurredAt: '2026-11-20T09:14:00+01:00' }),
      hardDrive({ sealNumber: 'ES-PN-SEAL-0042118', occurredAt: '2026-11-20T09:40:00+01:00' }),
      phone({
        sealNumber: 'ES-PN-SEAL-0042119',
        make: 'Apple',
        model: 'iPhone 13',
        occurredAt: '2026-11-20T10:05:00-03:00',
      }),
    ]);
    const other = await createCase(db, spain.id, officerUser.id);
    [otherCaseItem] = await seize(app, officer, other.id, [phone()]);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('prints every item of the case with its number, case, seizure time with offset, seal and two barcodes', async () => {
    const { response, text, file } = await fetchPdf(`/api/v1/cases/${caseId}/labels.pdf`, officer);
    expect(response.headers['content-disposition']).toBe('inline; filename="labels-OP-TORMENTA-9.pdf"');
    expect(response.headers['custos-label-count']).toBe('3');
    for (const item of items) expect(text).toContain(item.itemNumber);
    expect(text.match(/OP-TORMENTA-9/g)).toHaveLength(3);
    expect(text).toContain('2026-11-20 09:14 (UTC+01:00)');
    expect(text).toContain('2026-11-20 10:05 (UTC-03:00)');
    for (const seal of ['ES-PN-SEAL-0042117', 'ES-PN-SEAL-0042118', 'ES-PN-SEAL-0042119']) expect(text).toContain(seal);
    expect(text).toContain('Apple iPhone 13');
    // One A4 sheet holds 8 labels; each label carries a Code 128 and a QR code.
    expect(pages(file)).toBe(1);
    expect(pageSize(file)).toMatch(/^595\.2\d* x 841\.8\d* pts \(A4\)/);
    expect(images(file)).toBe(6);
    // Kept for a person to look at (the test does not read pixels).
    poppler('pdftoppm', ['-png', '-r', '100', '-singlefile', file, join(tmpdir(), 'custos-labels-preview')]);
  });

  it('prints only the items asked for, in item-number order', async () => {
    const { response, text, file } = await fetchPdf(
      `/api/v1/cases/${caseId}/labels.pdf?items=${items[2].id},${items[0].id}`,
      officer,
    );
    expect(response.headers['custos-label-count']).toBe('2');
    expect(text).toContain(items[0].itemNumber);
    expect(text).toContain(items[2].itemNumber);
    expect(text).not.toContain(items[1].itemNumber);
    expect(text.indexOf(items[0].itemNumber)).toBeLessThan(text.indexOf(items[2].itemNumber));
    expect(images(file)).toBe(4);
  });

  it('fills a second sheet after eight labels', async () => {
    const many = await seize(
      app,
      officer,
      caseId,
      Array.from({ length: 7 }, () => hardDrive()),
    );
    const { response, file, text } = await fetchPdf(`/api/v1/cases/${caseId}/labels.pdf`, officer);
    expect(response.headers['custos-label-count']).toBe('10');
    expect(pages(file)).toBe(2);
    expect(text).toContain(many[6].itemNumber);
  });

  it('is readable by whoever may read the items: a read-only share prints labels too', async () => {
    const { text } = await fetchPdf(`/api/v1/cases/${caseId}/labels.pdf?items=${items[1].id}`, prosecutor);
    expect(text).toContain(items[1].itemNumber);
  });

  it('refuses what may not be seen, exactly as the item reads do', async () => {
    const hidden = await api().get(`/api/v1/cases/${caseId}/labels.pdf`).set(bearer(outsider)).expect(404);
    expect(hidden.body.code).toBe('case_not_found');
    expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await api().get('/api/v1/cases/not-a-uuid/labels.pdf').set(bearer(officer)).expect(404)).body.code).toBe(
      'case_not_found',
    );
    expect((await api().get(`/api/v1/cases/${caseId}/labels.pdf`).set(bearer(admin)).expect(403)).body.code).toBe(
      'role_forbidden',
    );
    await api().get(`/api/v1/cases/${caseId}/labels.pdf`).expect(401);
    // An item of another case is not silently left off the sheet: the bag would go unlabelled.
    const foreignItem = await api()
      .get(`/api/v1/cases/${caseId}/labels.pdf?items=${items[0].id},${otherCaseItem.id}`)
      .set(bearer(officer))
      .expect(404);
    expect(foreignItem.body.code).toBe('item_not_found');
  });

  it('answers a malformed item list with the field at fault', async () => {
    const response = await api()
      .get(`/api/v1/cases/${caseId}/labels.pdf?items=${items[0].id},12345`)
      .set(bearer(officer))
      .expect(400);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['items']);
    const duplicate = await api()
      .get(`/api/v1/cases/${caseId}/labels.pdf?items=${items[0].id},${items[0].id}`)
      .set(bearer(officer))
      .expect(400);
    expect(duplicate.body.code).toBe('validation_failed');
  });

  it('loads pdfkit and bwip-js on the first label sheet, not with the module (idle memory)', () => {
    // A child process records every module it resolves (Node's module hooks), imports the compiled
    // labels module, then prints a sheet: the two libraries appear only after the sheet.
    const compiled = resolve(process.cwd(), 'dist/src/labels/labels-sheet.pdf.js');
    if (!existsSync(compiled)) throw new Error('dist/src/labels is not built: run `npm run build` (npm test does)');
    const hooks = `let port; export function initialize(data) { port = data.port; }
      export async function resolve(specifier, context, next) { const found = await next(specifier, context); port.postMessage(found.url); return found; }`;
    const script = `
      import { register } from 'node:module';
      import { MessageChannel } from 'node:worker_threads';
      const { port1, port2 } = new MessageChannel();
      const seen = [];
      port1.on('message', (url) => seen.push(url));
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
      const settle = () => new Promise((done) => setTimeout(done, 200));
      const libraries = () => seen.filter((url) => url.includes('/node_modules/pdfkit/') || url.includes('/node_modules/bwip-js/')).length;
      const { renderLabelSheets } = await import(${JSON.stringify(pathToFileURL(compiled).href)});
      await settle();
      const atImport = libraries();
      const pdf = await renderLabelSheets([{ itemNumber: 'ES-PN-2026-000001', caseNumber: 'C-1', agency: 'ES-PN', occurredAt: '2026-11-20T09:14:00+01:00', sealNumber: null, kind: 'laptop', description: 'x' }], { caseNumber: 'C-1', issuedAt: new Date(0) });
      await settle();
      console.log(JSON.stringify({ atImport, afterSheet: libraries(), pdf: pdf.subarray(0, 5).toString() }));
      port1.close();
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: process.cwd(),
    });
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(JSON.parse(result.stdout)).toEqual({ atImport: 0, afterSheet: expect.any(Number), pdf: '%PDF-' });
    expect((JSON.parse(result.stdout) as { afterSheet: number }).afterSheet).toBeGreaterThanOrEqual(2);
  });
});
