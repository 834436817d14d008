import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { LabelsService } from '../../src/labels/labels.service.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { ReportRenderer } from '../../src/reports/report-renderer.js';
import type { ReportIssuedData } from '../../src/reports/reports.service.js';
import { createCase } from '../factories/case.factory.js';
import { phone, seize } from '../factories/custody.factory.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

/** Items of the large case: enough that its report takes a worker a while to render. */
const LARGE_CASE_ITEMS = 400;

/** Polls `condition` until it holds (or fails after `ms`): the machine is shared, so no fixed sleeps. */
async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

/**
 * Court reports off the event loop, bounded (ADR 0063, docs/reports.md "Load"): the service keeps
 * answering while a large report renders in a worker thread; REPORT_RENDERS_MAX renders and
 * REPORT_RENDERS_QUEUED waiting requests at most, beyond which 503 service_busy changes nothing;
 * the temporary PDF is removed after success, failure and a client gone.
 */
describe('court reports rendered off the event loop', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let renderer: ReportRenderer;
  let prosecutor: Session;
  let largeCase: string;
  let smallCase: string;
  let reportDir: string;

  const api = () => request(app.getHttpServer());
  /** The temporary report files now present. */
  const reportFiles = (): string[] => readdirSync(reportDir).filter((name) => name.startsWith('custos-report-'));
  const issuedCount = async (): Promise<number> =>
    Number(
      (await db.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM ledger_entry WHERE type = 'report.issued'`))[0]
        .n,
    );
  const getPdf = (path: string) =>
    api()
      .get(path)
      .set(bearer(prosecutor))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

  beforeAll(async () => {
    // This suite's own directory for the temporary reports: another suite's (running in the other
    // Jest worker) cannot be mistaken for a file this one left behind.
    reportDir = mkdtempSync(join(tmpdir(), 'custos-report-rendering-'));
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { REPORT_RENDERS_MAX: '1', REPORT_RENDERS_QUEUED: '1', REPORT_TEMP_DIR: reportDir },
    });
    db = dataSourceOf(app);
    renderer = app.get(ReportRenderer);
    const spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    const officerUser = await createUser(db, spain, { roles: ['officer'] });
    const officer = await login(app, officerUser);
    prosecutor = await login(app, await createUser(db, spain, { roles: ['prosecutor'] }));
    largeCase = (await createCase(db, spain.id, officerUser.id)).id;
    for (let first = 0; first < LARGE_CASE_ITEMS; first += 200)
      await seize(
        app,
        officer,
        largeCase,
        Array.from({ length: Math.min(200, LARGE_CASE_ITEMS - first) }, () => phone()),
      );
    smallCase = (await createCase(db, spain.id, officerUser.id)).id;
    await seize(app, officer, smallCase, [phone()]);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    rmSync(reportDir, { recursive: true, force: true });
  });

  afterEach(() => jest.restoreAllMocks());

  it('GET /health answers while a large case report renders, and the report is the one registered', async () => {
    let reportDone = false;
    const report = getPdf(`/api/v1/cases/${largeCase}/report.pdf`).then((response) => {
      reportDone = true;
      return response;
    });
    await until(() => renderer.load.rendering === 1, 'the render to start in a worker');
    // Sent after the render began, answered before it ended: the event loop was free meanwhile.
    const health = await api().get('/health');
    expect(health.status).toBe(200);
    expect(renderer.load.rendering).toBe(1);
    expect(reportDone).toBe(false);

    const response = await report;
    expect(response.status).toBe(200);
    const bytes = response.body as Buffer;
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(Number(response.headers['content-length'])).toBe(bytes.length);
    const rows = await db.query<Array<{ entry: Buffer }>>('SELECT entry FROM ledger_entry WHERE idx = $1', [
      Number(response.headers['custos-ledger-index']),
    ]);
    const data = (JSON.parse(rows[0].entry.toString('utf8')) as { data: ReportIssuedData }).data;
    expect(data.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(data.pages).toBeGreaterThan(LARGE_CASE_ITEMS / 2);
    await until(() => reportFiles().length === 0, 'the temporary report file to be removed');
  }, 120_000);

  it('one more request than REPORT_RENDERS_MAX + REPORT_RENDERS_QUEUED gets 503 service_busy with Retry-After, and changes nothing', async () => {
    const before = await issuedCount();
    const accessRowsBefore = Number(
      (await db.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM access_log WHERE event = 'report.read'`))[0].n,
    );
    const first = getPdf(`/api/v1/cases/${largeCase}/report.pdf`).then((response) => response);
    await until(() => renderer.load.running === 1, 'the first report to take the slot');
    const second = getPdf(`/api/v1/cases/${smallCase}/report.pdf`).then((response) => response);
    await until(() => renderer.load.waiting === 1, 'the second report to wait');

    const refused = await api().get(`/api/v1/cases/${smallCase}/report.pdf`).set(bearer(prosecutor));
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((refused.body as { code: string }).code).toBe('service_busy');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // Two reports issued and read, not three.
    expect(await issuedCount()).toBe(before + 2);
    const accessRowsAfter = Number(
      (await db.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM access_log WHERE event = 'report.read'`))[0].n,
    );
    expect(accessRowsAfter).toBe(accessRowsBefore + 2);
    expect(renderer.load).toEqual({ running: 0, rendering: 0, waiting: 0 });
    await until(() => reportFiles().length === 0, 'the temporary report files to be removed');
  }, 120_000);

  it('a report that fails after it was rendered leaves no file and no entry', async () => {
    const before = await issuedCount();
    let sawFile = false;
    jest.spyOn(app.get(LedgerService), 'write').mockImplementationOnce(() => {
      sawFile = reportFiles().length === 1;
      return Promise.reject(new Error('the ledger write failed (test)'));
    });
    const response = await api().get(`/api/v1/cases/${smallCase}/report.pdf`).set(bearer(prosecutor));
    expect(response.status).toBe(500);
    expect(sawFile).toBe(true);
    expect(reportFiles()).toEqual([]);
    expect(await issuedCount()).toBe(before);
  });

  it('a client gone while its report renders stops it: no file left, nothing registered', async () => {
    const before = await issuedCount();
    const server = app.getHttpServer();
    if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const abandoned = httpRequest({
      host: '127.0.0.1',
      port,
      path: `/api/v1/cases/${largeCase}/report.pdf`,
      headers: bearer(prosecutor),
    });
    abandoned.on('error', () => undefined);
    abandoned.end();
    await until(() => renderer.load.rendering === 1 && reportFiles().length === 1, 'the render to write its file');
    abandoned.destroy();
    await until(() => renderer.load.running === 0, 'the abandoned render to stop');
    await until(() => reportFiles().length === 0, 'the partial report file to be removed');
    expect(await issuedCount()).toBe(before);
    // The slot was given back: the next report is served.
    expect((await getPdf(`/api/v1/cases/${smallCase}/report.pdf`)).status).toBe(200);
  }, 120_000);

  it('label sheets render off the event loop too, within the same limits', async () => {
    const labels = app.get(LabelsService);
    const sheet = () => api().get(`/api/v1/cases/${largeCase}/labels.pdf`).set(bearer(prosecutor));
    let sheetDone = false;
    const first = sheet().then((response) => {
      sheetDone = true;
      return response;
    });
    await until(() => labels.load.inFlight === 1, 'the label sheet to be rendering');
    expect((await api().get('/health')).status).toBe(200);
    expect(sheetDone).toBe(false);
    const second = sheet().then((response) => response);
    await until(() => labels.load.inFlight === 2, 'the second sheet to wait');
    const refused = await sheet();
    expect(refused.status).toBe(503);
    expect((refused.body as { code: string }).code).toBe('service_busy');
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(labels.load.inFlight).toBe(0);
  }, 120_000);
});
