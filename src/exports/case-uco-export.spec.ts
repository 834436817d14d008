import jsonld from 'jsonld';

import type { ItemView } from '../custody/item-records.js';
import type { LedgerEntry } from '../ledger/core/entry.js';
import { caseUcoExport, knowledgeBase, type CaseUcoInput, type JsonLdNode } from './case-uco-export.js';

const ana = {
  id: 'a0000000-0000-4000-8000-000000000001',
  username: 'officer.ana',
  displayName: 'Ana Morales',
  agency: 'ES-PN',
};
const julieta = {
  id: 'a0000000-0000-4000-8000-000000000002',
  username: 'lab.julieta',
  displayName: 'Julieta Ferreira',
  agency: 'AR-PFA',
};
const PHONE = 'b0000000-0000-4000-8000-000000000001';
const SIM = 'b0000000-0000-4000-8000-000000000002';
const TRANSFER = 'c0000000-0000-4000-8000-000000000001';

function item(id: string, number: string, overrides: Partial<ItemView> = {}): ItemView {
  return {
    id,
    itemNumber: number,
    case: { id: 'case-1', caseNumber: 'OP-1', agency: 'ES-PN' },
    kind: 'mobile_phone',
    description: 'Phone',
    make: null,
    model: null,
    serial: null,
    imeis: [],
    iccid: null,
    macAddresses: [],
    capacityBytes: null,
    condition: null,
    powerState: null,
    sealNumber: null,
    occurredAt: '2026-11-20T09:14:00+01:00',
    place: 'Calle Mayor 12',
    seizedFrom: null,
    legalAuthority: null,
    parent: null,
    acquisition: null,
    custodian: ana,
    location: null,
    state: 'in_custody',
    integrity: 'intact',
    pendingTransferId: null,
    disposition: null,
    registeredAt: '2026-11-20T08:14:00.000Z',
    registeredBy: 'officer.ana',
    lastLedgerIndex: 0,
    ...overrides,
  };
}

function entry(
  index: number,
  type: string,
  subject: LedgerEntry['subject'],
  data: Record<string, unknown>,
  actor = ana,
): LedgerEntry {
  return {
    v: 1,
    index,
    recordedAt: `2026-11-20T10:00:${String(index).padStart(2, '0')}.000Z`,
    type,
    actor: { ...actor, role: 'officer' },
    subject,
    data,
    signatures: [],
  };
}

const seizure = (index: number, id: string, number: string, extra: Record<string, unknown> = {}): LedgerEntry =>
  entry(
    index,
    'item.seized',
    { type: 'item', id, number },
    {
      item: {
        kind: 'mobile_phone',
        place: 'Calle Mayor 12',
        occurredAt: '2026-11-20T09:14:00+01:00',
        sealNumber: null,
        seizedFrom: null,
        legalAuthority: null,
        parent: null,
        ...extra,
      },
      custodian: ana,
      location: 'Madrid/HQ',
    },
  );

function input(origin = 'test.custos.invalid/ledger'): CaseUcoInput {
  const refsBoth = [
    { id: PHONE, number: 'ES-PN-2026-000001' },
    { id: SIM, number: 'ES-PN-2026-000002' },
  ];
  const leaf = (index: number) => index.toString(16).padStart(64, '0');
  const entries: LedgerEntry[] = [
    seizure(3, PHONE, 'ES-PN-2026-000001', { legalAuthority: 'Warrant 7' }),
    seizure(4, SIM, 'ES-PN-2026-000002', { kind: 'sim_card' }),
    entry(
      6,
      'transfer.released',
      { type: 'transfer', id: TRANSFER },
      { from: ana, to: julieta, purpose: 'Lab', items: refsBoth },
    ),
    entry(
      8,
      'transfer.accepted',
      { type: 'transfer', id: TRANSFER },
      {
        from: ana,
        to: julieta,
        location: 'Lab',
        items: refsBoth.map((ref) => ({ ...ref, sealIntact: true, sealNote: null, hashes: [] })),
      },
      julieta,
    ),
    entry(
      9,
      'hash.recorded',
      { type: 'item', id: PHONE, number: 'ES-PN-2026-000001' },
      {
        target: 'device',
        role: 'reference',
        tool: { name: 'UFED', version: '7.1' },
        occurredAt: '2026-11-21T10:00:00-03:00',
        values: [{ algorithm: 'sha256', value: 'ab'.repeat(32) }],
      },
      julieta,
    ),
  ];
  const itemsOf = (e: LedgerEntry): string[] => (e.subject.type === 'transfer' ? [PHONE, SIM] : [e.subject.id]);
  return {
    origin,
    kase: {
      id: 'd0000000-0000-4000-8000-000000000001',
      caseNumber: 'OP-1',
      title: 'Operation One',
      status: 'open',
      agency: 'ES-PN',
      legalAuthority: ['Warrant 7', 'Warrant 8'],
      createdAt: '2026-11-19T08:00:00.000Z',
    },
    agencies: new Map([['ES-PN', 'Policía Nacional']]),
    items: [
      item(SIM, 'ES-PN-2026-000002', {
        kind: 'sim_card',
        iccid: '8944500102198304826',
        parent: { id: PHONE, itemNumber: 'ES-PN-2026-000001' },
      }),
      item(PHONE, 'ES-PN-2026-000001', { imeis: ['356938035643809'], make: 'Samsung', serial: 'R58' }),
    ],
    // Any order: the mapping sorts by ledger index.
    entries: [...entries].reverse().map((e) => ({ entry: e, leafHash: leaf(e.index), itemIds: itemsOf(e) })),
  };
}

