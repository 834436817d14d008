import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { DataSource, type EntityManager } from 'typeorm';

import type { AppConfig } from '../../src/config/config.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type ItemDescription,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemRef,
  type ItemSeizedData,
  type PartyRef,
  type TransferAcceptedData,
  type TransferReleasedData,
} from '../../src/custody/custody-events.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { eventHash, type EntryActor, type EntrySignature, type LedgerEvent } from '../../src/ledger/core/entry.js';
import { parseVerifierKey } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey, type LedgerKey } from '../../src/ledger/ledger-key.js';
import { verifyLedger, type VerifyResult } from '../../src/ledger/ledger-verifier.js';
import { runLedgerVerify } from '../../src/ledger/ledger-verify.command.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { createCase, type TestCase } from '../factories/case.factory.js';
import { createAgency, createUser, type TestAgency, type TestUser } from '../factories/identity.factory.js';
import { TEST_CONTEXT } from '../utils/ledger-fixtures.js';
import { createTestDatabase, sql, withClient, type TestDatabase } from '../utils/test-database.js';

const ORIGIN = 'test.custos.invalid/ledger';
const key: LedgerKey = loadOrCreateLedgerKey(join(mkdtempSync(join(tmpdir(), 'custos-key-')), 'ledger.key'), ORIGIN, {
  warn: () => undefined,
});

interface People {
  officer: TestUser;
  examiner: TestUser;
  clerk: TestUser;
  stranger: TestUser;
}

/**
 * A small custody history written the way the service writes it: each change and its ledger entry
 * in one unit of work, the `item` row updated in the same transaction.
 */
interface History {
  database: TestDatabase;
  dataSource: DataSource;
  ledger: LedgerService;
  people: People;
  kase: TestCase;
  phone: ItemRef;
  sim: ItemRef;
  usb: ItemRef;
  /** Ledger index of each step, by name. */
  at: Record<string, number>;
  record(event: LedgerEvent, change?: (em: EntityManager, index: number) => Promise<unknown>): Promise<number>;
  verify(deep?: boolean): Promise<VerifyResult>;
  close(): Promise<void>;
}

function party(user: TestUser, agency: TestAgency): PartyRef {
  return { id: user.id, username: user.username, displayName: user.displayName, agency: agency.code };
}

function actor(user: TestUser, agency: TestAgency): EntryActor {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    agency: agency.code,
    role: user.roles[0],
  };
}

/** The event with the signatures of `signers`, each bound to its signed content (docs/design.md §3). */
function signed(event: LedgerEvent, agency: TestAgency, ...signers: Array<[TestUser, string]>): LedgerEvent {
  const hash = eventHash(event);
  const signatures: EntrySignature[] = signers.map(([user, meaning]) => ({
    signerId: user.id,
    username: user.username,
    printedName: user.displayName,
    agency: agency.code,
    role: user.roles[0],
    meaning,
    signedAt: new Date().toISOString(),
    eventHash: hash,
  }));
  return { ...event, signatures };
}

function description(): ItemDescription {
  return {
    kind: 'mobile_phone',
    description: 'Black smartphone',
    make: 'Samsung',
    model: null,
    serial: null,
    imeis: [],
    iccid: null,
    macAddresses: [],
    capacityBytes: null,
    condition: null,
    powerState: 'off',
    sealNumber: null,
    occurredAt: '2026-11-28T09:14:00+01:00',
    place: 'Calle Mayor 1, Madrid',
    seizedFrom: null,
    legalAuthority: null,
    parent: null,
  };
}

