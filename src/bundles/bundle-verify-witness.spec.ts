import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { actor, party, person, SyntheticLedger } from '../../test/utils/bundle-fixtures.js';
import { addSignatureLines, generateCosignerKeys, parseCosignerKey } from '../ledger/core/index.js';
import { runBundleVerify } from './bundle-verify.command.js';

/** `custos verify --witness … --min-witnesses N`: the bundle's checkpoint must carry the cosignatures. */
describe('custos verify with witnesses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-verify-witness-'));
  const ledger = new SyntheticLedger();
  const item = { type: 'item' as const, id: randomUUID(), number: 'ES-PN-2026-000001' };
  const ana = person('Ana Morales', 'officer');
  ledger.append({
    type: 'item.seized',
    actor: actor(ana),
    subject: item,
    data: {
      item: {
        kind: 'mobile_phone',
        description: 'Black smartphone',
        make: null,
        model: null,
        serial: null,
        imeis: [],
        iccid: null,
        macAddresses: [],
        capacityBytes: null,
        condition: null,
        powerState: null,
        sealNumber: 'SEAL-1',
        occurredAt: '2026-11-20T09:14:00+01:00',
        place: 'Calle Mayor 12',
        seizedFrom: null,
        legalAuthority: null,
        parent: null,
      },
      custodian: party(ana),
      location: null,
    },
  });
  const [w1, w2, w3] = ['witness.test/w1', 'witness.test/w2', 'witness.test/w3'].map((name) =>
    generateCosignerKeys(name),
  );
  const bundle = ledger.bundle(item, [0]);
  const text = bundle.checkpoint.slice(0, bundle.checkpoint.indexOf('\n\n') + 1);
  const cosign = (keys: { signerKey: string }): string => parseCosignerKey(keys.signerKey).cosign(text, 1_796_000_000);
  const witnessed = { ...bundle, checkpoint: addSignatureLines(bundle.checkpoint, cosign(w1) + cosign(w2)) };

  const run = async (value: object, ...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const file = join(dir, `${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(value));
    let out = '';
    let err = '';
    const code = await runBundleVerify([file, '--key', ledger.keys.verifierKey, ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    return { code, out, err };
  };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a checkpoint cosigned by every witness given, and says by whom', async () => {
    const result = await run(witnessed, '--witness', w1.verifierKey, '--witness', w2.verifierKey);
    expect(result.code).toBe(0);
    expect(result.out).toContain('checkpoint cosigned by witnesses: witness.test/w1, witness.test/w2');
  });

  it('fails naming the missing witness when one required cosignature is absent', async () => {
    const result = await run(witnessed, '--witness', w1.verifierKey, '--witness', w3.verifierKey);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /1 valid witness cosignature\(s\) \(witness\.test\/w1\) but 2 are required; missing: witness\.test\/w3/,
    );
  });

  it('accepts --min-witnesses of the given witnesses, and refuses a bundle with none', async () => {
    const args = ['--witness', w1.verifierKey, '--witness', w2.verifierKey, '--witness', w3.verifierKey];
    expect((await run(witnessed, ...args, '--min-witnesses', '2')).code).toBe(0);
    expect((await run(witnessed, ...args)).code).toBe(1);
    const bare = await run(bundle, '--witness', w1.verifierKey);
    expect(bare.code).toBe(1);
    expect(bare.out).toContain('0 valid witness cosignature(s)');
  });

  it('fails on a cosignature that does not verify', async () => {
    const forged = parseCosignerKey(w1.signerKey).cosign(text.replace('\n1\n', '\n2\n'), 1_796_000_000);
    const result = await run(
      { ...bundle, checkpoint: addSignatureLines(bundle.checkpoint, forged) },
      '--witness',
      w1.verifierKey,
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain('a witness cosignature on the checkpoint is invalid');
  });

  it('refuses a witness key that is not a cosignature key as a usage error', async () => {
    expect((await run(witnessed, '--witness', ledger.keys.verifierKey)).code).toBe(64);
    expect((await run(witnessed, '--witness', w1.verifierKey, '--min-witnesses', '2')).code).toBe(64);
  });
});
