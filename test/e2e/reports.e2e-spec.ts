import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { verifyBundle } from '../../src/bundles/bundle-verifier.js';
import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import type { LedgerEntry } from '../../src/ledger/core/entry.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { displayTime } from '../../src/reports/custody-report.model.js';
import { REPORT_LOOKUP_SQL, type ReportIssuedData, type ReportRecord } from '../../src/reports/reports.service.js';
import {
  accept,
  hardDrive,
  phone,
  recordHashes,
  registerImage,
  release,
  seize,
  signature,
} from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  FACTORY_PASSWORD,
  login,
  type Session,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const DRIVE_SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const DRIVE_MD5 = '098f6bcd4621d373cade4e832627b4f6';
const IMAGE_SHA256 = 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3';
const CLI = resolve(process.cwd(), 'dist/src/cli.js');
/** Where the rendered pages are kept for a person to look at. */
const PNG_DIR = '/tmp/report-pngs';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** poppler-utils; the report's text layer and pages are checked with the tools a court clerk's PC has. */
function poppler(tool: string, args: readonly string[]): string {
  const result = spawnSync(tool, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) {
    throw new Error(
      `${tool} is needed by this test and could not run (${result.error.message}): install poppler-utils (apt-get install poppler-utils)`,
    );
  }
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

interface Fetched {
  readonly bytes: Buffer;
  readonly response: request.Response;
}

/**
 * Court custody reports (docs/reports.md), black-box: a custody story is built through the API, the
 * reports are fetched as a prosecutor fetches them, and read back with pdftotext and pdftoppm —
 * what a person sees on screen and on paper — then authenticated by their SHA-256 through the API
 * and with `custos verify-report` against a listening service.
 */
describe('court custody reports', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let officer: Session;
  let clerk: Session;
  let examiner: Session;
  let prosecutor: Session;
  let auditor: Session;
  let outsider: Session;
  let admin: Session;
  let caseId: string;
  let phoneItem: ItemView;
  let drive: ItemView;
  let image: ItemView;
  let work: string;
  let driveReport: { bytes: Buffer; text: string; file: string; entry: LedgerEntry };

  const api = () => request(app.getHttpServer());
  const fetchPdf = async (path: string, session: Session = prosecutor): Promise<Fetched> => {
    const response = await api()
      .get(path)
      .set(bearer(session))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${String(response.body)}`);
    return { bytes: response.body as Buffer, response };
  };
  const reportEntry = async (index: number): Promise<LedgerEntry> => {
    const rows = await db.query<Array<{ entry: Buffer }>>('SELECT entry FROM ledger_entry WHERE idx = $1', [index]);
    return JSON.parse(rows[0].entry.toString('utf8')) as LedgerEntry;
  };
  /** Fetches, saves and reads back a report; checks what every report must be. */
  const issue = async (
    path: string,
    name: string,
    session: Session = prosecutor,
  ): Promise<{ bytes: Buffer; text: string; file: string; entry: LedgerEntry }> => {
    const { bytes, response } = await fetchPdf(path, session);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const file = join(work, `${name}.pdf`);
    writeFileSync(file, bytes);
    const entry = await reportEntry(Number(response.headers['custos-ledger-index']));
    expect(entry.type).toBe('report.issued');
    expect((entry.data as ReportIssuedData).sha256).toBe(sha256(bytes));
    expect(response.headers['repr-digest']).toBe(`sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`);
    const text = poppler('pdftotext', ['-layout', file, '-']);
    return { bytes, text, file, entry };
  };
  const history = async (id: string): Promise<HistoryEvent[]> =>
    (
      (await api().get(`/api/v1/items/${id}/history`).set(bearer(prosecutor)).expect(200)).body as {
        events: HistoryEvent[];
      }
    ).events;
  /** Lines of the text layer, with runs of spaces (layout columns) collapsed. */
  const lines = (text: string): string[] => text.split('\n').map((line) => line.replace(/\s+/g, ' ').trim());

  beforeAll(async () => {
    poppler('pdftotext', ['-v']);
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    db = dataSourceOf(app);
    work = mkdtempSync(join(tmpdir(), 'custos-reports-'));
    const spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const argentina = await createAgency(db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    const portugal = await createAgency(db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    const germany = await createAgency(db, { code: 'DE-BKA', name: 'Bundeskriminalamt', country: 'DE' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'], displayName: 'Ana Morales' }));
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'], displayName: 'Luis García' }));
    examiner = await login(
      app,
      await createUser(db, argentina, { roles: ['examiner'], displayName: 'Julieta Ferreira' }),
    );
    prosecutor = await login(
      app,
      await createUser(db, portugal, { roles: ['prosecutor'], displayName: 'Rui Tavares' }),
    );
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'], displayName: 'Marta Ibáñez' }));
    outsider = await login(app, await createUser(db, germany, { roles: ['prosecutor'] }));
    admin = await login(app, await createUser(db, spain, { roles: ['admin'] }));

    caseId = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({
          caseNumber: 'OP-TORMENTA-9',
          title: 'Operación Tormenta',
          legalAuthority: ['JI-7 Madrid, DP 118/2026'],
        })
        .expect(201)
    ).body.id;
    await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'AR-PFA', access: 'contribute' })
      .expect(201);
    await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'PT-MP', access: 'read' })
      .expect(201);
    [phoneItem, drive] = await seize(app, officer, caseId, [
      phone({ serial: 'R58R4A1B2C3D' }),
      hardDrive({ serial: 'ZFL0MISREAD' }),
    ]);
    await accept(
      app,
      clerk,
      await release(app, officer, [phoneItem.id, drive.id], clerk, 'Storage in the evidence room'),
      { location: 'Madrid/HQ/Intake' },
    );
    await api()
      .post(`/api/v1/items/${drive.id}/location`)
      .set(bearer(clerk))
      .send({ location: 'Madrid/HQ/Room 2/Shelf B', reason: 'Long-term storage' })
      .expect(200);
    await accept(app, examiner, await release(app, clerk, [phoneItem.id, drive.id], examiner, 'Forensic acquisition'), {
      location: 'Buenos Aires/Lab/Safe 2',
    });
    await api()
      .post(`/api/v1/items/${drive.id}/hashes`)
      .set(bearer(examiner))
      .send({
        target: 'device',
        hashes: [
          { algorithm: 'sha256', value: DRIVE_SHA256 },
          { algorithm: 'md5', value: DRIVE_MD5 },
        ],
        tool: 'Tableau TX1',
        toolVersion: '22.3',
        occurredAt: '2026-11-22T10:02:00-03:00',
        signature: signature('acquired'),
      })
      .expect(201);
    await recordHashes(app, examiner, drive.id, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: DRIVE_SHA256 }],
      tool: 'ewfverify',
      occurredAt: '2026-11-23T09:00:00-03:00',
      signature: signature('verified'),
    });
    image = await registerImage(app, examiner, caseId, drive.id, IMAGE_SHA256);
    await recordHashes(app, examiner, image.id, {
      target: 'image.e01',
      hashes: [{ algorithm: 'sha256', value: 'b'.repeat(64) }],
      tool: 'ewfverify',
      occurredAt: '2026-11-23T09:05:00-03:00',
    });
    await accept(
      app,
      clerk,
      await release(app, examiner, [phoneItem.id, drive.id, image.id], clerk, 'Return after examination'),
      {
        statements: { [image.id]: { sealIntact: false, sealNote: 'Bag torn at lower seam' } },
        location: 'Madrid/HQ/Room 2',
      },
    );
    const registration = (await history(drive.id))[0];
    await api()
      .post(`/api/v1/items/${drive.id}/corrections`)
      .set(bearer(officer))
      .send({
        corrects: registration.ledgerIndex,
        reason: 'Serial misread at the scene',
        changes: { serial: 'ZFL0CORRECT' },
        signature: signature('corrected'),
      })
      .expect(201);
    await api()
      .post(`/api/v1/items/${phoneItem.id}/disposition`)
      .set(bearer(clerk))
      .send({
        disposition: 'returned_to_owner',
        authorityReference: 'JI-7 Madrid, auto 311/2027',
        recipient: 'Owner receipt 2027/55',
        occurredAt: '2026-11-27T11:00:00+01:00',
        witness: { username: officer.user.username, password: FACTORY_PASSWORD },
        signature: signature('disposed'),
      })
      .expect(200);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('an item report reads as a chain-of-custody form: identifiers, seizure, every hand-over, hashes, signatures, verification', async () => {
    driveReport = await issue(`/api/v1/items/${drive.id}/report.pdf`, 'drive');
    const { text, entry } = driveReport;
    const data = entry.data as ReportIssuedData;
    expect(entry).toMatchObject({
      subject: { type: 'item', id: drive.id, number: drive.itemNumber },
      case: { id: caseId, number: 'OP-TORMENTA-9' },
      actor: { displayName: 'Rui Tavares', role: 'prosecutor' },
    });
    expect(text).toContain(`CHAIN OF CUSTODY — ${drive.itemNumber}`);
    // Identification (the corrected serial, and what it was), seizure with its offset and authority.
    expect(text).toContain('3.5" SATA drive, 2 TB, removed from tower PC');
    expect(text).toContain('Seagate / ST2000DM008');
    expect(text).toContain('ZFL0CORRECT');
    expect(text).toMatch(/was: ZFL0MISREAD/);
    expect(text).toContain('Serial misread at the scene');
    expect(text).toContain('Calle Mayor 12, Madrid — study');
    expect(text).toContain('2026-11-20 09:40:00 +01:00');
    expect(text).toContain('JI-7 Madrid, DP 118/2026');
    // Every hand-over: released by and received by (printed names, agencies), purpose.
    const rows = lines(text);
    // A row of the custody table: both names on its first line, the purpose (which may wrap) in its cell below.
    const handOver = (from: string, to: string, purpose: string): void => {
      const row = rows.findIndex(
        (line, i) =>
          line.includes(from) &&
          line.includes(to) &&
          rows
            .slice(i, i + 6)
            .join(' ')
            .includes(purpose.split(' ')[0]),
      );
      expect(row).toBeGreaterThanOrEqual(0);
      const cell = rows.slice(row, row + 6).join(' ');
      for (const word of purpose.split(' ')) expect(cell).toContain(word);
    };
    handOver('Ana Morales', 'Luis García', 'Storage in the evidence room');
    handOver('Luis García', 'Julieta Ferreira', 'Forensic acquisition');
    handOver('Julieta Ferreira', 'Luis García', 'Return after examination');
    expect(text).toContain('officer, ES-PN');
    expect(text).toContain('examiner, AR-PFA');
    expect(text).toContain('Policía Federal Argentina');
    expect(text).toContain('Storage move: Long-term');
    expect(text).toContain('Custody at the checkpoint (tree size');
    expect(text).toMatch(/in custody of Luis García \(ES-PN, Policía Nacional\), stored at Madrid\/HQ\/Room 2\./);
    expect(text).toContain('Seal intact');
    // Hash references and verifications with their results.
    expect(text).toContain(DRIVE_SHA256.slice(0, 32));
    expect(text).toContain(DRIVE_SHA256.slice(32));
    expect(text).toContain('MATCH');
    expect(text).toContain('INTEGRITY: INTACT');
    // Issued by a Portuguese prosecutor: ISO/IEC 27037 and the EU's eIDAS, not an FDA rule as the basis.
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('ISO/IEC 27037:2012');
    expect(flat).toContain('Regulation (EU) No 910/2014 (eIDAS)');
    expect(flat).not.toContain('Federal Rules of Evidence');
    expect(flat).not.toContain('(21 CFR Part 11)');
    // Every signature: printed name, meaning and time on one line.
    const signatures = (await history(drive.id)).flatMap((event) => event.signatures);
    expect(signatures.map((s) => s.meaning).sort()).toEqual([
      'acquired',
      'corrected',
      'received',
      'received',
      'received',
      'released',
      'released',
      'released',
      'verified',
    ]);
    for (const s of signatures) {
      expect(
        rows.some(
          (line) => line.includes(s.printedName) && line.includes(s.meaning) && line.includes(displayTime(s.signedAt)),
        ),
      ).toBe(true);
    }
    // Verification block: what the ledger entry recorded at issue.
    expect(text).toContain(data.bundleSha256);
    expect(text).toMatch(new RegExp(`Checkpoint tree size\\s+${data.checkpoint.treeSize}\\b`));
    expect(text).toContain(data.checkpoint.rootHash);
    expect(text).toContain(Buffer.from(data.checkpoint.rootHash, 'base64').toString('hex'));
    expect(text).toContain('npm run custos -- verify');
    expect(text).toContain(`/api/v1/items/${drive.id}/bundle?since=${data.checkpoint.treeSize}`);
    expect(text).toContain(`Page 1 of ${data.pages}`);
    expect(text).toContain(`Page ${data.pages} of ${data.pages}`);
    expect(poppler('pdfinfo', [driveReport.file])).toMatch(new RegExp(`Pages:\\s+${data.pages}\\n`));
    expect(data.format).toBe('pdf');
  });

  it('carries its bundle: the attached file has the SHA-256 the report prints, and verifies offline', () => {
    const { file, entry } = driveReport;
    const data = entry.data as ReportIssuedData;
    const out = join(work, 'attachments');
    mkdirSync(out);
    poppler('pdfdetach', ['-saveall', '-o', out, file]);
    const [name] = readdirSync(out);
    expect(name).toBe(`${drive.itemNumber}-at-${data.checkpoint.treeSize}.custos-bundle.json`);
    const bundle = readFileSync(join(out, name));
    expect(sha256(bundle)).toBe(data.bundleSha256);
    const { vkey } = JSON.parse(bundle.toString('utf8')) as { vkey: string };
    const result = verifyBundle(bundle, { trustedKey: vkey });
    expect(result).toMatchObject({
      ok: true,
      report: {
        sha256: data.bundleSha256,
        checkpoint: { treeSize: data.checkpoint.treeSize, rootHash: data.checkpoint.rootHash },
      },
    });
  });

  it('prints integrity problems so nobody can miss them: a hash mismatch and a broken seal', async () => {
    const { text } = await issue(`/api/v1/items/${image.id}/report.pdf`, 'image');
    expect(text).toContain(`CHAIN OF CUSTODY — ${image.itemNumber}`);
    expect(text).toContain('INTEGRITY: COMPROMISED');
    expect(text).toMatch(/HASH MISMATCH — SHA256 of image\.e01 recorded in entry #\d+/);
    expect(text).toMatch(/SEAL BROKEN — On receipt by Luis García \(ES-PN\)/);
    expect(text).toContain('“Bag torn at lower seam”');
    expect(lines(text).some((line) => /Luis García .*SEAL BROKEN$/.test(line))).toBe(true);
    expect(text).toContain('MISMATCH');
    expect(text).toContain('Origin: forensic acquisition');
    expect(text).toContain('Guymager 0.8.13');
    expect(text).toContain(drive.itemNumber);
  });

  it('shows the disposition with its authority, the custodian’s and the witness’s signatures', async () => {
    const { text } = await issue(`/api/v1/items/${phoneItem.id}/report.pdf`, 'phone', auditor);
    expect(text).toContain(phoneItem.imeis[0]);
    expect(text).toContain('R58R4A1B2C3D');
    expect(text).toContain('2026-11-20 09:14:00 +01:00');
    expect(text).toContain('Calle Mayor 12, Madrid — bedroom');
    expect(text).toContain('Exhibit schedule line 1');
    expect(text).toContain('Returned to owner');
    expect(text).toContain('JI-7 Madrid, auto 311/2027');
    expect(text).toContain('Owner receipt 2027/55');
    expect(text).toContain('2026-11-27 11:00:00 +01:00');
    expect(text).toMatch(/Signed “disposed”/);
    expect(text).toMatch(/Signed “witnessed”/);
    expect(text).toContain('Marta Ibáñez');
  });

  it('a case report covers every item, lists the reports issued before it, and renders to PNG pages', async () => {
    const { text, file, entry } = await issue(`/api/v1/cases/${caseId}/report.pdf`, 'case');
    const data = entry.data as ReportIssuedData;
    expect(entry.subject).toEqual({ type: 'case', id: caseId, number: 'OP-TORMENTA-9' });
    expect(text).toContain('CHAIN OF CUSTODY — CASE OP-TORMENTA-9');
    for (const item of [phoneItem, drive, image]) expect(text).toContain(`Item ${item.itemNumber}`);
    expect(text).toContain('Item 3 of 3');
    expect(text).toContain('Shared with AR-PFA (contributor)');
    expect(text).toMatch(
      new RegExp(`Court report \\(PDF, \\d+ pages\\) of item ${drive.itemNumber} issued to Rui Tavares`),
    );
    expect(text).toContain(`PDF SHA-256 ${(driveReport.entry.data as ReportIssuedData).sha256}`);
    expect(text).toContain('INTEGRITY: COMPROMISED');
    expect(text).toContain(data.bundleSha256);

    rmSync(PNG_DIR, { recursive: true, force: true });
    mkdirSync(PNG_DIR, { recursive: true });
    for (const name of ['drive', 'image', 'phone', 'case']) {
      const pdf = join(work, `${name}.pdf`);
      poppler('pdftoppm', ['-png', '-r', '60', pdf, join(PNG_DIR, name)]);
      cpSync(pdf, join(PNG_DIR, `${name}.pdf`));
    }
    const pages = readdirSync(PNG_DIR).filter((name) => name.startsWith('case-') && name.endsWith('.png'));
    expect(pages).toHaveLength(data.pages);
    for (const page of pages) {
      const png = readFileSync(join(PNG_DIR, page));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // A4 at 60 dpi: 595.28 × 841.89 pt → 497 × 702 pixels (IHDR width and height).
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([497, 702]);
    }
    expect(poppler('pdftotext', ['-f', '1', '-l', '1', file, '-'])).toContain('Page 1 of');
  });

  it('is registered in the ledger before it is served, and found by its SHA-256; one changed byte is not', async () => {
    const { bytes, entry } = driveReport;
    const found = (
      await api()
        .get(`/api/v1/reports/${sha256(bytes)}`)
        .set(bearer(prosecutor))
        .expect(200)
    ).body as ReportRecord;
    const data = entry.data as ReportIssuedData;
    expect(found).toEqual({
      sha256: sha256(bytes),
      format: 'pdf',
      issuedAt: data.issuedAt,
      issuedBy: expect.objectContaining({
        displayName: 'Rui Tavares',
        username: prosecutor.user.username,
        agency: 'PT-MP',
        role: 'prosecutor',
      }),
      subject: { type: 'item', id: drive.id, number: drive.itemNumber },
      case: { id: caseId, number: 'OP-TORMENTA-9' },
      ledgerIndex: entry.index,
      recordedAt: entry.recordedAt,
      bundleSha256: data.bundleSha256,
      checkpoint: data.checkpoint,
      pages: data.pages,
      language: 'en',
    });
    // Upper-case hex names the same file.
    await api()
      .get(`/api/v1/reports/${sha256(bytes).toUpperCase()}`)
      .set(bearer(auditor))
      .expect(200);
    const changed = Buffer.from(bytes);
    changed[Math.floor(changed.length / 2)] ^= 0x01;
    const missing = await api()
      .get(`/api/v1/reports/${sha256(changed)}`)
      .set(bearer(prosecutor))
      .expect(404);
    expect(missing.body.code).toBe('report_not_found');
    await api().get('/api/v1/reports/not-a-hash').set(bearer(prosecutor)).expect(404);
    // The lookup is a point lookup in the partial expression index, not a scan of the ledger.
    const plan = await db.transaction(async (em) => {
      await em.query('SET LOCAL enable_seqscan = off');
      const rows = await em.query<Array<{ 'QUERY PLAN': string }>>(`EXPLAIN ${REPORT_LOOKUP_SQL}`, [sha256(bytes)]);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using ledger_entry_report_sha256_idx/);
    const logged = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM access_log WHERE event = 'report.read' AND actor_user_id = $1 AND subject_id = $2`,
      [prosecutor.user.id, drive.id],
    );
    expect(logged[0].n).toBeGreaterThanOrEqual(2);
  });

  it('only those who may read the item see a report or its registration: outsiders 404, administrators 403', async () => {
    const hash = sha256(driveReport.bytes);
    expect((await api().get(`/api/v1/reports/${hash}`).set(bearer(outsider)).expect(404)).body.code).toBe(
      'report_not_found',
    );
    expect((await api().get(`/api/v1/items/${drive.id}/report.pdf`).set(bearer(outsider)).expect(404)).body.code).toBe(
      'item_not_found',
    );
    expect((await api().get(`/api/v1/cases/${caseId}/report.pdf`).set(bearer(outsider)).expect(404)).body.code).toBe(
      'case_not_found',
    );
    await api().get(`/api/v1/reports/${hash}`).set(bearer(admin)).expect(403);
    await api().get(`/api/v1/items/${drive.id}/report.pdf`).set(bearer(admin)).expect(403);
    await api().get(`/api/v1/reports/${hash}`).expect(401);
    const count = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ledger_entry WHERE type = 'report.issued'`,
    );
    expect(count[0].n).toBe(4);
  });

  it('custos verify-report asks a running service: issued (exit 0), not issued (exit 1), could not ask (exit 2)', async () => {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const run = (
      file: string,
      token: string | null = prosecutor.accessToken,
    ): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((done) => {
        execFile(
          process.execPath,
          [
            CLI,
            'verify-report',
            file,
            '--url',
            `http://127.0.0.1:${port}`,
            ...(token === null ? [] : ['--token', token]),
          ],
          { env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 60_000 },
          (error, stdout, stderr) => done({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
        );
      });
    const issued = await run(driveReport.file);
    expect(issued).toMatchObject({ code: 0 });
    expect(issued.stdout).toContain('ISSUED BY CUSTOS');
    expect(issued.stdout).toContain(`item ${drive.itemNumber} (case OP-TORMENTA-9)`);
    expect(issued.stdout).toContain(`#${driveReport.entry.index} (report.issued)`);
    expect(issued.stdout).toContain('Rui Tavares');
    expect(issued.stdout).toContain('  language     en\n');

    const tampered = join(work, 'drive-tampered.pdf');
    const bytes = Buffer.from(driveReport.bytes);
    bytes[bytes.length - 10] ^= 0x20;
    writeFileSync(tampered, bytes);
    const notIssued = await run(tampered);
    expect(notIssued).toMatchObject({ code: 1 });
    expect(notIssued.stdout).toContain('NOT ISSUED BY CUSTOS');

    // Without a token the service cannot say: neither "issued" nor "not issued".
    const unasked = await run(driveReport.file, null);
    expect(unasked).toMatchObject({ code: 2 });
    expect(unasked.stderr).toMatch(/answered 401: .*--token/);
  });

  it('the ledger still verifies, report entries and all', async () => {
    const { vkey } = (await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string };
    const result = await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(vkey)], deep: true });
    expect(result).toMatchObject({ ok: true });
  });
});