async function history(): Promise<History> {
  const database = await createTestDatabase();
  const dataSource = new DataSource(dataSourceOptions({ url: database.appUrl, poolSize: 2 }));
  await dataSource.initialize();
  const ledger = new LedgerService(dataSource);
  const agency = await createAgency(dataSource, { code: 'ES-PN' });
  const people: People = {
    officer: await createUser(dataSource, agency, { roles: ['officer'] }),
    examiner: await createUser(dataSource, agency, { roles: ['examiner'] }),
    clerk: await createUser(dataSource, agency, { roles: ['clerk'] }),
    stranger: await createUser(dataSource, agency, { roles: ['officer'] }),
  };
  const { officer, examiner, clerk } = people;
  const kase = await createCase(dataSource, agency.id, officer.id);
  const caseRef = { id: kase.id, number: kase.caseNumber };
  const record = (
    event: LedgerEvent,
    change?: (em: EntityManager, index: number, recordedAt: string) => Promise<unknown>,
  ): Promise<number> =>
    ledger.write(async (em) => {
      const { index, entry } = await ledger.append(em, TEST_CONTEXT, event);
      await change?.(em, index, entry.recordedAt);
      return index;
    });
  const itemEvent = (type: string, by: TestUser, item: ItemRef, data: object): LedgerEvent => ({
    type,
    actor: actor(by, agency),
    subject: { type: 'item', id: item.id, number: item.number },
    case: caseRef,
    data: data as Record<string, unknown>,
  });
  const transferEvent = (type: string, by: TestUser, transfer: string, data: object): LedgerEvent => ({
    type,
    actor: actor(by, agency),
    subject: { type: 'transfer', id: transfer },
    case: caseRef,
    data: data as Record<string, unknown>,
  });
  /** Indexes an entry under its items, as the service's `CustodyRecords.link` does. */
  const link = async (em: EntityManager, index: number, type: string, items: ItemRef[]): Promise<void> => {
    const ids = items.map((item) => item.id);
    await em.query(`INSERT INTO item_event (item_id, ledger_idx, type) SELECT unnest($1::uuid[]), $2, $3`, [
      ids,
      index,
      type,
    ]);
    await em.query(`UPDATE item SET last_event_idx = $2 WHERE id = ANY($1::uuid[]) AND last_event_idx < $2`, [
      ids,
      index,
    ]);
  };
  const seize = async (item: ItemRef, location: string): Promise<number> => {
    const data: ItemSeizedData = { item: description(), custodian: party(officer, agency), location };
    return record(itemEvent(T.seized, officer, item, data), async (em, index) => {
      await em.query(
        `INSERT INTO item (id, case_id, agency_id, item_number, kind, description, make, power_state, occurred_at, occurred_offset,
                           place, registered_by, custodian_id, location, last_event_idx)
         VALUES ($1, $2, $3, $4, 'mobile_phone', 'Black smartphone', 'Samsung', 'off', '2026-11-28T08:14:00Z', 60,
                 'Calle Mayor 1, Madrid', $5, $5, $6, $7)`,
        [item.id, kase.id, agency.id, item.number, officer.id, location, index],
      );
      await link(em, index, T.seized, [item]);
    });
  };
  const hash = (
    by: TestUser,
    item: ItemRef,
    role: 'reference' | 'verification',
    result?: 'match' | 'mismatch',
  ): Promise<number> => {
    const value = { algorithm: 'sha256', value: (result === 'mismatch' ? 'b' : 'a').repeat(64) };
    const data: HashRecordedData = {
      target: 'device',
      role,
      tool: { name: 'sha256sum', version: '9.4' },
      occurredAt: '2026-11-29T10:00:00Z',
      values: [result === undefined ? value : { ...value, result, referenceIndex: at.phoneReference }],
    };
    const event = itemEvent(T.hashRecorded, by, item, data);
    return record(role === 'reference' ? signed(event, agency, [by, 'acquired']) : event, async (em, index) => {
      await em.query(
        `INSERT INTO hash_record (item_id, target, algorithm, value, role, result, reference_id, tool, tool_version, occurred_at,
                                  occurred_offset, recorded_by, ledger_idx)
         VALUES ($1, 'device', 'sha256', $2, $3, $4,
                 (SELECT id FROM hash_record WHERE item_id = $1 AND role = 'reference' AND $4::text IS NOT NULL),
                 'sha256sum', '9.4', '2026-11-29T10:00:00Z', 0, $5, $6)`,
        [item.id, value.value, role, result ?? null, by.id, index],
      );
      await em.query(`UPDATE item SET integrity = CASE WHEN $2 THEN 'compromised' ELSE integrity END WHERE id = $1`, [
        item.id,
        result === 'mismatch',
      ]);
      await link(em, index, T.hashRecorded, [item]);
    });
  };

  const phone: ItemRef = { id: '7f1d2c3b-0000-4000-8000-000000000001', number: 'ES-PN-2026-000001' };
  const sim: ItemRef = { id: '7f1d2c3b-0000-4000-8000-000000000002', number: 'ES-PN-2026-000002' };
  const usb: ItemRef = { id: '7f1d2c3b-0000-4000-8000-000000000003', number: 'ES-PN-2026-000003' };
  const transferId = '7f1d2c3b-0000-4000-8000-0000000000a1';
  const at: Record<string, number> = {};

  at.phoneSeized = await seize(phone, 'Station locker 4');
  at.simSeized = await seize(sim, 'Station locker 4');
  at.usbSeized = await seize(usb, 'Station locker 5');
  at.phoneReference = await hash(officer, phone, 'reference');

  const release: TransferReleasedData = {
    from: party(officer, agency),
    to: party(examiner, agency),
    items: [phone, sim],
    purpose: 'Extraction',
  };
  at.released = await record(
    signed(transferEvent(T.released, officer, transferId, release), agency, [officer, 'released']),
    async (em, index, recordedAt) => {
      await em.query(
        // No stated hand-over time: the entry's recording time is it (ADR 0033).
        `INSERT INTO transfer (id, case_id, from_user_id, to_user_id, purpose, item_count, release_idx,
                               release_occurred_at, release_occurred_offset)
         VALUES ($1, $2, $3, $4, 'Extraction', 2, $5, $6, 0)`,
        [transferId, kase.id, officer.id, examiner.id, index, recordedAt],
      );
      await em.query(`INSERT INTO transfer_item (transfer_id, item_id, position) VALUES ($1, $2, 0), ($1, $3, 1)`, [
        transferId,
        phone.id,
        sim.id,
      ]);
      await em.query(`UPDATE item SET state = 'transfer_pending' WHERE id = ANY($1::uuid[])`, [[phone.id, sim.id]]);
      await link(em, index, T.released, [phone, sim]);
    },
  );
  const accept: TransferAcceptedData = {
    from: party(officer, agency),
    to: party(examiner, agency),
    items: [
      { ...phone, sealIntact: true, sealNote: null, hashes: [] },
      { ...sim, sealIntact: false, sealNote: 'Bag torn open', hashes: [] },
    ],
    location: 'Lab vault',
  };
  at.accepted = await record(
    signed(transferEvent(T.accepted, examiner, transferId, accept), agency, [examiner, 'received']),
    async (em, index, recordedAt) => {
      await em.query(
        `UPDATE transfer SET status = 'accepted', resolved_at = now(), resolved_by = $2, resolution_idx = $3,
                accepted_occurred_at = $4, accepted_occurred_offset = 0
          WHERE id = $1`,
        [transferId, examiner.id, index, recordedAt],
      );
      await em.query(
        `UPDATE transfer_item SET pending = false, seal_intact = (item_id = $2), seal_note = CASE WHEN item_id = $3 THEN 'Bag torn open' END
          WHERE transfer_id = $1`,
        [transferId, phone.id, sim.id],
      );
      await em.query(
        `UPDATE item SET state = 'in_custody', custodian_id = $2, location = 'Lab vault' WHERE id = ANY($1::uuid[])`,
        [[phone.id, sim.id], examiner.id],
      );
      await em.query(`UPDATE item SET integrity = 'compromised' WHERE id = $1`, [sim.id]);
      await link(em, index, T.accepted, [phone, sim]);
    },
  );
  const move: ItemMovedData = { from: 'Lab vault', to: 'Lab bench 3', reason: 'Extraction' };
  at.phoneMoved = await record(itemEvent(T.moved, examiner, phone, move), async (em, index) => {
    await em.query(`UPDATE item SET location = 'Lab bench 3' WHERE id = $1`, [phone.id]);
    await link(em, index, T.moved, [phone]);
  });
  at.phoneMismatch = await hash(examiner, phone, 'verification', 'mismatch');
  const disposal: ItemDisposedData = {
    disposition: 'destroyed',
    authorityReference: 'JI-7 118/2026 auto 12',
    recipient: null,
    notes: null,
    custodian: party(officer, agency),
    witness: party(clerk, agency),
    occurredAt: '2027-03-01T12:00:00+01:00',
  };
  at.usbDisposed = await record(
    signed(itemEvent(T.disposed, officer, usb, disposal), agency, [officer, 'disposed'], [clerk, 'witnessed']),
    async (em, index) => {
      await em.query(
        `UPDATE item SET state = 'disposed', disposition = 'destroyed', disposed_at = '2027-03-01T12:00:00+01:00' WHERE id = $1`,
        [usb.id],
      );
      await link(em, index, T.disposed, [usb]);
    },
  );

  return {
    database,
    dataSource,
    ledger,
    people,
    kase,
    phone,
    sim,
    usb,
    at,
    record,
    verify: (deep = true) => verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(key.verifierKey)], deep }),
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}

