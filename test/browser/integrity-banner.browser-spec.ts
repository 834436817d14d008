import { LedgerMonitorService } from '../../src/ledger/ledger-monitor.service.js';
import { createAgency, createUser, type TestUser } from '../factories/identity.factory.js';
import { BrowserHarness } from './browser-harness.js';

/**
 * When the ledger's integrity check has failed, every signed-in user sees it on every screen
 * (issue #16 item 4): what broke and where, with no case data, and whether custody changes are
 * refused meanwhile. Nothing is shown while all is well.
 */
describe('the web app in a browser: the ledger integrity banner', () => {
  const h = new BrowserHarness('i');
  let officer: TestUser;
  let auditor: TestUser;
  const banner = (): ReturnType<typeof h.page.getByRole> =>
    h.page.getByRole('alert').filter({ hasText: 'Ledger integrity check failed' });

  beforeAll(async () => {
    await h.start();
    const spain = await createAgency(h.db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    officer = await createUser(h.db, spain, {
      username: 'ana.morales',
      displayName: 'Ana Morales',
      roles: ['officer'],
    });
    auditor = await createUser(h.db, spain, { username: 'elena.ruiz', displayName: 'Elena Ruiz', roles: ['auditor'] });
  });

  afterAll(async () => {
    await h.stop();
  });

  it('is absent while the ledger is sound, and shown to an officer and an auditor once it has failed', async () => {
    await h.signIn(officer);
    await h.page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    expect(await banner().count()).toBe(0);

    await h.app.get(LedgerMonitorService).alarm({
      kind: 'leaf',
      index: 41,
      reason: 'entry 41: its bytes do not hash to its stored leaf hash',
      source: 'monitor',
    });
    await h.page.reload();
    await banner().waitFor();
    expect(await banner().innerText()).toMatch(
      /^Ledger integrity check failed at entry 41: an entry's bytes do not match its hash \(.+\)\. Custody changes are refused until it is repaired and verified\. Operators have been alerted\.$/,
    );
    await h.screenshot('integrity-banner-officer');

    await h.signOut();
    await h.signIn(auditor);
    await banner().waitFor();
    await h.screenshot('integrity-banner-auditor');
    expect(h.problems.filter((problem) => !problem.includes('503'))).toEqual([]);
  });
});
