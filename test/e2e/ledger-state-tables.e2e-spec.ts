import { PassThrough } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { AppConfig } from '../../src/config/config.js';
import type { ItemView } from '../../src/custody/item-records.js';
import type { TransferView } from '../../src/custody/transfers.service.js';
import { parseVerifierKey } from '../../src/ledger/core/signed-note.js';
import { verifyLedger, type VerifyResult } from '../../src/ledger/ledger-verifier.js';
import { runLedgerVerify } from '../../src/ledger/ledger-verify.command.js';
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
import { createTestDatabase, sql, withClient, type TestDatabase } from '../utils/test-database.js';

const SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const IMAGE_SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const ZEROS = '0'.repeat(64);

interface Difference {
  table: string;
  row: string;
  index: number | null;
  reason: string;
}

/**
 * `custos ledger verify` and the service's verification replay every state table from the ledger
 * (issue #16): a custody history made through the API, then, table by table, what a database
 * administrator can do with triggers turned off — each edit is found, with its table, row and the
 * ledger index that says otherwise, and undone before the next.
 */
describe('ledger verification replays every state table', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let officer: Session;
  let examiner: Session;
  let clerk: Session;
  let auditor: Session;
  let vkey: string;
  let caseId: string;
  let caseNumber: string;
  let revokedShareId: string;
  let activeShareId: string;
  let thePhone: ItemView;
  let theDrive: ItemView;
  let theUsb: ItemView;
  let theSim: ItemView;
  let image: ItemView;
  let handover: TransferView;
  let pending: TransferView;
  /** Ledger indexes of the steps, by name. */
  const at: Record<string, number> = {};

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());
  const verify = (): Promise<VerifyResult> =>
    verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(vkey)], deep: true });

  /** Statements run as a superuser with triggers (and so foreign keys) off: what a rogue administrator can do. */
  const asRogueAdministrator = (statements: ReadonlyArray<[string, unknown[]]>): Promise<void> =>
    withClient(database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      for (const [text, params] of statements) await client.query(text, params);
      await client.query('COMMIT');
    });

  /** Runs `edit`, verifies, then runs `undo` (each with `params`, or several statements with their own). */
  async function tampered(
    edit: string | Array<[string, unknown[]]>,
    undo: string | Array<[string, unknown[]]>,
    params: unknown[] = [],
  ): Promise<VerifyResult> {
    const statements = (s: string | Array<[string, unknown[]]>): Array<[string, unknown[]]> =>
      typeof s === 'string' ? [[s, params]] : s;
    await asRogueAdministrator(statements(edit));
    try {
      return await verify();
    } finally {
      await asRogueAdministrator(statements(undo));
    }
  }

  const only = (result: VerifyResult): Difference => {
    expect(result).toMatchObject({ ok: false });
    const differences = (result as { differences?: Difference[] }).differences ?? [];
    expect(differences).toHaveLength(1);
    expect(result).toMatchObject({ index: differences[0].index, reason: differences[0].reason });
    return differences[0];
  };

  const lastIndexOf = async (itemId: string, type: string): Promise<number> =>
    Number(
      (
        await sql(database.appUrl, 'SELECT max(ledger_idx) AS idx FROM item_event WHERE item_id = $1 AND type = $2', [
          itemId,
          type,
        ])
      ).rows[0].idx,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    const spain = await createAgency(db, { code: 'ES-PN', country: 'ES' });
    await createAgency(db, { code: 'PT-PJ', country: 'PT' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'] }));
    examiner = await login(app, await createUser(db, spain, { roles: ['examiner'] }));
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'] }));
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
    const portugueseExaminer = await createUser(db, await createAgency(db, { code: 'PT-PSP', country: 'PT' }), {
      roles: ['examiner'],
    });
    vkey = ((await api().get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string }).vkey;

    const kase = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'OP-STATE-1', title: 'Operation Estado', legalAuthority: ['JI-7 Madrid, auto 118/2026'] })
        .expect(201)
    ).body as { id: string; caseNumber: string };
    caseId = kase.id;
    caseNumber = kase.caseNumber;
    activeShareId = (
      (
        await api()
          .post(`/api/v1/cases/${caseId}/shares`)
          .set(bearer(officer))
          .send({ agencyCode: 'PT-PJ', access: 'read' })
          .expect(201)
      ).body as { id: string }
    ).id;
    revokedShareId = (
      (
        await api()
          .post(`/api/v1/cases/${caseId}/shares`)
          .set(bearer(officer))
          .send({ username: portugueseExaminer.username, access: 'contribute' })
          .expect(201)
      ).body as { id: string }
    ).id;
    await api().delete(`/api/v1/cases/${caseId}/shares/${revokedShareId}`).set(bearer(officer)).expect(200);

    [thePhone, theDrive, theUsb, theSim] = await seize(app, officer, caseId, [
      phone(),
      hardDrive(),
      { ...hardDrive(), kind: 'usb_drive', description: 'USB stick, 32 GB', capacityBytes: 32_000_000_000 },
      { kind: 'sim_card', description: 'SIM card', occurredAt: '2026-11-20T09:20:00+01:00', place: 'Calle Mayor 12' },
    ]);
    at.phoneSeized = thePhone.lastLedgerIndex;
    // The phone's reference (signed) and a matching re-verification (unsigned, batched).
    await recordHashes(app, officer, thePhone.id, {
      target: 'device',
      occurredAt: '2026-11-20T11:00:00+01:00',
      tool: 'Tableau TX1',
      toolVersion: '22.3',
      hashes: [{ algorithm: 'sha256', value: SHA256 }],
      signature: signature('acquired'),
    });
    at.phoneReference = await lastIndexOf(thePhone.id, 'hash.recorded');
    await recordHashes(app, officer, thePhone.id, {
      target: 'device',
      occurredAt: '2026-11-20T12:00:00+01:00',
      hashes: [{ algorithm: 'sha256', value: SHA256 }],
    });
    at.phoneVerified = await lastIndexOf(thePhone.id, 'hash.recorded');
    // Phone and drive to the lab: the phone re-hashed at acceptance, the drive's seal torn.
    handover = await release(app, officer, [thePhone.id, theDrive.id], examiner, 'Extraction');
    handover = await accept(app, examiner, handover, {
      location: 'Lab/Safe 1',
      statements: {
        [thePhone.id]: { hashes: [{ target: 'device', algorithm: 'sha256', value: SHA256 }] },
        [theDrive.id]: { sealIntact: false, sealNote: 'Bag torn at the top' },
      },
    });
    at.accepted = handover.resolutionLedgerIndex!;
    image = await registerImage(app, examiner, caseId, theDrive.id, IMAGE_SHA256);
    at.imageRegistered = image.lastLedgerIndex;
    await api()
      .post(`/api/v1/items/${thePhone.id}/location`)
      .set(bearer(examiner))
      .send({ location: 'Lab/Bench 3' })
      .expect(200);
    at.phoneMoved = await lastIndexOf(thePhone.id, 'item.moved');
    await api()
      .post(`/api/v1/items/${thePhone.id}/corrections`)
      .set(bearer(examiner))
      .send({
        corrects: at.phoneSeized,
        reason: 'Serial misread at the scene',
        changes: { serial: 'R58R-CORRECTED' },
        signature: signature('corrected'),
      })
      .expect(201);
    at.phoneCorrected = await lastIndexOf(thePhone.id, 'item.corrected');
    // The USB stick destroyed before a witness; the SIM card waiting in the clerk's inbox.
    await api()
      .post(`/api/v1/items/${theUsb.id}/disposition`)
      .set(bearer(officer))
      .send({
        disposition: 'destroyed',
        authorityReference: 'JI-7 118/2026 auto 12',
        occurredAt: '2026-12-01T12:00:00+01:00',
        witness: { username: clerk.user.username as string, password: FACTORY_PASSWORD },
        signature: signature('disposed'),
      })
      .expect(200);
    at.usbDisposed = await lastIndexOf(theUsb.id, 'item.disposed');
    pending = await release(app, officer, [theSim.id], clerk, 'To the property room');
    await api().post(`/api/v1/cases/${caseId}/close`).set(bearer(officer)).send({ reason: 'Trial over' }).expect(200);
    at.caseClosed = Number(
      (
        await sql(
          database.appUrl,
          `SELECT max(idx) AS idx FROM ledger_entry WHERE type = 'case.closed' AND subject_id = $1`,
          [caseId],
        )
      ).rows[0].idx,
    );
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('passes on the untouched history, every table included', async () => {
    expect(await verify()).toMatchObject({ ok: true, items: 5 });
  });

  describe('hash_record', () => {
    it("the reviewer's case: a reference SHA-256 set to zeros is found by ledger verify --deep and by the service's run", async () => {
      const edit = `UPDATE hash_record SET value = '${ZEROS}' WHERE item_id = $1 AND role = 'reference'`;
      const undo = `UPDATE hash_record SET value = '${SHA256}' WHERE item_id = $1 AND role = 'reference'`;
      const found = only(await tampered(edit, undo, [thePhone.id]));
      expect(found).toEqual({
        table: 'hash_record',
        row: expect.any(String),
        index: at.phoneReference,
        reason: `hash_record of item ${thePhone.itemNumber} (device, sha256) at entry ${at.phoneReference}: the table has value "${ZEROS}" but the ledger gives "${SHA256}"`,
      });

      // The command line, as an operator runs it.
      await asRogueAdministrator([[edit, [thePhone.id]]]);
      try {
        const out = new PassThrough();
        const chunks: Buffer[] = [];
        out.on('data', (chunk: Buffer) => chunks.push(chunk));
        const err = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
        const code = await runLedgerVerify(['--deep', '--key', vkey], database.appUrl, {} as AppConfig, out, err);
        expect(code).toBe(1);
        expect(Buffer.concat(chunks).toString('utf8')).toBe(
          `ledger FAILED at index ${at.phoneReference}: ${found.reason}\n`,
        );

        // The service's own run (POST /ledger/verifications) records the failure.
        await api().post('/api/v1/ledger/verifications').set(bearer(auditor)).expect(202);
        for (;;) {
          const { body } = await api().get('/api/v1/ledger/verifications').set(bearer(auditor)).expect(200);
          if ((body as { running: unknown }).running !== null) {
            await new Promise((resolve) => setTimeout(resolve, 25));
            continue;
          }
          // Auditors of every agency read the runs: the reason names the table, item and entry but
          // not the values (they belong to a case the reader may not see); the CLI printed them.
          expect((body as { verifications: unknown[] }).verifications[0]).toMatchObject({
            outcome: 'failed',
            failedIndex: at.phoneReference,
            reason: `hash_record of item ${thePhone.itemNumber} (device, sha256) at entry ${at.phoneReference}: the table has value "…" but the ledger gives "…"`,
          });
          break;
        }
      } finally {
        await asRogueAdministrator([[undo, [thePhone.id]]]);
      }
    });

    it("a verification's result turned from match to mismatch", async () => {
      const found = only(
        await tampered(
          `UPDATE hash_record SET result = 'mismatch' WHERE ledger_idx = ${at.phoneVerified}`,
          `UPDATE hash_record SET result = 'match' WHERE ledger_idx = ${at.phoneVerified}`,
        ),
      );
      expect(found).toMatchObject({ table: 'hash_record', index: at.phoneVerified });
      expect(found.reason).toContain('the table has result "mismatch" but the ledger gives "match"');
    });

    it('a verification pointed at another reference than the one it was compared with', async () => {
      const found = only(
        await tampered(
          `UPDATE hash_record SET reference_id = (SELECT id FROM hash_record WHERE item_id = $2 AND role = 'reference')
            WHERE ledger_idx = ${at.accepted} AND item_id = $1`,
          `UPDATE hash_record SET reference_id = (SELECT id FROM hash_record WHERE item_id = $1 AND role = 'reference')
            WHERE ledger_idx = ${at.accepted} AND item_id = $1 AND $2::uuid IS NOT NULL`,
          [thePhone.id, image.id],
        ),
      );
      expect(found).toMatchObject({ table: 'hash_record', index: at.accepted });
      expect(found.reason).toContain(
        `the table has reference_id pointing at another item, target, algorithm or a verification, entry ${at.imageRegistered}, but the ledger compared it with the reference at entry ${at.phoneReference}`,
      );
    });

    it('an acquisition hash of a derived image deleted', async () => {
      const row = (await sql(database.appUrl, 'SELECT * FROM hash_record WHERE item_id = $1', [image.id]))
        .rows[0] as Record<string, unknown>;
      const found = only(
        await tampered(
          'DELETE FROM hash_record WHERE item_id = $1 AND $2::json IS NOT NULL',
          `INSERT INTO hash_record SELECT * FROM json_populate_record(NULL::hash_record, $2::json) WHERE $1::uuid IS NOT NULL`,
          [image.id, JSON.stringify(row)],
        ),
      );
      expect(found).toEqual({
        table: 'hash_record',
        row: `${image.itemNumber} image.e01 sha256 at entry ${at.imageRegistered}`,
        index: at.imageRegistered,
        reason: `hash_record of item ${image.itemNumber} (image.e01, sha256) recorded at entry ${at.imageRegistered} is missing from the table`,
      });
    });
  });

  it('item_event: an entry removed from an item history index', async () => {
    const found = only(
      await tampered(
        `DELETE FROM item_event WHERE item_id = $1 AND ledger_idx = ${at.phoneMoved}`,
        `INSERT INTO item_event VALUES ($1, ${at.phoneMoved}, 'item.moved')`,
        [thePhone.id],
      ),
    );
    expect(found).toEqual({
      table: 'item_event',
      row: `${thePhone.id}@${at.phoneMoved}`,
      index: at.phoneMoved,
      reason: `item_event: entry ${at.phoneMoved} (item.moved) concerns item ${thePhone.id} but is missing from its history index`,
    });
  });

  describe('item', () => {
    it('a registered field (the description) rewritten', async () => {
      const found = only(
        await tampered(
          `UPDATE item SET description = 'Nothing of interest' WHERE id = $1`,
          `UPDATE item SET description = 'USB stick, 32 GB' WHERE id = $1`,
          [theUsb.id],
        ),
      );
      expect(found).toEqual({
        table: 'item',
        row: theUsb.itemNumber,
        index: theUsb.lastLedgerIndex,
        reason: `item ${theUsb.itemNumber}: the item table has description "Nothing of interest" but its registration at entry ${theUsb.lastLedgerIndex} gives "USB stick, 32 GB"`,
      });
    });

    it('a corrected field set back to what the correction replaced', async () => {
      const found = only(
        await tampered(
          `UPDATE item SET serial = $2 WHERE id = $1`,
          `UPDATE item SET serial = 'R58R-CORRECTED' WHERE id = $1 AND $2::text IS NOT NULL`,
          [thePhone.id, thePhone.serial],
        ),
      );
      expect(found).toMatchObject({ table: 'item', row: thePhone.itemNumber, index: at.phoneSeized });
      expect(found.reason).toBe(
        `item ${thePhone.itemNumber}: the item table has serial "${thePhone.serial}" but the correction at entry ${at.phoneCorrected} gives "R58R-CORRECTED"`,
      );
    });

    it('a disposition changed', async () => {
      const found = only(
        await tampered(
          `UPDATE item SET disposition = 'returned_to_owner' WHERE id = $1`,
          `UPDATE item SET disposition = 'destroyed' WHERE id = $1`,
          [theUsb.id],
        ),
      );
      expect(found).toMatchObject({ table: 'item', index: at.usbDisposed });
      expect(found.reason).toContain(
        'disposition "returned_to_owner" but the ledger\'s custody events give "destroyed"',
      );
    });

    it('a storage location changed', async () => {
      const found = only(
        await tampered(
          `UPDATE item SET location = 'Lab/Bin 9' WHERE id = $1`,
          `UPDATE item SET location = 'Lab/Bench 3' WHERE id = $1`,
          [thePhone.id],
        ),
      );
      expect(found).toMatchObject({ table: 'item', index: at.phoneCorrected });
      expect(found.reason).toContain('location "Lab/Bin 9" but the ledger\'s custody events give "Lab/Bench 3"');
    });

    it('its latest entry moved back', async () => {
      const found = only(
        await tampered(
          `UPDATE item SET last_event_idx = ${at.accepted} WHERE id = $1`,
          `UPDATE item SET last_event_idx = ${at.phoneCorrected} WHERE id = $1`,
          [thePhone.id],
        ),
      );
      expect(found.reason).toContain(
        `last_event_idx "${at.accepted}" but the ledger's custody events give "${at.phoneCorrected}"`,
      );
    });
  });

  describe('transfer and transfer_item', () => {
    it('the receiver of an accepted transfer changed', async () => {
      const found = only(
        await tampered(
          `UPDATE transfer SET to_user_id = $2 WHERE id = $1 AND $3::uuid IS NOT NULL`,
          `UPDATE transfer SET to_user_id = $3 WHERE id = $1 AND $2::uuid IS NOT NULL`,
          [handover.id, clerk.user.id, examiner.user.id],
        ),
      );
      expect(found).toMatchObject({ table: 'transfer', row: handover.id, index: at.accepted });
      expect(found.reason).toContain(
        `to_user_id "${clerk.user.id as string}" but the ledger gives "${examiner.user.id as string}"`,
      );
    });

    it('a pending transfer marked cancelled', async () => {
      const found = only(
        await tampered(
          `UPDATE transfer SET status = 'cancelled', resolved_at = now(), resolved_by = from_user_id, resolution_idx = release_idx WHERE id = $1`,
          `UPDATE transfer SET status = 'pending', resolved_at = NULL, resolved_by = NULL, resolution_idx = NULL WHERE id = $1`,
          [pending.id],
        ),
      );
      expect(found).toMatchObject({ table: 'transfer', row: pending.id, index: pending.releaseLedgerIndex });
    });

    it('a torn seal recorded as intact', async () => {
      const found = only(
        await tampered(
          `UPDATE transfer_item SET seal_intact = true, seal_note = NULL WHERE transfer_id = $1 AND item_id = $2`,
          `UPDATE transfer_item SET seal_intact = false, seal_note = 'Bag torn at the top' WHERE transfer_id = $1 AND item_id = $2`,
          [handover.id, theDrive.id],
        ),
      );
      expect(found).toEqual({
        table: 'transfer_item',
        row: `${handover.id}/${theDrive.id}`,
        index: at.accepted,
        reason: `transfer_item of transfer ${handover.id}, item ${theDrive.id}: the table has seal_intact true but the ledger gives false`,
      });
    });
  });

  describe('case_file and case_share', () => {
    it('a closed case reopened', async () => {
      const found = only(
        await tampered(
          `UPDATE case_file SET status = 'open', closed_at = NULL, close_reason = NULL WHERE id = $1`,
          `UPDATE case_file SET status = 'closed', closed_at = now(), close_reason = 'Trial over' WHERE id = $1`,
          [caseId],
        ),
      );
      expect(found).toEqual({
        table: 'case_file',
        row: caseNumber,
        index: at.caseClosed,
        reason: `case ${caseNumber}: the case_file table has status "open" but the ledger gives "closed"`,
      });
    });

    it('a revoked share made active again, and a read share turned into a contributor one', async () => {
      const revived = only(
        await tampered(
          `UPDATE case_share SET revoked_at = NULL, revoked_by = NULL WHERE id = $1`,
          `UPDATE case_share SET revoked_at = now(), revoked_by = granted_by WHERE id = $1`,
          [revokedShareId],
        ),
      );
      expect(revived).toMatchObject({ table: 'case_share', row: revokedShareId });
      expect(revived.reason).toContain('revoked false but the ledger gives true');
      const promoted = only(
        await tampered(
          `UPDATE case_share SET access = 'contribute' WHERE id = $1`,
          `UPDATE case_share SET access = 'read' WHERE id = $1`,
          [activeShareId],
        ),
      );
      expect(promoted.reason).toContain('access "contribute" but the ledger gives "read"');
    });
  });

  it('reports every difference, each with its table, row and ledger index, the lowest first', async () => {
    const result = await tampered(
      [
        [`UPDATE case_file SET title = 'Renamed' WHERE id = $1`, [caseId]],
        [`UPDATE hash_record SET value = '${ZEROS}' WHERE item_id = $1 AND role = 'reference'`, [thePhone.id]],
        [`UPDATE item SET location = 'Nowhere' WHERE id = $1`, [thePhone.id]],
      ],
      [
        [`UPDATE case_file SET title = 'Operation Estado' WHERE id = $1`, [caseId]],
        [`UPDATE hash_record SET value = '${SHA256}' WHERE item_id = $1 AND role = 'reference'`, [thePhone.id]],
        [`UPDATE item SET location = 'Lab/Bench 3' WHERE id = $1`, [thePhone.id]],
      ],
    );
    expect(result).toMatchObject({ ok: false, index: at.phoneReference });
    expect((result as { differences: Difference[] }).differences.map((d) => [d.table, d.index])).toEqual([
      ['hash_record', at.phoneReference],
      ['item', at.phoneCorrected],
      ['case_file', at.caseClosed],
    ]);
    expect(await verify()).toMatchObject({ ok: true });
  });
});
