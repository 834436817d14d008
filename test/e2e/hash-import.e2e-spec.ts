import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { HashRecordView } from '../../src/custody/hashes.service.js';
import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import { decodeLogBytes } from '../../src/hash-imports/log-text.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { accept, hardDrive, release, seize, signature, usernameOf } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  FACTORY_PASSWORD,
  login,
  type Session,
  type TestAgency,
} from '../factories/identity.factory.js';
import { custodyState, expectRefused } from '../utils/custody-state.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const OURS = join(process.cwd(), 'test', 'fixtures', 'forensic-logs');
const fixture = (name: string): string => decodeLogBytes(readFileSync(join(OURS, name))).text;

interface ImportBody {
  dryRun: boolean;
  import: {
    format: string;
    target: string;
    role: 'reference' | 'verification';
    occurredAt: string;
    timeZoneAssumed: string | null;
    values: Array<{ algorithm: string; value: string; result?: string }>;
    warnings: Array<{ code: string; message: string }>;
    source: Record<string, unknown>;
  };
  item?: ItemView;
  records?: HashRecordView[];
}

/**
 * Hash values taken from the acquisition tool's log instead of typed: every format the lab's tools
 * write, the tool's own verdict and the case identifiers checked against the item, nothing recorded
 * from a log that is not understood or whose warnings are not confirmed.
 */
