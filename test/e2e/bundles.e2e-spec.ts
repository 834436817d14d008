import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { verifyBundle, type BundleReport } from '../../src/bundles/bundle-verifier.js';
import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import {
  canonicalize,
  generateNoteKeys,
  signBundleStatement,
  signNote,
  type CustodyBundle,
} from '../../src/ledger/core/index.js';
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
import { bearer, createAgency, createUser, dataSourceOf, login, type Session } from '../factories/identity.factory.js';
import { actor, party, person, sign, SyntheticLedger } from '../utils/bundle-fixtures.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const DRIVE_SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const IMAGE_SHA256 = 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3';
const CLI = resolve(process.cwd(), 'dist/src/cli.js');
const PYTHON_VERIFIER = resolve(process.cwd(), 'test/independent-verifier/verify_bundle.py');

/** A bundle as plain data, to tamper with. */
interface MutableBundle extends Record<string, unknown> {
  subject: { type: 'item' | 'case'; id: string; number: string };
  checkpoint: string;
  statement: string;
  vkey: string;
  entries: Array<{ index: number; entry: string; inclusionProof: string[] }>;
  consistency?: { checkpoint: string; proof: string[] };
}

interface Fetched {
  readonly text: string;
  readonly bundle: CustodyBundle;
}

/** Runs a command with no database configuration, in a directory of its own. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Verifiable custody bundles (docs/bundle-format.md), black-box: custody is built through the API,
 * bundles are fetched as a prosecutor fetches them, and checked as a court would — with the offline
 * verifier, with `custos verify` in a directory with no database and no node_modules, and with an
 * independent verifier written in Python from the format document alone.
 */
