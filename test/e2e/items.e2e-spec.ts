import { randomBytes } from 'node:crypto';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { HashRecordView } from '../../src/custody/hashes.service.js';
import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import {
  accept,
  hardDrive,
  phone,
  randomImei,
  release,
  seize,
  signature,
  usernameOf,
} from '../factories/custody.factory.js';
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

const YEAR = new Date().getUTCFullYear();
const CLOCK_SKEW_SECONDS = 120;
const ICCID = '8944500102198304826';
const IMAGE_MD5 = '098f6bcd4621d373cade4e832627b4f6';
const SENTENCE = 'Black smartphone, cracked screen, blue silicone case; found under the mattress. ';
const prose = (length: number): string => SENTENCE.repeat(Math.ceil(length / SENTENCE.length)).slice(0, length);
// 2 KiB of a photo as a client would send it: base64 of arbitrary bytes.
const photo = randomBytes(1536).toString('base64');

/** The last digit changed: the Luhn check no longer holds. */
const breakCheckDigit = (digits: string): string => digits.slice(0, -1) + String((Number(digits.at(-1)) + 1) % 10);
const sequenceOf = (itemNumber: string): number => Number(itemNumber.slice(-6));
const numbered = (agency: string, sequence: number): string => `${agency}-${YEAR}-${String(sequence).padStart(6, '0')}`;
/** The smallest seizure record: many of them fit in one 64 KiB body. */
const exhibit = (n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'other',
  description: `Exhibit ${n}`,
  occurredAt: '2026-11-20T09:14:00+01:00',
  place: 'Calle Mayor 12, Madrid',
  ...overrides,
});

/**
 * Seizures as a forensic lab and a property room need them: every item numbered gaplessly per
 * agency and year, every field checked the way the issuing standard defines it, all or nothing;
 * and the lists a clerk or a prosecutor searches.
 */