const byId = (graph: readonly JsonLdNode[]) => new Map(graph.map((node) => [node['@id'], node]));
const ids = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).map((ref) => (ref as { '@id': string })['@id']);

describe('CASE/UCO mapping', () => {
  it('every node has an @id made from our ids and an @type; the same input gives the same document', () => {
    const document = caseUcoExport(input());
    expect(document).toEqual(caseUcoExport(input()));
    for (const node of document['@graph']) {
      expect(node['@id']).toMatch(/^kb:[a-z-]+-/);
      expect(typeof node['@type']).toBe('string');
    }
    const nodes = byId(document['@graph']);
    expect(nodes.get(`kb:item-${PHONE}`)!['@type']).toBe('uco-observable:MobileDevice');
    expect(nodes.get(`kb:action-8`)!['@type']).toBe('case-investigation:InvestigativeAction');
    expect(nodes.get(`kb:provenance-record-${SIM}-8`)!['@type']).toBe('case-investigation:ProvenanceRecord');
  });

  it('a transfer of two items is one action: each item’s previous record in, its next record out', () => {
    const nodes = byId(caseUcoExport(input())['@graph']);
    const accepted = nodes.get('kb:action-8')!;
    expect(ids(accepted['uco-action:object'])).toEqual([
      `kb:provenance-record-${PHONE}-6`,
      `kb:item-${PHONE}`,
      `kb:provenance-record-${SIM}-6`,
      `kb:item-${SIM}`,
    ]);
    expect(ids(accepted['uco-action:result'])).toEqual([
      `kb:provenance-record-${PHONE}-8`,
      `kb:provenance-record-${SIM}-8`,
    ]);
    expect(ids(accepted['uco-action:performer'])).toEqual([`kb:person-${julieta.id}`]);
    expect(ids(accepted['uco-action:participant'])).toEqual([`kb:person-${ana.id}`]);
    expect(accepted['custos:leafHash']).toEqual({
      '@type': 'xsd:hexBinary',
      '@value': (8).toString(16).padStart(64, '0'),
    });
    expect(nodes.get(`kb:provenance-record-${SIM}-8`)!['uco-core:description']).toBe(
      'ES-PN-2026-000002 after ledger entry 8 (transfer.accepted): in custody of Julieta Ferreira (AR-PFA) at Lab',
    );
    expect(nodes.get(`kb:provenance-record-${SIM}-6`)!['uco-core:description']).toMatch(
      /released to Julieta Ferreira \(AR-PFA\) \(transfer pending\)$/,
    );
  });

  it('a seizure cites the item’s own warrant, or the case’s when the item names none', () => {
    const nodes = byId(caseUcoExport(input())['@graph']);
    const cited = (index: number) =>
      ids(nodes.get(`kb:action-${index}`)!['uco-action:instrument']).map(
        (id) => nodes.get(id)!['case-investigation:authorizationIdentifier'],
      );
    expect(cited(3)).toEqual(['Warrant 7']);
    expect(cited(4)).toEqual(['Warrant 7', 'Warrant 8']);
  });

  it('a SIM seized in a phone is Contained_Within it; a hash is ContentData with a typed value', () => {
    const nodes = byId(caseUcoExport(input())['@graph']);
    expect(nodes.get(`kb:relationship-${SIM}-contained-within-${PHONE}`)).toMatchObject({
      '@type': 'uco-observable:ObservableRelationship',
      'uco-core:source': { '@id': `kb:item-${SIM}` },
      'uco-core:target': { '@id': `kb:item-${PHONE}` },
      'uco-core:kindOfRelationship': {
        '@type': 'uco-vocabulary:ObservableObjectRelationshipVocab',
        '@value': 'Contained_Within',
      },
    });
    expect(nodes.get(`kb:content-data-${PHONE}-9-1`)).toMatchObject({
      '@type': 'uco-observable:ContentData',
      'uco-core:hasFacet': [
        {
          '@type': 'uco-observable:ContentDataFacet',
          'uco-observable:hash': [
            {
              '@type': 'uco-types:Hash',
              'uco-types:hashMethod': { '@type': 'uco-vocabulary:HashNameVocab', '@value': 'SHA256' },
              'uco-types:hashValue': { '@type': 'xsd:hexBinary', '@value': 'ab'.repeat(32) },
            },
          ],
        },
      ],
    });
    expect(ids(nodes.get(`kb:provenance-record-${PHONE}-9`)!['uco-core:object'])).toEqual([
      `kb:item-${PHONE}`,
      `kb:content-data-${PHONE}-9-1`,
    ]);
  });

  it('expands offline to absolute IRIs, whatever characters the ledger origin has', async () => {
    const origin = 'weird"origin<>{}|^`\\/custos';
    const document = caseUcoExport(input(origin));
    expect(knowledgeBase(origin)).toBe('urn:custos:weird%22origin%3C%3E%7B%7D%7C%5E%60%5C/custos:');
    const expanded = (await jsonld.expand(document as never, {
      documentLoader: (url: string) => Promise.reject(new Error(`fetched ${url}`)),
    })) as Array<{ '@id': string }>;
    expect(expanded).toHaveLength(document['@graph'].length);
    for (const node of expanded) expect(node['@id'].startsWith(knowledgeBase(origin))).toBe(true);
  });
});
