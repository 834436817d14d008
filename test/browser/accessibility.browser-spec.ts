import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import request from 'supertest';

import { shareCase } from '../factories/case.factory.js';
import { hardDrive, phone, recordHashes, release, seize } from '../factories/custody.factory.js';
import { bearer, createAgency, createUser, login, type TestUser } from '../factories/identity.factory.js';
import { BrowserHarness } from './browser-harness.js';

/** axe-core's browser build, evaluated in the page through the DevTools protocol (the app's CSP allows no inline script). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.1 A and AA: what EN 301 549 requires of public-sector software in the EU. */
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface Finding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Accessibility (ADR 0071): every screen each of the six roles reaches — with its forms and dialogs
 * open where a person would open them — is checked with axe-core's WCAG 2.1 A/AA rules in Chromium.
 * A serious or critical violation fails the test with a readable list (screen, rule, elements).
 */
describe('the web app in a browser: WCAG 2.1 AA on every screen of every role', () => {
  const h = new BrowserHarness('a');
  const users: Record<string, TestUser> = {};
  let caseId: string;
  let phoneId: string;
  let driveId: string;
  let keptId: string;
  const failures: string[] = [];
  const audited: string[] = [];

  /** Runs axe on the page as it is now; records serious and critical violations under `screen`. */
  const audit = async (screen: string): Promise<void> => {
    const { page } = h;
    await page.locator('main').first().waitFor();
    await page
      .locator('.loading')
      .first()
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate<void>(AXE_SOURCE);
    const findings = await page.evaluate<Finding[]>(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_21_AA)} }, resultTypes: ['violations'] })
         .then((result) => result.violations.map((v) => ({
           id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((node) => node.target.join(' ')),
         })))`,
    );
    audited.push(screen);
    for (const finding of findings) {
      if (finding.impact !== 'serious' && finding.impact !== 'critical') continue;
      failures.push(
        `${screen}: ${finding.id} (${finding.impact}) — ${finding.help}; ${finding.targets.length} element(s): ${finding.targets.join(', ')}`,
      );
    }
  };
  const open = async (path: string): Promise<void> => {
    await h.page.goto(`${h.baseUrl}${path}`);
  };
  const click = async (name: string | RegExp): Promise<void> => {
    await h.page.getByRole('button', { name }).first().click();
  };

  beforeAll(async () => {
    await h.start();
    const spain = await createAgency(h.db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const portugal = await createAgency(h.db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    users.officer = await createUser(h.db, spain, {
      username: 'ana.morales',
      displayName: 'Ana Morales',
      roles: ['officer'],
    });
    users.clerk = await createUser(h.db, spain, {
      username: 'luis.garcia',
      displayName: 'Luis García',
      roles: ['clerk'],
    });
    users.examiner = await createUser(h.db, spain, {
      username: 'eva.lab',
      displayName: 'Eva Lab',
      roles: ['examiner'],
    });
    users.prosecutor = await createUser(h.db, portugal, {
      username: 'rui.tavares',
      displayName: 'Rui Tavares',
      roles: ['prosecutor'],
    });
    users.auditor = await createUser(h.db, spain, {
      username: 'elena.audit',
      displayName: 'Elena Ruiz',
      roles: ['auditor'],
    });
    users.admin = await createUser(h.db, spain, {
      username: 'marta.admin',
      displayName: 'Marta Vidal',
      roles: ['admin'],
    });
    users.platform = await createUser(h.db, null, {
      username: 'platform.root',
      displayName: 'Platform',
      roles: ['admin'],
    });

    const officer = await login(h.app, users.officer);
    const opened = await request(h.app.getHttpServer())
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'DIL-2026/2100', title: 'Operación Lince', legalAuthority: ['JI-3 Madrid, DP 2100/2026'] })
      .expect(201);
    caseId = (opened.body as { id: string }).id;
    await shareCase(h.db, caseId, { agencyId: portugal.id }, 'read', users.officer.id);
    const [seizedPhone, drive, kept] = await seize(h.app, officer, caseId, [phone(), hardDrive(), phone()]);
    phoneId = seizedPhone.id;
    driveId = drive.id;
    await recordHashes(h.app, officer, phoneId, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: 'a'.repeat(64) }],
      tool: 'Cellebrite UFED',
      toolVersion: '7.69',
      occurredAt: '2026-11-20T10:00:00+01:00',
      signature: { password: users.officer.password, meaning: 'acquired' },
    });
    // Waiting for the clerk and the examiner: their inboxes have a receipt to open.
    await release(h.app, officer, [phoneId], users.clerk.username, 'Storage');
    await release(h.app, officer, [driveId], users.examiner.username, 'Acquisition');
    keptId = kept.id;
  }, 120_000);

  afterAll(() => h.stop());

  it('sign-in screen', async () => {
    await open('/');
    await h.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await audit('sign-in');
  }, 60_000);

  it('officer: cases, case, seizure form, item with its forms, inbox, items held, search, password', async () => {
    const { page } = h;
    await h.signIn(users.officer);
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await audit('officer › cases');
    await open(`/cases/${caseId}`);
    await page.getByRole('heading', { name: /Case DIL-2026\/2100/ }).waitFor();
    await audit('officer › case');
    await click('Close case…');
    await audit('officer › case › close form');
    await open(`/cases/${caseId}/seize`);
    await page.getByLabel('Place').waitFor();
    await audit('officer › seizure form');
    await open('/mine');
    await page.getByRole('heading', { name: 'Items I hold' }).waitFor();
    await audit('officer › items I hold');
    await open(`/items/${keptId}`);
    await page.getByRole('button', { name: 'Hand over' }).waitFor();
    await audit('officer › item');
    await click('Record hashes');
    await audit('officer › item › record hashes');
    await click('Cancel');
    await click('Hand over');
    await audit('officer › item › hand over');
    await open('/inbox');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await audit('officer › inbox');
    await open('/search?q=ES-PN');
    await page.locator('main h1').first().waitFor();
    await audit('officer › search results');
    await open('/password');
    await page
      .getByRole('heading', { name: /password/i })
      .first()
      .waitFor();
    await audit('officer › password');
    await h.signOut();
  }, 180_000);

  it('clerk: inbox with the receipt form, cases, item, items held', async () => {
    const { page } = h;
    await h.signIn(users.clerk);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await audit('clerk › inbox');
    await click('Check and sign receipt…');
    await audit('clerk › inbox › receipt form');
    await page.getByLabel('Reject the transfer (items stay with the sender)').check();
    await audit('clerk › inbox › rejection form');
    await open('/cases');
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await audit('clerk › cases');
    await open(`/items/${phoneId}`);
    await page.getByRole('button', { name: 'Court report (PDF)' }).waitFor();
    await audit('clerk › item');
    await open('/mine');
    await page.getByRole('heading', { name: 'Items I hold' }).waitFor();
    await audit('clerk › items I hold');
    await h.signOut();
  }, 120_000);

  it('examiner: inbox with the receipt form, case, item', async () => {
    const { page } = h;
    await h.signIn(users.examiner);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await click('Check and sign receipt…');
    await audit('examiner › inbox › receipt form');
    await page.getByLabel('Your password, to sign').fill(users.examiner.password);
    await click('Sign and accept');
    await page.getByText(/Received 1 item/).waitFor();
    await open(`/items/${driveId}`);
    await page.getByRole('button', { name: 'Register image / extraction' }).waitFor();
    await audit('examiner › item');
    await click('Register image / extraction');
    await audit('examiner › item › register image');
    await click('Cancel');
    await click('Import hashes from a log…');
    await page.getByRole('button', { name: 'Read the log' }).waitFor();
    await audit('examiner › item › import log');
    await open(`/cases/${caseId}`);
    await page.getByRole('heading', { name: /Case DIL-2026\/2100/ }).waitFor();
    await audit('examiner › case');
    await h.signOut();
  }, 120_000);

  it('prosecutor: cases shared with them, case, item (read only)', async () => {
    const { page } = h;
    await h.signIn(users.prosecutor);
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    await audit('prosecutor › cases');
    await open(`/cases/${caseId}`);
    await page.getByRole('heading', { name: /Case DIL-2026\/2100/ }).waitFor();
    await audit('prosecutor › case');
    await open(`/items/${phoneId}`);
    await page.getByRole('button', { name: 'Court report (PDF)' }).waitFor();
    await audit('prosecutor › item');
    await h.signOut();
  }, 120_000);

  it('auditor: audit screen with the access log, case', async () => {
    const { page } = h;
    await h.signIn(users.auditor);
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    await page.getByRole('table', { name: 'Access log entries' }).waitFor();
    await audit('auditor › audit');
    await open(`/cases/${caseId}`);
    await page.getByRole('heading', { name: /Case DIL-2026\/2100/ }).waitFor();
    await audit('auditor › case');
    await h.signOut();
  }, 120_000);

  it('administrators: users, New user, Reset password; platform: agencies and access log', async () => {
    const { page } = h;
    await h.signIn(users.admin);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await audit('admin › administration');
    await click('New user');
    await audit('admin › administration › new user');
    await click('Cancel');
    await click(`Reset password of ${users.officer.username}`);
    await audit('admin › administration › reset password');
    await h.signOut();
    await h.signIn(users.platform);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('table', { name: 'Access log entries' }).waitFor();
    await audit('platform admin › administration');
    await h.signOut();
  }, 120_000);

  it('no serious or critical WCAG 2.1 A/AA violation on any screen', () => {
    expect(audited.length).toBeGreaterThanOrEqual(27);
    expect(failures.join('\n')).toBe('');
  });

  it('loaded nothing from elsewhere and raised no script or CSP error', () => {
    expect(h.problems).toEqual([]);
  });
});