describe('custody bundles', () => {
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
  let drive: ItemView;
  let phoneItem: ItemView;
  let image: ItemView;
  let vkey: string;
  let origin: string;
  let earlierSize: number;
  let earlierNote: string;
  /** The largest tree size signed before any bundle was asked for. */
  let signedBeforeBundles: number;
  let work: string;

  const api = () => request(app.getHttpServer());
  const fetchBundle = async (path: string, session: Session = prosecutor): Promise<Fetched> => {
    const response = await api()
      .get(path)
      .set(bearer(session))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
      });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${String(response.body)}`);
    const text = response.body as string;
    return { text, bundle: JSON.parse(text) as CustodyBundle };
  };
  const file = (name: string, content: string): string => {
    const path = join(work, name);
    writeFileSync(path, content);
    return path;
  };
  const verified = (
    text: string,
    options: { trustedKey?: string; heldCheckpoints?: string[] } = { trustedKey: vkey },
  ): BundleReport => {
    const result = verifyBundle(text, options);
    if (!result.ok) throw new Error(`bundle did not verify: ${result.reason}`);
    return result.report;
  };
  const rejected = (
    text: string,
    options: { trustedKey?: string; heldCheckpoints?: string[] } = { trustedKey: vkey },
  ): string => {
    const result = verifyBundle(text, options);
    if (result.ok) throw new Error('a bundle that must fail verified');
    return result.reason;
  };
  const mutate = (bundle: CustodyBundle, change: (copy: MutableBundle) => void): string => {
    const copy = JSON.parse(JSON.stringify(bundle)) as MutableBundle;
    change(copy);
    return canonicalize(copy);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    db = dataSourceOf(app);
    work = mkdtempSync(join(tmpdir(), 'custos-bundles-'));
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
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'] }));
    outsider = await login(app, await createUser(db, germany, { roles: ['prosecutor'] }));
    admin = await login(app, await createUser(db, spain, { roles: ['admin'] }));
    ({ vkey, origin } = (await api().get('/api/v1/ledger/public-key').expect(200)).body as {
      vkey: string;
      origin: string;
    });

    caseId = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'OP-TORMENTA-7', title: 'Operación Tormenta' })
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
    [phoneItem, drive] = await seize(app, officer, caseId, [phone(), hardDrive()]);
    await accept(
      app,
      clerk,
      await release(app, officer, [phoneItem.id, drive.id], clerk, 'Storage in the evidence room'),
      { location: 'Madrid/HQ/Intake' },
    );
    await api()
      .post(`/api/v1/items/${drive.id}/location`)
      .set(bearer(clerk))
      .send({ location: 'Madrid/HQ/Room 2/Shelf B' })
      .expect(200);
    // A checkpoint the prosecutor received earlier (e.g. with a first bundle).
    const earlier = (await api().post('/api/v1/ledger/checkpoints').set(bearer(auditor)).expect(201)).body as {
      treeSize: number;
      note: string;
    };
    earlierSize = earlier.treeSize;
    earlierNote = earlier.note;

    await accept(app, examiner, await release(app, clerk, [drive.id], examiner, 'Forensic acquisition'), {
      location: 'Buenos Aires/Lab/Safe 2',
    });
    await recordHashes(app, examiner, drive.id, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: DRIVE_SHA256 }],
      tool: 'Tableau TX1',
      toolVersion: '22.3',
      occurredAt: '2026-11-22T10:02:00-03:00',
      signature: signature('acquired'),
    });
    await recordHashes(app, examiner, drive.id, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: DRIVE_SHA256 }],
      tool: 'ewfverify',
      occurredAt: '2026-11-23T09:00:00-03:00',
    });
    image = await registerImage(app, examiner, caseId, drive.id, IMAGE_SHA256);
    await recordHashes(app, examiner, image.id, {
      target: 'image.e01',
      hashes: [{ algorithm: 'sha256', value: 'b'.repeat(64) }],
      tool: 'ewfverify',
      occurredAt: '2026-11-23T09:05:00-03:00',
    });
    const back = await release(app, examiner, [drive.id, image.id], clerk, 'Return after examination');
    await accept(app, clerk, back, {
      location: 'Madrid/HQ/Room 2',
      statements: {
        [drive.id]: { hashes: [{ target: 'device', algorithm: 'sha256', value: DRIVE_SHA256 }] },
        [image.id]: { sealIntact: false, sealNote: 'Bag torn at lower seam' },
      },
    });
    signedBeforeBundles = Number(
      (await db.query<Array<{ size: string }>>('SELECT max(tree_size) AS size FROM ledger_checkpoint'))[0].size,
    );
    file('drive.json', (await fetchBundle(`/api/v1/items/${drive.id}/bundle`)).text);
    file('held-checkpoint.txt', earlierNote);
    file('since.json', (await fetchBundle(`/api/v1/items/${drive.id}/bundle?since=${earlierSize}`)).text);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  describe('as served', () => {
    it('an item bundle holds every entry of the item, in its canonical bytes, under a signed checkpoint that covers them', async () => {
      const response = await api().get(`/api/v1/items/${drive.id}/bundle`).set(bearer(prosecutor)).expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const { text, bundle } = await fetchBundle(`/api/v1/items/${drive.id}/bundle`);
      // Served as its canonical form: the file's SHA-256 is the bundle's identity.
      expect(canonicalize(JSON.parse(text))).toBe(text);
      const digest = Buffer.from(response.headers['repr-digest'].replace(/^sha-256=:(.*):$/, '$1'), 'base64').toString(
        'hex',
      );
      expect(digest).toBe(verified(text).sha256);
      expect(bundle).toMatchObject({
        format: 'custos-bundle/1',
        origin,
        vkey,
        subject: { type: 'item', id: drive.id, number: drive.itemNumber },
      });

      const events = (
        (await api().get(`/api/v1/items/${drive.id}/history`).set(bearer(prosecutor)).expect(200)).body as {
          events: HistoryEvent[];
        }
      ).events;
      expect(bundle.entries.map((e) => e.index)).toEqual(events.map((e) => e.ledgerIndex));
      const size = Number(bundle.checkpoint.split('\n')[1]);
      // The periodic checkpoint is off in tests: the latest stored one lagged, so the bundle got a new one.
      expect(signedBeforeBundles).toBe(earlierSize);
      expect(signedBeforeBundles).toBeLessThan(size);
      expect(size).toBeGreaterThan(events.at(-1)!.ledgerIndex);
      const stored = await db.query<Array<{ note: string }>>(
        'SELECT note FROM ledger_checkpoint WHERE tree_size = $1',
        [size],
      );
      expect(stored[0].note).toBe(bundle.checkpoint);
      // The same ledger, the same bundle: bytes are deterministic.
      expect((await fetchBundle(`/api/v1/items/${drive.id}/bundle`)).text).toBe(text);
    });

    it('verifies offline: custodians in order, signatures with their meaning, integrity recomputed from the recorded values', async () => {
      const report = verified((await fetchBundle(`/api/v1/items/${drive.id}/bundle`)).text);
      expect(report.key.pinned).toBe(true);
      const [item] = report.items;
      expect(report.items).toHaveLength(1);
      expect(item).toMatchObject({
        number: drive.itemNumber,
        kind: 'hard_drive',
        state: 'in_custody',
        location: 'Madrid/HQ/Room 2',
        integrity: 'intact',
      });
      expect(item.custodians.map((spell) => spell.custodian.displayName)).toEqual([
        'Ana Morales',
        'Luis Garcia',
        'Julieta Ferreira',
        'Luis Garcia',
      ]);
      expect(item.verifications).toEqual({ match: 2, mismatch: 0, notCompared: 0 });
      expect(item.events.map((e) => e.type)).toEqual([
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
      expect(item.events[1].signatures).toEqual([
        expect.objectContaining({ printedName: 'Ana Morales', meaning: 'released', role: 'officer', agency: 'ES-PN' }),
      ]);
      expect(item.events[2].signatures).toEqual([
        expect.objectContaining({ printedName: 'Luis Garcia', meaning: 'received' }),
      ]);
      expect(item.events[6].signatures).toEqual([
        expect.objectContaining({ printedName: 'Julieta Ferreira', meaning: 'acquired' }),
      ]);
      expect(report.case).toMatchObject({ id: caseId, number: 'OP-TORMENTA-7' });
    });

    it('a derived image: its own entries only (the parent is named, its custody is in its own bundle); mismatch and broken seal are the reasons it is compromised', async () => {
      const { bundle, text } = await fetchBundle(`/api/v1/items/${image.id}/bundle`);
      const report = verified(text);
      const [item] = report.items;
      expect(item.events.map((e) => e.type)).toEqual([
        'item.derived',
        'hash.recorded',
        'transfer.released',
        'transfer.accepted',
      ]);
      expect(item.parent).toEqual({ id: drive.id, number: drive.itemNumber });
      expect(item.integrity).toBe('compromised');
      expect(item.findings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^#${bundle.entries[1].index}: the sha256 of image\\.e01 does not match its reference \\(#${bundle.entries[0].index}\\)$`,
          ),
        ),
        expect.stringMatching(/seal broken on receipt by Luis Garcia \(ES-PN\): Bag torn at lower seam/),
      ]);
    });

    it('a case bundle holds every entry of the case, opening and shares included, and replays the custody of all its items', async () => {
      const { text, bundle } = await fetchBundle(`/api/v1/cases/${caseId}/bundle`);
      const indexes = (
        await db.query<Array<{ idx: string }>>('SELECT idx FROM ledger_entry WHERE case_id = $1 ORDER BY idx', [caseId])
      ).map((row) => Number(row.idx));
      expect(bundle.entries.map((e) => e.index)).toEqual(indexes);
      const report = verified(text);
      expect(report.case).toEqual({ id: caseId, number: 'OP-TORMENTA-7', title: 'Operación Tormenta' });
      expect(report.caseEvents.map((e) => e.type)).toEqual(['case.opened', 'case.shared', 'case.shared']);
      expect(report.items.map((item) => [item.number, item.integrity])).toEqual([
        [phoneItem.itemNumber, 'intact'],
        [drive.itemNumber, 'intact'],
        [image.itemNumber, 'compromised'],
      ]);
    });

    it('each fetch is logged as bundle.read for the auditors', async () => {
      const rows = await db.query<Array<{ subject_id: string; subject_type: string }>>(
        `SELECT subject_id, subject_type FROM access_log WHERE event = 'bundle.read' AND outcome = 'success' ORDER BY id`,
      );
      expect(rows.map((row) => row.subject_id)).toEqual(expect.arrayContaining([drive.id, image.id, caseId]));
    });

    it('who may not read the item or case may not have its bundle: outsiders get 404, administrators 403', async () => {
      const outsiderItem = await api().get(`/api/v1/items/${drive.id}/bundle`).set(bearer(outsider)).expect(404);
      expect(outsiderItem.body.code).toBe('item_not_found');
      const outsiderCase = await api().get(`/api/v1/cases/${caseId}/bundle`).set(bearer(outsider)).expect(404);
      expect(outsiderCase.body.code).toBe('case_not_found');
      await api().get(`/api/v1/items/${drive.id}/bundle`).set(bearer(admin)).expect(403);
      await api().get(`/api/v1/cases/${caseId}/bundle`).set(bearer(admin)).expect(403);
      await api().get(`/api/v1/items/${drive.id}/bundle`).expect(401);
      const unknown = await api().get('/api/v1/items/not-a-uuid/bundle').set(bearer(prosecutor)).expect(404);
      expect(unknown.body.code).toBe('item_not_found');
    });
  });

  describe('custos verify, on another machine', () => {
    it('accepts the genuine bundle with the pinned key, in a directory with no database configuration, and prints the custody story', async () => {
      const { text } = await fetchBundle(`/api/v1/items/${drive.id}/bundle`);
      const path = file('drive.json', text);
      const result = run(process.execPath, [CLI, 'verify', path, '--key', vkey], work);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`custody bundle of item ${drive.itemNumber}`);
      expect(result.stdout).toContain('custodians in order: Ana Morales (ES-PN) from #');
      expect(result.stdout).toMatch(
        /Ana Morales \(ES-PN\) from #\d+ → Luis Garcia \(ES-PN\) from #\d+ → Julieta Ferreira \(AR-PFA\) from #\d+ → Luis Garcia \(ES-PN\) from #\d+/,
      );
      expect(result.stdout).toContain('signed "released" by Ana Morales (officer, ES-PN)');
      expect(result.stdout).toContain('integrity: INTACT');
      expect(result.stdout).toMatch(/^VERIFIED: item /m);
      expect(result.stdout).not.toMatch(/key not pinned/i);
    });

    it('runs from the built files alone: no node_modules, hence no Nest, TypeORM or pg', () => {
      const machine = mkdtempSync(join(tmpdir(), 'custos-offline-'));
      cpSync(resolve(process.cwd(), 'dist/src'), join(machine, 'src'), { recursive: true });
      writeFileSync(join(machine, 'package.json'), '{"type":"module"}\n');
      const bundlePath = join(work, 'drive.json');
      const result = run(process.execPath, [join(machine, 'src/cli.js'), 'verify', bundlePath, '--key', vkey], machine);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^VERIFIED: item /m);
      // The other commands do need the service's dependencies: proof that they are really absent here.
      expect(run(process.execPath, [join(machine, 'src/cli.js'), 'help'], machine).status).not.toBe(0);
    });

    it('without --key it trusts the key in the bundle, and says so loudly', () => {
      const result = run(process.execPath, [CLI, 'verify', join(work, 'drive.json')], work);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^WARNING: key not pinned: trusting the key inside the bundle/);
      expect(result.stdout).toContain('NOT PINNED');
    });

    it('a re-indented copy still verifies, under the canonical SHA-256, and the output says the file itself hashes differently', async () => {
      const { text } = await fetchBundle(`/api/v1/items/${drive.id}/bundle`);
      const sha256 = createHash('sha256').update(text).digest('hex');
      const canonical = run(process.execPath, [CLI, 'verify', file('canonical.json', text), '--key', vkey], work);
      expect(canonical.stdout).toContain(`bundle SHA-256   ${sha256}`);
      expect(canonical.stdout).not.toContain('re-formatted copy');
      const pretty = `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
      const prettySha = createHash('sha256').update(pretty).digest('hex');
      const result = run(process.execPath, [CLI, 'verify', file('pretty.json', pretty), '--key', vkey], work);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`bundle SHA-256   ${sha256}`);
      expect(result.stdout).toContain(`this file        ${prettySha}: a re-formatted copy`);
    });

    it('a usage error is not a verdict', () => {
      expect(run(process.execPath, [CLI, 'verify'], work).status).toBe(64);
      expect(run(process.execPath, [CLI, 'verify', join(work, 'drive.json'), '--frobnicate'], work).status).toBe(64);
      const missing = run(process.execPath, [CLI, 'verify', join(work, 'nope.json'), '--key', vkey], work);
      expect(missing.status).toBe(1);
      expect(missing.stdout).toMatch(/bundle FAILED: cannot read .*nope\.json/);
    });
  });

  describe('tampering fails, with the reason', () => {
    let genuine: Fetched;
    beforeAll(async () => {
      genuine = await fetchBundle(`/api/v1/items/${drive.id}/bundle`);
    });

    const cases: Array<[string, (bundle: CustodyBundle) => string, RegExp]> = [
      [
        'one byte changed in an entry',
        (bundle) =>
          mutate(bundle, (copy) => {
            copy.entries[2].entry = copy.entries[2].entry.replace('"Luis Garcia"', '"Luis Garcib"');
          }),
        /^entry (\d+): inclusion proof does not lead to the checkpoint root/,
      ],
      [
        'one byte changed in a proof',
        (bundle) =>
          mutate(bundle, (copy) => {
            const proof = copy.entries[3].inclusionProof;
            proof[0] = (proof[0][0] === 'A' ? 'B' : 'A') + proof[0].slice(1);
          }),
        /^entry (\d+): inclusion proof does not lead to the checkpoint root/,
      ],
      [
        'one byte changed in the checkpoint',
        (bundle) =>
          mutate(
            bundle,
            (copy) =>
              (copy.checkpoint = copy.checkpoint.replace(/\n(\d+)\n/, (_, size: string) => `\n${Number(size) + 1}\n`)),
          ),
        /^the checkpoint signature by key .* does not verify: the signed text was altered/,
      ],
      [
        'an entry removed',
        (bundle) => mutate(bundle, (copy) => (copy.entries = copy.entries.filter((_, n) => n !== 5))),
        /^entry (\d+) is missing from the bundle: the signed statement lists 10 entries of item .*, the bundle has 9/,
      ],
      [
        'the last entry removed',
        (bundle) => mutate(bundle, (copy) => (copy.entries = copy.entries.slice(0, -1))),
        /^entry (\d+) is missing from the bundle/,
      ],
      [
        'entries reordered',
        (bundle) =>
          mutate(
            bundle,
            (copy) => (copy.entries = [copy.entries[0], copy.entries[2], copy.entries[1], ...copy.entries.slice(3)]),
          ),
        /^the entries are not in ledger order: entry \d+ follows entry \d+/,
      ],
      [
        'the subject changed',
        (bundle) => mutate(bundle, (copy) => (copy.subject = { ...copy.subject, number: phoneItem.itemNumber })),
        /^the statement is about "item /,
      ],
      [
        'an unknown member added',
        (bundle) => mutate(bundle, (copy) => (copy.note = 'trust me')),
        /^the bundle has an unknown member "note"/,
      ],
    ];

    it.each(cases)('%s', (_, tamper, reason) => {
      const tampered = tamper(genuine.bundle);
      expect(rejected(tampered)).toMatch(reason);
      const result = run(process.execPath, [CLI, 'verify', file('tampered.json', tampered), '--key', vkey], work);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`^bundle FAILED: ${reason.source.slice(1)}`, 'm'));
    });

    it('names the removed entry', () => {
      const removed = genuine.bundle.entries[5].index;
      expect(
        rejected(mutate(genuine.bundle, (copy) => (copy.entries = copy.entries.filter((_, n) => n !== 5)))),
      ).toMatch(new RegExp(`^entry ${removed} is missing`));
    });

    it('one byte changed anywhere in the file: never verifies', () => {
      const bytes = Buffer.from(genuine.text, 'utf8');
      const step = Math.max(1, Math.floor(bytes.length / 1500));
      let tried = 0;
      for (let at = 0; at < bytes.length; at += step) {
        const changed = Buffer.from(bytes);
        changed[at] ^= 0x01;
        const result = verifyBundle(changed, { trustedKey: vkey });
        if (result.ok)
          throw new Error(
            `flipping a bit of byte ${at} (${JSON.stringify(genuine.text.slice(Math.max(0, at - 20), at + 20))}) went unnoticed`,
          );
        tried++;
      }
      expect(tried).toBeGreaterThan(1000);
    });

    it('a different key: the checkpoint is not signed by it', () => {
      const other = generateNoteKeys(origin);
      const path = join(work, 'drive.json');
      const result = run(process.execPath, [CLI, 'verify', path, '--key', other.verifierKey], work);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(
        `bundle FAILED: the checkpoint signature is not by key ${other.verifierKey.split('+').slice(0, 2).join('+')}`,
      );
    });

    it('a bundle forged and re-signed with another key verifies only for whoever does not pin the key', () => {
      const forger = generateNoteKeys(origin);
      const forged = mutate(genuine.bundle, (copy) => {
        // A forger drops the mismatch-free re-verification and re-signs checkpoint and statement.
        const lines = copy.checkpoint.split('\n');
        copy.checkpoint = signNote(`${lines.slice(0, 3).join('\n')}\n`, [forger.signerKey]);
        const statement = copy.statement.split('\n');
        copy.statement = signBundleStatement(
          {
            origin,
            treeSize: Number(statement[2]),
            rootHash: Buffer.from(statement[3], 'base64'),
            subject: copy.subject,
            indexes: copy.entries.map((e) => e.index),
          },
          forger.signerKey,
        );
        copy.vkey = forger.verifierKey;
      });
      expect(verifyBundle(forged).ok).toBe(true);
      expect(rejected(forged)).toMatch(/^the checkpoint signature is not by key /);
      const unpinned = run(process.execPath, [CLI, 'verify', file('forged.json', forged)], work);
      expect(unpinned.stdout).toMatch(/^WARNING: key not pinned/);
    });
  });

  describe('since a checkpoint the recipient holds', () => {
    it('carries that checkpoint and the consistency proof from it, which verifies', async () => {
      const { text, bundle } = await fetchBundle(`/api/v1/items/${drive.id}/bundle?since=${earlierSize}`);
      expect(bundle.consistency?.checkpoint).toBe(earlierNote);
      expect(bundle.consistency?.proof.length).toBeGreaterThan(0);
      const report = verified(text, { trustedKey: vkey, heldCheckpoints: [earlierNote] });
      expect(report.consistency).toMatchObject({ treeSize: earlierSize });
      const held = file('held-checkpoint.txt', earlierNote);
      const result = run(
        process.execPath,
        [CLI, 'verify', file('since.json', text), '--key', vkey, '--checkpoint', held],
        work,
      );
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`your checkpoint  tree size ${earlierSize}`);
    });

    it('a wrong since fails: no such checkpoint, zero, a proof that does not fit, a held checkpoint the bundle says nothing about', async () => {
      const missing = await api()
        .get(`/api/v1/items/${drive.id}/bundle?since=${earlierSize - 1}`)
        .set(bearer(prosecutor))
        .expect(404);
      expect(missing.body.code).toBe('checkpoint_not_found');
      await api().get(`/api/v1/items/${drive.id}/bundle?since=0`).set(bearer(prosecutor)).expect(400);
      await api().get(`/api/v1/items/${drive.id}/bundle?since=abc`).set(bearer(prosecutor)).expect(400);

      const { bundle } = await fetchBundle(`/api/v1/items/${drive.id}/bundle?since=${earlierSize}`);
      const badProof = mutate(bundle, (copy) => {
        const proof = [...copy.consistency!.proof];
        proof[proof.length - 1] = (proof.at(-1)![0] === 'A' ? 'B' : 'A') + proof.at(-1)!.slice(1);
        copy.consistency = { ...copy.consistency!, proof };
      });
      expect(rejected(badProof)).toMatch(/^the consistency proof from tree size \d+ to \d+ does not/);

      const plain = await fetchBundle(`/api/v1/items/${drive.id}/bundle`);
      expect(rejected(plain.text, { trustedKey: vkey, heldCheckpoints: [earlierNote] })).toBe(
        `the bundle proves nothing about the checkpoint you hold (tree size ${earlierSize}): fetch it with ?since=${earlierSize}`,
      );
      const result = run(
        process.execPath,
        [CLI, 'verify', join(work, 'drive.json'), '--key', vkey, '--checkpoint', join(work, 'held-checkpoint.txt')],
        work,
      );
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('fetch it with ?since=');
    });
  });

  describe('an independent verifier written only from docs/bundle-format.md (Python)', () => {
    const python = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
      const probe = run('python3', ['-c', 'import sys, cryptography; print(sys.version_info >= (3, 9))'], work);
      if (probe.status !== 0 || probe.stdout.trim() !== 'True') {
        throw new Error(
          `the independent verifier needs python3 (≥ 3.9) with the "cryptography" package (pip install cryptography); ` +
            `probe exited ${String(probe.status)}: ${probe.stderr.trim() || probe.stdout.trim() || 'python3 not found'}`,
        );
      }
      return run('python3', [PYTHON_VERIFIER, ...args], work);
    };

    it('accepts the genuine item and case bundles, and the bundle with a consistency proof', async () => {
      const item = python([join(work, 'drive.json'), '--key', vkey]);
      expect(item.stderr).toBe('');
      expect(item.status).toBe(0);
      expect(item.stdout).toContain('VERIFIED');
      expect(item.stdout).toMatch(
        /Ana Morales \(ES-PN\) → Luis Garcia \(ES-PN\) → Julieta Ferreira \(AR-PFA\) → Luis Garcia \(ES-PN\)/,
      );
      const kase = file('case.json', (await fetchBundle(`/api/v1/cases/${caseId}/bundle`)).text);
      const caseResult = python([kase, '--key', vkey]);
      expect(caseResult.status).toBe(0);
      expect(caseResult.stdout).toMatch(new RegExp(`${image.itemNumber}.*COMPROMISED`));
      const since = python([
        join(work, 'since.json'),
        '--key',
        vkey,
        '--checkpoint',
        join(work, 'held-checkpoint.txt'),
      ]);
      expect(since.status).toBe(0);
    });

    it('rejects a tampered bundle, a removed entry and a different key', () => {
      const genuine = JSON.parse(readFileSync(join(work, 'drive.json'), 'utf8')) as CustodyBundle;
      const oneByte = file(
        'py-byte.json',
        readFileSync(join(work, 'drive.json'), 'utf8').replace('Luis Garcia', 'Luis Garcib'),
      );
      const tampered = python([oneByte, '--key', vkey]);
      expect(tampered.status).toBe(1);
      expect(tampered.stdout).toMatch(/FAILED: entry \d+: inclusion proof/);
      const removed = file(
        'py-removed.json',
        mutate(genuine, (copy) => (copy.entries = copy.entries.filter((_, n) => n !== 4))),
      );
      expect(python([removed, '--key', vkey]).status).toBe(1);
      const other = python([join(work, 'drive.json'), '--key', generateNoteKeys(origin).verifierKey]);
      expect(other.status).toBe(1);
      expect(other.stdout).toMatch(/FAILED: .*checkpoint/);
    });

    it('accepts the worked example of the format document, with the key the document shows', () => {
      const doc = readFileSync(resolve(process.cwd(), 'docs/bundle-format.md'), 'utf8');
      const block = (name: string): string =>
        new RegExp(`<!-- ${name}:begin -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n<!-- ${name}:end -->`).exec(doc)![1];
      const example = file('doc-example.json', block('example-bundle'));
      const result = python([example, '--key', block('example-vkey')]);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('SHA-256 92a154299ba67f5612f0d8d4aefe92d480c595b7e2d6493ad4f8781b8919e94a');
      expect(result.stdout).toContain('Ana Morales (ES-PN) → Luis Garcia (ES-PN)');
    });

    it('applies the custody rules of the document: refuses what only the chain can tell, though every signature and proof holds', () => {
      const ana = person('Ana Morales', 'officer');
      const luis = person('Luis Garcia', 'clerk');
      const eve = person('Eve Stranger', 'officer', 'AR-PFA');
      const ledger = new SyntheticLedger();
      const item = { type: 'item' as const, id: randomUUID(), number: 'ES-PN-2026-000042' };
      const registration = {
        item: {
          kind: 'usb_drive',
          description: 'USB stick',
          place: 'Street 1',
          occurredAt: '2026-11-20T09:00:00+01:00',
          sealNumber: null,
          parent: null,
        },
        custodian: party(ana),
        location: null,
      };
      ledger.append({ type: 'item.seized', actor: actor(ana), subject: item, data: registration });
      const transfer = (by: typeof ana, to: typeof ana) => ({ type: 'transfer', id: randomUUID(), by, to });
      const handover = transfer(ana, luis);
      const releaseData = (t: ReturnType<typeof transfer>) => ({
        from: party(t.by),
        to: party(t.to),
        purpose: 'Storage',
        items: [{ id: item.id, number: item.number }],
      });
      ledger.append(
        sign(
          {
            type: 'transfer.released',
            actor: actor(ana),
            subject: { type: 'transfer', id: handover.id },
            data: releaseData(handover),
          },
          [ana, 'released'],
        ),
      );
      ledger.append(
        sign(
          {
            type: 'transfer.accepted',
            actor: actor(luis),
            subject: { type: 'transfer', id: handover.id },
            data: {
              from: party(ana),
              to: party(luis),
              items: [{ id: item.id, number: item.number, sealIntact: true, sealNote: null, hashes: [] }],
              location: null,
            },
          },
          [luis, 'received'],
        ),
      );
      // 3: Eve releases an item she never held.
      const theft = transfer(eve, ana);
      ledger.append(
        sign(
          {
            type: 'transfer.released',
            actor: actor(eve),
            subject: { type: 'transfer', id: theft.id },
            data: releaseData(theft),
          },
          [eve, 'released'],
        ),
      );
      // 4: Luis releases without signing.
      const unsigned = transfer(luis, ana);
      ledger.append({
        type: 'transfer.released',
        actor: actor(luis),
        subject: { type: 'transfer', id: unsigned.id },
        data: releaseData(unsigned),
      });

      const cases: Array<[string, number[]]> = [
        ['a sound chain', [0, 1, 2]],
        ['an acceptance of a transfer never released', [0, 2]],
        ['a release by someone who does not hold the item', [0, 1, 2, 3]],
        ['a release without the releaser’s signature', [0, 1, 2, 4]],
      ];
      const verdicts = cases.map(([what, indexes]) => {
        const path = file(`synthetic-${indexes.join('-')}.json`, canonicalize(ledger.bundle(item, indexes)));
        const result = python([path, '--key', ledger.keys.verifierKey]);
        expect(verifyBundle(readFileSync(path, 'utf8'), { trustedKey: ledger.keys.verifierKey }).ok).toBe(
          result.status === 0,
        );
        return [what, result.status, result.stdout.trim().split('\n').at(-1)];
      });
      expect(verdicts).toEqual([
        ['a sound chain', 0, 'VERIFIED: 3 entries'],
        [
          'an acceptance of a transfer never released',
          1,
          expect.stringMatching(/^FAILED: entry 2: .*not pending in this transfer/),
        ],
        [
          'a release by someone who does not hold the item',
          1,
          expect.stringMatching(/^FAILED: entry 3: .*is not the custodian/),
        ],
        [
          'a release without the releaser’s signature',
          1,
          expect.stringMatching(/^FAILED: entry 4: lacks the 'released' signature/),
        ],
      ]);
    });
  });
});
