import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { shareCase } from '../factories/case.factory.js';
import { bearer, createAgency, createUser, dataSourceOf, login, type TestUser } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Every screen of the story, for a person to look at after the run (gitignored). */
const SCREENSHOTS = resolve(process.cwd(), 'test/browser/screenshots');
const OFFICER_NEW_PASSWORD = 'Hallway-Seizure-Form-2207';
const DEVICE_SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const DEVICE_MD5 = '098f6bcd4621d373cade4e832627b4f6';

function pdfText(file: string): string {
  const result = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr} (apt-get install poppler-utils)`);
  return result.stdout;
}

/**
 * Issue #8's story in a real browser, against the real service and PostgreSQL: an officer seizes
 * three devices in one form and prints their labels; hands them to an examiner of another agency,
 * who accepts them with one broken seal, records hashes and hands them back; a prosecutor of a
 * third agency opens the shared case, sees the broken seal and the signatures, and downloads the
 * court report. The UI is what is under test; the factories only set up people and the share.
 */
describe('the web app in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let baseUrl: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let downloads: string;
  let officer: TestUser;
  let examiner: TestUser;
  let prosecutor: TestUser;
  let shot = 0;
  const problems: string[] = [];

  const screenshot = async (name: string): Promise<void> => {
    shot += 1;
    await page.screenshot({ path: join(SCREENSHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const signIn = async (user: TestUser, password = user.password): Promise<void> => {
    await page.goto(`${baseUrl}/`);
    // A fresh tab's state: an earlier failure must not leave someone logged in.
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const signOut = async (): Promise<void> => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  };
  const download = async (click: () => Promise<void>): Promise<string> => {
    const [file] = await Promise.all([page.waitForEvent('download'), click()]);
    const path = join(downloads, file.suggestedFilename());
    await file.saveAs(path);
    return path;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is needed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    if (!existsSync(resolve(process.cwd(), 'dist/web/index.html')))
      throw new Error('the web app is not built: run `npm run build` (npm test does)');
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    db = dataSourceOf(app);

    const spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const argentina = await createAgency(db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    const portugal = await createAgency(db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    // The officer's account was just made by an administrator: the app forces a new password first.
    officer = await createUser(db, spain, {
      username: 'ana.morales',
      displayName: 'Ana Morales',
      roles: ['officer'],
      mustChangePassword: true,
    });
    examiner = await createUser(db, argentina, {
      username: 'julieta.ferreira',
      displayName: 'Julieta Ferreira',
      roles: ['examiner'],
    });
    prosecutor = await createUser(db, portugal, {
      username: 'rui.tavares',
      displayName: 'Rui Tavares',
      roles: ['prosecutor'],
    });

    profile = mkdtempSync(join(tmpdir(), 'custos-chromium-'));
    downloads = mkdtempSync(join(tmpdir(), 'custos-downloads-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      locale: 'en-GB',
      timezoneId: 'Europe/Madrid',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A refused API call logs "Failed to load resource" (the tests cause some on purpose); a CSP violation or a script error does not belong.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        problems.push(`console: ${message.text()}`);
    });
    page.on('request', (sent) => {
      if (!sent.url().startsWith(baseUrl) && !sent.url().startsWith('blob:') && !sent.url().startsWith('data:'))
        problems.push(`external fetch: ${sent.url()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
    await database?.drop();
    for (const dir of [profile, downloads]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is served at / with a strict content security policy, and API errors stay problem+json', async () => {
    const response = await page.goto(`${baseUrl}/items/0b6c2a1e-deep-link`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await screenshot('login');
    const api = await request(app.getHttpServer()).get('/api/v1/nothing-here').expect(404);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('officer: forced password change, new case, three devices in one form, labels, hand-over to the examiner', async () => {
    await signIn(officer);
    await page.getByRole('heading', { name: 'Choose your own password' }).waitFor();
    await screenshot('forced-password-change');
    // The cursor is in the first field, which says what to type there.
    expect(await page.evaluate<string>('document.activeElement.labels[0].textContent')).toBe('Current password');
    await page.getByText('The temporary password you just signed in with').waitFor();
    await page.getByLabel('Current password').fill(officer.password);
    await page.getByLabel('New password', { exact: true }).fill(OFFICER_NEW_PASSWORD);
    await page.getByLabel('New password again').fill(OFFICER_NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();

    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New case' }).click();
    await page.getByLabel('Case number').fill('DIL-2026/0142');
    await page.getByLabel('Title or operation name').fill('Operación Tormenta');
    await page.getByLabel('Warrants and orders').fill('JI-7 Madrid, DP 118/2026');
    await screenshot('new-case');
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: /Case DIL-2026\/0142/ }).waitFor();
    const caseId = /\/cases\/([0-9a-f-]{36})/.exec(page.url())![1];
    // Shared through the factory here; the sharing screen is driven in case-admin.browser-spec.ts.
    const argentina = await db.query<Array<{ id: string }>>(`SELECT id FROM agency WHERE code = 'AR-PFA'`);
    const portugal = await db.query<Array<{ id: string }>>(`SELECT id FROM agency WHERE code = 'PT-MP'`);
    await shareCase(db, caseId, { agencyId: argentina[0].id }, 'contribute', officer.id);
    await shareCase(db, caseId, { agencyId: portugal[0].id }, 'read', officer.id);

    await page.getByRole('button', { name: 'Register seizure' }).click();
    await page.getByRole('heading', { name: 'Register a seizure' }).waitFor();
    // The time defaults to now, with this computer's offset (Madrid).
    expect(await page.getByLabel('Seized at').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    await expect(page.getByText(/Your local time \(UTC\+0[12]:00\)/).count()).resolves.toBe(1);
    // Keyboard only: the cursor starts in Place; Tab moves through the form.
    await page.keyboard.type('Calle Mayor 12, 3ºB, Madrid');
    await page.getByLabel('Seized at').fill('2031-01-01T10:00'); // a slip: in the future
    await page.getByLabel('Seized from (reference, never a name)').fill('Exhibit schedule 1');

    const device = (n: number) => page.getByRole('group', { name: `Device ${n}` });
    // Required fields say so next to their label (the attribute tells screen readers); optional ones say nothing.
    const marked = (scope: Locator, label: string) =>
      scope
        .locator('.field', { has: page.getByLabel(label, { exact: true }) })
        .locator('.required')
        .count();
    await expect(marked(page.locator('form'), 'Place')).resolves.toBe(1);
    await expect(marked(device(1), 'Description')).resolves.toBe(1);
    await expect(marked(device(1), 'Make')).resolves.toBe(0);
    await device(1).getByLabel('Description').fill('Black smartphone, cracked screen');
    await device(1).getByLabel('Make').fill('Samsung');
    await device(1).getByLabel('Model').fill('Galaxy S21');
    await device(1).getByLabel('IMEI(s)').fill('490154203237519');
    await expect(device(1).getByText('✗ Check digit does not match: a digit is mistyped').count()).resolves.toBe(1);
    await device(1).getByLabel('IMEI(s)').fill('490154203237518');
    await expect(device(1).getByText('✓ Valid IMEI').count()).resolves.toBe(1);
    await device(1).getByLabel('ICCID (SIM)').fill('8944500102198304826');
    await expect(device(1).getByText('✓ Valid ICCID').count()).resolves.toBe(1);
    await device(1).getByLabel('Seal (bag) number').fill('ES-PN-SEAL-0042117');
    await device(1).getByLabel('Power at seizure').selectOption('airplane');

    await device(1).getByLabel('Condition').focus();
    await page.keyboard.type('Screen cracked');
    await page.keyboard.press('Alt+n');
    // The new device's first field has the focus: the keyboard goes on.
    expect(
      await page.evaluate<string>(
        `document.activeElement.closest('fieldset').querySelector('legend').textContent + ' ' + document.activeElement.tagName`,
      ),
    ).toBe('Device 2 SELECT');
    expect(await page.evaluate<string>('document.activeElement.labels[0].textContent')).toBe('Kind');
    await device(2).getByLabel('Kind').selectOption('hard_drive');
    // Identifiers only where the kind has them: no IMEI or ICCID on a hard drive, an ICCID but no IMEI on a SIM card.
    await expect(device(2).getByLabel('IMEI(s)').count()).resolves.toBe(0);
    await expect(device(2).getByLabel('ICCID (SIM)').count()).resolves.toBe(0);
    await device(2).getByLabel('Description').fill('3.5" SATA drive from the tower PC');
    await device(2).getByLabel('Make').fill('Seagate');
    await device(2).getByLabel('Serial number').fill('ZFL0ABCD');
    await device(2).getByLabel('Seal (bag) number').fill('ES-PN-SEAL-0042118');

    await page.getByRole('button', { name: /Add another device/ }).click();
    await device(3).getByLabel('Kind').selectOption('sim_card');
    await expect(device(3).getByLabel('ICCID (SIM)').count()).resolves.toBe(1);
    await expect(device(3).getByLabel('IMEI(s)').count()).resolves.toBe(0);
    await device(3).getByLabel('Kind').selectOption('laptop');
    await device(3).getByLabel('Description').fill('Grey laptop, sticker on lid');
    await device(3).getByLabel('Make').fill('Lenovo');
    await device(3).getByLabel('Seal (bag) number').fill('ES-PN-SEAL-0042119');

    await screenshot('seizure-form');
    await page.getByRole('button', { name: 'Register 3 items' }).click();
    // The API refuses the future time; the message is shown at the field, nothing was saved.
    const seizedAt = page.locator('.field', { has: page.getByLabel('Seized at') });
    await seizedAt.getByRole('alert').waitFor();
    expect(await seizedAt.getByRole('alert').textContent()).toMatch(/in the future/);
    // The keyboard is taken to the field at fault, not left on the button at the bottom of the form.
    expect(await page.evaluate<string>('document.activeElement.labels[0].textContent')).toBe('Seized at');
    await expect(page.getByText('Nothing was saved. Please correct the fields marked in red.').count()).resolves.toBe(
      1,
    );
    await screenshot('seizure-form-error');
    await page.getByLabel('Seized at').fill('2026-11-20T09:14');
    await page.getByRole('button', { name: 'Register 3 items' }).click();

    await page.getByRole('heading', { name: 'Seizure registered' }).waitFor();
    const numbers = await page.locator('ul.numbers strong').allTextContents();
    expect(numbers).toHaveLength(3);
    for (const number of numbers) expect(number).toMatch(/^ES-PN-\d{4}-\d{6}$/);
    await screenshot('seizure-registered');
    const labels = await download(() => page.getByRole('button', { name: 'Print labels for these 3' }).click());
    const labelText = pdfText(labels);
    for (const number of numbers) expect(labelText).toContain(number);
    expect(labelText).toContain('2026-11-20 09:14 (UTC+01:00)');
    expect(labelText).toContain('ES-PN-SEAL-0042118');

    await page.getByRole('link', { name: 'Back to the case' }).click();
    await page.getByRole('heading', { name: /Case DIL-2026\/0142/ }).waitFor();
    for (const number of numbers) await page.getByLabel(`Select ${number}`).check();
    await page.getByRole('button', { name: 'Hand over selected (3)' }).click();
    await page.getByLabel(/Receiver/).fill(examiner.username);
    await page.getByLabel('Purpose').fill('Forensic acquisition at the PFA lab');
    await expect(marked(page.locator('form'), 'Purpose')).resolves.toBe(1);
    await page.getByLabel('Your password, to sign').fill('not my password');
    await page.getByRole('button', { name: 'Sign and hand over' }).click();
    const passwordField = page.locator('.field', { has: page.getByLabel('Your password, to sign') });
    await passwordField.getByRole('alert').waitFor();
    expect(await passwordField.getByRole('alert').textContent()).toMatch(/not your password/);
    expect(await page.evaluate<string>('document.activeElement.labels[0].textContent')).toBe('Your password, to sign');
    await screenshot('transfer-wrong-password');
    // Entered in the evening: the hand-over happened that morning (Madrid's clock).
    await page.getByLabel('When (if not now)').fill('2026-11-24T09:30');
    await page.getByLabel('Your password, to sign').fill(OFFICER_NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign and hand over' }).click();
    await page.getByText('Released 3 items to Julieta Ferreira: waiting for their signature.').waitFor();
    // A reload keeps the session (refresh token in this tab) and the deep link (served by the SPA fallback).
    await page.reload();
    await page.getByRole('heading', { name: /Case DIL-2026\/0142/ }).waitFor();
    await expect(page.getByText('Transfer pending').count()).resolves.toBe(3);
    await screenshot('case-after-release');
    // A tablet held upright: the case fits its width (the seal goes under the description) — no sideways scrolling.
    await page.setViewportSize({ width: 820, height: 1180 });
    expect(
      await page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth'),
    ).toBe(true);
    await expect(page.getByText('Seal ES-PN-SEAL-0042118').isVisible()).resolves.toBe(true);
    await screenshot('case-tablet');
    await page.setViewportSize({ width: 1280, height: 800 });
    await signOut();
  }, 180_000);

  it('examiner: inbox, accepts with one broken seal, records hashes by scanning the number, hands back', async () => {
    await signIn(examiner);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByRole('heading', { name: /3 items from Ana Morales/ }).waitFor();
    // Every screen's top bar says a hand-over waits for their signature.
    await page.getByRole('link', { name: 'Inbox 1 waiting for your signature' }).waitFor();
    await screenshot('examiner-inbox');
    const numbers = await page.locator('ul.numbers strong').allTextContents();
    await page.getByRole('button', { name: 'Check and sign receipt…' }).click();
    // The form opens where the keyboard is: on the decision.
    expect(
      await page.evaluate<string>(
        'document.activeElement.type + " " + document.activeElement.parentElement.textContent.trim()',
      ),
    ).toBe('radio Accept the items into my custody');
    // A re-hash is checked as it is typed, against the chosen algorithm's length.
    await page.getByLabel(`Hash value of ${numbers[0]}`).fill('abc123');
    await page.getByText('sha256 values have 64 characters (6 typed)').waitFor();
    await page.getByLabel(`Algorithm of ${numbers[0]}`).selectOption('md5');
    await page.getByText('md5 values have 32 characters (6 typed)').waitFor();
    await page.getByLabel(`Hash value of ${numbers[0]}`).fill('');
    await page.getByLabel(`Algorithm of ${numbers[0]}`).selectOption('sha256');
    await page.getByLabel(`Seal intact on ${numbers[1]}`).uncheck();
    await page.getByLabel(`What is wrong with the seal of ${numbers[1]}`).fill('Bag torn at the lower seam');
    await page.getByLabel('Where you keep them now').fill('Buenos Aires/Lab/Safe 2');
    await page.getByText('Handed over 2026-11-24 09:30 (UTC+01:00)', { exact: false }).waitFor();
    // A receipt before the hand-over is refused on its field, with the release's time.
    await page.getByLabel('Received (if not now)').fill('2026-11-24T09:00');
    await page.getByLabel('Your password, to sign').fill(examiner.password);
    await page.getByRole('button', { name: 'Sign and accept' }).click();
    const receivedAt = page.locator('.field', { has: page.getByLabel('Received (if not now)') });
    await receivedAt.getByRole('alert').waitFor();
    expect(await receivedAt.getByRole('alert').textContent()).toMatch(/before the items were handed over/);
    await page.getByLabel('Received (if not now)').fill('2026-11-25T16:10');
    await page.getByLabel('Your password, to sign').fill(examiner.password);
    await screenshot('examiner-receipt');
    await page.getByRole('button', { name: 'Sign and accept' }).click();
    await page.getByText(/Received 3 items: they are now in your custody\. 1 broken seal recorded\./).waitFor();
    await page.getByRole('link', { name: 'Inbox', exact: true }).waitFor();

    // Scan-to-find: a barcode scanner types the number and Enter.
    await page.getByLabel(/Find an item/).fill(numbers[0]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: new RegExp(numbers[0]) }).waitFor();
    await page.getByRole('button', { name: 'Record hashes' }).click();
    await page.getByLabel('Tool', { exact: true }).fill('Cellebrite UFED');
    await page.getByLabel('Value 1 (hex)').fill(DEVICE_SHA256);
    await page.getByLabel('Value 2 (hex)').fill(DEVICE_MD5);
    await page.getByLabel('Your password, to sign').fill(examiner.password);
    await page.getByRole('button', { name: 'Sign and save hashes' }).click();
    await page.getByText('Reference hashes of “device” recorded and signed.').waitFor();
    await screenshot('examiner-item-hashes');
    // The image made from the phone's extraction becomes an item of its own, in the examiner's custody.
    await page.getByRole('button', { name: 'Register image / extraction' }).click();
    await page.getByLabel('Kind').selectOption('extraction');
    await page.getByLabel('Tool', { exact: true }).fill('Cellebrite UFED');
    await page.getByLabel('Tool version').fill('7.69');
    await page.getByLabel('File (target)').fill('extraction.zip');
    await page
      .getByLabel('SHA-256 of the file')
      .fill('A665A45920422F9D417E4867EFDC4FB8A04A1F3FFF1FA07E998E86F7F7A27AE3');
    await page.getByLabel('Your password, to sign').fill(examiner.password);
    await screenshot('examiner-derive');
    await page.getByRole('button', { name: 'Sign and register' }).click();
    await page
      .getByText(new RegExp(`Registered AR-PFA-\\d{4}-\\d{6}, made from ${numbers[0]}, in your custody\\.`))
      .waitFor();

    await page.getByRole('link', { name: 'DIL-2026/0142' }).first().click();
    await page.getByRole('heading', { name: /Case DIL-2026\/0142/ }).waitFor();
    for (const number of numbers) await page.getByLabel(`Select ${number}`).check();
    await page.getByRole('button', { name: 'Hand over selected (3)' }).click();
    await page.getByLabel(/Receiver/).fill(officer.username);
    await page.getByLabel('Purpose').fill('Return after acquisition');
    await page.getByLabel('Your password, to sign').fill(examiner.password);
    await page.getByRole('button', { name: 'Sign and hand over' }).click();
    await page.getByText('Released 3 items to Ana Morales: waiting for their signature.').waitFor();
    await screenshot('examiner-case-handback');
    await signOut();

    // The officer signs for them back at the station (not the UI under test here).
    const session = await login(app, { username: officer.username, password: OFFICER_NEW_PASSWORD });
    const inbox = await request(app.getHttpServer())
      .get('/api/v1/transfers?direction=incoming&status=pending')
      .set(bearer(session))
      .expect(200);
    expect(inbox.body.transfers).toHaveLength(1);
    const transfer = inbox.body.transfers[0] as { id: string; items: Array<{ id: string }> };
    await request(app.getHttpServer())
      .post(`/api/v1/transfers/${transfer.id}/accept`)
      .set(bearer(session))
      .send({
        items: transfer.items.map((item) => ({ itemId: item.id, sealIntact: true })),
        location: 'Madrid/HQ/Evidence room',
        signature: { password: OFFICER_NEW_PASSWORD, meaning: 'received' },
      })
      .expect(200);
  }, 180_000);

  it('prosecutor: shared case, integrity at a glance, broken seal and signatures in the timeline, court report', async () => {
    await signIn(prosecutor);
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await page.getByText('Shared with you by other agencies').waitFor();
    // Integrity at a glance already in the list: the case's row counts its compromised item.
    await page
      .getByRole('row', { name: /DIL-2026\/0142/ })
      .getByText('⚠ 1 compromised')
      .waitFor();
    await screenshot('prosecutor-cases');
    await page.getByRole('link', { name: 'DIL-2026/0142' }).click();
    const glance = page.getByRole('alert').filter({ hasText: 'Integrity problem' });
    await glance.waitFor();
    expect(await glance.textContent()).toMatch(/1 item is compromised/);
    // Read-only access: the downloads, nothing to select, hand over or label.
    await page.getByRole('button', { name: 'Court report (PDF)' }).waitFor();
    await expect(page.getByRole('checkbox').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /Hand over selected/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /Print labels/ }).count()).resolves.toBe(0);
    await screenshot('prosecutor-case');

    const brokenRow = page.locator('tr.row-bad');
    const broken = (await brokenRow.locator('strong.mono').textContent())!;
    await brokenRow.getByRole('link', { name: broken }).click();
    await page.getByRole('heading', { name: 'Custody timeline' }).waitFor();
    const timeline = page.locator('ol.timeline');
    await expect(timeline.getByText('⚠ BROKEN').count()).resolves.toBe(1);
    await expect(timeline.getByText('Bag torn at the lower seam', { exact: false }).count()).resolves.toBe(1);
    // The hand-over's own times, as stated, beside the recording times.
    await expect(timeline.getByText('2026-11-24 09:30 (UTC+01:00)').count()).resolves.toBe(1);
    await expect(timeline.getByText('2026-11-25 16:10 (UTC+01:00)').count()).resolves.toBe(1);
    const signatures = await timeline.locator('.signatures li').allTextContents();
    expect(signatures.some((line) => /Ana Morales \(ES-PN, officer\) — released/.test(line))).toBe(true);
    expect(signatures.some((line) => /Julieta Ferreira \(AR-PFA, examiner\) — received/.test(line))).toBe(true);
    expect(signatures.some((line) => /Ana Morales \(ES-PN, officer\) — received/.test(line))).toBe(true);
    // "ledger #n" is explained where it is shown.
    await page.getByText(/Each entry is numbered in the tamper-evident ledger/).waitFor();
    await screenshot('prosecutor-item-timeline');

    const report = await download(() => page.getByRole('button', { name: 'Court report (PDF)' }).click());
    const reportText = pdfText(report);
    expect(reportText).toContain(broken);
    expect(reportText).toContain('DIL-2026/0142');
    // The hand-over's date and time (the narrow column puts them on two lines).
    expect(reportText).toMatch(/Released\s+[^\n]*\n\s+#7\s+2026-11-24/);
    expect(reportText).toContain('09:30:00 +01:00');

    // A tablet in portrait: the same case screen, without horizontal scrolling of the page.
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.getByRole('link', { name: 'DIL-2026/0142' }).first().click();
    await page.getByRole('heading', { name: /Case DIL-2026\/0142/ }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(820);
    await screenshot('tablet-case');
    await page.setViewportSize({ width: 1280, height: 800 });
    await signOut();
  }, 180_000);

  it('loaded nothing from elsewhere and raised no script or CSP error', () => {
    expect(problems).toEqual([]);
  });
});
