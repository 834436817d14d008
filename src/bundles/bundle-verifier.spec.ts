import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import {
  actor,
  party,
  person,
  sign,
  SYNTHETIC_ORIGIN,
  SyntheticLedger,
  type Person,
} from '../../test/utils/bundle-fixtures.js';
import type { ItemDescription } from '../custody/custody-events.js';
import {
  canonicalBytes,
  canonicalize,
  eventHash,
  leafHash,
  nodeHash,
  parseVerifierKey,
  signedContent,
  type CustodyBundle,
  type LedgerEntry,
} from '../ledger/core/index.js';
import { formatBundleVerification, verifyBundle } from './bundle-verifier.js';

const SHA256_A = 'a'.repeat(64);
const SHA256_B = 'b'.repeat(64);

function description(overrides: Partial<ItemDescription> = {}): ItemDescription {
  return {
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
    ...overrides,
  };
}

/**
 * A ledger in memory: Ana seizes a phone (0), releases it to Luis (1), Luis accepts (2), records
 * its reference hash (3) and re-verifies it (4). Each step can be spoiled the way a service bug or a
 * forger with the signing key would spoil it: every signature and proof still holds, only the
 * custody rules can tell.
 */
interface Story {
  releaser?: Person;
  releaseSigned?: boolean;
  bindingOf?: string;
  verification?: { value: string; result: string; referenceIndex?: number };
  secondReference?: boolean;
  weak?: boolean;
  /** Hand-over times the release and the acceptance state (ADR 0033); `forgedRelease` replaces the release's after signing. */
  handOver?: { released?: string; accepted?: string; forgedRelease?: string };
}

function story(options: Story = {}): {
  ledger: SyntheticLedger;
  item: { type: 'item'; id: string; number: string };
  people: Record<string, Person>;
} {
  const ana = person('Ana Morales', 'officer');
  const luis = person('Luis Garcia', 'clerk');
  const eve = person('Eve Stranger', 'officer', 'AR-PFA');
  const ledger = new SyntheticLedger();
  const item = { type: 'item' as const, id: randomUUID(), number: 'ES-PN-2026-000009' };
  const transfer = { type: 'transfer', id: randomUUID() };
  ledger.append({
    type: 'item.seized',
    actor: actor(ana),
    subject: item,
    data: { item: description(), custodian: party(ana), location: null },
  });
  const releaser = options.releaser ?? ana;
  const release = {
    type: 'transfer.released',
    actor: actor(releaser),
    subject: transfer,
    data: {
      from: party(releaser),
      to: party(luis),
      purpose: 'Storage',
      items: [{ id: item.id, number: item.number }],
      ...(options.handOver?.released === undefined ? {} : { occurredAt: options.handOver.released }),
    },
  };
  let signedRelease =
    options.releaseSigned === false ? { ...release, signatures: [] } : sign(release, [releaser, 'released']);
  if (options.handOver?.forgedRelease !== undefined) {
    // Bound to the release as signed, then given another time.
    const { signatures: _signatures, ...unsigned } = signedRelease;
    const signedHash = eventHash({ ...unsigned, case: ledger.caseRef });
    signedRelease = {
      ...signedRelease,
      signatures: signedRelease.signatures!.map((s) => ({ ...s, eventHash: signedHash })),
      data: { ...signedRelease.data, occurredAt: options.handOver.forgedRelease },
    };
  }
  ledger.append(
    options.bindingOf === undefined
      ? signedRelease
      : {
          ...signedRelease,
          signatures: signedRelease.signatures!.map((s) => ({ ...s, eventHash: options.bindingOf! })),
        },
  );
  ledger.append(
    sign(
      {
        type: 'transfer.accepted',
        actor: actor(luis),
        subject: transfer,
        data: {
          from: party(releaser),
          to: party(luis),
          items: [{ id: item.id, number: item.number, sealIntact: true, sealNote: null, hashes: [] }],
          location: 'Madrid/HQ',
          ...(options.handOver?.accepted === undefined ? {} : { occurredAt: options.handOver.accepted }),
        },
      },
      [luis, 'received'],
    ),
  );
  const reference = {
    target: 'device',
    role: 'reference',
    tool: null,
    occurredAt: '2026-11-21T10:00:00+01:00',
    values: [{ algorithm: 'sha256', value: SHA256_A }],
    weak: options.weak ?? false,
  };
  ledger.append(
    sign({ type: 'hash.recorded', actor: actor(luis), subject: item, data: reference }, [luis, 'acquired']),
  );
  const verification = options.verification ?? { value: SHA256_A, result: 'match', referenceIndex: 3 };
  ledger.append(
    options.secondReference
      ? sign({ type: 'hash.recorded', actor: actor(luis), subject: item, data: reference }, [luis, 'acquired'])
      : {
          type: 'hash.recorded',
          actor: actor(luis),
          subject: item,
          data: {
            target: 'device',
            role: 'verification',
            tool: null,
            occurredAt: '2026-11-22T10:00:00+01:00',
            values: [{ algorithm: 'sha256', ...verification }],
          },
        },
  );
  return { ledger, item, people: { ana, luis, eve } };
}

