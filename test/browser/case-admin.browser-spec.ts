import { readFileSync } from 'node:fs';

import request from 'supertest';

import { hardDrive, phone, seize } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  login,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import { BrowserHarness } from './browser-harness.js';

/**
 * The web app's second story (issue #8): what the owning agency does with a case besides custody —
 * sharing, revoking, closing and reopening — then finding items by a seal prefix, correcting a
 * registration field, a disposal with a witness; and the administration and audit screens: an
 * agency administrator creates a user, resets a password, disables and enables; a platform
 * administrator creates an agency; an auditor signs a checkpoint, has the server verify the whole
 * ledger and filters the access log.
 * Custody data is made through the API (factories); the screens under test are driven in Chromium.
 */
describe('the web app in a browser: case owners, corrections, disposal, administration', () => {
  const h = new BrowserHarness('b');
  let spain: TestAgency;
  let officer: TestUser;
  let clerk: TestUser;
  let examiner: TestUser;
  let prosecutor: TestUser;
  let agencyAdmin: TestUser;
  let platformAdmin: TestUser;
  let auditor: TestUser;
  const CASE_NUMBER = 'DIL-2026/0977';
  const SEAL_PREFIX = 'ES-PN-SEAL-77';

  beforeAll(async () => {
    await h.start();
    spain = await createAgency(h.db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const argentina = await createAgency(h.db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    const portugal = await createAgency(h.db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    officer = await createUser(h.db, spain, {
      username: 'ana.morales',
      displayName: 'Ana Morales',
      roles: ['officer'],
    });
    clerk = await createUser(h.db, spain, { username: 'luis.garcia', displayName: 'Luis García', roles: ['clerk'] });
    examiner = await createUser(h.db, argentina, {
      username: 'julieta.ferreira',
      displayName: 'Julieta Ferreira',
      roles: ['examiner'],
    });
    prosecutor = await createUser(h.db, portugal, {
      username: 'rui.tavares',
      displayName: 'Rui Tavares',
      roles: ['prosecutor'],
    });
    agencyAdmin = await createUser(h.db, spain, {
      username: 'marta.admin',
      displayName: 'Marta Vidal',
      roles: ['admin'],
    });
    platformAdmin = await createUser(h.db, null, {
      username: 'platform.root',
      displayName: 'Platform Operator',
      roles: ['admin'],
    });
    auditor = await createUser(h.db, spain, { username: 'elena.audit', displayName: 'Elena Ruiz', roles: ['auditor'] });

    const session = await login(h.app, officer);
    const opened = await request(h.app.getHttpServer())
      .post('/api/v1/cases')
      .set(bearer(session))
      .send({ caseNumber: CASE_NUMBER, title: 'Operación Niebla', legalAuthority: ['JI-3 Madrid, DP 977/2026'] })
      .expect(201);
    await seize(h.app, session, (opened.body as { id: string }).id, [
      phone({ sealNumber: `${SEAL_PREFIX}01`, serial: 'R58R8XQ1' }),
      hardDrive({ sealNumber: `${SEAL_PREFIX}02` }),
      phone({ sealNumber: `${SEAL_PREFIX}03`, description: 'White smartphone' }),
    ]);
  }, 120_000);

  afterAll(() => h.stop());

  it('officer: shares the case with an agency and a person, revokes one, closes and reopens it with reasons', async () => {
    const { page } = h;
    await h.signIn(officer);
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await page.getByRole('link', { name: CASE_NUMBER }).click();
    await page.getByRole('heading', { name: new RegExp(`Case ${CASE_NUMBER}`) }).waitFor();
    const shares = page.getByRole('region', { name: 'Shared with' });
    await shares.getByText('Not shared: only ES-PN sees this case.').waitFor();

    await shares.getByLabel('Agency').selectOption('PT-MP');
    await shares.getByLabel('Access').selectOption('read');
    await shares.getByRole('button', { name: 'Share', exact: true }).click();
    await shares.getByText('Shared with PT-MP — Ministério Público (read only).').waitFor();

    // One person of another agency: a username that does not exist is refused at the field.
    await shares.getByLabel('Share with', { exact: true }).selectOption('user');
    await shares.getByLabel('Their username').fill('nobody.here');
    await shares.getByRole('button', { name: 'Share', exact: true }).click();
    expect(await h.fieldAlert('Their username', shares)).toMatch(/no active user nobody\.here/);
    await shares.getByLabel('Their username').fill(examiner.username);
    await shares.getByLabel('Access').selectOption('contribute');
    await shares.getByRole('button', { name: 'Share', exact: true }).click();
    await shares.getByText('Shared with Julieta Ferreira (julieta.ferreira, AR-PFA) (contributor).').waitFor();
    await shares.locator('tbody tr').nth(1).waitFor();
    await expect(shares.locator('tbody tr').count()).resolves.toBe(2);

    page.once('dialog', (dialog) => void dialog.accept());
    await shares
      .getByRole('button', { name: 'Revoke the share with Julieta Ferreira (julieta.ferreira, AR-PFA)' })
      .click();
    await shares.getByText('The share with Julieta Ferreira (julieta.ferreira, AR-PFA) was revoked.').waitFor();
    await shares.getByText(/^revoked /).waitFor();
    await expect(shares.getByRole('button', { name: /Revoke the share/ }).count()).resolves.toBe(1);
    await h.screenshot('case-shares');

    await page.getByRole('button', { name: 'Close case…' }).click();
    await page
      .getByLabel('Why is it closed?')
      .fill('Judgment final (SAP Madrid 212/2027); evidence kept until disposal is ordered');
    await h.screenshot('case-close-form');
    await page.getByRole('button', { name: 'Close the case' }).click();
    await page.getByText(`Case ${CASE_NUMBER} closed.`).waitFor();
    await page.locator('h1 .badge', { hasText: 'Closed' }).waitFor();
    const seizure = page.getByRole('button', { name: 'Register seizure' });
    expect(await seizure.isDisabled()).toBe(true);
    // The disabled button says why (aria-describedby points at the banner with the reason).
    expect(await page.locator(`#${await seizure.getAttribute('aria-describedby')}`).textContent()).toMatch(
      /This case is closed since .+ \(Judgment final.*\): no new seizure/,
    );
    await h.screenshot('case-closed');
    // The reason comes from the case itself, not from this session: it is still there after a reload.
    await page.reload();
    await page.locator('#closed-reason', { hasText: 'Judgment final (SAP Madrid 212/2027)' }).waitFor();

    await page.getByRole('button', { name: 'Reopen case…' }).click();
    await page.getByLabel('Why is it reopened?').fill('New search warrant JI-3 Madrid 1001/2027');
    await page.getByRole('button', { name: 'Reopen the case' }).click();
    await page.getByText(`Case ${CASE_NUMBER} reopened: new seizures can be registered.`).waitFor();
    await page.locator('h1 .badge', { hasText: 'Open' }).waitFor();
    expect(await page.getByRole('button', { name: 'Register seizure' }).isEnabled()).toBe(true);

    // The API agrees: two status changes, each with its reason, in the access log of the case.
    const rows = await h.db.query<Array<{ event: string }>>(
      `SELECT event FROM access_log WHERE event IN ('case.close', 'case.reopen') ORDER BY occurred_at`,
    );
    expect(rows.map((row) => row.event)).toEqual(['case.close', 'case.reopen']);
  }, 120_000);

  it('officer: finds items by a seal prefix, corrects a serial, disposes of an item with a witness', async () => {
    const { page } = h;
    await page.getByLabel(/Find an item/).fill(SEAL_PREFIX);
    // What is typed or scanned is readable: dark on the box's white, not the top bar's white ink.
    expect(await page.evaluate<string>(`getComputedStyle(document.getElementById('find-item')).color`)).toBe(
      'rgb(27, 31, 36)',
    );
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Items matching “${SEAL_PREFIX}”` }).waitFor();
    await page.locator('main tbody tr').nth(2).waitFor();
    await expect(page.locator('main tbody tr').count()).resolves.toBe(3);
    await h.screenshot('search-results');
    await page.locator('main tbody tr').first().getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Custody timeline' }).waitFor();
    const itemNumber = (await page.locator('h1 .mono').textContent())!;

    await page.getByRole('button', { name: 'Correct a record…' }).click();
    await page.getByLabel('Serial number').fill('R58R8XQ7');
    await page.getByLabel('Why (for the record)').fill('Serial misread at the scene: the last character is a 7');
    await page.getByLabel('Your password, to sign').fill('not my password');
    await page.getByRole('button', { name: 'Sign and correct' }).click();
    expect(await h.fieldAlert('Your password, to sign')).toMatch(/not your password/);
    await page.getByLabel('Your password, to sign').fill(officer.password);
    await h.screenshot('item-correction-form');
    await page.getByRole('button', { name: 'Sign and correct' }).click();
    await page.getByText(/Correction of ledger #\d+ recorded and signed: serial corrected\./).waitFor();
    await page.locator('dl.facts dd', { hasText: 'R58R8XQ7' }).waitFor();
    await page.locator('ol.timeline dt', { hasText: 'Corrected' }).waitFor();
    const signatures = await page.locator('ol.timeline .signatures li').allTextContents();
    expect(signatures.some((line) => /Ana Morales \(ES-PN, officer\) — corrected/.test(line))).toBe(true);
    await h.screenshot('item-corrected');

    await page.getByRole('button', { name: 'Dispose…' }).click();
    // What happens to evidence is never pre-selected; the "When" says whose clock it is.
    expect(await page.getByLabel('Disposition').inputValue()).toBe('');
    await expect(page.getByText(/^Your local time \(UTC[+-]\d{2}:\d{2}\)$/).count()).resolves.toBe(1);
    await page.getByLabel('Disposition').selectOption('returned_to_owner');
    await page.getByLabel('Authorising order').fill('JI-3 Madrid, auto 311/2027');
    await page.getByLabel('Witness username').fill(clerk.username);
    await page.getByLabel('Witness password').fill('wrong witness password');
    await page.getByLabel('Your password, to sign').fill(officer.password);
    await page.getByRole('button', { name: 'Sign and dispose' }).click();
    // Returned to owner needs the recipient: said at the field, nothing saved.
    expect(await h.fieldAlert('Recipient')).toMatch(/Say who received the item/);
    await page.getByLabel('Recipient').fill('Owner ref. DNI-hash 7c1e');
    await page.getByLabel('Witness password').fill('wrong witness password');
    await page.getByLabel('Your password, to sign').fill(officer.password);
    await page.getByRole('button', { name: 'Sign and dispose' }).click();
    // The API names whose password was wrong: only the witness's field says so.
    expect(await h.fieldAlert('Witness password')).toMatch(/That is not the witness’s password/);
    await expect(page.getByLabel('Your password, to sign').getAttribute('aria-invalid')).resolves.not.toBe('true');
    await h.screenshot('item-dispose-error');
    await page.getByLabel('Witness password').fill(clerk.password);
    await page.getByLabel('Your password, to sign').fill(officer.password);
    await page.getByRole('button', { name: 'Sign and dispose' }).click();
    await page.getByText(`${itemNumber} was disposed of. Nothing but corrections can follow.`).waitFor();
    await page.locator('h1 .badge', { hasText: 'Disposed' }).waitFor();
    const after = await page.locator('ol.timeline .signatures li').allTextContents();
    expect(after.some((line) => /Ana Morales \(ES-PN, officer\) — disposed/.test(line))).toBe(true);
    expect(after.some((line) => /Luis García \(ES-PN, clerk\) — witnessed/.test(line))).toBe(true);
    await expect(page.getByRole('button', { name: 'Dispose…' }).count()).resolves.toBe(0);
    await h.screenshot('item-disposed');
    await h.signOut();
  }, 120_000);

  it('officer: imports the reference hashes of a drive from its acquisition log, confirming the warnings, and signs', async () => {
    const { page } = h;
    await h.signIn(officer);
    await page.getByLabel(/Find an item/).fill(`${SEAL_PREFIX}02`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Custody timeline' }).waitFor();
    await page.getByRole('button', { name: 'Import hashes from a log…' }).click();
    await page
      .getByLabel('Log text')
      .fill(readFileSync('test/fixtures/forensic-logs/ftk-imager-EV-07.E01.txt', 'utf8'));
    await page.getByRole('button', { name: 'Read the log' }).click();
    const preview = page.getByRole('region', { name: 'What would be recorded' });
    await preview.getByRole('heading', { name: /^FTK Imager log: the reference of/ }).waitFor();
    // Nothing is recorded until every warning (the log's case and evidence numbers are not this item's) is confirmed.
    const sign = preview.getByRole('button', { name: 'Sign and import' });
    const warnings = preview.getByRole('checkbox');
    expect(await warnings.count()).toBeGreaterThan(0);
    expect(await sign.isDisabled()).toBe(true);
    for (const warning of await warnings.all()) await warning.check();
    await preview.getByLabel('Your password, to sign').fill(officer.password);
    await h.screenshot('item-import-preview');
    await sign.click();
    await page.getByText(/Reference hashes of “.+” imported from the FTK Imager log and signed\./).waitFor();
    const [{ n }] = await h.db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM hash_record h JOIN item i ON i.id = h.item_id WHERE i.seal_number = $1 AND h.role = 'reference' AND h.tool = 'FTK Imager'`,
      [`${SEAL_PREFIX}02`],
    );
    expect(n).toBeGreaterThan(0);
    await h.signOut();
  }, 120_000);

  it('prosecutor of the agency it is shared with: read only, no owner controls', async () => {
    const { page } = h;
    await h.signIn(prosecutor);
    await page.getByText('Shared with you by other agencies').waitFor();
    await page.getByRole('link', { name: CASE_NUMBER }).click();
    await page.getByRole('heading', { name: new RegExp(`Case ${CASE_NUMBER}`) }).waitFor();
    await page.getByText(/read only · shared with you/).waitFor();
    await expect(page.getByRole('button', { name: /Close case|Reopen case|Register seizure/ }).count()).resolves.toBe(
      0,
    );
    await expect(page.getByRole('region', { name: 'Shared with' }).count()).resolves.toBe(0);
    await h.signOut();
  }, 60_000);

  it('agency administrator: creates a user, resets a password, disables and enables', async () => {
    const { page } = h;
    await h.signIn(agencyAdmin);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('Username').fill('pedro.ruiz');
    await page.getByLabel('Full name (printed on signatures)').fill('Pedro Ruiz');
    await page.getByLabel('clerk', { exact: true }).check();
    await page.getByLabel('Time zone of their tools (optional)').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Create user' }).click();
    expect(await h.fieldAlert('Time zone of their tools (optional)')).toMatch(/time.?zone/i);
    await page.getByLabel('Time zone of their tools (optional)').fill('Europe/Madrid');
    await h.screenshot('admin-new-user');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText(/Created pedro\.ruiz\./).waitFor();
    const initial = (await page.locator('.banner .secret').textContent())!;
    // The password shown once works, and must be replaced at first sign-in.
    const first = await login(h.app, { username: 'pedro.ruiz', password: initial });
    expect(first.user).toMatchObject({ roles: ['clerk'], mustChangePassword: true });
    const row = page.locator('tr', { has: page.getByRole('cell', { name: 'pedro.ruiz', exact: true }) });
    await row.getByText('must change password').waitFor();

    // The same username again: refused at the field.
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('Username').fill('pedro.ruiz');
    await page.getByLabel('Full name (printed on signatures)').fill('Pedro Ruiz');
    await page.getByLabel('officer', { exact: true }).check();
    await page.getByRole('button', { name: 'Create user' }).click();
    expect(await h.fieldAlert('Username')).toMatch(/taken/);
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Reset password of pedro.ruiz' }).click();
    const temporary = await page.getByLabel('Temporary password').inputValue();
    expect(temporary).toHaveLength(16);
    await page.getByRole('button', { name: 'Set temporary password' }).click();
    await page.getByText(/New temporary password of pedro\.ruiz/).waitFor();
    expect(await page.locator('.banner .secret').textContent()).toBe(temporary);
    await login(h.app, { username: 'pedro.ruiz', password: temporary });
    await request(h.app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ username: 'pedro.ruiz', password: initial })
      .expect(401);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Disable pedro.ruiz' }).click();
    await page.getByText('Pedro Ruiz is disabled.').waitFor();
    await row.getByText('disabled', { exact: true }).waitFor();
    const refused = await request(h.app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ username: 'pedro.ruiz', password: temporary });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await h.screenshot('admin-users');
    await page.getByRole('button', { name: 'Enable pedro.ruiz' }).click();
    await page.getByText('Pedro Ruiz is enabled.').waitFor();
    await login(h.app, { username: 'pedro.ruiz', password: temporary });
    // An agency administrator creates no agency.
    await expect(page.getByRole('button', { name: 'Create agency' }).count()).resolves.toBe(0);
    await h.signOut();
  }, 120_000);

  it('platform administrator: creates an agency; a taken code is refused at the field', async () => {
    const { page } = h;
    await h.signIn(platformAdmin);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const form = page.getByRole('form', { name: 'New agency' });
    await form.getByLabel('Code').fill('ES-PN');
    await form.getByLabel('Name').fill('Policía Nacional (again)');
    await form.getByLabel('Country').fill('ES');
    await form.getByRole('button', { name: 'Create agency' }).click();
    expect(await h.fieldAlert('Code', form)).toMatch(/already exists/);
    await form.getByLabel('Code').fill('ES-GC');
    await form.getByLabel('Name').fill('Guardia Civil');
    await form.getByRole('button', { name: 'Create agency' }).click();
    await page.getByText('Agency ES-GC created: create its first administrator under Users.').waitFor();
    await page.getByRole('cell', { name: 'Guardia Civil' }).waitFor();
    const rows = await h.db.query<Array<{ name: string }>>(`SELECT name FROM agency WHERE code = 'ES-GC'`);
    expect(rows).toEqual([{ name: 'Guardia Civil' }]);
    await h.screenshot('platform-admin');
    await h.signOut();
  }, 60_000);

  it('auditor: signs a checkpoint, has the whole ledger verified, filters the access log', async () => {
    const { page } = h;
    await h.signIn(auditor);
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    await page.getByRole('button', { name: 'Sign a checkpoint now' }).click();
    await page.getByText(/Checkpoint signed: \d+ entries\./).waitFor();
    const ledger = page.locator('.card', { has: page.getByRole('heading', { name: 'Ledger' }) });
    const size = await h.db.query<Array<{ n: string }>>('SELECT count(*) AS n FROM ledger_entry');
    await ledger.locator('dd', { hasText: new RegExp(`^${size[0].n}$`) }).waitFor();
    // A full verification, run by the server in the background; the panel asks until it has ended.
    await page.getByRole('button', { name: 'Verify the whole ledger now' }).click();
    await ledger
      .locator('dd', { hasText: new RegExp(`✓ verified ${size[0].n} entries, by Elena Ruiz, took \\d+\\.\\d s`) })
      .waitFor();
    await expect(page.getByRole('button', { name: 'Verify the whole ledger now' }).isEnabled()).resolves.toBe(true);

    const filters = page.getByRole('form', { name: 'Access log filters' });
    await filters.getByLabel('Event').selectOption('case.share_revoke');
    await filters.getByRole('button', { name: 'Filter' }).click();
    const entries = page.getByRole('table', { name: 'Access log entries' });
    // The filtered page replaces the unfiltered one (which has a case.share_revoke row too): wait
    // until no other row is left, then for the filtered row. (waitForFunction would eval: the CSP forbids it.)
    await entries
      .locator('tbody tr')
      .filter({ hasNotText: 'case.share_revoke' })
      .first()
      .waitFor({ state: 'detached' });
    await entries.locator('tbody tr', { hasText: 'case.share_revoke' }).first().waitFor();
    await expect(entries.locator('tbody tr').count()).resolves.toBe(1);
    expect(await entries.locator('tbody tr').textContent()).toContain(officer.username);
    // The event in words for the auditor, its code beside it.
    expect(await entries.locator('tbody tr').textContent()).toContain('Case share revoked');

    await filters.getByLabel('Event').selectOption('');
    await filters.getByLabel('Outcome').selectOption('failure');
    await filters.getByLabel('Username').fill(officer.username);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await entries.locator('tbody tr', { hasText: 'signature.sign' }).first().waitFor();
    for (const text of await entries.locator('tbody tr').allTextContents()) expect(text).toContain('failure');
    await h.screenshot('auditor');
    await h.signOut();
  }, 60_000);

  it('loaded nothing from elsewhere and raised no script or CSP error', () => {
    expect(h.problems).toEqual([]);
  });
});
