import { createHash } from 'node:crypto';

import request from 'supertest';

import { shareCase } from '../factories/case.factory.js';
import { accept, hardDrive, phone, recordHashes, registerImage, release, seize } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  login,
  type Session,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import { BrowserHarness } from './browser-harness.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const PHONE_SHA256 = sha256('phone extraction');
const IMAGE_SHA256 = sha256('drive image');

/**
 * What a new user tripped over on the item and receipt screens (issue #17): the actions a screen
 * offers are the ones the server accepts from that person, and a form pre-fills nothing the person
 * has not checked — no "Seal intact" for an item without a seal, no "device" target for an image,
 * no role for a new user. The hash tool shows on the timeline as in the court report, and the
 * access log says what each electronic signature signed.
 */
describe('the web app in a browser: item actions and pre-filled forms', () => {
  const h = new BrowserHarness('c');
  let spain: TestAgency;
  let officer: TestUser;
  let clerk: TestUser;
  let examiner: TestUser;
  let prosecutor: TestUser;
  let auditor: TestUser;
  let admin: TestUser;
  let phoneNumber: string;
  let phoneId: string;
  let imageNumber: string;
  let imageId: string;
  const CASE_NUMBER = 'DIL-2026/1717';

  beforeAll(async () => {
    await h.start();
    spain = await createAgency(h.db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const portugal = await createAgency(h.db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    officer = await createUser(h.db, spain, {
      username: 'ana.morales',
      displayName: 'Ana Morales',
      roles: ['officer'],
    });
    clerk = await createUser(h.db, spain, { username: 'luis.garcia', displayName: 'Luis García', roles: ['clerk'] });
    examiner = await createUser(h.db, spain, { username: 'eva.lab', displayName: 'Eva Lab', roles: ['examiner'] });
    prosecutor = await createUser(h.db, portugal, {
      username: 'rui.tavares',
      displayName: 'Rui Tavares',
      roles: ['prosecutor'],
    });
    auditor = await createUser(h.db, spain, { username: 'elena.audit', displayName: 'Elena Ruiz', roles: ['auditor'] });
    admin = await createUser(h.db, spain, { username: 'marta.admin', displayName: 'Marta Vidal', roles: ['admin'] });

    const officerSession = await login(h.app, officer);
    const opened = await request(h.app.getHttpServer())
      .post('/api/v1/cases')
      .set(bearer(officerSession))
      .send({ caseNumber: CASE_NUMBER, title: 'Operación Faro', legalAuthority: ['JI-3 Madrid, DP 1717/2026'] })
      .expect(201);
    const caseId = (opened.body as { id: string }).id;
    await shareCase(h.db, caseId, { agencyId: portugal.id }, 'read', officer.id);
    // A sealed phone, and a drive bagged without a seal.
    const [seizedPhone, drive] = await seize(h.app, officerSession, caseId, [
      phone(),
      hardDrive({ sealNumber: undefined }),
    ]);
    phoneNumber = seizedPhone.itemNumber;
    phoneId = seizedPhone.id;
    await recordHashes(h.app, officerSession, phoneId, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: PHONE_SHA256 }],
      tool: 'Cellebrite UFED',
      toolVersion: '7.69',
      occurredAt: '2026-11-20T10:00:00+01:00',
      signature: { password: officer.password, meaning: 'acquired' },
    });
    // The lab images the drive and sends the image to the property room; the officer sends the phone.
    const examinerSession: Session = await login(h.app, examiner);
    await accept(h.app, examinerSession, await release(h.app, officerSession, [drive.id], examinerSession));
    const image = await registerImage(h.app, examinerSession, caseId, drive.id, IMAGE_SHA256);
    imageNumber = image.itemNumber;
    imageId = image.id;
    await release(h.app, examinerSession, [imageId], clerk.username, 'Storage');
    await release(h.app, officerSession, [phoneId], clerk.username, 'Storage');
  }, 120_000);

  afterAll(() => h.stop());

  it('clerk: receipt pre-ticks no seal that does not exist and no "device" for an image; records hashes', async () => {
    const { page } = h;
    await h.signIn(clerk);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();

    const fromLab = page.getByRole('article', { name: /1 item from Eva Lab/ });
    await fromLab.getByRole('button', { name: 'Check and sign receipt…' }).click();
    // The image has no seal: nothing to tick as intact; damage is stated, not assumed away.
    await expect(fromLab.getByLabel(`Seal intact on ${imageNumber}`).count()).resolves.toBe(0);
    const damaged = fromLab.getByLabel(`No seal: packaging of ${imageNumber} damaged or opened`);
    await expect(damaged.isChecked()).resolves.toBe(false);
    // An image is hashed as its file: the re-hash target is not pre-filled with "device".
    await expect(fromLab.getByLabel(`Target of ${imageNumber}`).inputValue()).resolves.toBe('');
    await h.screenshot('receipt-image');
    await fromLab.getByLabel('Your password, to sign').fill(clerk.password);
    await fromLab.getByRole('button', { name: 'Sign and accept' }).click();
    await fromLab.waitFor({ state: 'detached' });

    const fromOfficer = page.getByRole('article', { name: /1 item from Ana Morales/ });
    await fromOfficer.getByRole('button', { name: 'Check and sign receipt…' }).click();
    await expect(fromOfficer.getByLabel(`Seal intact on ${phoneNumber}`).isChecked()).resolves.toBe(true);
    await expect(fromOfficer.getByLabel(`Target of ${phoneNumber}`).inputValue()).resolves.toBe('device');
    await fromOfficer.getByLabel('Your password, to sign').fill(clerk.password);
    await fromOfficer.getByRole('button', { name: 'Sign and accept' }).click();
    await fromOfficer.waitFor({ state: 'detached' });
    await page.getByText('Received 1 item: they are now in your custody.', { exact: true }).waitFor();

    // The property-room clerk holds the phone: the server accepts their hash record, and the screen offers it.
    await page.goto(`${h.baseUrl}/items/${phoneId}`);
    await page.getByRole('heading', { name: new RegExp(phoneNumber) }).waitFor();
    await page.getByRole('button', { name: 'Print label' }).waitFor();
    await page.getByRole('button', { name: 'Record hashes' }).click();
    await expect(page.getByLabel('What was hashed (target)').inputValue()).resolves.toBe('device');
    await page.getByLabel('Value 1 (hex)').fill(PHONE_SHA256);
    await page.getByLabel('Tool', { exact: true }).fill('FTK Imager');
    await page.getByLabel('Tool version').fill('4.7.1');
    await page.getByRole('button', { name: 'Save hashes' }).click();
    await page.getByText('Verification of “device” recorded.').waitFor();
    // The tool of each hash record shows on the timeline, as in the court report.
    const timeline = page.locator('ol.timeline');
    await timeline
      .locator('li', { hasText: 'Reference hash of device' })
      .getByText('Cellebrite UFED 7.69', { exact: true })
      .waitFor();
    await timeline
      .locator('li', { hasText: 'device re-verified by Luis García' })
      .getByText('FTK Imager 4.7.1', { exact: true })
      .waitFor();
    const rows = await h.db.query<Array<{ tool: string; result: string }>>(
      `SELECT tool, result FROM hash_record WHERE item_id = $1 AND role = 'verification'`,
      [phoneId],
    );
    expect(rows).toEqual([{ tool: 'FTK Imager', result: 'match' }]);
    await h.screenshot('clerk-hashes');

    // On the image, a new hash record names the image's file, never "device".
    await page.goto(`${h.baseUrl}/items/${imageId}`);
    await page.getByRole('heading', { name: new RegExp(imageNumber) }).waitFor();
    await page
      .locator('ol.timeline li', { hasText: 'Made from' })
      .getByText('Guymager 0.8.13', { exact: true })
      .waitFor();
    // Made in a lab: the facts say when it was acquired, not seized.
    await expect(page.locator('dl.facts dt', { hasText: 'Acquired' }).count()).resolves.toBe(1);
    await expect(page.locator('dl.facts dt', { hasText: 'Seized' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Record hashes' }).click();
    await expect(page.getByLabel('What was hashed (target)').inputValue()).resolves.toBe('image.e01');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await h.signOut();
  }, 120_000);

  it('prosecutor with read-only access: downloads, but is offered no label to print', async () => {
    const { page } = h;
    await h.signIn(prosecutor);
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await page.goto(`${h.baseUrl}/items/${phoneId}`);
    await page.getByRole('heading', { name: new RegExp(phoneNumber) }).waitFor();
    await page.getByRole('button', { name: 'Court report (PDF)' }).waitFor();
    await expect(page.getByRole('button', { name: 'Print label' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Record hashes' }).count()).resolves.toBe(0);
    await h.signOut();
  }, 60_000);

  it('auditor: each electronic signature in the access log names the record it signed', async () => {
    const { page } = h;
    await h.signIn(auditor);
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    const filters = page.getByRole('form', { name: 'Access log filters' });
    await filters.getByLabel('Event').selectOption('signature.sign');
    await filters.getByLabel('Outcome').selectOption('success');
    await filters.getByRole('button', { name: 'Filter' }).click();
    const entries = page.getByRole('table', { name: 'Access log entries' });
    await entries.locator('tbody tr').filter({ hasNotText: 'signature.sign' }).first().waitFor({ state: 'detached' });
    const acquired = entries.locator('tbody tr', { hasText: 'signed “acquired”' });
    await acquired
      .filter({ hasText: `item ${phoneNumber}` })
      .first()
      .waitFor();
    await acquired
      .filter({ hasText: `item ${imageNumber}` })
      .first()
      .waitFor();
    await entries
      .locator('tbody tr', { hasText: 'signed “received”' })
      .filter({ hasText: `transfer in case ${CASE_NUMBER}` })
      .first()
      .waitFor();
    for (const text of await entries.locator('tbody tr').allTextContents()) expect(text).not.toContain('—');
    await h.screenshot('auditor-signatures');
    await h.signOut();
  }, 60_000);

  it('administrator: the New user form pre-ticks no role', async () => {
    const { page } = h;
    await h.signIn(admin);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    const roles = page.getByRole('group', { name: /Roles/ });
    const boxes = roles.getByRole('checkbox');
    await expect(boxes.count()).resolves.toBe(6);
    for (const box of await boxes.all()) await expect(box.isChecked()).resolves.toBe(false);
    await expect(page.getByRole('button', { name: 'Create user' }).isDisabled()).resolves.toBe(true);
    await roles.getByLabel('clerk', { exact: true }).check();
    await expect(page.getByRole('button', { name: 'Create user' }).isEnabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await h.signOut();
  }, 60_000);

  it('loaded nothing from elsewhere and raised no script or CSP error', () => {
    expect(h.problems).toEqual([]);
  });
});