const reasonOf = (bundle: CustodyBundle, key?: string): string => {
  const result = verifyBundle(bundle, key === undefined ? {} : { trustedKey: key });
  if (result.ok) throw new Error('the bundle verified');
  return result.reason;
};

describe('bundle verifier: custody rules over genuine signatures and proofs', () => {
  it('accepts a sound chain and tells its story', () => {
    const { ledger, item } = story();
    const result = verifyBundle(ledger.bundle(item, [0, 1, 2, 3, 4]), { trustedKey: ledger.keys.verifierKey });
    if (!result.ok) throw new Error(result.reason);
    const [report] = result.report.items;
    expect(report.custodians.map((spell) => spell.custodian.displayName)).toEqual(['Ana Morales', 'Luis Garcia']);
    expect(report).toMatchObject({
      integrity: 'intact',
      state: 'in_custody',
      location: 'Madrid/HQ',
      verifications: { match: 1, mismatch: 0, notCompared: 0 },
    });
    const text = formatBundleVerification(result);
    expect(text).toContain('custodians in order: Ana Morales (ES-PN) from #0 → Luis Garcia (ES-PN) from #2');
    expect(text).toContain('signed "released" by Ana Morales (officer, ES-PN)');
    expect(text).toMatch(/VERIFIED: item ES-PN-2026-000009, 5 entries/);
  });

  it('prints the hand-over times the transfer entries state; one received before its release does not pass', () => {
    const handOver = { released: '2026-11-20T13:05:00+01:00', accepted: '2026-11-20T16:40:00+01:00' };
    const { ledger, item } = story({ handOver });
    const result = verifyBundle(ledger.bundle(item, [0, 1, 2, 3, 4]), { trustedKey: ledger.keys.verifierKey });
    if (!result.ok) throw new Error(result.reason);
    const text = formatBundleVerification(result);
    expect(text).toContain(
      'released by Ana Morales (ES-PN) to Luis Garcia (ES-PN) on 2026-11-20T13:05:00+01:00: Storage',
    );
    expect(text).toContain('received by Luis Garcia (ES-PN) from Ana Morales (ES-PN) on 2026-11-20T16:40:00+01:00');

    const early = story({ handOver: { ...handOver, accepted: '2026-11-20T12:59:00+01:00' } });
    expect(reasonOf(early.ledger.bundle(early.item, [0, 1, 2, 3, 4]))).toMatch(
      /^entry 2: transfer .* is received at 2026-11-20T12:59:00\+01:00, before its release at 2026-11-20T13:05:00\+01:00$/,
    );
  });

  it('a hand-over time changed after signing: the signature is bound to another event', () => {
    const { ledger, item } = story({
      handOver: { released: '2026-11-20T13:05:00+01:00', forgedRelease: '2026-11-19T13:05:00+01:00' },
    });
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]))).toBe(
      'a signature of entry 1 (released by ana.morales) is bound to another event',
    );
  });

  it('a bundle without the release — even with a statement that agrees — does not pass: the acceptance accepts a transfer never released', () => {
    const { ledger, item } = story();
    expect(reasonOf(ledger.bundle(item, [0, 2, 3, 4]))).toMatch(
      /^entry 2: transfer\.accepted of ES-PN-2026-000009, which is not pending in transfer /,
    );
  });

  it('a release by someone who is not the custodian names both, by name', () => {
    const { ledger, item, people } = story({ releaser: person('Eve Stranger', 'officer', 'AR-PFA') });
    const reason = reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]));
    expect(reason).toMatch(
      /^entry 1: release of ES-PN-2026-000009 by Eve Stranger \(AR-PFA\), but its custodian is Ana Morales \(ES-PN\)$/,
    );
    expect(reason).not.toContain(people.ana.id);
  });

  it("a release without the releaser's signature", () => {
    const { ledger, item } = story({ releaseSigned: false });
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]))).toMatch(
      /^entry 1: transfer\.released lacks the "released" signature of Ana Morales \(ES-PN\)$/,
    );
  });

  it('a signature bound to another event', () => {
    const { ledger, item } = story({ bindingOf: 'c'.repeat(64) });
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]))).toBe(
      'a signature of entry 1 (released by ana.morales) is bound to another event',
    );
  });

  it('a verification whose recorded result is not what its values give', () => {
    const { ledger, item } = story({ verification: { value: SHA256_B, result: 'match', referenceIndex: 3 } });
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]))).toBe(
      'entry 4: the sha256 of device of ES-PN-2026-000009 is recorded as "match", but compared with the reference (entry 3) it is a mismatch',
    );
  });

  it('a verification that names another reference entry', () => {
    const { ledger, item } = story({ verification: { value: SHA256_A, result: 'match', referenceIndex: 1 } });
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]))).toBe(
      'entry 4: the sha256 of device of ES-PN-2026-000009 names reference entry 1, but its reference is entry 3',
    );
  });

  it('a true mismatch is no failure: the item is compromised, and the report says why', () => {
    const { ledger, item } = story({ verification: { value: SHA256_B, result: 'mismatch', referenceIndex: 3 } });
    const result = verifyBundle(ledger.bundle(item, [0, 1, 2, 3, 4]));
    if (!result.ok) throw new Error(result.reason);
    expect(result.report.items[0]).toMatchObject({
      integrity: 'compromised',
      findings: ['#4: the sha256 of device does not match its reference (#3)'],
    });
    expect(formatBundleVerification(result)).toContain(
      'integrity: COMPROMISED — #4: the sha256 of device does not match its reference (#3)',
    );
  });

  it('a second reference of a target, a reference that lies about being weak', () => {
    const second = story({ secondReference: true });
    expect(reasonOf(second.ledger.bundle(second.item, [0, 1, 2, 3, 4]))).toBe(
      'entry 4 records a second reference hash of device of ES-PN-2026-000009 (the reference is entry 3)',
    );
    const weak = story({ weak: true });
    expect(reasonOf(weak.ledger.bundle(weak.item, [0, 1, 2, 3, 4]))).toMatch(
      /^entry 3: the reference of device of ES-PN-2026-000009 is recorded as weak, but it has SHA-256/,
    );
  });

  it('an item bundle that does not start with the registration, or holds an entry of another item', () => {
    const { ledger, item, people } = story();
    expect(reasonOf(ledger.bundle(item, [1, 2, 3, 4]))).toMatch(
      /^the bundle does not start with the registration of item ES-PN-2026-000009/,
    );
    const other = { type: 'item' as const, id: randomUUID(), number: 'ES-PN-2026-000010' };
    ledger.append({
      type: 'item.seized',
      actor: actor(people.ana),
      subject: other,
      data: { item: description(), custodian: party(people.ana), location: null },
    });
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4, 5]))).toBe(
      'entry 5 (item.seized) does not concern item ES-PN-2026-000009',
    );
  });

  it('a case bundle holding an entry of another case; one naming an item never registered', () => {
    const { ledger, people } = story();
    const kase = { type: 'case' as const, id: ledger.caseRef.id, number: ledger.caseRef.number };
    expect(verifyBundle(ledger.bundle(kase, [0, 1, 2, 3, 4])).ok).toBe(true);
    ledger.append({
      type: 'case.opened',
      actor: actor(people.ana),
      subject: { type: 'case', id: randomUUID() },
      case: { id: randomUUID(), number: 'OTHER' },
      data: {},
    });
    expect(reasonOf(ledger.bundle(kase, [0, 1, 2, 3, 4, 5]))).toBe(
      `entry 5 (case.opened) is not an entry of case ${ledger.caseRef.number}`,
    );
    // Without the registration, a case bundle cannot vouch for the item's custody.
    expect(reasonOf(ledger.bundle(kase, [1, 2, 3, 4]))).toMatch(
      /^entry 1: transfer\.released names item .*, which was never registered$/,
    );
  });

  it("the key: a forger's key is refused when the real one is pinned", () => {
    const { ledger, item } = story();
    const real = new SyntheticLedger().keys.verifierKey;
    expect(reasonOf(ledger.bundle(item, [0, 1, 2, 3, 4]), real)).toMatch(
      new RegExp(
        `^the checkpoint signature is not by key ${SYNTHETIC_ORIGIN.replace(/\./g, '\\.')}\\+[0-9a-f]{8} \\(it is signed by `,
      ),
    );
  });
});

