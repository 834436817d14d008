import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CheckpointService } from '../../src/ledger/checkpoint.service.js';
import { generateCosignerKeys } from '../../src/ledger/core/index.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { LedgerWitnessingService } from '../../src/ledger/witnessing/ledger-witnessing.service.js';
import { createAgency, createUser, type TestUser } from '../factories/identity.factory.js';
import { appendEntries } from '../utils/ledger-fixtures.js';
import { BrowserHarness } from './browser-harness.js';

/**
 * Auditors and administrators see when the ledger's outside checks fail (issue 15): a witness that
 * refuses or cannot be reached — which one, why, and what stays published — and a signer that
 * refused the tree. Custody staff see neither: it is not theirs to act on.
 */
describe('the web app in a browser: the signer and witnessing banner', () => {
  const h = new BrowserHarness('w');
  const dir = mkdtempSync(join(tmpdir(), 'custos-trust-banner-'));
  const record = join(dir, 'ledger-signed-head.json');
  let officer: TestUser;
  let auditor: TestUser;
  let admin: TestUser;
  const witnessingBanner = (): ReturnType<typeof h.page.getByRole> =>
    h.page.getByRole('alert').filter({ hasText: 'Witnessing failing' });
  const signerBanner = (): ReturnType<typeof h.page.getByRole> =>
    h.page.getByRole('alert').filter({ hasText: 'Checkpoint signing stopped' });

  beforeAll(async () => {
    // Port 9 (discard) has no listener here: the witness cannot be reached.
    const witness = generateCosignerKeys('witness.test/w1').verifierKey;
    await h.start({
      LEDGER_WITNESSES: `http://127.0.0.1:9 ${witness}`,
      LEDGER_WITNESS_INTERVAL_MS: '86400000',
      LEDGER_SIGNED_HEAD_FILE: record,
    });
    const spain = await createAgency(h.db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    officer = await createUser(h.db, spain, {
      username: 'ana.morales',
      displayName: 'Ana Morales',
      roles: ['officer'],
    });
    auditor = await createUser(h.db, spain, { username: 'elena.ruiz', displayName: 'Elena Ruiz', roles: ['auditor'] });
    admin = await createUser(h.db, spain, { username: 'luis.gil', displayName: 'Luis Gil', roles: ['admin'] });
  });

  afterAll(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is absent before any witness was asked, then names the unreachable witness to auditors', async () => {
    await h.signIn(auditor);
    await h.page.getByRole('heading', { name: 'Audit', exact: true }).waitFor();
    expect(await witnessingBanner().count()).toBe(0);

    // A real round: the checkpoint is signed, the one witness cannot be reached, nothing is published.
    expect(await h.app.get(LedgerWitnessingService).witnessNow()).toBeNull();
    await h.page.reload();
    await witnessingBanner().waitFor();
    expect(await witnessingBanner().innerText()).toMatch(
      /^Witnessing failing: fewer than 1 of 1 witnesses cosign, so no newer checkpoint is published\. The published checkpoint covers nothing yet\.\nwitness\.test\/w1 could not be reached: .+ \(checked .+; it holds 0 entries; last cosigned never\)$/,
    );
    expect(await signerBanner().count()).toBe(0);
    // The Ledger panel says the same as facts: who signs, which witnesses cosign, what is published.
    const panel = h.page.locator('dl.outside-checks');
    await panel.getByText('0 of 1 cosigning (quorum 1); last witnessed: none').waitFor();
    expect(await panel.getByText('unreachable', { exact: true }).count()).toBe(1);
    expect(await panel.getByText('signing', { exact: true }).count()).toBe(1);
    await h.screenshot('witnessing-banner-auditor');
  });

  it('tells an administrator that the signer refused the tree, and tells an officer nothing', async () => {
    // The signer's record claims a head far beyond the tree: what restoring an old database looks like.
    writeFileSync(
      record,
      `${JSON.stringify({ treeSize: 1_000_000, rootHash: 'ab'.repeat(32), signedAt: '2026-12-01T09:00:00.000Z' })}\n`,
      { mode: 0o600 },
    );
    await appendEntries(h.db, h.app.get(LedgerService), 2);
    await expect(h.app.get(CheckpointService).checkpointNow()).rejects.toThrow();
    await h.signOut();
    await h.signIn(admin);
    await signerBanner().waitFor();
    expect(await signerBanner().innerText()).toMatch(
      /^Checkpoint signing stopped: the signer refused the ledger's tree of \d+ entries: .*1000000.* \(.+\)\. The last head it signed has 1000000 entries \(.+\); nothing newer is signed until an operator decides what happened\.$/,
    );
    await witnessingBanner().waitFor();
    await h.page.locator('dl.outside-checks').getByText('refused to sign').waitFor();
    await h.screenshot('signer-banner-admin');

    await h.signOut();
    await h.signIn(officer);
    await h.page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    expect(await signerBanner().count()).toBe(0);
    expect(await witnessingBanner().count()).toBe(0);
    expect(h.problems.filter((problem) => !problem.includes('503'))).toEqual([]);
  });
});
