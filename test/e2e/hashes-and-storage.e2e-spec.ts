import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { HashRecordView } from '../../src/custody/hashes.service.js';
import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { accept, hardDrive, phone, release, seize, signature, usernameOf } from '../factories/custody.factory.js';
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
import { expectRefused } from '../utils/custody-state.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const MD5 = '098f6bcd4621d373cade4e832627b4f6';
const SHA512 =
  'ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff';

interface HashesResponse {
  item: ItemView;
  records: HashRecordView[];
}

/**
 * What a lab and a property room do after the seizure: hash the evidence and verify it, store it,
 * dispose of it under an authority with a witness, and correct what was recorded wrongly — never
 * editing, always adding, and every refusal leaving everything as it was.
 */
describe('hashes, storage, disposition and corrections', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let officer: Session;
  let examiner: Session;
  let clerk: Session;
  let readOnlyExaminer: Session;
  let caseId: string;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const recordHashes = (session: Session, itemId: string, body: Record<string, unknown>): request.Test =>
    api()
      .post(`/api/v1/items/${itemId}/hashes`)
      .set(bearer(session))
      .send({
        target: 'device',
        occurredAt: '2026-11-22T10:02:00+01:00',
        tool: 'Tableau TX1',
        toolVersion: '22.3',
        ...body,
      });
  const hashesOf = async (session: Session, itemId: string): Promise<HashRecordView[]> =>
    (
      (await api().get(`/api/v1/items/${itemId}/hashes`).set(bearer(session)).expect(200)).body as {
        hashes: HashRecordView[];
      }
    ).hashes;
  const item = async (session: Session, id: string): Promise<ItemView> =>
    (await api().get(`/api/v1/items/${id}`).set(bearer(session)).expect(200)).body as ItemView;
  const history = async (session: Session, id: string): Promise<HistoryEvent[]> =>
    (
      (await api().get(`/api/v1/items/${id}/history`).set(bearer(session)).expect(200)).body as {
        events: HistoryEvent[];
      }
    ).events;
  const move = (session: Session, id: string, location: string): request.Test =>
    api().post(`/api/v1/items/${id}/location`).set(bearer(session)).send({ location });
  const correct = (
    session: Session,
    id: string,
    corrects: number,
    changes: Record<string, unknown>,
    reason = 'Misread at the scene',
  ): request.Test =>
    api()
      .post(`/api/v1/items/${id}/corrections`)
      .set(bearer(session))
      .send({ corrects, reason, changes, signature: signature('corrected') });

  const refused = (
    attempt: () => request.Test,
    status: number,
    code: string,
    fields?: string[],
  ): Promise<request.Response> => expectRefused(db, attempt, status, code, fields);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    const portugal = await createAgency(db, { code: 'PT-PJ', country: 'PT' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    examiner = await login(app, await createUser(db, spain, { roles: ['examiner'] }));
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
    readOnlyExaminer = await login(app, await createUser(db, portugal, { roles: ['examiner'] }));
    caseId = (
      (
        await api()
          .post('/api/v1/cases')
          .set(bearer(officer))
          .send({ caseNumber: 'OP-HASH-1', title: 'Operation Hash' })
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

  /** A drive seized by the officer and handed to the examiner. */
  const driveAtTheLab = async (): Promise<ItemView> => {
    const [drive] = await seize(app, officer, caseId, [hardDrive()]);
    await accept(app, examiner, await release(app, officer, [drive.id], examiner, 'Acquisition'), {
      location: 'Lab/Safe 1',
    });
    return drive;
  };

  describe('hashes', () => {
    let drive: ItemView;

    beforeAll(async () => {
      drive = await driveAtTheLab();
    });

    it('the first record of a target is its reference: unsigned, or signed with another meaning, it is refused', async () => {
      const values = [{ algorithm: 'sha256', value: SHA256 }];
      await refused(() => recordHashes(examiner, drive.id, { hashes: values }), 400, 'signature_required', [
        'signature',
      ]);
      await refused(
        () => recordHashes(examiner, drive.id, { hashes: values, signature: signature('verified') }),
        400,
        'signature_meaning_mismatch',
        ['signature.meaning'],
      );
      await refused(
        () =>
          recordHashes(examiner, drive.id, { hashes: values, signature: signature('acquired', 'not-my-password-1') }),
        401,
        'signature_password_invalid',
      );
      // Sent as null rather than left out, it is refused by validation (it used to reach the signing code: 500).
      await refused(
        () => recordHashes(examiner, drive.id, { hashes: values, signature: null }),
        400,
        'validation_failed',
        ['signature'],
      );
      await refused(
        () => recordHashes(examiner, drive.id, { hashes: values, tool: null, signature: signature('acquired') }),
        400,
        'validation_failed',
        ['tool'],
      );
    });

    it('only the custodian records hashes (403 not_custodian)', async () => {
      await refused(
        () =>
          recordHashes(officer, drive.id, {
            hashes: [{ algorithm: 'sha256', value: SHA256 }],
            signature: signature('acquired'),
          }),
        403,
        'not_custodian',
      );
      await refused(
        () =>
          recordHashes(readOnlyExaminer, drive.id, {
            hashes: [{ algorithm: 'sha256', value: SHA256 }],
            signature: signature('acquired'),
          }),
        403,
        'case_read_only',
      );
    });

    it('a clerk holding an item verifies its hashes; its reference (the acquisition) is for examiners and officers', async () => {
      const [bag] = await seize(app, officer, caseId, [phone()]);
      await accept(app, clerk, await release(app, officer, [bag.id], clerk, 'Storage'));
      const values = [{ algorithm: 'sha256', value: SHA256 }];
      // No reference yet: the clerk does not acquire, whatever they sign.
      await refused(
        () => recordHashes(clerk, bag.id, { hashes: values, signature: signature('acquired') }),
        403,
        'reference_not_allowed',
      );
      // Back at the lab, the examiner records the reference; the property room then verifies it.
      await accept(app, examiner, await release(app, clerk, [bag.id], examiner, 'Acquisition'));
      await recordHashes(examiner, bag.id, { hashes: values, signature: signature('acquired') }).expect(201);
      await accept(app, clerk, await release(app, examiner, [bag.id], clerk, 'Storage'));
      const verified = (await recordHashes(clerk, bag.id, { hashes: values, tool: 'FTK Imager' }).expect(201))
        .body as HashesResponse;
      expect(verified.records).toMatchObject([{ role: 'verification', result: 'match', tool: 'FTK Imager' }]);
      const signed = (
        await recordHashes(clerk, bag.id, { hashes: values, signature: signature('verified') }).expect(201)
      ).body as HashesResponse;
      const [entry] = (await history(clerk, bag.id)).filter(
        (event) => event.ledgerIndex === signed.records[0].ledgerIndex,
      );
      expect(entry.signatures).toMatchObject([{ meaning: 'verified', role: 'clerk' }]);
      // Each signature's access-log row names the record it signed.
      const rows = await db.query<Array<{ subject_type: string; subject_label: string; case_id: string }>>(
        `SELECT subject_type, subject_label, case_id FROM access_log
          WHERE event = 'signature.sign' AND outcome = 'success' AND details->>'meaning' = 'verified'`,
      );
      expect(rows).toEqual([{ subject_type: 'item', subject_label: bag.itemNumber, case_id: caseId }]);
    });

    it.each([
      [
        'a value one digit short',
        [{ algorithm: 'sha256', value: SHA256.slice(1) }],
        'hash_value_invalid',
        'hashes[0].value',
      ],
      ['an MD5 given as SHA-1', [{ algorithm: 'sha1', value: MD5 }], 'hash_value_invalid', 'hashes[0].value'],
      [
        'a value that is not hex',
        [{ algorithm: 'md5', value: `${MD5.slice(1)}g` }],
        'validation_failed',
        'hashes[0].value',
      ],
      ['an unknown algorithm', [{ algorithm: 'sha3-256', value: SHA256 }], 'validation_failed', 'hashes[0].algorithm'],
      [
        'the same algorithm twice',
        [
          { algorithm: 'sha256', value: SHA256 },
          { algorithm: 'sha256', value: SHA256 },
        ],
        'validation_failed',
        'hashes[1].algorithm',
      ],
      ['no value at all', [], 'validation_failed', 'hashes'],
    ])('refuses %s', async (_, hashes, code, field) => {
      await refused(() => recordHashes(examiner, drive.id, { hashes, signature: signature('acquired') }), 400, code, [
        field,
      ]);
    });

    it('refuses a time in the future, or in a year the database cannot hold', async () => {
      const hashes = [{ algorithm: 'sha256', value: SHA256 }];
      await refused(
        () =>
          recordHashes(examiner, drive.id, {
            hashes,
            occurredAt: new Date(Date.now() + 3_600_000).toISOString(),
            signature: signature('acquired'),
          }),
        400,
        'occurred_in_future',
        ['occurredAt'],
      );
      await refused(
        () =>
          recordHashes(examiner, drive.id, {
            hashes,
            occurredAt: '0000-01-01T00:00:00Z',
            signature: signature('acquired'),
          }),
        400,
        'validation_failed',
        ['occurredAt'],
      );
    });

    it('refuses a tool version without its tool (the ledger names a tool as name and version)', async () => {
      await refused(
        () =>
          recordHashes(examiner, drive.id, {
            hashes: [{ algorithm: 'sha256', value: SHA256 }],
            tool: undefined,
            toolVersion: '20140814',
            signature: signature('acquired'),
          }),
        400,
        'tool_version_without_tool',
        ['tool'],
      ); // and nothing changed (expectRefused compares the custody tables and the ledger)
    });

    it('a reference: upper-case hex is accepted and stored lower-case, signed `acquired`; MD5 and SHA-1 alone are weak', async () => {
      const reference = (
        await recordHashes(examiner, drive.id, {
          hashes: [
            { algorithm: 'sha256', value: SHA256.toUpperCase() },
            { algorithm: 'md5', value: MD5 },
          ],
          signature: signature('acquired'),
        }).expect(201)
      ).body as HashesResponse;
      expect(reference.records.map((r) => [r.role, r.algorithm, r.value, r.result, r.weak])).toEqual([
        ['reference', 'md5', MD5, null, false],
        ['reference', 'sha256', SHA256, null, false],
      ]);
      expect(reference.records[0]).toMatchObject({
        target: 'device',
        tool: 'Tableau TX1',
        toolVersion: '22.3',
        occurredAt: '2026-11-22T10:02:00+01:00',
        recordedBy: { username: usernameOf(examiner) },
      });
      const [entry] = (await history(examiner, drive.id)).filter((e) => e.type === 'hash.recorded');
      expect(entry.signatures).toEqual([
        expect.objectContaining({ username: usernameOf(examiner), meaning: 'acquired' }),
      ]);

      const weak = (
        await recordHashes(examiner, drive.id, {
          target: 'partition.1',
          hashes: [
            { algorithm: 'sha1', value: SHA1 },
            { algorithm: 'md5', value: MD5 },
          ],
          signature: signature('acquired'),
        }).expect(201)
      ).body as HashesResponse;
      expect(weak.records.map((r) => [r.target, r.role, r.weak])).toEqual([
        ['partition.1', 'reference', true],
        ['partition.1', 'reference', true],
      ]);
    });

    it('a record of another target is that target’s own reference, and needs its own signature', async () => {
      await refused(
        () =>
          recordHashes(examiner, drive.id, { target: 'image.e01', hashes: [{ algorithm: 'sha256', value: SHA256 }] }),
        400,
        'signature_required',
        ['signature'],
      );
      const image = (
        await recordHashes(examiner, drive.id, {
          target: 'image.e01',
          hashes: [{ algorithm: 'sha512', value: SHA512 }],
          signature: signature('acquired'),
        }).expect(201)
      ).body as HashesResponse;
      // The same value as the device's reference, but not compared with it: another target.
      expect(image.records.map((r) => [r.target, r.role, r.result, r.weak])).toEqual([
        ['image.e01', 'reference', null, false],
      ]);
    });

    it('a verification is compared algorithm by algorithm: match, or not_compared when the reference has no such value; a signature is optional', async () => {
      const verification = (
        await recordHashes(examiner, drive.id, {
          hashes: [
            { algorithm: 'sha256', value: SHA256 },
            { algorithm: 'sha512', value: SHA512 },
          ],
          tool: 'ewfverify',
        }).expect(201)
      ).body as HashesResponse;
      expect(verification.records.map((r) => [r.role, r.algorithm, r.result])).toEqual([
        ['verification', 'sha256', 'match'],
        ['verification', 'sha512', 'not_compared'],
      ]);
      expect(verification.item.integrity).toBe('intact');
      const signed = (
        await recordHashes(examiner, drive.id, {
          hashes: [{ algorithm: 'md5', value: MD5.toUpperCase() }],
          signature: signature('verified'),
        }).expect(201)
      ).body as HashesResponse;
      expect(signed.records.map((r) => [r.value, r.result])).toEqual([[MD5, 'match']]);
      await refused(
        () =>
          recordHashes(examiner, drive.id, {
            hashes: [{ algorithm: 'md5', value: MD5 }],
            signature: signature('acquired'),
          }),
        400,
        'signature_meaning_mismatch',
        ['signature.meaning'],
      );
    });

    it('a mismatch marks the item compromised for good: a later matching verification does not restore it', async () => {
      const mismatch = (
        await recordHashes(examiner, drive.id, {
          hashes: [
            { algorithm: 'sha256', value: 'e'.repeat(64) },
            { algorithm: 'md5', value: MD5 },
          ],
        }).expect(201)
      ).body as HashesResponse;
      expect(mismatch.records.map((r) => [r.algorithm, r.result])).toEqual([
        ['md5', 'match'],
        ['sha256', 'mismatch'],
      ]);
      expect(mismatch.item.integrity).toBe('compromised');
      const later = (
        await recordHashes(examiner, drive.id, { hashes: [{ algorithm: 'sha256', value: SHA256 }] }).expect(201)
      ).body as HashesResponse;
      expect(later.records.map((r) => r.result)).toEqual(['match']);
      expect(later.item.integrity).toBe('compromised');
      expect(await item(officer, drive.id)).toMatchObject({ integrity: 'compromised' });
      const flagged = (
        await api()
          .get(`/api/v1/items?caseId=${caseId}&integrity=compromised`)
          .set(bearer(readOnlyExaminer))
          .expect(200)
      ).body.items as ItemView[];
      expect(flagged.map((i) => i.id)).toEqual([drive.id]);
      const verifications = (await history(readOnlyExaminer, drive.id))
        .filter((e) => e.type === 'hash.recorded')
        .slice(-2);
      expect(verifications[0].hashes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ algorithm: 'sha256', role: 'verification', result: 'mismatch' }),
        ]),
      );
      expect(verifications[0].summary).toMatch(/mismatch/);
    });

    it('GET /items/:id/hashes lists every reference and verification in ledger order', async () => {
      const all = await hashesOf(readOnlyExaminer, drive.id);
      expect(all.filter((h) => h.role === 'reference').map((h) => `${h.target}/${h.algorithm}`)).toEqual([
        'device/md5',
        'device/sha256',
        'partition.1/md5',
        'partition.1/sha1',
        'image.e01/sha512',
      ]);
      expect(all.filter((h) => h.role === 'verification').map((h) => h.result)).toEqual([
        'match',
        'not_compared',
        'match',
        'match',
        'mismatch',
        'match',
      ]);
      const indexes = all.map((h) => h.ledgerIndex);
      expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
    });

    it('a verification planned before its item changed is decided again on the changed item: handed over meanwhile, it is refused, not recorded', async () => {
      const lab = await driveAtTheLab();
      await recordHashes(examiner, lab.id, {
        hashes: [{ algorithm: 'sha256', value: SHA256 }],
        signature: signature('acquired'),
      }).expect(201);
      // White box: hold the ledger's group so that a hand-over and an unsigned verification (which
      // is planned outside the group, LedgerService.writeBatched) queue behind it, in that order.
      const ledger = app.get(LedgerService);
      const queued = (): number => (ledger as unknown as { queue: unknown[] }).queue.length;
      const until = async (condition: () => boolean): Promise<void> => {
        for (const started = Date.now(); !condition();) {
          if (Date.now() - started > 15_000) throw new Error('the writes did not queue');
          await new Promise((done) => setTimeout(done, 10));
        }
      };
      let open!: () => void;
      const holding = ledger.write(() => new Promise<void>((done) => (open = done)));
      const handOver = api()
        .post('/api/v1/transfers')
        .set(bearer(examiner))
        .send({
          itemIds: [lab.id],
          to: usernameOf(clerk),
          purpose: 'Back to the property room',
          signature: signature('released'),
        })
        .then((response) => response);
      await until(() => queued() === 1);
      const verification = recordHashes(examiner, lab.id, { hashes: [{ algorithm: 'sha256', value: SHA256 }] }).then(
        (response) => response,
      );
      await until(() => queued() === 2);
      open();
      await holding;
      expect((await handOver).status).toBe(201);
      // The plan was made on the item in custody; the hand-over ran first in the group and moved
      // it, so the verification's own unit of work decided: the item is in a pending transfer.
      const refusal = await verification;
      expect(refusal.status).toBe(409);
      expect(refusal.body).toMatchObject({ code: 'item_transfer_pending' });
      expect((await hashesOf(examiner, lab.id)).map((record) => record.role)).toEqual(['reference']);
    });
  });

  describe('storage moves', () => {
    it('only the custodian moves an item (403 not_custodian); a move to where it is already is refused', async () => {
      const [held] = await seize(app, officer, caseId, [phone({ location: 'Vehicle 3, evidence locker' })]);
      await refused(() => move(clerk, held.id, 'Madrid/HQ/Room 2'), 403, 'not_custodian');
      await refused(() => move(readOnlyExaminer, held.id, 'Lisbon'), 403, 'case_read_only');
      await refused(() => move(officer, held.id, 'Vehicle 3, evidence locker'), 400, 'location_unchanged', [
        'location',
      ]);
      await refused(() => move(officer, held.id, ' Vehicle 3, evidence locker  '), 400, 'location_unchanged', [
        'location',
      ]);
      await refused(() => move(officer, held.id, ''), 400, 'validation_failed', ['location']);
      const moved = (await move(officer, held.id, 'Madrid/HQ/Room 2/Shelf B').expect(200)).body as ItemView;
      expect(moved.location).toBe('Madrid/HQ/Room 2/Shelf B');
      expect((await history(officer, held.id)).at(-1)).toMatchObject({
        type: 'item.moved',
        location: 'Madrid/HQ/Room 2/Shelf B',
        data: { from: 'Vehicle 3, evidence locker', to: 'Madrid/HQ/Room 2/Shelf B' },
      });
    });
  });

  describe('disposition', () => {
    let held: ItemView;
    const disposal = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
      disposition: 'returned_to_owner',
      authorityReference: 'JI-7 Madrid, auto 311/2027',
      recipient: 'Owner receipt 2027/55',
      occurredAt: '2026-11-27T11:00:00+01:00',
      witness: { username: usernameOf(clerk), password: FACTORY_PASSWORD },
      signature: signature('disposed'),
      ...overrides,
    });
    const dispose = (session: Session, body: Record<string, unknown>): request.Test =>
      api().post(`/api/v1/items/${held.id}/disposition`).set(bearer(session)).send(body);

    beforeAll(async () => {
      [held] = await seize(app, officer, caseId, [phone()]);
    });

    it('needs a witness other than the custodian, who exists and types their own password', async () => {
      await refused(
        () => dispose(officer, disposal({ witness: { username: usernameOf(officer), password: FACTORY_PASSWORD } })),
        400,
        'witness_invalid',
        ['witness.username'],
      );
      await refused(
        () => dispose(officer, disposal({ witness: { username: 'clerk.nobody', password: FACTORY_PASSWORD } })),
        400,
        'witness_invalid',
        ['witness.username'],
      );
      // Two passwords in one request: the refusal says whose was wrong.
      await refused(
        () => dispose(officer, disposal({ witness: { username: usernameOf(clerk), password: 'wrong-password-999' } })),
        401,
        'signature_password_invalid',
        ['witness.password'],
      );
      await refused(
        () => dispose(officer, disposal({ signature: signature('disposed', 'wrong-password-999') })),
        401,
        'signature_password_invalid',
        ['signature.password'],
      );
      // Left out (it used to answer 500) or null.
      await refused(() => dispose(officer, disposal({ witness: undefined })), 400, 'validation_failed', ['witness']);
      await refused(() => dispose(officer, disposal({ witness: null })), 400, 'validation_failed', ['witness']);
    });

    it('wrong witness passwords delay that custodian with that witness, never the witness’s own logins', async () => {
      // Defaults: 3 free failures, then 2 s, doubling (ADR 0016).
      const witnessUser = await createUser(db, spain, { roles: ['officer'] });
      const guess = (n: number): Record<string, unknown> =>
        disposal({ witness: { username: witnessUser.username, password: `guessing-the-witness-${n}` } });
      for (let n = 1; n <= 4; n++)
        await refused(() => dispose(officer, guess(n)), 401, 'signature_password_invalid', ['witness.password']);
      const throttled = await refused(
        () => dispose(officer, disposal({ witness: { username: witnessUser.username, password: FACTORY_PASSWORD } })),
        429,
        'password_throttled',
      );
      expect(throttled.headers['retry-after']).toMatch(/^[12]$/);
      // The witness logs in and signs their own acts as before; the custodian's own signature works too.
      const witness = await login(app, witnessUser);
      const [own] = await seize(app, witness, caseId, [phone()]);
      await move(witness, own.id, 'Madrid/HQ/Room 2/Shelf C').expect(200);
      // A signed release by the witness (signature.password is theirs, typed in their own session).
      await release(app, witness, [own.id], examiner, 'Second opinion');
      const failures = await db.query<Array<{ actor_username: string; delay: string; client: string }>>(
        `SELECT actor_username, details->>'delaySeconds' AS delay, details->>'throttledClient' AS client
           FROM access_log WHERE event = 'signature.sign' AND outcome = 'failure' AND actor_username = $1 ORDER BY id`,
        [witnessUser.username],
      );
      expect(failures.map((row) => row.delay)).toEqual(['0', '0', '0', '2']);
      expect(new Set(failures.map((row) => row.client))).toEqual(new Set([`custodian:${String(officer.user.id)}`]));
    });

    it('refuses a witness who cannot see the case, holds no custody role, or is disabled, writing nothing', async () => {
      const france = await createAgency(db, { code: 'FR-PJ', country: 'FR' });
      const outsider = await createUser(db, france, { roles: ['examiner'] });
      const auditor = await createUser(db, spain, { roles: ['auditor'] });
      const administrator = await createUser(db, spain, { roles: ['admin'] });
      const disabled = await createUser(db, spain, { roles: ['clerk'], active: false });
      const why = (witness: { id: string }): string =>
        witness === outsider
          ? 'has no access to case'
          : witness === disabled
            ? 'There is no active user'
            : 'The witness is an officer, clerk, examiner or prosecutor';
      for (const witness of [outsider, auditor, administrator, disabled]) {
        const response = await refused(
          () => dispose(officer, disposal({ witness: { username: witness.username, password: FACTORY_PASSWORD } })),
          400,
          'witness_invalid',
          ['witness.username'],
        );
        expect(response.body.detail).toContain(why(witness));
      }
      expect((await item(officer, held.id)).state).not.toBe('disposed');
    });

    it('says who received it when returned or released, is signed `disposed`, and only by the custodian', async () => {
      await refused(() => dispose(officer, disposal({ recipient: undefined })), 400, 'recipient_required', [
        'recipient',
      ]);
      // A null recipient used to pass as "given" and record a return to nobody.
      await refused(() => dispose(officer, disposal({ recipient: null })), 400, 'validation_failed', ['recipient']);
      await refused(
        () => dispose(officer, disposal({ disposition: 'released_to_authority', recipient: undefined })),
        400,
        'recipient_required',
        ['recipient'],
      );
      await refused(() => dispose(officer, disposal({ disposition: 'lost' })), 400, 'validation_failed', [
        'disposition',
      ]);
      await refused(
        () => dispose(officer, disposal({ signature: signature('witnessed') })),
        400,
        'signature_meaning_mismatch',
        ['signature.meaning'],
      );
      await refused(
        () => dispose(officer, disposal({ occurredAt: new Date(Date.now() + 3_600_000).toISOString() })),
        400,
        'occurred_in_future',
        ['occurredAt'],
      );
      await refused(
        () => dispose(clerk, disposal({ witness: { username: usernameOf(officer), password: FACTORY_PASSWORD } })),
        403,
        'not_custodian',
      );
    });

    it('is terminal: afterwards no move, transfer or hash (409 item_disposed), but a correction is still recorded', async () => {
      const disposed = (await dispose(officer, disposal()).expect(200)).body as ItemView;
      expect(disposed).toMatchObject({
        state: 'disposed',
        disposition: { kind: 'returned_to_owner', at: '2026-11-27T10:00:00.000Z' },
      });
      const last = (await history(officer, held.id)).at(-1)!;
      expect(last).toMatchObject({
        type: 'item.disposed',
        occurredAt: '2026-11-27T11:00:00+01:00',
        data: { recipient: 'Owner receipt 2027/55', authorityReference: 'JI-7 Madrid, auto 311/2027' },
      });
      expect(last.signatures.map((s) => [s.username, s.meaning])).toEqual([
        [usernameOf(officer), 'disposed'],
        [usernameOf(clerk), 'witnessed'],
      ]);

      await refused(() => move(officer, held.id, 'Elsewhere'), 409, 'item_disposed');
      await refused(
        () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(officer))
            .send({ itemIds: [held.id], to: usernameOf(clerk), purpose: 'x', signature: signature('released') }),
        409,
        'item_disposed',
      );
      await refused(
        () =>
          recordHashes(officer, held.id, {
            hashes: [{ algorithm: 'sha256', value: SHA256 }],
            signature: signature('acquired'),
          }),
        409,
        'item_disposed',
      );
      await refused(() => dispose(officer, disposal()), 409, 'item_disposed');

      const seizure = (await history(officer, held.id))[0];
      const corrected = (
        await correct(
          officer,
          held.id,
          seizure.ledgerIndex,
          { make: 'Xiaomi' },
          'Make misread: the label says Xiaomi',
        ).expect(201)
      ).body as ItemView;
      expect(corrected).toMatchObject({ make: 'Xiaomi', state: 'disposed' });
    });
  });

  describe('corrections', () => {
    let held: ItemView;
    let other: ItemView;

    beforeAll(async () => {
      [held, other] = await seize(app, officer, caseId, [
        phone({ serial: 'R58RMISREAD', location: 'Vehicle 3' }),
        phone(),
      ]);
    });

    it('of a storage move’s location: the item’s location follows only while that move is the latest', async () => {
      await move(officer, held.id, 'Madrid/HQ/Room 2/Shelf B').expect(200);
      const firstMove = (await history(officer, held.id)).at(-1)!;
      const fixed = (
        await correct(
          officer,
          held.id,
          firstMove.ledgerIndex,
          { location: 'Madrid/HQ/Room 2/Shelf C' },
          'Shelf label misread',
        ).expect(201)
      ).body as ItemView;
      expect(fixed.location).toBe('Madrid/HQ/Room 2/Shelf C');

      await move(officer, held.id, 'Madrid/HQ/Room 5').expect(200);
      const stale = (
        await correct(
          officer,
          held.id,
          firstMove.ledgerIndex,
          { location: 'Madrid/HQ/Room 2/Shelf D' },
          'It was D after all',
        ).expect(201)
      ).body as ItemView;
      expect(stale.location).toBe('Madrid/HQ/Room 5');

      const events = await history(officer, held.id);
      const original = events.find((e) => e.ledgerIndex === firstMove.ledgerIndex)!;
      expect(original.location).toBe('Madrid/HQ/Room 2/Shelf B');
      expect(original.correctedBy.map((c) => [c.reason, c.changes])).toEqual([
        [
          'Shelf label misread',
          [{ field: 'location', from: 'Madrid/HQ/Room 2/Shelf B', to: 'Madrid/HQ/Room 2/Shelf C' }],
        ],
        [
          'It was D after all',
          [{ field: 'location', from: 'Madrid/HQ/Room 2/Shelf C', to: 'Madrid/HQ/Room 2/Shelf D' }],
        ],
      ]);
      await refused(
        () => correct(officer, held.id, firstMove.ledgerIndex, { location: 'Madrid/HQ/Room 2/Shelf D' }),
        400,
        'correction_no_change',
        ['changes'],
      );
      await refused(
        () => correct(officer, held.id, firstMove.ledgerIndex, { serial: 'X' }),
        400,
        'correction_field_invalid',
        ['changes.serial'],
      );
    });

    it('of what was seized: the view shows the corrected value, the history both the entry and its correction', async () => {
      const seizure = (await history(officer, held.id))[0];
      expect(seizure.type).toBe('item.seized');
      const corrected = (
        await correct(
          officer,
          held.id,
          seizure.ledgerIndex,
          { serial: ' R58R12ABCDE ', powerState: 'off', capacityBytes: 128_000_000_000 },
          'Serial misread: 8 is a B',
        ).expect(201)
      ).body as ItemView;
      expect(corrected).toMatchObject({ serial: 'R58R12ABCDE', powerState: 'off', capacityBytes: '128000000000' });
      expect(await item(readOnlyExaminer, held.id)).toMatchObject({
        serial: 'R58R12ABCDE',
        powerState: 'off',
        capacityBytes: '128000000000',
      });
      const found = (await api().get('/api/v1/items?q=R58R12ABCDE').set(bearer(officer)).expect(200)).body
        .items as ItemView[];
      expect(found.map((i) => i.id)).toEqual([held.id]);

      const events = await history(readOnlyExaminer, held.id);
      expect(events[0]).toMatchObject({ ledgerIndex: seizure.ledgerIndex, data: { item: { serial: 'R58RMISREAD' } } });
      expect(events[0].correctedBy).toHaveLength(1);
      expect(events[0].correctedBy[0].reason).toBe('Serial misread: 8 is a B');
      expect([...events[0].correctedBy[0].changes].sort((a, b) => a.field.localeCompare(b.field))).toEqual([
        { field: 'capacityBytes', from: null, to: '128000000000' },
        { field: 'powerState', from: 'airplane', to: 'off' },
        { field: 'serial', from: 'R58RMISREAD', to: 'R58R12ABCDE' },
      ]);
      const correction = events.at(-1)!;
      expect(correction).toMatchObject({
        type: 'item.corrected',
        corrects: { index: seizure.ledgerIndex, reason: 'Serial misread: 8 is a B' },
        reason: 'Serial misread: 8 is a B',
      });
      expect(correction.signatures).toEqual([
        expect.objectContaining({ username: usernameOf(officer), meaning: 'corrected' }),
      ]);
    });

    it('is refused for an entry of another item, an unknown index, a transfer or a hash entry, or when nothing changes', async () => {
      const seizure = (await history(officer, held.id))[0];
      const otherSeizure = (await history(officer, other.id))[0];
      await refused(
        () => correct(officer, held.id, otherSeizure.ledgerIndex, { serial: 'X' }),
        400,
        'correction_target_invalid',
        ['corrects'],
      );
      await refused(() => correct(officer, held.id, 999_999, { serial: 'X' }), 400, 'correction_target_invalid', [
        'corrects',
      ]);
      // Beyond a ledger index (bigint): used to reach SQL and answer 500.
      await refused(() => correct(officer, held.id, 1e20, { serial: 'X' }), 400, 'validation_failed', ['corrects']);

      const transfer = await release(app, officer, [held.id], clerk, 'Storage');
      await api().post(`/api/v1/transfers/${transfer.id}/cancel`).set(bearer(officer)).send({}).expect(200);
      await refused(
        () => correct(officer, held.id, transfer.releaseLedgerIndex, { location: 'X' }),
        400,
        'correction_not_supported',
        ['corrects'],
      );
      await api()
        .post(`/api/v1/items/${held.id}/hashes`)
        .set(bearer(officer))
        .send({
          target: 'device',
          hashes: [{ algorithm: 'sha256', value: SHA256 }],
          occurredAt: '2026-11-22T10:00:00+01:00',
          signature: signature('acquired'),
        })
        .expect(201);
      const hashEntry = (await history(officer, held.id)).at(-1)!;
      expect(hashEntry.type).toBe('hash.recorded');
      await refused(
        () => correct(officer, held.id, hashEntry.ledgerIndex, { serial: 'X' }),
        400,
        'correction_not_supported',
        ['corrects'],
      );

      await refused(
        () => correct(officer, held.id, seizure.ledgerIndex, { serial: 'R58R12ABCDE' }),
        400,
        'correction_no_change',
        ['changes'],
      );
      await refused(() => correct(officer, held.id, seizure.ledgerIndex, {}), 400, 'correction_empty', ['changes']);
      await refused(
        () => correct(officer, held.id, seizure.ledgerIndex, { location: 'X' }),
        400,
        'correction_field_invalid',
        ['changes.location'],
      );
      await refused(
        () => correct(officer, held.id, seizure.ledgerIndex, { imeis: ['123'] }),
        400,
        'validation_failed',
        ['changes.imeis'],
      );
      // The rules of registration hold for a correction too: no IMEI twice.
      await refused(
        () => correct(officer, held.id, seizure.ledgerIndex, { imeis: [held.imeis[0], held.imeis[0]] }),
        400,
        'validation_failed',
        ['changes.imeis'],
      );
      await refused(
        () => correct(officer, held.id, seizure.ledgerIndex, { custodian: 'someone' }),
        400,
        'validation_failed',
        ['changes.custodian'],
      );
      await refused(
        () => correct(officer, held.id, seizure.ledgerIndex, { description: null }),
        400,
        'validation_failed',
        ['changes.description'],
      );
      // Without changes at all (this used to answer 500).
      await refused(
        () =>
          api()
            .post(`/api/v1/items/${held.id}/corrections`)
            .set(bearer(officer))
            .send({ corrects: seizure.ledgerIndex, reason: 'x', signature: signature('corrected') }),
        400,
        'validation_failed',
        ['changes'],
      );
      await refused(
        () =>
          api()
            .post(`/api/v1/items/${held.id}/corrections`)
            .set(bearer(officer))
            .send({ corrects: seizure.ledgerIndex, changes: { serial: 'X' }, signature: signature('corrected') }),
        400,
        'validation_failed',
        ['reason'],
      );
      await refused(
        () =>
          api()
            .post(`/api/v1/items/${held.id}/corrections`)
            .set(bearer(officer))
            .send({
              corrects: seizure.ledgerIndex,
              reason: 'x',
              changes: { serial: 'X' },
              signature: signature('released'),
            }),
        400,
        'signature_meaning_mismatch',
        ['signature.meaning'],
      );
    });

    it('a user with read-only access corrects nothing (403 case_read_only)', async () => {
      const seizure = (await history(officer, held.id))[0];
      await refused(
        () => correct(readOnlyExaminer, held.id, seizure.ledgerIndex, { serial: 'PT-SAYS-SO' }),
        403,
        'case_read_only',
      );
    });
  });

  it('afterwards, the ledger verifies and its replay matches the current-state tables', async () => {
    const { vkey } = (await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string };
    expect(await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(vkey)], deep: true })).toMatchObject({
      ok: true,
    });
  });
});