describe('docs/bundle-format.md, worked example', () => {
  const doc = readFileSync(resolve(process.cwd(), 'docs/bundle-format.md'), 'utf8');
  const block = (name: string): string => {
    const match = new RegExp(`<!-- ${name}:begin -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n<!-- ${name}:end -->`).exec(
      doc,
    );
    if (!match) throw new Error(`no ${name} block in docs/bundle-format.md`);
    return match[1];
  };
  const vkey = block('example-vkey');
  const bundle = JSON.parse(block('example-bundle')) as CustodyBundle;
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

  it('is a genuine bundle: it verifies with the key shown, and custos verify prints what the page shows', () => {
    const result = verifyBundle(bundle, { trustedKey: vkey });
    if (!result.ok) throw new Error(result.reason);
    expect(doc).toContain(formatBundleVerification(result));
  });

  it('shows the real hashes: bundle, key ID, leaves, nodes, root, signatures, event hash', () => {
    // Prose wraps lines: compare with the page's text as one line.
    const page = doc.replace(/\s+/g, ' ');
    const bytes = canonicalBytes(bundle);
    expect(page).toContain(`its ${bytes.length.toLocaleString('en')} bytes`);
    expect(page).toContain(`SHA-256 \`${createHash('sha256').update(bytes).digest('hex')}\``);
    const key = parseVerifierKey(vkey);
    expect(page).toContain(
      hex(
        createHash('sha256')
          .update(key.name)
          .update(Buffer.from([0x0a, 0x01]))
          .update(key.publicKey)
          .digest(),
      ),
    );
    const entries = bundle.entries.map((e) => Buffer.from(e.entry, 'utf8'));
    const [leaf1, leaf2, leaf3] = entries.map((e) => leafHash(e));
    const leaf0 = Buffer.from(bundle.entries[0].inclusionProof[0], 'base64');
    const node01 = nodeHash(leaf0, leaf1);
    const node23 = nodeHash(leaf2, leaf3);
    const root = nodeHash(node01, node23);
    for (const hash of [leaf0, leaf1, leaf3, node01, node23, root]) expect(page).toContain(hex(hash));
    expect(page).toContain(
      `${entries[0].length.toLocaleString('en')} bytes starting \`${hex(entries[0].subarray(0, 16))}\``,
    );
    const released = JSON.parse(bundle.entries[1].entry) as LedgerEntry;
    expect(page).toContain(canonicalize(signedContent(released)));
    expect(page).toContain(
      createHash('sha256')
        .update(canonicalBytes(signedContent(released)))
        .digest('hex'),
    );
    for (const note of [bundle.checkpoint, bundle.statement]) {
      const signatureLine = note.split('\n').at(-2)!;
      const signatureBytes = Buffer.from(signatureLine.split(' ').at(-1)!, 'base64');
      expect(page).toContain(hex(signatureBytes.subarray(4)));
    }
  });
});
