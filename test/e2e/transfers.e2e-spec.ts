import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { HashRecordView } from '../../src/custody/hashes.service.js';
import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import type { TransferView } from '../../src/custody/transfers.service.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import {
  accept,
  hardDrive,
  phone,
  recordHashes,
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
  FACTORY_PASSWORD,
  login,
  type Session,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import { expectRefused } from '../utils/custody-state.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const FREE_FAILURES = 3;
const DEVICE_SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const DEVICE_MD5 = '098f6bcd4621d373cade4e832627b4f6';

/** The smallest seizure record: 200 of them fit in one 64 KiB body. */
const exhibit = (n: number): Record<string, unknown> => ({
  kind: 'other',
  description: `Exhibit ${n}`,
  occurredAt: '2026-11-20T09:14:00+01:00',
  place: 'Calle Mayor 12, Madrid',
});

/**
 * Two-party transfers as a property room and a foreign lab live them: only the custodian releases
 * (signed), only the named receiver accepts or rejects (signed), the releaser may cancel, and every
 * refusal leaves custody exactly where it was.
 */
describe('transfers', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let spain: TestAgency;
  let germany: TestAgency;
  let officer: Session;
  let clerk: Session;
  let secondClerk: Session;
  let foreignExaminer: Session;
  let readOnlyProsecutor: Session;
  let outsiderUser: TestUser;
  let outsider: Session;
  let auditor: Session;
  let caseId: string;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
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
  const releaseRequest = (
    session: Session,
    itemIds: readonly string[],
    to: string,
    extra: Record<string, unknown> = {},
  ): request.Test =>
    api()
      .post('/api/v1/transfers')
      .set(bearer(session))
      .send({ itemIds, to, purpose: 'Forensic examination', signature: signature('released'), ...extra });
  const acceptRequest = (
    session: Session,
    transfer: TransferView,
    items: Array<Record<string, unknown>>,
    extra: Record<string, unknown> = {},
  ): request.Test =>
    api()
      .post(`/api/v1/transfers/${transfer.id}/accept`)
      .set(bearer(session))
      .send({ items, signature: signature('received'), ...extra });
  const statements = (transfer: TransferView): Array<Record<string, unknown>> =>
    transfer.items.map((item) => ({ itemId: item.id, sealIntact: true }));
  const item = async (session: Session, id: string): Promise<ItemView> =>
    (await api().get(`/api/v1/items/${id}`).set(bearer(session)).expect(200)).body as ItemView;
  const transferOf = async (session: Session, id: string): Promise<TransferView> =>
    (await api().get(`/api/v1/transfers/${id}`).set(bearer(session)).expect(200)).body as TransferView;

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
      env: {
        LOGIN_RATE_LIMIT_PER_IP: '10000',
        PASSWORD_THROTTLE_FREE_FAILURES: String(FREE_FAILURES),
        PASSWORD_THROTTLE_FIRST_DELAY_SECONDS: '600',
      },
    });
    db = dataSourceOf(app);
    spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    const argentina = await createAgency(db, { code: 'AR-PFA', country: 'AR' });
    const portugal = await createAgency(db, { code: 'PT-MP', country: 'PT' });
    germany = await createAgency(db, { code: 'DE-BKA', country: 'DE' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
    secondClerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
    foreignExaminer = await login(app, await createUser(db, argentina, { roles: ['examiner'] }));
    readOnlyProsecutor = await login(app, await createUser(db, portugal, { roles: ['prosecutor'] }));
    outsiderUser = await createUser(db, germany, { roles: ['examiner'] });
    outsider = await login(app, outsiderUser);
    caseId = await openCase(officer, 'OP-TRANSFER-1');
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

  it('500 items go in one transfer and are received in one acceptance; 501 are refused', async () => {
    const items: ItemView[] = [];
    for (const size of [200, 200, 101])
      items.push(
        ...(await seize(
          app,
          officer,
          caseId,
          Array.from({ length: size }, (_, n) => exhibit(items.length + n)),
        )),
      );
    await refused(
      () =>
        releaseRequest(
          officer,
          items.map((i) => i.id),
          usernameOf(clerk),
        ),
      400,
      'validation_failed',
      ['itemIds'],
    );

    const batch = items.slice(0, 500);
    const transfer = (
      await releaseRequest(
        officer,
        batch.map((i) => i.id),
        usernameOf(clerk),
      ).expect(201)
    ).body as TransferView;
    expect(transfer).toMatchObject({ status: 'pending', itemCount: 500 });
    expect(transfer.items.map((i) => i.id)).toEqual(batch.map((i) => i.id));
    const pending = (
      await api()
        .get(`/api/v1/items?caseId=${caseId}&state=transfer_pending&limit=500`)
        .set(bearer(officer))
        .expect(200)
    ).body.items as ItemView[];
    expect(pending).toHaveLength(500);
    for (const held of pending)
      expect(held).toMatchObject({ custodian: { username: usernameOf(officer) }, pendingTransferId: transfer.id });

    const received = await accept(app, clerk, transfer, { location: 'Madrid/HQ/Intake' });
    expect(received).toMatchObject({ status: 'accepted', resolvedBy: usernameOf(clerk) });
    const held = (await api().get(`/api/v1/items?custodian=me&limit=500`).set(bearer(clerk)).expect(200)).body
      .items as ItemView[];
    expect(held.map((i) => i.id)).toEqual(batch.map((i) => i.id));
    expect(new Set(held.map((i) => `${i.state} ${i.location}`))).toEqual(new Set(['in_custody Madrid/HQ/Intake']));
    expect(await item(officer, items[500].id)).toMatchObject({
      state: 'in_custody',
      custodian: { username: usernameOf(officer) },
    });
  });

  it('a transfer carries the items of one case (400 transfer_mixed_cases)', async () => {
    const otherCase = await openCase(officer, 'OP-TRANSFER-2');
    const [first] = await seize(app, officer, caseId, [phone()]);
    const [second] = await seize(app, officer, otherCase, [phone()]);
    await refused(
      () => releaseRequest(officer, [first.id, second.id], usernameOf(clerk)),
      400,
      'transfer_mixed_cases',
      ['itemIds'],
    );
  });

  it('a release without its signature, or of the same item twice in the list, is refused', async () => {
    const [held] = await seize(app, officer, caseId, [phone()]);
    await refused(
      () => releaseRequest(officer, [held.id], usernameOf(clerk), { signature: undefined }),
      400,
      'signature_required',
      ['signature'],
    );
    await refused(() => releaseRequest(officer, [held.id, held.id], usernameOf(clerk)), 400, 'validation_failed', [
      'itemIds',
    ]);
    await refused(
      () => releaseRequest(officer, [held.id, held.id.toUpperCase()], usernameOf(clerk)),
      400,
      'validation_failed',
      ['itemIds'],
    );
    await refused(() => releaseRequest(officer, [], usernameOf(clerk)), 400, 'validation_failed', ['itemIds']);
  });

  it('custody answers, successes and refusals alike, may not be cached (Cache-Control: no-store)', async () => {
    const [held] = await seize(app, officer, caseId, [phone()]);
    const responses = [
      await api().get(`/api/v1/items/${held.id}`).set(bearer(officer)).expect(200),
      await api().get(`/api/v1/items/${held.id}/history`).set(bearer(officer)).expect(200),
      await api().get(`/api/v1/transfers?caseId=${caseId}`).set(bearer(officer)).expect(200),
      await releaseRequest(officer, [held.id], usernameOf(clerk)).expect(201),
      await api().get(`/api/v1/items/${held.id}`).set(bearer(outsider)).expect(404),
      await api().get(`/api/v1/items/${held.id}`).expect(401),
    ];
    for (const response of responses) expect(response.headers['cache-control']).toBe('no-store');
  });

  it('Idempotency-Key: a double submit writes one ledger entry; another body with the key gets 422', async () => {
    const [held, other] = await seize(app, officer, caseId, [phone(), phone()]);
    const entries = async (): Promise<number> =>
      (await db.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM ledger_entry'))[0].n;
    const before = await entries();
    const send = (itemId: string): request.Test =>
      releaseRequest(officer, [itemId], usernameOf(clerk)).set('Idempotency-Key', 'form-7f3a2c');
    const first = await send(held.id).expect(201);
    const again = await send(held.id).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await entries()).toBe(before + 1);
    const reused = await refused(() => send(other.id), 422, 'idempotency_key_reused');
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await entries()).toBe(before + 1);
    // Without the key, a second identical request is a second request (here refused: already pending).
    await refused(() => releaseRequest(officer, [held.id], usernameOf(clerk)), 409, 'item_transfer_pending');
  });

  describe('the receiver: a custody role with contributor access to the case (else 400 receiver_invalid)', () => {
    let held: ItemView;
    let inactive: TestUser;

    beforeAll(async () => {
      [held] = await seize(app, officer, caseId, [phone()]);
      inactive = await createUser(db, spain, { roles: ['clerk'], active: false });
    });

    it.each([
      ['yourself', () => usernameOf(officer)],
      ['a user who does not exist', () => 'clerk.nobody'],
      ['a user whose account is disabled', () => inactive.username],
      ['an auditor, who holds no custody', () => usernameOf(auditor)],
      ['a user of an agency the case is not shared with', () => outsiderUser.username],
      ['a user of an agency the case is shared with read-only', () => usernameOf(readOnlyProsecutor)],
    ])('refuses a release to %s', async (_, to) => {
      await refused(() => releaseRequest(officer, [held.id], to()), 400, 'receiver_invalid', ['to']);
    });

    it('answers an unknown username exactly as a user of another agency: nothing tells them apart', async () => {
      const answer = async (to: string): Promise<Record<string, unknown>> => {
        const response = await refused(() => releaseRequest(officer, [held.id], to), 400, 'receiver_invalid', ['to']);
        const { status, code, title, detail, errors } = response.body as Record<string, unknown>;
        return { status, code, title, detail, errors };
      };
      const unknown = await answer('examiner.nobody');
      expect(await answer(outsiderUser.username)).toEqual(unknown);
      expect(await answer(inactive.username)).toEqual(unknown);
      expect(JSON.stringify(unknown)).not.toContain('nobody');
    });

    it('a user the case is shared with personally, as contributor, may receive; their colleagues may not', async () => {
      const colleague = await createUser(db, germany, { roles: ['examiner'] });
      await api()
        .post(`/api/v1/cases/${caseId}/shares`)
        .set(bearer(officer))
        .send({ username: colleague.username, access: 'contribute' })
        .expect(201);
      await refused(() => releaseRequest(officer, [held.id], outsiderUser.username), 400, 'receiver_invalid', ['to']);
      const transfer = await release(app, officer, [held.id], colleague.username, 'Second opinion');
      const received = await accept(app, await login(app, colleague), transfer);
      expect(received.to).toMatchObject({ username: colleague.username, agency: 'DE-BKA' });
    });

    it('a user of an agency the case is shared with as contributor receives, and hands back', async () => {
      const [drive] = await seize(app, officer, caseId, [hardDrive()]);
      const outbound = await release(app, officer, [drive.id], foreignExaminer, 'Forensic acquisition in Buenos Aires');
      expect(outbound).toMatchObject({
        from: { agency: 'ES-PN' },
        to: { username: usernameOf(foreignExaminer), agency: 'AR-PFA' },
      });
      await accept(app, foreignExaminer, outbound, { location: 'Buenos Aires/Lab/Safe 2' });
      expect(await item(officer, drive.id)).toMatchObject({
        custodian: { username: usernameOf(foreignExaminer), agency: 'AR-PFA' },
        location: 'Buenos Aires/Lab/Safe 2',
      });
      await accept(app, clerk, await release(app, foreignExaminer, [drive.id], clerk, 'Return after examination'));
      expect(await item(officer, drive.id)).toMatchObject({
        custodian: { username: usernameOf(clerk), agency: 'ES-PN' },
        state: 'in_custody',
      });
    });
  });

  describe('cancel and reject', () => {
    it('only the releaser cancels (403 not_releaser); custody stays', async () => {
      const [held] = await seize(app, officer, caseId, [phone()]);
      const transfer = await release(app, officer, [held.id], clerk);
      await refused(
        () => api().post(`/api/v1/transfers/${transfer.id}/cancel`).set(bearer(clerk)).send({ reason: 'Not mine' }),
        403,
        'not_releaser',
      );
      await refused(
        () => api().post(`/api/v1/transfers/${transfer.id}/cancel`).set(bearer(secondClerk)).send({}),
        403,
        'not_releaser',
      );
      const cancelled = (
        await api()
          .post(`/api/v1/transfers/${transfer.id}/cancel`)
          .set(bearer(officer))
          .send({ reason: 'Wrong receiver' })
          .expect(200)
      ).body as TransferView;
      expect(cancelled).toMatchObject({
        status: 'cancelled',
        reason: 'Wrong receiver',
        resolvedBy: usernameOf(officer),
      });
      expect(await item(officer, held.id)).toMatchObject({
        state: 'in_custody',
        custodian: { username: usernameOf(officer) },
        pendingTransferId: null,
      });
      await refused(
        () => api().post(`/api/v1/transfers/${transfer.id}/cancel`).set(bearer(officer)).send({}),
        409,
        'transfer_not_pending',
      );
    });

    it('a rejection states its reason and is signed; without either it is refused', async () => {
      const [held] = await seize(app, officer, caseId, [phone()]);
      const transfer = await release(app, officer, [held.id], clerk);
      const reject = (body: Record<string, unknown>): request.Test =>
        api().post(`/api/v1/transfers/${transfer.id}/reject`).set(bearer(clerk)).send(body);
      await refused(() => reject({ signature: signature('rejected') }), 400, 'validation_failed', ['reason']);
      await refused(() => reject({ reason: '   ', signature: signature('rejected') }), 400, 'validation_failed', [
        'reason',
      ]);
      await refused(
        () => reject({ reason: 'Seal differs', signature: signature('received') }),
        400,
        'signature_meaning_mismatch',
        ['signature.meaning'],
      );
      await refused(
        () =>
          api()
            .post(`/api/v1/transfers/${transfer.id}/reject`)
            .set(bearer(secondClerk))
            .send({ reason: 'x', signature: signature('rejected') }),
        403,
        'not_receiver',
      );
      const rejected = (
        await reject({ reason: 'Seal number differs from the sheet', signature: signature('rejected') }).expect(200)
      ).body as TransferView;
      expect(rejected).toMatchObject({ status: 'rejected', reason: 'Seal number differs from the sheet' });
      expect(await item(officer, held.id)).toMatchObject({
        state: 'in_custody',
        custodian: { username: usernameOf(officer) },
      });
    });
  });

  describe('acceptance', () => {
    let phones: ItemView[];
    let transfer: TransferView;

    beforeAll(async () => {
      phones = await seize(app, officer, caseId, [phone(), phone(), phone()]);
      // The first two have a reference of their device; the third has none.
      for (const held of phones.slice(0, 2)) {
        await api()
          .post(`/api/v1/items/${held.id}/hashes`)
          .set(bearer(officer))
          .send({
            target: 'device',
            hashes: [{ algorithm: 'sha256', value: DEVICE_SHA256 }],
            occurredAt: '2026-11-20T12:00:00+01:00',
            signature: signature('acquired'),
          })
          .expect(201);
      }
      transfer = await release(
        app,
        officer,
        phones.map((p) => p.id),
        clerk,
        'Storage',
      );
    });

    it('must state every item of the transfer exactly once (400 acceptance_items_mismatch)', async () => {
      const all = statements(transfer);
      const [stranger] = await seize(app, officer, caseId, [phone()]);
      await refused(() => acceptRequest(clerk, transfer, all.slice(0, 2)), 400, 'acceptance_items_mismatch');
      await refused(() => acceptRequest(clerk, transfer, [...all, all[0]]), 400, 'acceptance_items_mismatch');
      await refused(
        () => acceptRequest(clerk, transfer, [...all.slice(0, 2), all[0]]),
        400,
        'acceptance_items_mismatch',
      );
      await refused(
        () => acceptRequest(clerk, transfer, [...all, { itemId: stranger.id, sealIntact: true }]),
        400,
        'acceptance_items_mismatch',
      );
      await refused(
        () => acceptRequest(clerk, transfer, [all[0], all[1], { itemId: phones[2].id }]),
        400,
        'validation_failed',
        ['items[2].sealIntact'],
      );
      await refused(() => acceptRequest(clerk, transfer, all, { location: null }), 400, 'validation_failed', [
        'location',
      ]);
    });

    it('a re-verification hash of a target with no reference is refused (400 hash_reference_missing)', async () => {
      const items = statements(transfer);
      items[2] = { ...items[2], hashes: [{ target: 'device', algorithm: 'sha256', value: DEVICE_SHA256 }] };
      await refused(() => acceptRequest(clerk, transfer, items), 400, 'hash_reference_missing', [
        'items[2].hashes[0].target',
      ]);
      items[2] = { itemId: phones[2].id, sealIntact: true };
      items[0] = { ...items[0], hashes: [{ target: 'image.e01', algorithm: 'sha256', value: DEVICE_SHA256 }] };
      await refused(() => acceptRequest(clerk, transfer, items), 400, 'hash_reference_missing', [
        'items[0].hashes[0].target',
      ]);
    });

    it('re-verification on receipt: a match keeps the item intact, a mismatch marks it compromised; custody passes either way', async () => {
      const items = statements(transfer);
      items[0] = {
        ...items[0],
        hashes: [{ target: 'device', algorithm: 'sha256', value: DEVICE_SHA256.toUpperCase() }],
      };
      items[1] = {
        ...items[1],
        hashes: [
          { target: 'device', algorithm: 'sha256', value: 'c'.repeat(64) },
          { target: 'device', algorithm: 'md5', value: DEVICE_MD5 },
        ],
      };
      const received = (await acceptRequest(clerk, transfer, items, { location: 'Madrid/HQ/Intake' }).expect(200))
        .body as TransferView;
      expect(received.status).toBe('accepted');
      expect(await item(clerk, phones[0].id)).toMatchObject({
        custodian: { username: usernameOf(clerk) },
        integrity: 'intact',
      });
      expect(await item(clerk, phones[1].id)).toMatchObject({
        custodian: { username: usernameOf(clerk) },
        integrity: 'compromised',
      });
      expect(await item(clerk, phones[2].id)).toMatchObject({
        custodian: { username: usernameOf(clerk) },
        integrity: 'intact',
      });

      const hashes = (id: string): Promise<HashRecordView[]> =>
        api()
          .get(`/api/v1/items/${id}/hashes`)
          .set(bearer(clerk))
          .expect(200)
          .then((r) => (r.body as { hashes: HashRecordView[] }).hashes);
      expect((await hashes(phones[0].id)).map((h) => [h.role, h.algorithm, h.value, h.result, h.transferId])).toEqual([
        ['reference', 'sha256', DEVICE_SHA256, null, null],
        ['verification', 'sha256', DEVICE_SHA256, 'match', transfer.id],
      ]);
      expect(
        (await hashes(phones[1].id)).filter((h) => h.role === 'verification').map((h) => [h.algorithm, h.result]),
      ).toEqual([
        ['md5', 'not_compared'],
        ['sha256', 'mismatch'],
      ]);
      const compromised = (
        await api()
          .get(`/api/v1/items?caseId=${caseId}&integrity=compromised`)
          .set(bearer(readOnlyProsecutor))
          .expect(200)
      ).body.items as ItemView[];
      expect(compromised.map((i) => i.id)).toEqual([phones[1].id]);
      const events = (
        (await api().get(`/api/v1/items/${phones[1].id}/history`).set(bearer(readOnlyProsecutor)).expect(200)).body as {
          events: HistoryEvent[];
        }
      ).events;
      expect(events.at(-1)).toMatchObject({
        type: 'transfer.accepted',
        summary: expect.stringMatching(/HASH MISMATCH/),
      });
    });
  });

  it('re-verification on receipt of two targets of one item, each with its own SHA-256', async () => {
    const [drive] = await seize(app, officer, caseId, [hardDrive()]);
    for (const [target, value] of [
      ['device', DEVICE_SHA256],
      ['image.e01', 'd'.repeat(64)],
    ]) {
      await api()
        .post(`/api/v1/items/${drive.id}/hashes`)
        .set(bearer(officer))
        .send({
          target,
          hashes: [{ algorithm: 'sha256', value }],
          occurredAt: '2026-11-20T12:00:00+01:00',
          signature: signature('acquired'),
        })
        .expect(201);
    }
    const transfer = await release(app, officer, [drive.id], clerk, 'Storage');
    const hashes = [
      { target: 'device', algorithm: 'sha256', value: DEVICE_SHA256 },
      { target: 'image.e01', algorithm: 'sha256', value: 'd'.repeat(64) },
    ];
    await refused(
      () => acceptRequest(clerk, transfer, [{ itemId: drive.id, sealIntact: true, hashes: [...hashes, hashes[0]] }]),
      400,
      'validation_failed',
      ['items[0].hashes[2].algorithm'],
    );
    await acceptRequest(clerk, transfer, [{ itemId: drive.id, sealIntact: true, hashes }]).expect(200);
    const verifications = (
      (await api().get(`/api/v1/items/${drive.id}/hashes`).set(bearer(clerk)).expect(200)).body as {
        hashes: HashRecordView[];
      }
    ).hashes.filter((h) => h.role === 'verification');
    expect(verifications.map((h) => [h.target, h.result])).toEqual([
      ['device', 'match'],
      ['image.e01', 'match'],
    ]);
    expect(await item(clerk, drive.id)).toMatchObject({
      custodian: { username: usernameOf(clerk) },
      integrity: 'intact',
    });
  });

  it('a broken seal alone, with every hash matching, makes the item compromised', async () => {
    const [drive] = await seize(app, officer, caseId, [hardDrive()]);
    await api()
      .post(`/api/v1/items/${drive.id}/hashes`)
      .set(bearer(officer))
      .send({
        target: 'device',
        hashes: [{ algorithm: 'sha256', value: DEVICE_SHA256 }],
        occurredAt: '2026-11-20T12:00:00+01:00',
        signature: signature('acquired'),
      })
      .expect(201);
    const transfer = await release(app, officer, [drive.id], clerk, 'Storage');
    const accepted = (
      await acceptRequest(clerk, transfer, [
        {
          itemId: drive.id,
          sealIntact: false,
          sealNote: 'Bag resealed with tape',
          hashes: [{ target: 'device', algorithm: 'sha256', value: DEVICE_SHA256 }],
        },
      ]).expect(200)
    ).body as TransferView;
    expect(accepted.items).toEqual([
      expect.objectContaining({ id: drive.id, sealIntact: false, sealNote: 'Bag resealed with tape' }),
    ]);
    const verifications = (
      (await api().get(`/api/v1/items/${drive.id}/hashes`).set(bearer(clerk)).expect(200)).body as {
        hashes: HashRecordView[];
      }
    ).hashes.filter((h) => h.role === 'verification');
    expect(verifications.map((h) => [h.target, h.result])).toEqual([['device', 'match']]);
    expect(await item(clerk, drive.id)).toMatchObject({
      custodian: { username: usernameOf(clerk) },
      integrity: 'compromised',
    });
    const flagged = (
      await api().get(`/api/v1/items?caseId=${caseId}&integrity=compromised`).set(bearer(clerk)).expect(200)
    ).body.items as ItemView[];
    expect(flagged.map((i) => i.id)).toContain(drive.id);
  });

  describe('inbox, outbox and visibility', () => {
    let sender: Session;
    let receiver: Session;
    let transfers: TransferView[];

    beforeAll(async () => {
      sender = await login(app, await createUser(db, spain, { roles: ['officer'] }));
      receiver = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
      const items = await seize(
        app,
        sender,
        caseId,
        Array.from({ length: 5 }, (_, n) => exhibit(n)),
      );
      transfers = [];
      for (const held of items)
        transfers.push(await release(app, sender, [held.id], receiver, `Shelf ${transfers.length}`));
      await api().post(`/api/v1/transfers/${transfers[1].id}/cancel`).set(bearer(sender)).send({}).expect(200);
      await accept(app, receiver, transfers[3]);
    });

    const listed = async (session: Session, query: string): Promise<string[]> =>
      (
        (await api().get(`/api/v1/transfers?${query}`).set(bearer(session)).expect(200)).body
          .transfers as TransferView[]
      ).map((t) => t.id);
    const newestFirst = (picked: number[]): string[] => picked.map((n) => transfers[n].id).reverse();

    it('the receiver’s inbox and the sender’s outbox, newest first, filtered by status', async () => {
      expect(await listed(receiver, 'direction=incoming&status=pending')).toEqual(newestFirst([0, 2, 4]));
      expect(await listed(receiver, 'direction=incoming')).toEqual(newestFirst([0, 1, 2, 3, 4]));
      expect(await listed(receiver, 'direction=outgoing')).toEqual([]);
      expect(await listed(sender, 'direction=outgoing&status=cancelled')).toEqual(newestFirst([1]));
      expect(await listed(sender, 'direction=outgoing&status=accepted')).toEqual(newestFirst([3]));
      expect(await listed(sender, 'direction=incoming')).toEqual([]);
      expect(await listed(sender, '')).toEqual(newestFirst([0, 1, 2, 3, 4]));
      await refused(
        () => api().get('/api/v1/transfers?direction=sideways').set(bearer(sender)),
        400,
        'validation_failed',
        ['direction'],
      );
    });

    it('paginates with limit and cursor: every transfer exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `direction=outgoing&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page = (await api().get(`/api/v1/transfers?${query}`).set(bearer(sender)).expect(200)).body as {
          transfers: TransferView[];
          nextCursor: string | null;
        };
        seen.push(...page.transfers.map((t) => t.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(newestFirst([0, 1, 2, 3, 4]));
      // Cursors that decode but are not this list's: refused before SQL sees them (they used to answer 500).
      const forged = (key: unknown[]): string => Buffer.from(JSON.stringify(key)).toString('base64url');
      for (const cursor of [
        'not-a-cursor',
        forged(['9999999999999999999', transfers[0].id]),
        forged(['1', '-'.repeat(36)]),
        forged([1, transfers[0].id]),
      ]) {
        await refused(() => api().get(`/api/v1/transfers?cursor=${cursor}`).set(bearer(sender)), 400, 'cursor_invalid');
      }
    });

    it('a transfer is visible to its parties and to readers of its case; to anyone else it does not exist', async () => {
      for (const reader of [sender, receiver, readOnlyProsecutor, auditor, foreignExaminer]) {
        expect((await transferOf(reader, transfers[0].id)).id).toBe(transfers[0].id);
      }
      expect(await listed(readOnlyProsecutor, `caseId=${caseId}&direction=outgoing`)).toEqual([]);
      expect(await listed(readOnlyProsecutor, `caseId=${caseId}`)).toEqual(
        expect.arrayContaining(transfers.map((t) => t.id)),
      );
      await refused(
        () => api().get(`/api/v1/transfers/${transfers[0].id}`).set(bearer(outsider)),
        404,
        'transfer_not_found',
      );
      await refused(() => api().get('/api/v1/transfers/not-a-uuid').set(bearer(sender)), 404, 'transfer_not_found');
      await refused(
        () => api().get('/api/v1/transfers/7b0c1f8e-3f5a-4e57-9a43-6d1c4f0e2a11').set(bearer(sender)),
        404,
        'transfer_not_found',
      );
      expect(await listed(outsider, `caseId=${caseId}`)).toEqual([]);
      await refused(
        () => acceptRequest(outsider, transfers[0], [{ itemId: transfers[0].items[0].id, sealIntact: true }]),
        404,
        'transfer_not_found',
      );
    });
  });

  it('a pending item cannot be moved, hashed, disposed or released again (409 item_transfer_pending)', async () => {
    const [held] = await seize(app, officer, caseId, [phone()]);
    const transfer = await release(app, officer, [held.id], clerk);
    await refused(
      () => api().post(`/api/v1/items/${held.id}/location`).set(bearer(officer)).send({ location: 'Vehicle 3' }),
      409,
      'item_transfer_pending',
    );
    await refused(
      () =>
        api()
          .post(`/api/v1/items/${held.id}/hashes`)
          .set(bearer(officer))
          .send({
            target: 'device',
            hashes: [{ algorithm: 'sha256', value: DEVICE_SHA256 }],
            occurredAt: '2026-11-21T10:00:00+01:00',
            signature: signature('acquired'),
          }),
      409,
      'item_transfer_pending',
    );
    await refused(
      () =>
        api()
          .post(`/api/v1/items/${held.id}/disposition`)
          .set(bearer(officer))
          .send({
            disposition: 'destroyed',
            authorityReference: 'JI-7 Madrid, auto 311/2027',
            occurredAt: '2026-11-27T11:00:00+01:00',
            witness: { username: usernameOf(clerk), password: FACTORY_PASSWORD },
            signature: signature('disposed'),
          }),
      409,
      'item_transfer_pending',
    );
    const again = await refused(
      () => releaseRequest(officer, [held.id], usernameOf(secondClerk)),
      409,
      'item_transfer_pending',
    );
    expect(again.body).toMatchObject({ transferId: transfer.id });
  });

  it('repeated wrong signing passwords delay the signer, who cannot sign from there until the delay ends', async () => {
    const signerUser = await createUser(db, spain, { roles: ['officer'] });
    const signer = await login(app, signerUser);
    const [held] = await seize(app, signer, caseId, [phone()]);
    for (let attempt = 1; attempt <= FREE_FAILURES + 1; attempt++) {
      await refused(
        () =>
          releaseRequest(signer, [held.id], usernameOf(clerk), {
            signature: signature('released', `wrong-password-${attempt}`),
          }),
        401,
        'signature_password_invalid',
      );
    }
    const delayed = await refused(
      () => releaseRequest(signer, [held.id], usernameOf(clerk)),
      429,
      'password_throttled',
    );
    expect(delayed.body.retryAfterSeconds).toBeGreaterThan(0);
    // Unsigned work and reading go on.
    await api().get(`/api/v1/items/${held.id}`).set(bearer(signer)).expect(200);
    // As the receiver, the delayed user cannot sign a receipt from there either.
    const [inbound] = await seize(app, officer, caseId, [phone()]);
    const transfer = await release(app, officer, [inbound.id], signerUser.username);
    await refused(() => acceptRequest(signer, transfer, statements(transfer)), 429, 'password_throttled');
    expect((await transferOf(officer, transfer.id)).status).toBe('pending');
  });

  describe('hand-over times (occurredAt): when it happened, apart from when it was entered', () => {
    const history = async (session: Session, id: string): Promise<HistoryEvent[]> =>
      (await api().get(`/api/v1/items/${id}/history`).set(bearer(session)).expect(200)).body.events as HistoryEvent[];
    const tomorrow = (): string => new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');

    it('a release in Madrid and a receipt in Buenos Aires keep their times and offsets, in the ledger and the views', async () => {
      const [held] = await seize(app, officer, caseId, [phone({ occurredAt: '2026-11-20T09:14:00+01:00' })]);
      const released = (
        await releaseRequest(officer, [held.id], usernameOf(foreignExaminer), {
          occurredAt: '2026-11-24T09:30:00+01:00',
        }).expect(201)
      ).body as TransferView;
      expect(released).toMatchObject({ releaseOccurredAt: '2026-11-24T09:30:00+01:00', acceptedOccurredAt: null });
      const received = (
        await acceptRequest(foreignExaminer, released, statements(released), {
          occurredAt: '2026-11-25T16:10:00-03:00',
        }).expect(200)
      ).body as TransferView;
      expect(received).toMatchObject({
        status: 'accepted',
        releaseOccurredAt: '2026-11-24T09:30:00+01:00',
        acceptedOccurredAt: '2026-11-25T16:10:00-03:00',
      });
      const events = await history(foreignExaminer, held.id);
      const release = events.find((event) => event.type === 'transfer.released')!;
      const receipt = events.find((event) => event.type === 'transfer.accepted')!;
      // The entry states it, inside what is signed; the recording time stays the ledger's own.
      expect(release.data).toMatchObject({ occurredAt: '2026-11-24T09:30:00+01:00' });
      expect(release.occurredAt).toBe('2026-11-24T09:30:00+01:00');
      expect(receipt.data).toMatchObject({ occurredAt: '2026-11-25T16:10:00-03:00' });
      expect(receipt.occurredAt).toBe('2026-11-25T16:10:00-03:00');
      expect(Date.parse(receipt.recordedAt)).toBeGreaterThan(Date.parse('2026-12-01T00:00:00Z'));
    });

    it('without occurredAt, the hand-over is now (UTC), and re-verification hashes on receipt carry its time', async () => {
      const [held] = await seize(app, officer, caseId, [phone()]);
      await recordHashes(app, officer, held.id, {
        target: 'device',
        hashes: [{ algorithm: 'sha256', value: DEVICE_SHA256 }],
        occurredAt: '2026-11-20T10:00:00+01:00',
        signature: signature('acquired'),
      });
      const before = Date.now();
      const released = await release(app, officer, [held.id], clerk);
      expect(released.releaseOccurredAt).toMatch(/Z$/);
      expect(Date.parse(released.releaseOccurredAt)).toBeGreaterThanOrEqual(before - 1000);
      const received = (
        await acceptRequest(
          clerk,
          released,
          [
            {
              itemId: held.id,
              sealIntact: true,
              hashes: [{ target: 'device', algorithm: 'sha256', value: DEVICE_SHA256 }],
            },
          ],
          { occurredAt: released.releaseOccurredAt },
        ).expect(200)
      ).body as TransferView;
      expect(received.acceptedOccurredAt).toBe(released.releaseOccurredAt);
      const hashes = (await api().get(`/api/v1/items/${held.id}/hashes`).set(bearer(clerk)).expect(200)).body
        .hashes as HashRecordView[];
      expect(hashes.find((hash) => hash.role === 'verification')).toMatchObject({
        occurredAt: released.releaseOccurredAt,
      });
    });

    it('refuses a time in the future, a release before the seizure and a malformed time; nothing changes', async () => {
      const [held] = await seize(app, officer, caseId, [phone({ occurredAt: '2026-11-20T09:14:00+01:00' })]);
      await refused(
        () => releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: tomorrow() }),
        400,
        'occurred_in_future',
        ['occurredAt'],
      );
      const early = await refused(
        () => releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: '2026-11-20T08:00:00+01:00' }),
        400,
        'occurred_before_previous_event',
        ['occurredAt'],
      );
      expect(early.body.detail).toContain(`seizure of ${held.itemNumber} (2026-11-20T09:14:00+01:00)`);
      await refused(
        () => releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: '2026-11-24 09:30' }),
        400,
        'validation_failed',
        ['occurredAt'],
      );
      // The same instant as the seizure is not before it.
      await releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: '2026-11-20T08:14:00Z' }).expect(201);
    });

    it('refuses a release before the item’s last hash record or receipt; a storage move states no time', async () => {
      const [held] = await seize(app, officer, caseId, [phone({ occurredAt: '2026-11-20T09:14:00+01:00' })]);
      await recordHashes(app, officer, held.id, {
        target: 'device',
        hashes: [{ algorithm: 'sha256', value: DEVICE_SHA256 }],
        occurredAt: '2026-11-21T10:00:00+01:00',
        signature: signature('acquired'),
      });
      const hashed = await refused(
        () => releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: '2026-11-21T09:00:00+01:00' }),
        400,
        'occurred_before_previous_event',
        ['occurredAt'],
      );
      expect(hashed.body.detail).toContain('hash record');
      const first = (
        await releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: '2026-11-22T12:00:00+01:00' }).expect(
          201,
        )
      ).body as TransferView;
      await acceptRequest(clerk, first, statements(first), { occurredAt: '2026-11-22T15:00:00+01:00' }).expect(200);
      // The clerk cannot hand on what they received before they received it.
      const handBack = await refused(
        () => releaseRequest(clerk, [held.id], usernameOf(officer), { occurredAt: '2026-11-22T14:00:00+01:00' }),
        400,
        'occurred_before_previous_event',
        ['occurredAt'],
      );
      expect(handBack.body.detail).toContain('receipt');
      await api()
        .post(`/api/v1/items/${held.id}/location`)
        .set(bearer(clerk))
        .send({ location: 'Madrid/HQ/Safe 2' })
        .expect(200);
      // A storage move states no time of its own: entered now, it does not forbid an earlier hand-over.
      await releaseRequest(clerk, [held.id], usernameOf(officer), { occurredAt: '2026-11-23T09:00:00+01:00' }).expect(
        201,
      );
    });

    it('refuses an acceptance before its release, or in the future; the transfer stays pending', async () => {
      const [held] = await seize(app, officer, caseId, [phone()]);
      const released = (
        await releaseRequest(officer, [held.id], usernameOf(clerk), { occurredAt: '2026-11-24T09:30:00+01:00' }).expect(
          201,
        )
      ).body as TransferView;
      const early = await refused(
        () => acceptRequest(clerk, released, statements(released), { occurredAt: '2026-11-24T04:29:00-03:00' }),
        400,
        'accepted_before_release',
        ['occurredAt'],
      );
      expect(early.body.detail).toContain('2026-11-24T09:30:00+01:00');
      await refused(
        () => acceptRequest(clerk, released, statements(released), { occurredAt: tomorrow() }),
        400,
        'occurred_in_future',
        ['occurredAt'],
      );
      expect((await transferOf(clerk, released.id)).status).toBe('pending');
      // The same instant, stated in another offset, is not before it.
      await acceptRequest(clerk, released, statements(released), { occurredAt: '2026-11-24T05:30:00-03:00' }).expect(
        200,
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
