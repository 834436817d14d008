import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import type { TransferView } from '../../src/custody/transfers.service.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { accept, hardDrive, phone, release, seize, signature, usernameOf } from '../factories/custody.factory.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { expectRefused } from '../utils/custody-state.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const DRIVE_SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const DRIVE_MD5 = '098f6bcd4621d373cade4e832627b4f6';
const IMAGE_SHA256 = 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3';

/**
 * The story, black-box: an officer in Madrid seizes a batch, hands it to the property room,
 * the clerk sends two devices to a lab in Buenos Aires (case shared with that agency), the examiner
 * images the drive, re-verifies (one match, one mismatch) and hands back; a prosecutor of a third,
 * read-only agency reads every step. Then the ledger verifies and its replay matches the tables.
 */
describe('custody, as users live it', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let officer: Session;
  let clerk: Session;
  let examiner: Session;
  let prosecutor: Session;
  let outsider: Session;
  let caseId: string;
  let seized: ItemView[];
  let image: ItemView;

  const api = () => request(app.getHttpServer());
  const item = async (session: Session, id: string): Promise<ItemView> =>
    (await api().get(`/api/v1/items/${id}`).set(bearer(session)).expect(200)).body as ItemView;
  const history = async (session: Session, id: string): Promise<HistoryEvent[]> =>
    (
      (await api().get(`/api/v1/items/${id}/history`).set(bearer(session)).expect(200)).body as {
        events: HistoryEvent[];
      }
    ).events;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    db = dataSourceOf(app);
    const spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const argentina = await createAgency(db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    const portugal = await createAgency(db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    const germany = await createAgency(db, { code: 'DE-BKA', name: 'Bundeskriminalamt', country: 'DE' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'], displayName: 'Ana Morales' }));
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'], displayName: 'Luis Garcia' }));
    examiner = await login(
      app,
      await createUser(db, argentina, { roles: ['examiner'], displayName: 'Julieta Ferreira' }),
    );
    prosecutor = await login(
      app,
      await createUser(db, portugal, { roles: ['prosecutor'], displayName: 'Rui Tavares' }),
    );
    outsider = await login(app, await createUser(db, germany, { roles: ['examiner'] }));
    caseId = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'OP-TORMENTA-1', title: 'Operación Tormenta' })
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
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('an officer seizes a batch: gapless numbers of the agency and year, the officer as first custodian', async () => {
    seized = await seize(app, officer, caseId, [
      phone({ occurredAt: '2026-11-20T09:14:00+01:00' }),
      hardDrive(),
      {
        kind: 'sim_card',
        description: 'SIM in the phone',
        iccid: '8944500102198304826',
        parentIndex: 0,
        occurredAt: '2026-11-20T09:15:00+01:00',
        place: 'Calle Mayor 12, Madrid',
      },
    ]);
    const year = new Date().getUTCFullYear();
    expect(seized.map((i) => i.itemNumber)).toEqual([
      `ES-PN-${year}-000001`,
      `ES-PN-${year}-000002`,
      `ES-PN-${year}-000003`,
    ]);
    for (const registered of seized) {
      expect(registered).toMatchObject({
        state: 'in_custody',
        integrity: 'intact',
        custodian: { username: usernameOf(officer), agency: 'ES-PN' },
      });
    }
    expect(seized[0].occurredAt).toBe('2026-11-20T09:14:00+01:00');
    expect(seized[2].parent).toEqual({ id: seized[0].id, itemNumber: seized[0].itemNumber });
    expect(seized[1].capacityBytes).toBe('2000398934016');
  });

  it('the officer hands the batch to the property room; the clerk stores it', async () => {
    const transfer = await release(
      app,
      officer,
      seized.map((i) => i.id),
      clerk,
      'Storage in the evidence room',
    );
    expect(transfer).toMatchObject({
      status: 'pending',
      itemCount: 3,
      from: { username: usernameOf(officer) },
      to: { username: usernameOf(clerk) },
    });
    // Released but not yet received: still the officer's.
    expect(await item(officer, seized[0].id)).toMatchObject({
      state: 'transfer_pending',
      custodian: { username: usernameOf(officer) },
      pendingTransferId: transfer.id,
    });
    const inbox = (
      await api().get('/api/v1/transfers?direction=incoming&status=pending').set(bearer(clerk)).expect(200)
    ).body.transfers as TransferView[];
    expect(inbox.map((t) => t.id)).toEqual([transfer.id]);
    await accept(app, clerk, transfer, { location: 'Madrid/HQ/Intake' });
    const moved = (
      await api()
        .post(`/api/v1/items/${seized[1].id}/location`)
        .set(bearer(clerk))
        .send({ location: 'Madrid/HQ/Room 2/Shelf B/Bin 4' })
        .expect(200)
    ).body;
    expect(moved).toMatchObject({
      location: 'Madrid/HQ/Room 2/Shelf B/Bin 4',
      custodian: { username: usernameOf(clerk) },
    });
    const mine = (await api().get('/api/v1/items?custodian=me').set(bearer(clerk)).expect(200)).body
      .items as ItemView[];
    expect(mine.map((i) => i.id).sort()).toEqual(seized.map((i) => i.id).sort());
  });

  it('the clerk sends the phone and the drive to a lab of another agency, which receives them', async () => {
    const transfer = await release(app, clerk, [seized[0].id, seized[1].id], examiner, 'Forensic acquisition');
    const received = await accept(app, examiner, transfer, { location: 'Buenos Aires/Lab/Safe 2' });
    expect(received).toMatchObject({ status: 'accepted', resolvedBy: usernameOf(examiner) });
    expect(await item(examiner, seized[1].id)).toMatchObject({
      custodian: { username: usernameOf(examiner), agency: 'AR-PFA' },
      location: 'Buenos Aires/Lab/Safe 2',
    });
  });

  it('the examiner records the drive reference hashes and registers its image', async () => {
    const reference = await api()
      .post(`/api/v1/items/${seized[1].id}/hashes`)
      .set(bearer(examiner))
      .send({
        target: 'device',
        hashes: [
          { algorithm: 'sha256', value: DRIVE_SHA256.toUpperCase() },
          { algorithm: 'md5', value: DRIVE_MD5 },
        ],
        tool: 'Tableau TX1',
        toolVersion: '22.3',
        occurredAt: '2026-11-22T10:02:00-03:00',
        signature: signature('acquired'),
      })
      .expect(201);
    expect(
      reference.body.records.map((r: { role: string; value: string; weak: boolean }) => [r.role, r.value, r.weak]),
    ).toEqual([
      ['reference', DRIVE_MD5, false],
      ['reference', DRIVE_SHA256, false],
    ]);
    const derived = await api()
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(examiner))
      .send({
        items: [
          {
            kind: 'forensic_image',
            description: 'E01 image of the Seagate drive',
            parentId: seized[1].id,
            occurredAt: '2026-11-22T13:30:00-03:00',
            place: 'PFA forensic lab, Buenos Aires',
            acquisition: {
              tool: 'Guymager',
              toolVersion: '0.8.13',
              target: 'image.e01',
              hashes: [{ algorithm: 'sha256', value: IMAGE_SHA256 }],
            },
          },
        ],
        signature: signature('acquired'),
      })
      .expect(201);
    image = derived.body.items[0];
    expect(image).toMatchObject({
      kind: 'forensic_image',
      itemNumber: `AR-PFA-${new Date().getUTCFullYear()}-000001`,
      parent: { id: seized[1].id },
      custodian: { username: usernameOf(examiner) },
    });
  });

  it('re-verification: the drive matches, the image does not — and the image is compromised for everyone to see', async () => {
    const match = await api()
      .post(`/api/v1/items/${seized[1].id}/hashes`)
      .set(bearer(examiner))
      .send({
        target: 'device',
        hashes: [{ algorithm: 'sha256', value: DRIVE_SHA256 }],
        tool: 'ewfverify',
        occurredAt: '2026-11-23T09:00:00-03:00',
      })
      .expect(201);
    expect(match.body.records.map((r: { role: string; result: string }) => [r.role, r.result])).toEqual([
      ['verification', 'match'],
    ]);
    expect(match.body.item.integrity).toBe('intact');
    const mismatch = await api()
      .post(`/api/v1/items/${image.id}/hashes`)
      .set(bearer(examiner))
      .send({
        target: 'image.e01',
        hashes: [{ algorithm: 'sha256', value: 'b'.repeat(64) }],
        tool: 'ewfverify',
        occurredAt: '2026-11-23T09:05:00-03:00',
      })
      .expect(201);
    expect(mismatch.body.records[0]).toMatchObject({ role: 'verification', result: 'mismatch' });
    expect(mismatch.body.item.integrity).toBe('compromised');
    const flagged = (
      await api().get(`/api/v1/items?caseId=${caseId}&integrity=compromised`).set(bearer(prosecutor)).expect(200)
    ).body.items as ItemView[];
    expect(flagged.map((i) => i.id)).toEqual([image.id]);
    // The prosecutor's case list shows it before the case is opened.
    const listed = (await api().get('/api/v1/cases').set(bearer(prosecutor)).expect(200)).body.cases as Array<{
      id: string;
      items: { total: number; compromised: number };
    }>;
    const total = (
      await db.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM item WHERE case_id = $1', [caseId])
    )[0].n;
    expect(listed.find((c) => c.id === caseId)?.items).toEqual({ total, compromised: 1 });
  });

  it('the examiner hands the drive and the image back; the clerk notes a broken seal on the image', async () => {
    const transfer = await release(app, examiner, [seized[1].id, image.id], clerk, 'Return after examination');
    await accept(app, clerk, transfer, {
      statements: { [image.id]: { sealIntact: false, sealNote: 'Bag torn at lower seam' } },
      location: 'Madrid/HQ/Room 2',
    });
    expect(await item(clerk, image.id)).toMatchObject({
      custodian: { username: usernameOf(clerk) },
      integrity: 'compromised',
    });
    expect(await item(clerk, seized[1].id)).toMatchObject({
      custodian: { username: usernameOf(clerk) },
      integrity: 'intact',
    });
  });

  it('a prosecutor of a read-only shared agency reads every step, with signatures and ledger indexes', async () => {
    const events = await history(prosecutor, seized[1].id);
    expect(events.map((e) => e.type)).toEqual([
      'item.seized',
      'transfer.released',
      'transfer.accepted',
      'item.moved',
      'transfer.released',
      'transfer.accepted',
      'hash.recorded',
      'hash.recorded',
      'transfer.released',
      'transfer.accepted',
    ]);
    const indexes = events.map((e) => e.ledgerIndex);
    expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
    for (const event of events) expect(event.leafHash).toMatch(/^[0-9a-f]{64}$/);
    const [seizure, release1, accept1, , release2, accept2, reference] = events;
    expect(seizure).toMatchObject({
      occurredAt: '2026-11-20T09:40:00+01:00',
      to: { username: usernameOf(officer), agency: 'ES-PN' },
      signatures: [],
    });
    expect(release1).toMatchObject({
      from: { username: usernameOf(officer) },
      to: { username: usernameOf(clerk) },
      purpose: 'Storage in the evidence room',
    });
    expect(release1.signatures).toEqual([
      expect.objectContaining({
        username: usernameOf(officer),
        printedName: 'Ana Morales',
        agency: 'ES-PN',
        role: 'officer',
        meaning: 'released',
        eventHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    expect(accept1.signatures).toEqual([
      expect.objectContaining({ printedName: 'Luis Garcia', role: 'clerk', meaning: 'received' }),
    ]);
    expect(accept1.seal).toMatchObject({ intact: true });
    expect(release2).toMatchObject({
      from: { agency: 'ES-PN' },
      to: { displayName: 'Julieta Ferreira', agency: 'AR-PFA' },
    });
    expect(accept2).toMatchObject({
      location: 'Buenos Aires/Lab/Safe 2',
      signatures: [expect.objectContaining({ printedName: 'Julieta Ferreira', agency: 'AR-PFA', meaning: 'received' })],
    });
    expect(reference).toMatchObject({
      occurredAt: '2026-11-22T10:02:00-03:00',
      signatures: [expect.objectContaining({ meaning: 'acquired', role: 'examiner' })],
    });
    expect(reference.hashes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          target: 'device',
          algorithm: 'sha256',
          value: DRIVE_SHA256,
          role: 'reference',
          result: null,
        }),
      ]),
    );
    expect(events[7].hashes).toEqual([
      expect.objectContaining({ role: 'verification', result: 'match', referenceIndex: reference.ledgerIndex }),
    ]);

    const imageEvents = await history(prosecutor, image.id);
    expect(imageEvents.map((e) => e.type)).toEqual([
      'item.derived',
      'hash.recorded',
      'transfer.released',
      'transfer.accepted',
    ]);
    expect(imageEvents[1].hashes[0]).toMatchObject({ result: 'mismatch' });
    expect(imageEvents[3].seal).toEqual({ number: null, intact: false, note: 'Bag torn at lower seam' });
    expect(imageEvents[3].summary).toMatch(/SEAL BROKEN/);
  });

  describe('refusals: each with a clear problem, and nothing changed', () => {
    const unchanged = (
      attempt: () => Promise<request.Response>,
      status: number,
      code: string,
    ): Promise<request.Response> => expectRefused(db, attempt, status, code);

    it('a release by someone who is not the custodian', async () => {
      await unchanged(
        () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(examiner))
            .send({ itemIds: [seized[1].id], to: usernameOf(officer), purpose: 'x', signature: signature('released') }),
        403,
        'not_custodian',
      );
    });

    it('an acceptance by someone other than the named receiver, a double acceptance, an acceptance after cancellation', async () => {
      const transfer = await release(app, clerk, [seized[2].id], officer, 'Court viewing');
      const statement = { items: [{ itemId: seized[2].id, sealIntact: true }], signature: signature('received') };
      await unchanged(
        () => api().post(`/api/v1/transfers/${transfer.id}/accept`).set(bearer(examiner)).send(statement),
        403,
        'not_receiver',
      );
      await api().post(`/api/v1/transfers/${transfer.id}/accept`).set(bearer(officer)).send(statement).expect(200);
      await unchanged(
        () => api().post(`/api/v1/transfers/${transfer.id}/accept`).set(bearer(officer)).send(statement),
        409,
        'transfer_not_pending',
      );
      const back = await release(app, officer, [seized[2].id], clerk, 'Back to storage');
      await api()
        .post(`/api/v1/transfers/${back.id}/cancel`)
        .set(bearer(officer))
        .send({ reason: 'Wrong receiver' })
        .expect(200);
      expect(await item(officer, seized[2].id)).toMatchObject({
        state: 'in_custody',
        custodian: { username: usernameOf(officer) },
      });
      await unchanged(
        () =>
          api()
            .post(`/api/v1/transfers/${back.id}/accept`)
            .set(bearer(clerk))
            .send({ ...statement }),
        409,
        'transfer_not_pending',
      );
    });

    it('a rejection keeps custody with the releaser', async () => {
      const transfer = await release(app, officer, [seized[2].id], clerk, 'Storage');
      const rejected = (
        await api()
          .post(`/api/v1/transfers/${transfer.id}/reject`)
          .set(bearer(clerk))
          .send({ reason: 'Seal number differs from the sheet', signature: signature('rejected') })
          .expect(200)
      ).body;
      expect(rejected).toMatchObject({ status: 'rejected', reason: 'Seal number differs from the sheet' });
      expect(await item(officer, seized[2].id)).toMatchObject({
        state: 'in_custody',
        custodian: { username: usernameOf(officer) },
      });
    });

    it('a release signed with the wrong password, or with another meaning', async () => {
      await unchanged(
        () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(clerk))
            .send({
              itemIds: [seized[1].id],
              to: usernameOf(officer),
              purpose: 'x',
              signature: signature('released', 'not-my-password-123'),
            }),
        401,
        'signature_password_invalid',
      );
      await unchanged(
        () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(clerk))
            .send({ itemIds: [seized[1].id], to: usernameOf(officer), purpose: 'x', signature: signature('received') }),
        400,
        'signature_meaning_mismatch',
      );
    });

    it('users who do not belong: an agency the case is not shared with sees nothing; a read-only prosecutor changes nothing', async () => {
      await unchanged(
        () => api().get(`/api/v1/items/${seized[1].id}/history`).set(bearer(outsider)),
        404,
        'item_not_found',
      );
      await unchanged(() => api().get(`/api/v1/items/${seized[1].id}`).set(bearer(outsider)), 404, 'item_not_found');
      const listed = (await api().get(`/api/v1/items?q=${seized[1].serial}`).set(bearer(outsider)).expect(200)).body
        .items;
      expect(listed).toEqual([]);
      await unchanged(
        () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(clerk))
            .send({
              itemIds: [seized[1].id],
              to: usernameOf(outsider),
              purpose: 'x',
              signature: signature('released'),
            }),
        400,
        'receiver_invalid',
      );
      await unchanged(
        () => api().post(`/api/v1/items/${seized[1].id}/location`).set(bearer(prosecutor)).send({ location: 'Lisbon' }),
        403,
        'case_read_only',
      );
    });

    it('disposal is signed by custodian and witness, and is terminal', async () => {
      const disposal = {
        disposition: 'returned_to_owner',
        authorityReference: 'JI-7 Madrid, auto 311/2027',
        recipient: 'Owner receipt 2027/55',
        occurredAt: '2026-11-27T11:00:00+01:00',
        witness: { username: usernameOf(officer), password: 'Chain-of-Custody-Test-7719' },
        signature: signature('disposed'),
      };
      await unchanged(
        () =>
          api()
            .post(`/api/v1/items/${seized[0].id}/disposition`)
            .set(bearer(clerk))
            .send({ ...disposal, witness: { ...disposal.witness, password: 'wrong-password-999' } }),
        401,
        'signature_password_invalid',
      );
      const phoneBack = await release(app, examiner, [seized[0].id], clerk, 'Return');
      await accept(app, clerk, phoneBack);
      const disposed = (
        await api().post(`/api/v1/items/${seized[0].id}/disposition`).set(bearer(clerk)).send(disposal).expect(200)
      ).body as ItemView;
      expect(disposed).toMatchObject({ state: 'disposed', disposition: { kind: 'returned_to_owner' } });
      const last = (await history(clerk, seized[0].id)).at(-1)!;
      expect(last.signatures.map((s) => [s.username, s.meaning])).toEqual([
        [usernameOf(clerk), 'disposed'],
        [usernameOf(officer), 'witnessed'],
      ]);
      await unchanged(
        () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(clerk))
            .send({ itemIds: [seized[0].id], to: usernameOf(officer), purpose: 'x', signature: signature('released') }),
        409,
        'item_disposed',
      );
      await unchanged(
        () => api().post(`/api/v1/items/${seized[0].id}/location`).set(bearer(clerk)).send({ location: 'Elsewhere' }),
        409,
        'item_disposed',
      );
    });

    it('a correction names the entry and why; the view shows the corrected value, the history both', async () => {
      const registration = (await history(clerk, seized[1].id))[0];
      const corrected = (
        await api()
          .post(`/api/v1/items/${seized[1].id}/corrections`)
          .set(bearer(officer))
          .send({
            corrects: registration.ledgerIndex,
            reason: 'Serial misread at the scene',
            changes: { serial: 'ZFL0CORRECT' },
            signature: signature('corrected'),
          })
          .expect(201)
      ).body as ItemView;
      expect(corrected.serial).toBe('ZFL0CORRECT');
      const events = await history(clerk, seized[1].id);
      expect(events[0].correctedBy).toEqual([
        expect.objectContaining({
          reason: 'Serial misread at the scene',
          changes: [{ field: 'serial', from: seized[1].serial, to: 'ZFL0CORRECT' }],
        }),
      ]);
      expect(events.at(-1)).toMatchObject({
        type: 'item.corrected',
        corrects: { index: registration.ledgerIndex, reason: 'Serial misread at the scene' },
      });
      await unchanged(
        () =>
          api()
            .post(`/api/v1/items/${seized[1].id}/corrections`)
            .set(bearer(officer))
            .send({ corrects: 0, reason: 'x', changes: { serial: 'Y' }, signature: signature('corrected') }),
        400,
        'correction_target_invalid',
      );
    });
  });

  describe('afterwards', () => {
    it('50 concurrent transfer requests for one item: exactly one pending transfer', async () => {
      const [contested] = await seize(app, officer, caseId, [phone()]);
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          api()
            .post('/api/v1/transfers')
            .set(bearer(officer))
            .send({
              itemIds: [contested.id],
              to: usernameOf(clerk),
              purpose: 'Storage',
              signature: signature('released'),
            }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      for (const refused of responses.filter((r) => r.status === 409))
        expect(refused.body.code).toBe('item_transfer_pending');
      const pending = await db.query<Array<{ n: number }>>(
        'SELECT count(*)::int AS n FROM transfer_item WHERE item_id = $1 AND pending',
        [contested.id],
      );
      expect(pending[0].n).toBe(1);
    });

    it('the ledger verifies afterwards, and its replay matches the current-state tables', async () => {
      const { vkey } = (await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string };
      const result = await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(vkey)], deep: true });
      expect(result).toMatchObject({ ok: true });
    });
  });
});
