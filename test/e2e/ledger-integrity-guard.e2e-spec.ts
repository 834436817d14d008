import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { ItemView } from '../../src/custody/item-records.js';
import { phone, recordHashes, seize, signature } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestUser,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, withClient, type TestDatabase } from '../utils/test-database.js';

const SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/**
 * Before a custody write acts on an item, the service checks the item's row against its latest
 * ledger entry (issue #16 item 3): a row forged behind the ledger refuses the write with 503
 * `ledger_integrity_failure`, changes nothing and raises the integrity alarm. The same for the
 * reference hashes a verification is compared with.
 */
describe('custody writes check the state they act on against the ledger', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let officer: Session;
  let forgerUser: TestUser;
  let forger: Session;
  let clerk: Session;
  let caseId: string;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  /** Everything a refused write could have changed. */
  const footprint = async (itemId: string): Promise<unknown> =>
    (
      await sql(
        database.appUrl,
        `SELECT (SELECT tree_size FROM ledger_state) AS size, (SELECT count(*) FROM transfer) AS transfers,
                (SELECT count(*) FROM hash_record) AS hashes, (SELECT row_to_json(i) FROM item i WHERE i.id = $1) AS item`,
        [itemId],
      )
    ).rows[0];
  const alarms = async (): Promise<Array<Record<string, unknown>>> =>
    (
      await sql(
        database.ownerUrl,
        `SELECT actor_user_id, subject_label, details FROM access_log WHERE event = 'ledger.integrity_alarm' ORDER BY id`,
      )
    ).rows as Array<Record<string, unknown>>;
  const refusedWithIntegrityFailure = (response: request.Response): void => {
    expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
      status: 503,
      code: 'ledger_integrity_failure',
    });
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    const spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    forgerUser = await createUser(db, spain, { roles: ['officer'] });
    forger = await login(app, forgerUser);
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
    caseId = (
      (
        await api()
          .post('/api/v1/cases')
          .set(bearer(officer))
          .send({ caseNumber: 'OP-GUARD', title: 'Operation Guardia' })
          .expect(201)
      ).body as { id: string }
    ).id;
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it("the reviewer's case: a custodian forged by the service role — the forged custodian's release is refused and nothing changes", async () => {
    const [item] = await seize(app, officer, caseId, [phone()]);
    // The service's own database role may update custodian_id: no trigger, no superuser needed.
    await sql(database.appUrl, 'UPDATE item SET custodian_id = $2 WHERE id = $1', [item.id, forgerUser.id]);
    const before = await footprint(item.id);
    const release = await api()
      .post('/api/v1/transfers')
      .set(bearer(forger))
      .send({ itemIds: [item.id], to: clerk.user.username, purpose: 'Forged', signature: signature('released') });
    refusedWithIntegrityFailure(release);
    expect(await footprint(item.id)).toEqual(before);
    // The true custodian is refused too: the item's row is not what the ledger says.
    refusedWithIntegrityFailure(
      await api().post(`/api/v1/items/${item.id}/location`).set(bearer(officer)).send({ location: 'Locker 9' }),
    );
    expect(await footprint(item.id)).toEqual(before);
    // The alarm is raised: the status says failed, and the access log names who tried and why.
    const { body } = await api().get('/api/v1/ledger/status').set(bearer(officer)).expect(200);
    expect((body as { integrity: unknown }).integrity).toMatchObject({
      status: 'failed',
      failure: { index: item.lastLedgerIndex, kind: 'item_state', source: 'custody write' },
      writesRefused: false,
      checkpointsStopped: true,
    });
    const [first] = await alarms();
    expect(first).toMatchObject({ actor_user_id: forgerUser.id, subject_label: 'item_state' });
    expect((first.details as { reason: string }).reason).toBe(
      `item ${item.itemNumber}: its row has custodian ${forgerUser.id} but ledger entry ${item.lastLedgerIndex} gives ${officer.user.id as string}`,
    );
  });

  it('the batched path: an unsigned hash verification planned on a forged row is refused, recording nothing', async () => {
    const [item] = await seize(app, officer, caseId, [phone()]);
    await recordHashes(app, officer, item.id, {
      target: 'device',
      occurredAt: '2026-11-20T11:00:00+01:00',
      hashes: [{ algorithm: 'sha256', value: SHA256 }],
      signature: signature('acquired'),
    });
    await sql(database.appUrl, 'UPDATE item SET custodian_id = $2 WHERE id = $1', [item.id, forgerUser.id]);
    const before = await footprint(item.id);
    const verification = await api()
      .post(`/api/v1/items/${item.id}/hashes`)
      .set(bearer(forger))
      .send({
        target: 'device',
        occurredAt: '2026-11-21T11:00:00+01:00',
        hashes: [{ algorithm: 'sha256', value: SHA256 }],
      });
    refusedWithIntegrityFailure(verification);
    expect(await footprint(item.id)).toEqual(before);
  });

  it('a reference hash set to zeros behind the ledger: the true value is refused, not recorded as a mismatch', async () => {
    const [item] = await seize(app, officer, caseId, [phone()]);
    await recordHashes(app, officer, item.id, {
      target: 'device',
      occurredAt: '2026-11-20T11:00:00+01:00',
      hashes: [{ algorithm: 'sha256', value: SHA256 }],
      signature: signature('acquired'),
    });
    await withClient(database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`UPDATE hash_record SET value = $2 WHERE item_id = $1 AND role = 'reference'`, [
        item.id,
        '0'.repeat(64),
      ]);
      await client.query('COMMIT');
    });
    const before = await footprint(item.id);
    const verification = await api()
      .post(`/api/v1/items/${item.id}/hashes`)
      .set(bearer(officer))
      .send({
        target: 'device',
        occurredAt: '2026-11-21T11:00:00+01:00',
        hashes: [{ algorithm: 'sha256', value: SHA256 }],
      });
    refusedWithIntegrityFailure(verification);
    expect(await footprint(item.id)).toEqual(before);
    const item2 = (await api().get(`/api/v1/items/${item.id}`).set(bearer(officer)).expect(200)).body as ItemView;
    expect(item2.integrity).toBe('intact');
    const last = (await alarms()).at(-1)!;
    expect(last).toMatchObject({ subject_label: 'reference' });
    expect((last.details as { reason: string }).reason).toContain(`records ${SHA256}`);
  });

  it('an item whose row agrees with the ledger is written as before', async () => {
    const [item] = await seize(app, officer, caseId, [phone()]);
    await api()
      .post(`/api/v1/items/${item.id}/location`)
      .set(bearer(officer))
      .send({ location: 'Locker 2' })
      .expect(200);
  });
});