/** What the schema owner can do behind the ledger's back: the custody tables have no append-only trigger. */
const asOwner = (h: History, text: string, params: unknown[] = []): Promise<unknown> =>
  sql(h.database.ownerUrl, text, params);

describe('custos ledger verify replays custody against the item table', () => {
  let h: History;

  afterEach(async () => {
    await h?.close();
  });

  it('passes when the item table is what the custody events make it, in both modes', async () => {
    h = await history();
    const items = await sql(
      h.database.appUrl,
      'SELECT item_number, custodian_id, state, integrity, location FROM item ORDER BY item_number',
    );
    expect(items.rows).toEqual([
      {
        item_number: h.phone.number,
        custodian_id: h.people.examiner.id,
        state: 'in_custody',
        integrity: 'compromised',
        location: 'Lab bench 3',
      },
      {
        item_number: h.sim.number,
        custodian_id: h.people.examiner.id,
        state: 'in_custody',
        integrity: 'compromised',
        location: 'Lab vault',
      },
      {
        item_number: h.usb.number,
        custodian_id: h.people.officer.id,
        state: 'disposed',
        integrity: 'intact',
        location: 'Station locker 5',
      },
    ]);
    expect(await h.verify()).toMatchObject({ ok: true, treeSize: h.at.usbDisposed + 1, items: 3 });
    expect(await h.verify(false)).toMatchObject({ ok: true, items: 3 });
  });

  it('the command prints how many items it checked, and exits 1 naming the item when one differs', async () => {
    h = await history();
    const verifyCommand = async (): Promise<{ code: number; stdout: string }> => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      const err = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
      const code = await runLedgerVerify(['--key', key.verifierKey], h.database.appUrl, {} as AppConfig, out, err);
      return { code, stdout: Buffer.concat(chunks).toString('utf8') };
    };
    const ok = await verifyCommand();
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^ledger OK: \d+ entries, root [A-Za-z0-9+/=]{44}, 0 signed checkpoints verified, custody of 3 items matches the ledger, in /m,
    );

    await asOwner(h, `UPDATE item SET location = 'Somewhere else' WHERE id = $1`, [h.sim.id]);
    const failed = await verifyCommand();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe(
      `ledger FAILED at index ${h.at.accepted}: item ${h.sim.number}: the item table has location "Somewhere else" but the ledger's custody events give "Lab vault"\n`,
    );
  });

  it('fails when a custodian is changed behind the ledger, naming the item, the field and its last entry', async () => {
    h = await history();
    await asOwner(h, 'UPDATE item SET custodian_id = $2 WHERE id = $1', [h.phone.id, h.people.stranger.id]);
    expect(await h.verify()).toMatchObject({
      ok: false,
      index: h.at.phoneMismatch,
      reason: `item ${h.phone.number}: the item table has custodian_id "${h.people.stranger.id}" but the ledger's custody events give "${h.people.examiner.id}"`,
    });
  });

  it('fails when a compromised item is set back to intact', async () => {
    h = await history();
    await asOwner(h, `UPDATE item SET integrity = 'intact' WHERE id = $1`, [h.phone.id]);
    expect(await h.verify(false)).toMatchObject({
      ok: false,
      index: h.at.phoneMismatch,
      reason: `item ${h.phone.number}: the item table has integrity "intact" but the ledger's custody events give "compromised"`,
    });
  });

  it('fails when a disposed item is made live again', async () => {
    h = await history();
    await asOwner(h, `UPDATE item SET state = 'in_custody', disposition = NULL, disposed_at = NULL WHERE id = $1`, [
      h.usb.id,
    ]);
    expect(await h.verify()).toMatchObject({
      ok: false,
      index: h.at.usbDisposed,
      reason: `item ${h.usb.number}: the item table has state "in_custody" but the ledger's custody events give "disposed"`,
    });
  });

  it('reports the difference at the lowest ledger index when several items differ', async () => {
    h = await history();
    await asOwner(h, `UPDATE item SET integrity = 'intact'`);
    // The SIM's last entry (the acceptance) comes before the phone's and the USB drive is intact anyway.
    expect(await h.verify()).toMatchObject({
      ok: false,
      index: h.at.accepted,
      reason: expect.stringMatching(new RegExp(`^item ${h.sim.number}: .* integrity`)),
    });
  });

  it('fails when an item row exists that no ledger entry registers', async () => {
    h = await history();
    const { officer } = h.people;
    await asOwner(
      h,
      `INSERT INTO item (id, case_id, agency_id, item_number, kind, description, occurred_at, occurred_offset, place, registered_by, custodian_id, last_event_idx)
       SELECT '7f1d2c3b-0000-4000-8000-0000000000ff', id, agency_id, 'ES-PN-2026-000099', 'usb_drive', 'Planted', now(), 0, 'Nowhere', $1, $1, 0
         FROM case_file WHERE id = $2`,
      [officer.id, h.kase.id],
    );
    expect(await h.verify()).toMatchObject({
      ok: false,
      index: null,
      reason:
        'item ES-PN-2026-000099 (7f1d2c3b-0000-4000-8000-0000000000ff) is in the item table but no ledger entry registers it',
    });
  });

  it('fails when an item the ledger registered has no row', async () => {
    h = await history();
    // Its transfer and history rows refer to it: only with triggers (and so foreign keys) off.
    await withClient(h.database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query('DELETE FROM item WHERE id = $1', [h.sim.id]);
      await client.query('COMMIT');
    });
    expect(await h.verify()).toMatchObject({
      ok: false,
      index: h.at.accepted,
      reason: `item ${h.sim.number} (${h.sim.id}) is registered in the ledger but missing from the item table`,
    });
  });

  it('fails at the entry that breaks the chain: a release by someone who is not the custodian', async () => {
    h = await history();
    const { stranger, examiner } = h.people;
    const agency = { code: 'ES-PN' } as TestAgency;
    const data: TransferReleasedData = {
      from: party(stranger, agency),
      to: party(examiner, agency),
      items: [h.sim],
      purpose: 'Forged',
    };
    const event: LedgerEvent = {
      type: T.released,
      actor: actor(stranger, agency),
      subject: { type: 'transfer', id: 't-forged' },
      case: { id: h.kase.id, number: h.kase.caseNumber },
      data,
    };
    // Appended directly, with no change to the item table: validly signed, but not by the custodian.
    const index = await h.record(signed(event, agency, [stranger, 'released']));
    const expected = {
      ok: false,
      index,
      reason: `entry ${index}: release of ${h.sim.number} by ${stranger.id}, but its custodian is ${examiner.id}`,
    };
    expect(await h.verify()).toEqual(expected);
    expect(await h.verify(false)).toEqual(expected);
  });

  it("fails when a custody entry's type column is relabelled to hide it from the replay", async () => {
    h = await history();
    // A rogue administrator hides the mismatch from the replay and marks the phone intact again.
    await withClient(h.database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica'); // triggers off
      await client.query(`UPDATE ledger_entry SET type = 'case.noted' WHERE idx = $1`, [h.at.phoneMismatch]);
      await client.query(`UPDATE item SET integrity = 'intact' WHERE id = $1`, [h.phone.id]);
      await client.query('COMMIT');
    });
    const expected = {
      ok: false,
      index: h.at.phoneMismatch,
      reason: `entry ${h.at.phoneMismatch}: its type column says "case.noted" but the entry's type is "hash.recorded"`,
    };
    expect(await h.verify(false)).toEqual(expected);
    expect(await h.verify()).toEqual(expected);
  });
});