describe('items: seizure, numbering, validation and queries', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let officer: Session;
  let numberingOfficer: Session;
  let frenchOfficer: Session;
  let examiner: Session;
  let secondExaminer: Session;
  let auditor: Session;
  let outsider: Session;
  let caseId: string;
  let numberingCaseId: string;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const register = (
    session: Session,
    kase: string,
    items: Array<Record<string, unknown>>,
    extra: Record<string, unknown> = {},
  ): request.Test =>
    api()
      .post(`/api/v1/cases/${kase}/items`)
      .set(bearer(session))
      .send({ items, ...extra });
  const openCase = async (session: Session, caseNumber: string): Promise<string> =>
    (
      (
        await api()
          .post('/api/v1/cases')
          .set(bearer(session))
          .send({ caseNumber, title: `Operation ${caseNumber}` })
          .expect(201)
      ).body as { id: string }
    ).id;
  const ids = (found: readonly ItemView[]): string[] => found.map((item) => item.id);
  const list = async (session: Session, query: string): Promise<ItemView[]> =>
    ((await api().get(`/api/v1/items?${query}`).set(bearer(session)).expect(200)).body as { items: ItemView[] }).items;

  const refused = (
    attempt: () => request.Test,
    status: number,
    code: string,
    fields?: string[],
  ): Promise<request.Response> => expectRefused(db, attempt, status, code, fields);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_RATE_LIMIT_PER_IP: '10000', CLOCK_SKEW_SECONDS: String(CLOCK_SKEW_SECONDS) },
    });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    const guardiaCivil = await createAgency(db, { code: 'ES-GC', country: 'ES' });
    const france = await createAgency(db, { code: 'FR-GN', country: 'FR' });
    const germany = await createAgency(db, { code: 'DE-BKA', country: 'DE' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    examiner = await login(app, await createUser(db, spain, { roles: ['examiner'] }));
    secondExaminer = await login(app, await createUser(db, spain, { roles: ['examiner'] }));
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
    numberingOfficer = await login(app, await createUser(db, guardiaCivil, { roles: ['officer'] }));
    frenchOfficer = await login(app, await createUser(db, france, { roles: ['officer'] }));
    outsider = await login(app, await createUser(db, germany, { roles: ['officer', 'examiner'] }));
    caseId = await openCase(officer, 'OP-ITEMS-1');
    numberingCaseId = await openCase(numberingOfficer, 'GC-NUM-1');
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  describe('numbering: <AGENCY>-<YEAR>-<6 digits>, gapless per agency and year', () => {
    it('a batch of 200 is registered at once, with consecutive numbers from the first of the year', async () => {
      const items = await seize(
        app,
        numberingOfficer,
        numberingCaseId,
        Array.from({ length: 200 }, (_, n) => exhibit(n)),
      );
      expect(items.map((item) => item.itemNumber)).toEqual(
        Array.from({ length: 200 }, (_, n) => numbered('ES-GC', n + 1)),
      );
      expect(items.map((item) => item.description)).toEqual(Array.from({ length: 200 }, (_, n) => `Exhibit ${n}`));
    });

    it('a realistic batch of 200 fully described phones fits (the seizure route takes 256 KiB); a bigger body is 413 and takes no number', async () => {
      const phones = Array.from({ length: 200 }, () =>
        phone({ condition: 'Screen cracked at the upper left corner, SIM tray present, no case' }),
      );
      expect(Buffer.byteLength(JSON.stringify({ items: phones }))).toBeGreaterThan(64 * 1024);
      // An agency of its own, so the 200 numbers taken here disturb no other numbering test.
      const bulkOfficer = await login(
        app,
        await createUser(db, await createAgency(db, { code: 'ES-MOS', country: 'ES' }), { roles: ['officer'] }),
      );
      const bigCase = await openCase(bulkOfficer, 'OP-ITEMS-BIG');
      const items = await seize(app, bulkOfficer, bigCase, phones);
      expect(items).toHaveLength(200);
      const tooBig = Array.from({ length: 200 }, () =>
        phone({ condition: 'Screen cracked at the upper left corner. '.repeat(40) }),
      );
      expect(Buffer.byteLength(JSON.stringify({ items: tooBig }))).toBeGreaterThan(256 * 1024);
      await refused(() => register(bulkOfficer, bigCase, tooBig), 413, 'payload_too_large');
    });

    it('a batch of 201 is refused and takes no number', async () => {
      await refused(
        () =>
          register(
            numberingOfficer,
            numberingCaseId,
            Array.from({ length: 201 }, (_, n) => exhibit(n)),
          ),
        400,
        'validation_failed',
        ['items'],
      );
    });

    it('one bad item among 20 refuses the whole batch, names the item, and gives its numbers back', async () => {
      const [last] = (await seize(app, numberingOfficer, numberingCaseId, [exhibit(0)])).map((item) =>
        sequenceOf(item.itemNumber),
      );
      const batch = Array.from({ length: 20 }, (_, n) => exhibit(n, { kind: 'mobile_phone', imeis: [randomImei()] }));
      batch[13] = { ...batch[13], imeis: [breakCheckDigit(randomImei())] };
      await refused(() => register(numberingOfficer, numberingCaseId, batch), 400, 'validation_failed', [
        'items[13].imeis',
      ]);
      // A refusal only the service can decide (it needs the clock) takes no number either.
      const late = [...batch.slice(0, 13), exhibit(13), ...batch.slice(14)];
      late[19] = exhibit(19, { occurredAt: new Date(Date.now() + 3_600_000).toISOString() });
      await refused(() => register(numberingOfficer, numberingCaseId, late), 400, 'occurred_in_future', [
        'items[19].occurredAt',
      ]);
      const next = await seize(
        app,
        numberingOfficer,
        numberingCaseId,
        Array.from({ length: 20 }, (_, n) => exhibit(n)),
      );
      expect(next.map((item) => item.itemNumber)).toEqual(
        Array.from({ length: 20 }, (_, n) => numbered('ES-GC', last + 1 + n)),
      );
    });

    it('two agencies number independently', async () => {
      const frenchCase = await openCase(frenchOfficer, 'FR-1');
      const [french] = await seize(app, frenchOfficer, frenchCase, [exhibit(0)]);
      const [spanish] = await seize(app, officer, caseId, [exhibit(0)]);
      expect(french.itemNumber).toBe(numbered('FR-GN', 1));
      expect(spanish.itemNumber).toBe(numbered('ES-PN', 1));
      const [secondFrench] = await seize(app, frenchOfficer, frenchCase, [exhibit(1)]);
      expect(secondFrench.itemNumber).toBe(numbered('FR-GN', 2));
    });

    it('10 concurrent seizures of 5 items each get 50 unique numbers without a gap, each batch consecutive', async () => {
      const [before] = await seize(app, numberingOfficer, numberingCaseId, [exhibit(0)]);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, r) =>
          register(
            numberingOfficer,
            numberingCaseId,
            Array.from({ length: 5 }, (_, n) => exhibit(r * 5 + n)),
          ),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 10 }, () => 201));
      const batches = responses.map((response) =>
        (response.body as { items: ItemView[] }).items.map((item) => sequenceOf(item.itemNumber)),
      );
      for (const batch of batches) expect(batch).toEqual(Array.from({ length: 5 }, (_, n) => batch[0] + n));
      const all = batches.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 50 }, (_, n) => sequenceOf(before.itemNumber) + 1 + n));
    });
  });

  describe('who registers', () => {
    it('an officer of an agency the case is shared with read-only registers nothing (403 case_read_only)', async () => {
      const readOnlyCase = await openCase(officer, 'OP-ITEMS-READ');
      await api()
        .post(`/api/v1/cases/${readOnlyCase}/shares`)
        .set(bearer(officer))
        .send({ agencyCode: 'FR-GN', access: 'read' })
        .expect(201);
      await refused(() => register(frenchOfficer, readOnlyCase, [phone()]), 403, 'case_read_only');
      expect(await list(frenchOfficer, `caseId=${readOnlyCase}`)).toEqual([]);
    });

    it('an officer of an agency the case is shared with as contributor registers under their own agency’s numbers', async () => {
      const jointCase = await openCase(officer, 'OP-ITEMS-JOINT');
      await api()
        .post(`/api/v1/cases/${jointCase}/shares`)
        .set(bearer(officer))
        .send({ agencyCode: 'FR-GN', access: 'contribute' })
        .expect(201);
      const [registered] = await seize(app, frenchOfficer, jointCase, [phone()]);
      expect(registered).toMatchObject({
        case: { id: jointCase, agency: 'ES-PN' },
        custodian: { username: usernameOf(frenchOfficer), agency: 'FR-GN' },
      });
      expect(registered.itemNumber).toMatch(new RegExp(`^FR-GN-${YEAR}-\\d{6}$`));
      expect(ids(await list(officer, `caseId=${jointCase}`))).toEqual([registered.id]);
    });
  });

  describe('the fields a lab expects, checked', () => {
    it.each([
      ['an IMEI with a wrong check digit', { imeis: [breakCheckDigit(randomImei())] }, 'items[1].imeis'],
      ['an IMEI of 14 digits', { imeis: [randomImei().slice(0, 14)] }, 'items[1].imeis'],
      ['an IMEISV (16 digits)', { imeis: [`${randomImei()}1`] }, 'items[1].imeis'],
      ['five IMEIs', { imeis: Array.from({ length: 5 }, () => randomImei()) }, 'items[1].imeis'],
      ['an ICCID with a wrong check digit', { iccid: breakCheckDigit(ICCID) }, 'items[1].iccid'],
      ['an ICCID not starting 89', { iccid: `7${ICCID.slice(1)}` }, 'items[1].iccid'],
      ['a MAC address of five octets', { macAddresses: ['a4:5e:60:c2:19'] }, 'items[1].macAddresses'],
      ['a MAC address mixing separators', { macAddresses: ['a4:5e-60:c2:19:7f'] }, 'items[1].macAddresses'],
      ['a MAC address with a non-hex digit', { macAddresses: ['g4:5e:60:c2:19:7f'] }, 'items[1].macAddresses'],
      ['a capacity of 0 bytes', { capacityBytes: 0 }, 'items[1].capacityBytes'],
      ['a negative capacity', { capacityBytes: -512 }, 'items[1].capacityBytes'],
      ['a fractional capacity', { capacityBytes: 1.5 }, 'items[1].capacityBytes'],
      ['a capacity given as a string', { capacityBytes: '1000' }, 'items[1].capacityBytes'],
      [
        'a capacity beyond what JSON carries exactly',
        { capacityBytes: Number.MAX_SAFE_INTEGER + 1 },
        'items[1].capacityBytes',
      ],
      ['an unknown kind', { kind: 'smartphone' }, 'items[1].kind'],
      ['an unknown power state', { powerState: 'standby' }, 'items[1].powerState'],
      ['a seal number with a #', { sealNumber: 'SEAL#0042' }, 'items[1].sealNumber'],
      ['a seal number of 65 characters', { sealNumber: 'S'.repeat(65) }, 'items[1].sealNumber'],
      ['an occurredAt without its UTC offset', { occurredAt: '2026-11-20T09:14:00' }, 'items[1].occurredAt'],
      [
        'an occurredAt with the unknown offset -00:00',
        { occurredAt: '2026-11-20T09:14:00-00:00' },
        'items[1].occurredAt',
      ],
      ['an impossible date', { occurredAt: '2026-02-30T09:14:00+01:00' }, 'items[1].occurredAt'],
      // Years the database cannot hold used to answer 500.
      ['an occurredAt typed 0026 for 2026', { occurredAt: '0026-11-20T09:14:00+01:00' }, 'items[1].occurredAt'],
      ['an occurredAt in the year 0', { occurredAt: '0000-06-01T09:14:00Z' }, 'items[1].occurredAt'],
      ['a bell character in the make', { make: 'Sam\u0007sung' }, 'items[1].make'],
      ['a right-to-left override in the serial', { serial: 'R58R\u202E12AB' }, 'items[1].serial'],
      ['a line break in the place', { place: 'Calle Mayor 12\nMadrid' }, 'items[1].place'],
      ['a serial of spaces only', { serial: '   ' }, 'items[1].serial'],
      ['a place of 501 characters', { place: 'P'.repeat(501) }, 'items[1].place'],
      // 501 code points, as the database counts them (this used to pass validation and answer 500).
      [
        'a place of 499 characters and two variation selectors',
        { place: `${'P'.repeat(499)}\uFE0F\uFE0F` },
        'items[1].place',
      ],
      ['a make of 200 characters and a variation selector', { make: `${'M'.repeat(200)}\uFE0E` }, 'items[1].make'],
      ['a field the API does not have', { colour: 'black' }, 'items[1].colour'],
      // An optional field may be left out, not sent as null (null used to reach the service: 500s).
      ['a null make', { make: null }, 'items[1].make'],
      ['a null capacity', { capacityBytes: null }, 'items[1].capacityBytes'],
      ['a null parentId', { parentId: null }, 'items[1].parentId'],
      ['a null parentIndex', { parentIndex: null }, 'items[1].parentIndex'],
      ['a null acquisition', { acquisition: null }, 'items[1].acquisition'],
    ])('refuses %s: 400 validation_failed naming the field, nothing registered', async (_, override, field) => {
      await refused(() => register(officer, caseId, [phone(), phone(override)]), 400, 'validation_failed', [field]);
    });

    it('refuses the same IMEI twice on one item', async () => {
      const imei = randomImei();
      await refused(() => register(officer, caseId, [phone({ imeis: [imei, imei] })]), 400, 'validation_failed', [
        'items[0].imeis',
      ]);
    });

    it('refuses a field the API does not have at the top of the body', async () => {
      await refused(() => register(officer, caseId, [phone()], { priority: 'high' }), 400, 'validation_failed', [
        'priority',
      ]);
    });

    it('accepts valid identifiers and stores them normalised: trimmed serials, lower-case colon MACs, exact capacities', async () => {
      const imeis = [randomImei(), randomImei()];
      const [registered] = await seize(app, officer, caseId, [
        phone({
          make: '  Samsung ',
          model: ' Galaxy S21 ',
          serial: '  R58R12ABCDE  ',
          imeis: imeis.map((imei) => ` ${imei} `),
          iccid: ICCID,
          macAddresses: ['A4-5E-60-C2-19-7F', 'a45e.60c2.1980', 'A4:5E:60:C2:19:81'],
          capacityBytes: Number.MAX_SAFE_INTEGER,
          sealNumber: 'ES-PN/SEAL 0042_7.b',
          powerState: 'on',
        }),
      ]);
      expect(registered).toMatchObject({
        make: 'Samsung',
        model: 'Galaxy S21',
        serial: 'R58R12ABCDE',
        imeis,
        iccid: ICCID,
        macAddresses: ['a4:5e:60:c2:19:7f', 'a4:5e:60:c2:19:80', 'a4:5e:60:c2:19:81'],
        capacityBytes: '9007199254740991',
        sealNumber: 'ES-PN/SEAL 0042_7.b',
        powerState: 'on',
      });
      // As stored, not only as echoed.
      expect((await api().get(`/api/v1/items/${registered.id}`).set(bearer(auditor)).expect(200)).body).toEqual(
        registered,
      );
      const [drive] = await seize(app, officer, caseId, [hardDrive({ capacityBytes: 18_000_207_937_536 })]);
      expect(drive.capacityBytes).toBe('18000207937536');
    });

    it('keeps occurredAt in the offset it was given, in the view and in the ledger', async () => {
      const [registered, second] = await seize(app, officer, caseId, [
        phone({ occurredAt: '2026-11-20T09:14:00+05:30' }),
        phone({ occurredAt: '2026-11-21T22:05:30.250-03:00' }),
      ]);
      expect(registered.occurredAt).toBe('2026-11-20T09:14:00+05:30');
      expect(second.occurredAt).toBe('2026-11-21T22:05:30.250-03:00');
      expect(
        ((await api().get(`/api/v1/items/${second.id}`).set(bearer(officer)).expect(200)).body as ItemView).occurredAt,
      ).toBe('2026-11-21T22:05:30.250-03:00');
      const [seizure] = (
        (await api().get(`/api/v1/items/${registered.id}/history`).set(bearer(officer)).expect(200)).body as {
          events: HistoryEvent[];
        }
      ).events;
      expect(seizure.occurredAt).toBe('2026-11-20T09:14:00+05:30');
    });

    it('refuses an occurredAt later than now plus CLOCK_SKEW_SECONDS, and accepts one within the skew', async () => {
      const tooLate = new Date(Date.now() + (CLOCK_SKEW_SECONDS + 60) * 1000).toISOString();
      await refused(() => register(officer, caseId, [phone({ occurredAt: tooLate })]), 400, 'occurred_in_future', [
        'items[0].occurredAt',
      ]);
      const withinSkew = new Date(Date.now() + (CLOCK_SKEW_SECONDS - 60) * 1000);
      withinSkew.setUTCMilliseconds(0);
      const [registered] = await seize(app, officer, caseId, [
        phone({ occurredAt: withinSkew.toISOString().replace('.000Z', 'Z') }),
      ]);
      expect(registered.occurredAt).toBe(withinSkew.toISOString().replace('.000Z', 'Z'));
    });

    it('free text: a 2,000-character description is accepted, 2,001 refused as field_too_long', async () => {
      const [registered] = await seize(app, officer, caseId, [phone({ description: `${prose(1999)}!` })]);
      expect(registered.description).toHaveLength(2000);
      const response = await refused(
        () => register(officer, caseId, [phone(), phone({ description: prose(2001) })]),
        400,
        'field_too_long',
      );
      expect(response.body.detail).toContain('items[1].description');
    });

    it('free text: prose may break lines; an encoded blob is refused as content_not_accepted', async () => {
      const [registered] = await seize(app, officer, caseId, [
        phone({ condition: 'Screen cracked.\nSIM tray present.\tBack cover loose.' }),
      ]);
      expect(registered.condition).toBe('Screen cracked.\nSIM tray present.\tBack cover loose.');
      const response = await refused(
        () => register(officer, caseId, [phone({ condition: photo })]),
        400,
        'content_not_accepted',
      );
      expect(response.body.detail).toContain('items[0].condition');
      expect(response.text).not.toContain(photo.slice(0, 64));
    });
  });

  describe('links and derived items', () => {
    it('parentIndex links an item to an earlier one of the same batch; a forward or self link is refused', async () => {
      const [handset, sim] = await seize(app, officer, caseId, [
        phone(),
        {
          kind: 'sim_card',
          description: 'SIM in the phone',
          iccid: ICCID,
          parentIndex: 0,
          occurredAt: '2026-11-20T09:15:00+01:00',
          place: 'Bedroom',
        },
      ]);
      expect(sim.parent).toEqual({ id: handset.id, itemNumber: handset.itemNumber });
      expect(handset.parent).toBeNull();
      const simFirst = {
        kind: 'sim_card',
        description: 'SIM',
        parentIndex: 1,
        occurredAt: '2026-11-20T09:15:00+01:00',
        place: 'Bedroom',
      };
      await refused(() => register(officer, caseId, [simFirst, phone()]), 400, 'parent_invalid', [
        'items[0].parentIndex',
      ]);
      await refused(
        () => register(officer, caseId, [phone(), { ...simFirst, parentIndex: 1 }]),
        400,
        'parent_invalid',
        ['items[1].parentIndex'],
      );
      await refused(
        () => register(officer, caseId, [phone(), { ...simFirst, parentIndex: 0, parentId: handset.id }]),
        400,
        'parent_invalid',
        ['items[1].parentIndex'],
      );
    });

    it('parentId names an item of the same case', async () => {
      const [handset] = await seize(app, officer, caseId, [phone()]);
      const [sim] = await seize(app, officer, caseId, [
        {
          kind: 'sim_card',
          description: 'SIM found later in the tray',
          parentId: handset.id,
          occurredAt: '2026-11-20T10:00:00+01:00',
          place: 'Station',
        },
      ]);
      expect(sim.parent).toEqual({ id: handset.id, itemNumber: handset.itemNumber });
      const otherCase = await openCase(officer, 'OP-ITEMS-OTHER');
      await refused(
        () =>
          register(officer, otherCase, [
            {
              kind: 'sim_card',
              description: 'SIM',
              parentId: handset.id,
              occurredAt: '2026-11-20T10:00:00+01:00',
              place: 'Station',
            },
          ]),
        400,
        'parent_not_found',
        ['items[0].parentId'],
      );
    });

    describe('a forensic image, registered by the examiner who holds the drive', () => {
      let drive: ItemView;
      const image = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
        kind: 'forensic_image',
        description: 'E01 image of the drive',
        parentId: drive.id,
        occurredAt: '2026-11-22T13:30:00+01:00',
        place: 'ES-PN forensic lab',
        acquisition: {
          tool: 'Guymager',
          toolVersion: '0.8.13',
          target: 'image.e01',
          hashes: [{ algorithm: 'md5', value: IMAGE_MD5 }],
        },
        ...overrides,
      });

      beforeAll(async () => {
        [drive] = await seize(app, officer, caseId, [hardDrive()]);
        await accept(app, examiner, await release(app, officer, [drive.id], examiner, 'Imaging'));
      });

      it('is refused to an examiner who does not hold the parent (403 not_custodian)', async () => {
        await refused(
          () => register(secondExaminer, caseId, [image()], { signature: signature('acquired') }),
          403,
          'not_custodian',
        );
      });

      it('is refused without a signature, or signed with another meaning', async () => {
        await refused(() => register(examiner, caseId, [image()]), 400, 'signature_required', ['signature']);
        await refused(
          () => register(examiner, caseId, [image()], { signature: signature('verified') }),
          400,
          'signature_meaning_mismatch',
          ['signature.meaning'],
        );
        await refused(() => register(examiner, caseId, [image()], { signature: null }), 400, 'validation_failed', [
          'signature',
        ]);
      });

      it('is refused without acquisition or parent, and an officer may not register one (403 role_forbidden)', async () => {
        await refused(
          () => register(examiner, caseId, [image({ acquisition: undefined })], { signature: signature('acquired') }),
          400,
          'acquisition_required',
          ['items[0].acquisition'],
        );
        await refused(
          () => register(examiner, caseId, [image({ parentId: undefined })], { signature: signature('acquired') }),
          400,
          'parent_required',
          ['items[0].parentId'],
        );
        await refused(
          () => register(examiner, caseId, [image({ acquisition: null })], { signature: signature('acquired') }),
          400,
          'validation_failed',
          ['items[0].acquisition'],
        );
        await refused(
          () => register(officer, caseId, [image()], { signature: signature('acquired') }),
          403,
          'role_forbidden',
        );
        await refused(() => register(examiner, caseId, [phone()]), 403, 'role_forbidden');
      });

      it('an acquisition on a phone is refused; a seizure is not signed', async () => {
        const acquisition = {
          tool: 'UFED',
          toolVersion: '7.69',
          hashes: [{ algorithm: 'sha256', value: 'a'.repeat(64) }],
        };
        await refused(() => register(officer, caseId, [phone({ acquisition })]), 400, 'acquisition_not_allowed', [
          'items[0].acquisition',
        ]);
        await refused(
          () => register(officer, caseId, [phone()], { signature: signature('acquired') }),
          400,
          'signature_not_expected',
          ['signature'],
        );
      });

      it('starts in the examiner’s custody; an MD5-only reference is flagged weak', async () => {
        const response = await register(examiner, caseId, [image()], { signature: signature('acquired') }).expect(201);
        const [registered] = (response.body as { items: ItemView[] }).items;
        expect(registered).toMatchObject({
          kind: 'forensic_image',
          parent: { id: drive.id, itemNumber: drive.itemNumber },
          custodian: { username: usernameOf(examiner) },
          acquisition: { tool: 'Guymager', toolVersion: '0.8.13', method: null },
          state: 'in_custody',
          integrity: 'intact',
        });
        const { hashes } = (await api().get(`/api/v1/items/${registered.id}/hashes`).set(bearer(officer)).expect(200))
          .body as { hashes: HashRecordView[] };
        expect(hashes.map((hash) => [hash.target, hash.algorithm, hash.value, hash.role, hash.weak])).toEqual([
          ['image.e01', 'md5', IMAGE_MD5, 'reference', true],
        ]);
        const [derivation] = (
          (await api().get(`/api/v1/items/${registered.id}/history`).set(bearer(officer)).expect(200)).body as {
            events: HistoryEvent[];
          }
        ).events;
        expect(derivation).toMatchObject({
          type: 'item.derived',
          signatures: [expect.objectContaining({ username: usernameOf(examiner), meaning: 'acquired' })],
        });
        expect(derivation.data).toMatchObject({ hashes: { target: 'image.e01', weak: true } });
      });
    });
  });

  describe('queries', () => {
    let queryOfficer: Session;
    let clerk: Session;
    let queryCase: string;
    let otherCase: string;
    let items: ItemView[];
    let elsewhere: ItemView[];

    beforeAll(async () => {
      queryOfficer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
      clerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
      queryCase = await openCase(queryOfficer, 'OP-QUERY-1');
      otherCase = await openCase(queryOfficer, 'OP-QUERY-2');
      items = await seize(app, queryOfficer, queryCase, [
        phone({ serial: 'QSERIAL-ALPHA-1', sealNumber: 'QSEAL-0001' }),
        phone({ serial: 'qserial-beta-2', iccid: ICCID }),
        hardDrive({ serial: 'QDRIVE-0003' }),
        ...Array.from({ length: 4 }, (_, n) => exhibit(n)),
      ]);
      elsewhere = await seize(app, queryOfficer, otherCase, [hardDrive(), exhibit(99)]);
      // One item pending to the clerk, one compromised by a mismatching verification.
      await release(app, queryOfficer, [items[3].id], clerk, 'Storage');
      await api()
        .post(`/api/v1/items/${items[2].id}/hashes`)
        .set(bearer(queryOfficer))
        .send({
          target: 'device',
          hashes: [{ algorithm: 'sha256', value: 'a'.repeat(64) }],
          occurredAt: '2026-11-21T10:00:00+01:00',
          signature: signature('acquired'),
        })
        .expect(201);
      await api()
        .post(`/api/v1/items/${items[2].id}/hashes`)
        .set(bearer(queryOfficer))
        .send({
          target: 'device',
          hashes: [{ algorithm: 'sha256', value: 'b'.repeat(64) }],
          occurredAt: '2026-11-21T11:00:00+01:00',
        })
        .expect(201);
    });

    it('by case, in item-number order', async () => {
      expect(ids(await list(queryOfficer, `caseId=${queryCase}`))).toEqual(ids(items));
      expect(ids(await list(queryOfficer, `caseId=${otherCase}`))).toEqual(ids(elsewhere));
    });

    it('by custodian: what I hold (custodian=me), across cases', async () => {
      expect(ids(await list(queryOfficer, 'custodian=me'))).toEqual([...ids(items), ...ids(elsewhere)]);
      expect(await list(clerk, 'custodian=me')).toEqual([]);
    });

    it('by state and by integrity', async () => {
      expect(ids(await list(queryOfficer, `caseId=${queryCase}&state=transfer_pending`))).toEqual([items[3].id]);
      expect(ids(await list(queryOfficer, `caseId=${queryCase}&integrity=compromised`))).toEqual([items[2].id]);
      expect(ids(await list(queryOfficer, `caseId=${queryCase}&state=in_custody&integrity=intact`))).toEqual(
        ids(items).filter((id) => id !== items[2].id && id !== items[3].id),
      );
      await refused(() => api().get('/api/v1/items?state=lost').set(bearer(queryOfficer)), 400, 'validation_failed', [
        'state',
      ]);
    });

    it('by text: item number or its start, serial or seal number (start, any case), IMEI, ICCID', async () => {
      expect(ids(await list(queryOfficer, `q=${items[4].itemNumber}`))).toEqual([items[4].id]);
      // Scan-to-find: the start of a number, in any case.
      expect(ids(await list(queryOfficer, `caseId=${queryCase}&q=es-pn-${YEAR}-`))).toEqual(ids(items));
      const prefix = items[6].itemNumber.slice(0, -1);
      expect(ids(await list(queryOfficer, `caseId=${queryCase}&q=${prefix}`))).toEqual(
        ids(items.filter((item) => item.itemNumber.startsWith(prefix))),
      );
      expect(ids(await list(queryOfficer, 'q=qserial-alpha'))).toEqual([items[0].id]);
      expect(ids(await list(queryOfficer, 'q=QSERIAL'))).toEqual([items[0].id, items[1].id]);
      expect(ids(await list(queryOfficer, 'q=qseal-00'))).toEqual([items[0].id]);
      expect(ids(await list(queryOfficer, `q=${items[1].imeis[0]}`))).toEqual([items[1].id]);
      expect(ids(await list(queryOfficer, `caseId=${queryCase}&q=${ICCID}`))).toEqual([items[1].id]);
      // An IMEI is found whole, not by its beginning (it is not a serial).
      expect(await list(queryOfficer, `q=${items[1].imeis[0].slice(0, 10)}`)).toEqual([]);
      // LIKE wildcards are searched for literally.
      expect(await list(queryOfficer, 'q=%25')).toEqual([]);
      expect(await list(queryOfficer, 'q=_')).toEqual([]);
    });

    it('paginates with limit and cursor: every item exactly once, in order', async () => {
      const seen: ItemView[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `caseId=${queryCase}&limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page = (await api().get(`/api/v1/items?${query}`).set(bearer(queryOfficer)).expect(200)).body as {
          items: ItemView[];
          nextCursor: string | null;
        };
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(ids(seen)).toEqual(ids(items));
      await refused(
        () => api().get('/api/v1/items?cursor=not-a-cursor').set(bearer(queryOfficer)),
        400,
        'cursor_invalid',
      );
      await refused(() => api().get('/api/v1/items?limit=501').set(bearer(queryOfficer)), 400, 'validation_failed', [
        'limit',
      ]);
    });

    it('a user of an agency the case is not shared with sees none of it', async () => {
      expect(await list(outsider, `caseId=${queryCase}`)).toEqual([]);
      expect(await list(outsider, 'q=QSERIAL')).toEqual([]);
      expect(await list(outsider, `q=${items[1].imeis[0]}`)).toEqual([]);
      expect(await list(outsider, 'custodian=me')).toEqual([]);
      await refused(() => api().get(`/api/v1/items/${items[0].id}`).set(bearer(outsider)), 404, 'item_not_found');
      await refused(
        () => api().get(`/api/v1/items/${items[0].id}/hashes`).set(bearer(outsider)),
        404,
        'item_not_found',
      );
      await refused(() => register(outsider, queryCase, [phone()]), 404, 'case_not_found');
    });

    it('an auditor of the owning agency reads the items but registers nothing (403 role_forbidden)', async () => {
      expect(ids(await list(auditor, `caseId=${queryCase}`))).toEqual(ids(items));
      expect((await api().get(`/api/v1/items/${items[2].id}`).set(bearer(auditor)).expect(200)).body).toMatchObject({
        id: items[2].id,
        integrity: 'compromised',
      });
      await api().get(`/api/v1/items/${items[2].id}/history`).set(bearer(auditor)).expect(200);
      await refused(() => register(auditor, queryCase, [phone()]), 403, 'role_forbidden');
    });
  });

  it('afterwards, the ledger verifies and its replay matches the current-state tables', async () => {
    const { vkey } = (await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string };
    expect(await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(vkey)], deep: true })).toMatchObject({
      ok: true,
    });
  });
});