describe('import of acquisition logs (POST /items/:id/hashes/import)', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let officer: Session;
  let examiner: Session;
  let otherExaminer: Session;
  let readOnlyExaminer: Session;
  let caseId: string;
  // The command line runs its own in-process application: it shares the test app's data directory (ledger key).
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-import-'));

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const importLog = (session: Session, itemId: string, body: Record<string, unknown>): request.Test =>
    api()
      .post(`/api/v1/items/${itemId}/hashes/import`)
      .set(bearer(session))
      .send({ timeZone: 'Europe/Madrid', ...body });
  const history = async (id: string): Promise<HistoryEvent[]> =>
    (
      (await api().get(`/api/v1/items/${id}/history`).set(bearer(examiner)).expect(200)).body as {
        events: HistoryEvent[];
      }
    ).events;
  const item = async (id: string): Promise<ItemView> =>
    (await api().get(`/api/v1/items/${id}`).set(bearer(examiner)).expect(200)).body as ItemView;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_RATE_LIMIT_PER_IP: '10000', DATA_DIR: dataDir },
    });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    const portugal = await createAgency(db, { code: 'PT-PJ', country: 'PT' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    examiner = await login(app, await createUser(db, spain, { roles: ['examiner'] }));
    otherExaminer = await login(app, await createUser(db, spain, { roles: ['examiner'] }));
    readOnlyExaminer = await login(app, await createUser(db, portugal, { roles: ['examiner'] }));
    caseId = (
      (
        await api()
          .post('/api/v1/cases')
          .set(bearer(officer))
          .send({ caseNumber: 'OP-IMPORT-1', title: 'Operation Import' })
          .expect(201)
      ).body as { id: string }
    ).id;
    await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'PT-PJ', access: 'read' })
      .expect(201);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  /** A drive seized by the officer (its evidence number in the exhibit schedule) and handed to the examiner. */
  const driveAtTheLab = async (overrides: Record<string, unknown> = {}, to: Session = examiner): Promise<ItemView> => {
    const [drive] = await seize(app, officer, caseId, [hardDrive(overrides)]);
    await accept(app, to, await release(app, officer, [drive.id], to, 'Acquisition'), { location: 'Lab/Safe 1' });
    return drive;
  };

  it('FTK Imager (Windows-1252, CRLF, upper-case hex): dry run shows the reference, records nothing; the import records it signed `acquired`', async () => {
    const drive = await driveAtTheLab({ seizedFrom: 'Exhibit EV-20', serial: 'WDZ1ABCD' });
    const text = fixture('ftk-imager-cp1252-crlf.txt');
    const before = await custodyState(db);
    const dry = (await importLog(examiner, drive.id, { text, dryRun: true }).expect(200)).body as ImportBody;
    expect(await custodyState(db)).toEqual(before);
    expect(dry.import).toMatchObject({
      format: 'ftk-imager',
      target: 'device',
      role: 'reference',
      // Wed Nov 18 11:02:47 2026 in Madrid (winter: +01:00), the acquisition's end.
      occurredAt: '2026-11-18T11:02:47+01:00',
      timeZoneAssumed: 'Europe/Madrid',
      values: [
        { algorithm: 'md5', value: '9a2f9b7bdd71216033d110436d55a0a5' },
        { algorithm: 'sha1', value: 'cf75d731365e8aa0f82db1f8b6642b7c76efbff5' },
        { algorithm: 'sha256', value: 'c719eaa28d2b8d1a97bfca10b38c7454f4042e029d57e79e6dd6d58c83e9f6f9' },
      ],
      examiner: 'José Núñez',
      source: {
        tool: 'FTK Imager',
        toolVersion: '4.7.1.2',
        caseNumber: 'OP-IMPORT-1',
        evidenceNumber: 'EV-20',
        reportedResult: 'verified',
        startedAt: '2026-11-18T09:14:02+01:00',
      },
    });
    expect(dry.import.warnings.map((w) => w.code)).toEqual(['time_zone_assumed']);

    // The assumed zone is a warning like any other: unconfirmed, nothing is recorded.
    const refusal = await expectRefused(
      db,
      () => importLog(examiner, drive.id, { text, signature: signature('acquired') }),
      409,
      'import_confirmation_required',
    );
    expect(refusal.body.warnings).toEqual([expect.objectContaining({ code: 'time_zone_assumed' })]);
    await expectRefused(
      db,
      () => importLog(examiner, drive.id, { text, confirm: ['time_zone_assumed'] }),
      400,
      'signature_required',
      ['signature'],
    );

    const done = (
      await importLog(examiner, drive.id, {
        text,
        confirm: ['time_zone_assumed'],
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(done.records!.map((r) => [r.role, r.algorithm, r.value, r.occurredAt, r.tool, r.toolVersion])).toEqual([
      ['reference', 'md5', '9a2f9b7bdd71216033d110436d55a0a5', '2026-11-18T11:02:47+01:00', 'FTK Imager', '4.7.1.2'],
      [
        'reference',
        'sha1',
        'cf75d731365e8aa0f82db1f8b6642b7c76efbff5',
        '2026-11-18T11:02:47+01:00',
        'FTK Imager',
        '4.7.1.2',
      ],
      [
        'reference',
        'sha256',
        'c719eaa28d2b8d1a97bfca10b38c7454f4042e029d57e79e6dd6d58c83e9f6f9',
        '2026-11-18T11:02:47+01:00',
        'FTK Imager',
        '4.7.1.2',
      ],
    ]);
    const [entry] = (await history(drive.id)).filter((e) => e.type === 'hash.recorded');
    expect(entry.signatures).toEqual([
      expect.objectContaining({ username: usernameOf(examiner), meaning: 'acquired' }),
    ]);
    // The ledger keeps what the log said and the SHA-256 of its text, never the text.
    const [{ data }] = await db.query<Array<{ data: { source: Record<string, unknown> } }>>(
      `SELECT convert_from(e.entry, 'UTF8')::jsonb -> 'data' AS data FROM ledger_entry e WHERE e.idx = $1`,
      [done.records![0].ledgerIndex],
    );
    expect(data.source).toMatchObject({
      format: 'ftk-imager',
      logSha256: createHash('sha256').update(text, 'utf8').digest('hex'),
      timeZoneAssumed: 'Europe/Madrid',
      confirmed: ['time_zone_assumed'],
    });
    // The examiner the log names is not a custodian of record: shown, never written to the ledger.
    expect(data.source).not.toHaveProperty('examiner');
    const named = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ledger_entry WHERE position('José Núñez' in convert_from(entry, 'UTF8')) > 0`,
    );
    expect(named[0].n).toBe(0);
    const stored = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ledger_entry WHERE position('Portátil incautado' in convert_from(entry, 'UTF8')) > 0`,
    );
    expect(stored[0].n).toBe(0);
  });

  it('a verification log whose hashes differ from the reference marks the item compromised (ewfacquire, then ewfverify FAILURE)', async () => {
    const drive = await driveAtTheLab({ seizedFrom: 'EV-23', serial: '60A44C3FACC3F0B0A9A1A6E2' });
    const acquired = (
      await importLog(examiner, drive.id, {
        text: fixture('ewfacquire-EV-23.txt'),
        confirm: ['time_zone_assumed'],
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(acquired.import).toMatchObject({
      format: 'ewfacquire',
      role: 'reference',
      occurredAt: '2026-11-19T14:22:49+01:00',
      examiner: 'M. Rossi',
      source: { device: { model: 'DataTraveler 3.0' } },
    });
    expect(acquired.item!.integrity).toBe('intact');

    // The good verification: every algorithm matches.
    const ok = (
      await importLog(examiner, drive.id, {
        text: fixture('ewfverify-EV-23-success.txt'),
        confirm: ['time_zone_assumed'],
      }).expect(201)
    ).body as ImportBody;
    expect(ok.records!.map((r) => [r.role, r.algorithm, r.result])).toEqual([
      ['verification', 'md5', 'match'],
      ['verification', 'sha1', 'match'],
    ]);
    expect(ok.item!.integrity).toBe('intact');

    // The tool's own FAILURE is a warning to confirm; confirmed, the mismatch is recorded and never hidden.
    const text = fixture('ewfverify-EV-23-failure.txt');
    const refusal = await expectRefused(
      db,
      () => importLog(examiner, drive.id, { text, confirm: ['time_zone_assumed'] }),
      409,
      'import_confirmation_required',
    );
    expect(refusal.body.warnings.map((w: { code: string }) => w.code)).toEqual(['tool_verification_failed']);
    const dry = (await importLog(examiner, drive.id, { text, dryRun: true }).expect(200)).body as ImportBody;
    expect(dry.import.values.map((v) => [v.algorithm, v.result])).toEqual([
      ['md5', 'mismatch'],
      ['sha1', 'match'],
    ]);
    expect((await item(drive.id)).integrity).toBe('intact');
    const failed = (
      await importLog(examiner, drive.id, { text, confirm: ['time_zone_assumed', 'tool_verification_failed'] }).expect(
        201,
      )
    ).body as ImportBody;
    expect(failed.item!.integrity).toBe('compromised');
    expect(failed.records!.find((r) => r.algorithm === 'md5')!.result).toBe('mismatch');
    // The ledger replays to the same state.
    const { vkey } = (await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string };
    expect(await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(vkey)], deep: true })).toMatchObject({
      ok: true,
    });
  });

  it('dc3dd keeps the offset it printed (no zone assumed); [MISMATCH] must be confirmed', async () => {
    const drive = await driveAtTheLab({ seizedFrom: 'EV-24', serial: undefined });
    const dry = (
      await importLog(examiner, drive.id, {
        text: fixture('dc3dd-EV-24-mismatch.log'),
        dryRun: true,
        timeZone: 'America/Buenos_Aires',
      }).expect(200)
    ).body as ImportBody;
    expect(dry.import).toMatchObject({
      format: 'dc3dd',
      occurredAt: '2026-11-20T09:18:16+01:00',
      timeZoneAssumed: null,
      source: { reportedResult: 'failed', toolVersion: '7.2.646' },
    });
    expect(dry.import.warnings.map((w) => w.code)).toEqual(['tool_verification_failed']);
    const done = (
      await importLog(examiner, drive.id, {
        text: fixture('dc3dd-EV-24-ok.log'),
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(done.records!.map((r) => [r.algorithm, r.occurredAt])).toEqual([
      ['md5', '2026-11-20T09:18:16+01:00'],
      ['sha256', '2026-11-20T09:18:16+01:00'],
    ]);
  });

  it('Guymager, UFED, hashdeep and sha256sum import with their values, times and targets', async () => {
    const ssd = await driveAtTheLab({ seizedFrom: 'EV-08', serial: 'S3Z1NB0K123456A' });
    const guymager = (
      await importLog(examiner, ssd.id, {
        text: fixture('guymager-EV-08.info'),
        confirm: ['time_zone_assumed', 'case_number_mismatch'],
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(guymager.import.warnings.map((w) => w.code)).toEqual(['case_number_mismatch', 'time_zone_assumed']);
    expect(guymager.records!.map((r) => [r.algorithm, r.value, r.occurredAt])).toEqual([
      ['md5', '92d06f151d61fc2d4e64dae37577d3d2', '2026-03-10T11:05:12+01:00'],
      ['sha256', '3379feb6ae9fed3b989470c591c5aa7ec00269580b84f1737c9e63202645e4b2', '2026-03-10T11:05:12+01:00'],
    ]);

    const phoneItem = await driveAtTheLab({
      kind: 'mobile_phone',
      seizedFrom: 'EV-25',
      serial: 'R58R12ABCDE',
      capacityBytes: undefined,
      make: 'Samsung',
      model: 'SM-G991B',
    });
    const ufed = (
      await importLog(examiner, phoneItem.id, {
        text: fixture('ufed-EV-25.ufd'),
        timeZone: 'Europe/Lisbon',
        confirm: ['time_zone_assumed'],
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(ufed.import).toMatchObject({
      target: 'samsung-gsm_sm-g991b-galaxy-s21-5g.zip',
      occurredAt: '2026-11-20T12:05:09Z',
      timeZoneAssumed: 'Europe/Lisbon',
    });
    expect(ufed.records!.map((r) => r.algorithm)).toEqual(['md5', 'sha256']);

    const image = await driveAtTheLab({ seizedFrom: 'EV-28' });
    await expectRefused(
      db,
      () => importLog(examiner, image.id, { text: fixture('hashdeep-EV-28.txt'), signature: signature('acquired') }),
      422,
      'occurred_at_required',
      ['occurredAt'],
    );
    const hashdeep = (
      await importLog(examiner, image.id, {
        text: fixture('hashdeep-EV-28.txt'),
        occurredAt: '2026-11-21T10:00:00-03:00',
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(hashdeep.records!.map((r) => [r.target, r.algorithm, r.occurredAt])).toEqual([
      ['ev-28.dd', 'md5', '2026-11-21T10:00:00-03:00'],
      ['ev-28.dd', 'sha256', '2026-11-21T10:00:00-03:00'],
    ]);

    // Two files in one list: the target names the one to record.
    const twoFiles = fixture('md5sum-two-files.txt');
    const ambiguous = await expectRefused(
      db,
      () => importLog(examiner, image.id, { text: twoFiles, occurredAt: '2026-11-21T10:00:00-03:00' }),
      422,
      'log_target_ambiguous',
      ['target'],
    );
    expect(ambiguous.body.detail).toContain('ev-27.e01, ev-27.e02');
    const second = (
      await importLog(examiner, image.id, {
        text: twoFiles,
        target: 'ev-27.e02',
        occurredAt: '2026-11-21T10:00:00-03:00',
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(second.records!.map((r) => [r.target, r.value])).toEqual([
      ['ev-27.e02', '92eb5ffee6ae2fec3ad71c777531578f'],
    ]);

    const sum = await driveAtTheLab({ seizedFrom: 'EV-09' });
    const plain = (
      await importLog(examiner, sum.id, {
        text: fixture('sha256sum-EV-09.txt'),
        target: 'image.dd',
        occurredAt: '2026-11-21T10:00:00+01:00',
        signature: signature('acquired'),
      }).expect(201)
    ).body as ImportBody;
    expect(plain.records!.map((r) => [r.target, r.algorithm, r.value])).toEqual([
      ['image.dd', 'sha256', '917e7671d54b7c42b3264f75c6842df96ceae5f30fd9a2d49d9ba930bafb7afd'],
    ]);
  });

  it('the case, evidence number and serial are checked against the item: each disagreement is a warning to confirm', async () => {
    const drive = await driveAtTheLab({ seizedFrom: 'Exhibit 4', sealNumber: 'SEAL-77', serial: 'ZZ-OTHER-SERIAL' });
    const text = fixture('ftk-imager-verification-failed.txt');
    const dry = (await importLog(examiner, drive.id, { text, dryRun: true }).expect(200)).body as ImportBody;
    expect(dry.import.warnings.map((w) => w.code)).toEqual([
      'tool_verification_failed',
      'evidence_number_mismatch',
      'device_serial_mismatch',
      'time_zone_assumed',
    ]);
    const refusal = await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text,
          confirm: ['time_zone_assumed', 'tool_verification_failed'],
          signature: signature('acquired'),
        }),
      409,
      'import_confirmation_required',
    );
    expect(refusal.body.warnings.map((w: { code: string }) => w.code)).toEqual([
      'evidence_number_mismatch',
      'device_serial_mismatch',
    ]);
    await importLog(examiner, drive.id, {
      text,
      confirm: ['time_zone_assumed', 'tool_verification_failed', 'evidence_number_mismatch', 'device_serial_mismatch'],
      signature: signature('acquired'),
    }).expect(201);
  });

  it("a real UFED .ufd's [Crime Case] (Case Identifier, Device Name / Evidence Number) is checked against the item", async () => {
    const phone = await driveAtTheLab({
      kind: 'mobile_phone',
      seizedFrom: 'EV-31',
      serial: '28211FDH2002X7',
      capacityBytes: undefined,
      make: 'Google',
      model: 'Pixel 7',
    });
    const text = fixture('ufed-crime-case-EV-31.ufd');
    const dry = (await importLog(examiner, phone.id, { text, timeZone: 'Europe/Madrid', dryRun: true }).expect(200))
      .body as ImportBody;
    expect(dry.import.warnings.map((w) => w.code)).toEqual([
      'case_number_mismatch',
      'evidence_number_mismatch',
      'time_zone_assumed',
    ]);
    expect(dry.import.warnings[0].message).toContain('The log names case OP-2026-0415');
    expect(dry.import.warnings[1].message).toContain("The log's evidence number EV-30");
  });

  it.each([
    ['mangled-ftk-short-hash.txt', /line 12/, [12]],
    ['mangled-dc3dd-bad-date.log', /line 2/, [2]],
    ['mangled-hashdeep-columns.txt', /line 3/, [3]],
    ['mangled-sha256sum.txt', /line 2: not a checksum line/, [2, 3]],
    ['unknown-notes.txt', /none of the formats/, undefined],
  ])('refuses %s with 422 naming what was not understood, recording nothing', async (name, message, lines) => {
    const drive = await driveAtTheLab();
    const response = await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: fixture(name),
          occurredAt: '2026-11-21T10:00:00+01:00',
          signature: signature('acquired'),
        }),
      422,
      'log_not_understood',
      ['text'],
    );
    expect(response.body.detail).toMatch(message);
    expect(response.body.lines).toEqual(lines);
  });

  it('a forced format that does not fit is refused (422), and an unknown format name is a validation error', async () => {
    const drive = await driveAtTheLab();
    await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: fixture('dc3dd-EV-24-ok.log'),
          format: 'guymager',
          signature: signature('acquired'),
        }),
      422,
      'log_not_understood',
    );
    await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: fixture('dc3dd-EV-24-ok.log'),
          format: 'encase',
          signature: signature('acquired'),
        }),
      400,
      'validation_failed',
      ['format'],
    );
    await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: fixture('dc3dd-EV-24-ok.log'),
          timeZone: 'Mars/Olympus',
          signature: signature('acquired'),
        }),
      400,
      'validation_failed',
      ['timeZone'],
    );
    await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: fixture('dc3dd-EV-24-ok.log'),
          confirm: ['everything'],
          signature: signature('acquired'),
        }),
      400,
      'validation_failed',
      ['confirm'],
    );
  });

  it('a log without a zone, for an examiner with no zone and none in the request, is refused', async () => {
    const drive = await driveAtTheLab();
    const response = await expectRefused(
      db,
      () =>
        api()
          .post(`/api/v1/items/${drive.id}/hashes/import`)
          .set(bearer(examiner))
          .send({ text: fixture('guymager-EV-08.info'), dryRun: true }),
      422,
      'time_zone_unknown',
      ['timeZone'],
    );
    expect(response.body.detail).toMatch(/timeZone/);
  });

  it('an examiner’s account zone (set by an administrator, shown by /auth/me) is the default', async () => {
    const admin = await login(app, await createUser(db, spain, { roles: ['admin'] }));
    const created = await api()
      .post('/api/v1/users')
      .set(bearer(admin))
      .send({
        username: 'zoned.examiner',
        displayName: 'Zoned Examiner',
        roles: ['examiner'],
        password: 'Temporary chosen secret 4',
        timeZone: 'America/Argentina/Buenos_Aires',
      })
      .expect(201);
    expect(created.body.timeZone).toBe('America/Argentina/Buenos_Aires');
    await api()
      .post('/api/v1/users')
      .set(bearer(admin))
      .send({ username: 'bad.zone', displayName: 'Bad Zone', roles: ['examiner'], timeZone: 'Europe/Atlantis' })
      .expect(400);
    let session = await login(app, { username: 'zoned.examiner', password: 'Temporary chosen secret 4' });
    await api()
      .post('/api/v1/auth/password')
      .set(bearer(session))
      .send({ currentPassword: 'Temporary chosen secret 4', newPassword: FACTORY_PASSWORD })
      .expect(200);
    session = await login(app, { username: 'zoned.examiner', password: FACTORY_PASSWORD });
    expect((await api().get('/api/v1/auth/me').set(bearer(session)).expect(200)).body.timeZone).toBe(
      'America/Argentina/Buenos_Aires',
    );
    expect((await api().get('/api/v1/auth/me').set(bearer(examiner)).expect(200)).body.timeZone).toBeNull();

    const drive = await driveAtTheLab({ seizedFrom: 'EV-08' }, session);
    const dry = (
      await api()
        .post(`/api/v1/items/${drive.id}/hashes/import`)
        .set(bearer(session))
        .send({ text: fixture('guymager-EV-08.info'), dryRun: true })
        .expect(200)
    ).body as ImportBody;
    expect(dry.import).toMatchObject({
      timeZoneAssumed: 'America/Argentina/Buenos_Aires',
      occurredAt: '2026-03-10T11:05:12-03:00',
    });
    expect(dry.import.warnings.find((w) => w.code === 'time_zone_assumed')!.message).toContain('your account');
  });

  it('access as for POST /items/:id/hashes: a read-only share and a non-custodian are refused, even for a dry run', async () => {
    const drive = await driveAtTheLab();
    const body = { text: fixture('dc3dd-EV-24-ok.log'), signature: signature('acquired') };
    await expectRefused(db, () => importLog(readOnlyExaminer, drive.id, body), 403, 'case_read_only');
    await expectRefused(db, () => importLog(otherExaminer, drive.id, body), 403, 'not_custodian');
    await expectRefused(db, () => importLog(otherExaminer, drive.id, { ...body, dryRun: true }), 403, 'not_custodian');
    await expectRefused(
      db,
      () => api().post(`/api/v1/items/${drive.id}/hashes/import`).send(body),
      401,
      'unauthenticated',
    );
  });

  it('the log field may carry 256 KiB of text, but not binary or encoded content; other fields keep the 2,000-character limit', async () => {
    const drive = await driveAtTheLab();
    const long = `${fixture('dc3dd-EV-24-ok.log')}\n${'Status: at 1%. acquired 4.5 MiB (4718592 bytes) of total 14 GiB\n'.repeat(3000)}`;
    expect(long.length).toBeGreaterThan(64 * 1024);
    expect((await importLog(examiner, drive.id, { text: long, dryRun: true }).expect(200)).body.import.format).toBe(
      'dc3dd',
    );
    await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: `${fixture('dc3dd-EV-24-ok.log')}\nNotes: ${'QUJD'.repeat(400)}`,
          dryRun: true,
        }),
      400,
      'content_not_accepted',
    );
    await expectRefused(
      db,
      () => importLog(examiner, drive.id, { text: `MZ\u0000\u0003binary`, dryRun: true }),
      400,
      'content_not_accepted',
    );
    await expectRefused(
      db,
      () => importLog(examiner, drive.id, { text: 'x'.repeat(300 * 1024), dryRun: true }),
      413,
      'payload_too_large',
    );
    await expectRefused(
      db,
      () =>
        importLog(examiner, drive.id, {
          text: fixture('dc3dd-EV-24-ok.log'),
          target: 'word '.repeat(500),
          dryRun: true,
        }),
      400,
      'field_too_long',
    );
  });

  describe('custos hashes import (command line)', () => {
    const custos = (
      args: string[],
      input: string,
    ): Promise<{ code: number | null; stdout: string; stderr: string }> => {
      const child = spawn(process.execPath, [resolve(process.cwd(), 'dist/src/cli.js'), 'hashes', 'import', ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          TMPDIR: tmpdir(),
          DATABASE_URL: database.appUrl,
          DATABASE_OWNER_URL: database.ownerUrl,
          DATA_DIR: dataDir,
          LEDGER_ORIGIN: 'test.custos.invalid/ledger',
          LOG_LEVEL: 'silent',
          RUN_MIGRATIONS: 'false',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end(input);
      return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
    };

    it('dry run prints what would be recorded; the import logs in as the user, signs with their password and records', async () => {
      const drive = await driveAtTheLab({ seizedFrom: 'EV-24' });
      const user = ['--user', usernameOf(examiner), '--password-stdin'];
      const before = await custodyState(db);
      const dry = await custos(
        [drive.itemNumber, join(OURS, 'dc3dd-EV-24-ok.log'), ...user, '--dry-run'],
        `${FACTORY_PASSWORD}\n`,
      );
      expect(dry).toMatchObject({ code: 0, stderr: '' });
      expect(dry.stdout).toContain('dc3dd log: dc3dd 7.2.646, its own verification: verified');
      expect(dry.stdout).toContain('target device (reference), computed 2026-11-20T09:18:16+01:00');
      expect(dry.stdout).toContain('dry run: nothing recorded');
      const wrong = await custos(
        [drive.id, join(OURS, 'dc3dd-EV-24-ok.log'), '--user', usernameOf(examiner), '--password-stdin'],
        'not-the-password-9\n',
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/invalid_credentials/);
      const unconfirmed = await custos(
        [drive.itemNumber, join(OURS, 'dc3dd-EV-24-mismatch.log'), ...user],
        FACTORY_PASSWORD,
      );
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain('confirm with --confirm tool_verification_failed');
      expect((await custodyState(db)).hashes).toEqual(before.hashes);

      const done = await custos([drive.itemNumber, join(OURS, 'dc3dd-EV-24-ok.log'), ...user], FACTORY_PASSWORD);
      expect(done).toMatchObject({ code: 0, stderr: '' });
      expect(done.stdout).toMatch(/recorded as ledger entry \d+, signed acquired; .* integrity: intact/);
      const hashes = (
        (await api().get(`/api/v1/items/${drive.id}/hashes`).set(bearer(examiner)).expect(200)).body as {
          hashes: HashRecordView[];
        }
      ).hashes;
      expect(hashes.map((h) => [h.role, h.algorithm, h.tool])).toEqual([
        ['reference', 'md5', 'dc3dd'],
        ['reference', 'sha256', 'dc3dd'],
      ]);
      const cp1252 = await custos(
        [
          drive.itemNumber,
          join(OURS, 'ftk-imager-cp1252-crlf.txt'),
          ...user,
          '--dry-run',
          '--time-zone',
          'Europe/Madrid',
          '--target',
          'image.e01',
        ],
        FACTORY_PASSWORD,
      );
      expect(cp1252.stdout).toContain('not UTF-8, read as Windows-1252');
      expect(cp1252.stdout).toContain('warning evidence_number_mismatch');
      // The image given instead of its log is refused before it is read.
      const image = join(dataDir, 'EV-24.dd');
      writeFileSync(image, Buffer.alloc(300 * 1024));
      const big = await custos([drive.itemNumber, image, ...user], FACTORY_PASSWORD);
      expect(big.code).toBe(65);
      expect(big.stderr).toContain('is this the image rather than its log?');
    }, 120_000);
  });
});
