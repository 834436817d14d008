import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CustodyBundle } from '../ledger/core/bundle.js';
import type { EntrySignature, LedgerEntry } from '../ledger/core/entry.js';
import { canonicalize } from '../ledger/core/jcs.js';
import { custodyReport, displayTime, type ReportContext } from './custody-report.model.js';
import { renderCustodyReport, toWinAnsi } from './custody-report.pdf.js';

const ITEM = '6f1b0e9e-3b7c-4d2a-9d59-1f4a8f3c2b10';
const CASE = { id: '0c9a3f52-8f0e-4c55-bf0b-2a3f4d5e6f70', number: 'PL-2026-17' };
const party = (
  id: string,
  name: string,
  agency = 'PL-PG',
): { id: string; username: string; displayName: string; agency: string } => ({
  id,
  username: name.toLowerCase().replace(/[^a-z]/g, '.'),
  displayName: name,
  agency,
});
const officer = party('a1', 'Łukasz Wiśniewski');
const clerk = party('b2', 'Zoë Ibáñez');
const lab = party('c3', 'Αθηνά Παπαδοπούλου', 'GR-HP');

let index = 0;
function entry(
  type: string,
  subject: { type: string; id: string; number?: string },
  actor: ReturnType<typeof party>,
  data: Record<string, unknown>,
  meanings: Array<[ReturnType<typeof party>, string]> = [],
  corrects?: { index: number; reason: string },
): LedgerEntry {
  const signatures: EntrySignature[] = meanings.map(([who, meaning]) => ({
    signerId: who.id,
    username: who.username,
    printedName: who.displayName,
    agency: who.agency,
    role: 'officer',
    meaning,
    signedAt: `2026-03-0${1 + (index % 8)}T10:00:00.000Z`,
    eventHash: 'e'.repeat(64),
  }));
  return {
    v: 1,
    index: index++,
    type,
    recordedAt: `2026-03-0${1 + (index % 8)}T10:00:00.000Z`,
    actor: { ...officer, ...actor, role: 'officer' },
    subject,
    case: CASE,
    data,
    signatures,
    ...(corrects ? { corrects } : {}),
  };
}

/** A bundle's entries without proofs: the report reads only the entries, checkpoint and key. */
function bundleOf(entries: LedgerEntry[]): CustodyBundle {
  return {
    format: 'custos-bundle/1',
    origin: 'test.custos.invalid/ledger',
    vkey: 'test.custos.invalid/ledger+00000000+AQ==',
    subject: { type: 'item', id: ITEM, number: 'PL-PG-2026-000001' },
    checkpoint: `test.custos.invalid/ledger\n${entries.length + 3}\n${Buffer.alloc(32, 7).toString('base64')}\n\n— test.custos.invalid/ledger AAAA\n`,
    statement: '',
    entries: entries.map((e) => ({ index: e.index, entry: canonicalize(e), inclusionProof: [] })),
  };
}

function story(): CustodyBundle {
  index = 0;
  const item = { type: 'item', id: ITEM, number: 'PL-PG-2026-000001' };
  const items = [{ id: ITEM, number: 'PL-PG-2026-000001' }];
  const seized = entry('item.seized', item, officer, {
    item: {
      kind: 'laptop',
      description: 'Laptop Dell, naklejka „Łódź” na obudowie; Ελληνικά γράμματα; 中文',
      make: 'Dell',
      model: 'Latitude 7420',
      serial: 'CN-0ABC',
      imeis: [],
      iccid: null,
      macAddresses: ['aa:bb:cc:dd:ee:ff'],
      capacityBytes: '512110190592',
      condition: 'Scratched lid',
      powerState: 'on',
      sealNumber: 'PL-SEAL-1',
      occurredAt: '2026-03-01T06:05:00+01:00',
      place: 'ul. Piotrkowska 1, Łódź',
      seizedFrom: 'Protocol 12/2026, line 3',
      legalAuthority: 'Postanowienie 2 Ds 17/26',
      parent: null,
    },
    custodian: officer,
    location: 'Łódź/KWP/Intake',
  });
  const moved = entry('item.moved', item, officer, { from: 'Łódź/KWP/Intake', to: 'Łódź/KWP/Room 3', reason: null });
  const transfer1 = { type: 'transfer', id: '11111111-1111-4111-8111-111111111111' };
  const rejectedRelease = entry(
    'transfer.released',
    transfer1,
    officer,
    { from: officer, to: clerk, purpose: 'Storage', items },
    [[officer, 'released']],
  );
  const rejected = entry(
    'transfer.rejected',
    transfer1,
    clerk,
    { from: officer, to: clerk, items, reason: 'Seal number differs' },
    [[clerk, 'rejected']],
  );
  const transfer2 = { type: 'transfer', id: '22222222-2222-4222-8222-222222222222' };
  const cancelledRelease = entry(
    'transfer.released',
    transfer2,
    officer,
    { from: officer, to: clerk, purpose: 'Storage', items },
    [[officer, 'released']],
  );
  const cancelled = entry('transfer.cancelled', transfer2, officer, { from: officer, to: clerk, items, reason: null });
  const correction = entry(
    'item.corrected',
    item,
    officer,
    { changes: [{ field: 'location', from: 'Łódź/KWP/Room 3', to: 'Łódź/KWP/Room 4' }] },
    [[officer, 'corrected']],
    {
      index: moved.index,
      reason: 'Room misnumbered',
    },
  );
  const transfer3 = { type: 'transfer', id: '33333333-3333-4333-8333-333333333333' };
  const pending = entry(
    'transfer.released',
    transfer3,
    officer,
    { from: officer, to: lab, purpose: 'Examination abroad', items },
    [[officer, 'released']],
  );
  return bundleOf([seized, moved, rejectedRelease, rejected, cancelledRelease, cancelled, correction, pending]);
}

const context: ReportContext = {
  issuedAt: new Date('2026-03-09T12:00:00.000Z'),
  issuedBy: { name: 'Zoë Ibáñez', username: 'zoe', role: 'clerk', agency: 'PL-PG' },
  case: {
    id: CASE.id,
    number: CASE.number,
    title: 'Operacja Wisła',
    agency: 'PL-PG',
    legalAuthority: [],
    status: 'open',
  },
  agencyNames: new Map([
    ['PL-PG', 'Prokuratura Generalna'],
    ['GR-HP', 'Ελληνική Αστυνομία'],
  ]),
  issuingCountry: 'PL',
};

describe('court report content', () => {
  it('reads every custody event into rows: rejected and cancelled hand-overs keep custody, a pending one says so', () => {
    const report = custodyReport(story(), 'f'.repeat(64), context);
    const [item] = report.items;
    expect(item.custody.map((row) => row.entries)).toEqual([[0], [1], [2, 3], [4, 5], [7]]);
    expect(item.custody[2].purpose.map((line) => line.text).join(' ')).toMatch(
      /^Storage REJECTED by Zoë Ibáñez .*: Seal number differs\. Custody stayed with Łukasz Wiśniewski\.$/,
    );
    expect(item.custody[3].purpose.map((line) => line.text).join(' ')).toMatch(/CANCELLED by Łukasz Wiśniewski/);
    expect(item.custody[4].purpose).toContainEqual({
      text: 'PENDING: not yet received when the bundle was signed',
      alert: true,
    });
    expect(item.custody[4].receivedBy).toMatchObject({
      party: { name: 'Αθηνά Παπαδοπούλου' },
      signature: null,
      unsigned: 'Receipt not yet signed',
    });
    expect(item.custody[3].receivedBy.unsigned).toBe('Cancelled before receipt');
    expect(item.custody[1].location).toBe('Łódź/KWP/Room 4 (corrected by entry #6; recorded as Łódź/KWP/Room 3)');
    expect(item.current).toMatchObject({
      state: 'transfer_pending',
      custodian: { name: 'Łukasz Wiśniewski' },
      location: 'Łódź/KWP/Room 4',
      pendingTo: { name: 'Αθηνά Παπαδοπούλου', agencyName: 'Ελληνική Αστυνομία' },
    });
    expect(item.signatures.map((s) => s.meaning)).toEqual([
      'released',
      'rejected',
      'released',
      'corrected',
      'released',
    ]);
    expect(report.verification).toMatchObject({
      treeSize: 11,
      rootHex: '07'.repeat(32),
      bundleFileName: 'PL-PG-2026-000001-at-11.custos-bundle.json',
    });
  });

  it('dates a hand-over by the time its entries state, with the recording time when a minute or more apart', () => {
    index = 0;
    const item = { type: 'item', id: ITEM, number: 'PL-PG-2026-000001' };
    const items = [{ id: ITEM, number: 'PL-PG-2026-000001' }];
    const registration = entry('item.seized', item, officer, {
      item: {
        kind: 'laptop',
        description: 'Laptop',
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
        occurredAt: '2026-03-01T06:05:00+01:00',
        place: 'Łódź',
        seizedFrom: null,
        legalAuthority: null,
        parent: null,
      },
      custodian: officer,
      location: null,
    });
    const transfer = { type: 'transfer', id: '44444444-4444-4444-8444-444444444444' };
    // Recorded 2026-03-03T10:00:00Z (half a minute later) and 2026-03-04T10:00:00Z (a day later).
    const released = entry(
      'transfer.released',
      transfer,
      officer,
      { from: officer, to: lab, purpose: 'Examination abroad', items, occurredAt: '2026-03-03T10:59:30+01:00' },
      [[officer, 'released']],
    );
    const received = entry(
      'transfer.accepted',
      transfer,
      lab,
      {
        from: officer,
        to: lab,
        items: [{ ...items[0], sealIntact: false, sealNote: 'Tape lifted', hashes: [] }],
        location: null,
        occurredAt: '2026-03-03T13:00:00+02:00',
      },
      [[lab, 'received']],
    );
    const report = custodyReport(bundleOf([registration, released, received]), 'f'.repeat(64), context);
    expect(report.items[0].custody[1].when).toEqual([
      { label: 'Released', time: '2026-03-03 10:59:30 +01:00' },
      { label: 'Received', time: '2026-03-03 13:00:00 +02:00' },
      { label: 'Receipt recorded', time: '2026-03-04 10:00:00 +00:00' },
    ]);
    expect(report.items[0].findings.map((finding) => finding.text).join(' ')).toContain(
      '(2026-03-03 13:00:00 +02:00) the seal was reported broken',
    );
  });

  it('shows times as people read them, with their offset', () => {
    expect(displayTime('2026-11-20T09:14:00+01:00')).toBe('2026-11-20 09:14:00 +01:00');
    expect(displayTime('2026-11-20T08:14:00.123Z')).toBe('2026-11-20 08:14:00 +00:00');
  });
});

describe('court report PDF', () => {
  it('prints Windows-1252 as is, base letters for accented ones outside it, "?" for the rest', () => {
    expect(toWinAnsi('García — Polícia Judiciária, Ministério “Público” €')).toEqual({
      text: 'García — Polícia Judiciária, Ministério “Público” €',
      replaced: 0,
    });
    expect(toWinAnsi('Łukasz Wiśniewski, Łódź')).toEqual({ text: 'Lukasz Wisniewski, Lódz', replaced: 4 });
    expect(toWinAnsi('Αθηνά 中文')).toEqual({ text: '????? ??', replaced: 7 });
  });

  it('is A4, deterministic for the same report, and carries the bundle', async () => {
    const report = custodyReport(story(), 'f'.repeat(64), context);
    const attachment = {
      name: 'bundle.json',
      bytes: Buffer.from('{"format":"custos-bundle/1"}'),
      description: 'the bundle',
    };
    const first = await renderCustodyReport(report, attachment);
    const second = await renderCustodyReport(report, attachment);
    expect(first.bytes.equals(second.bytes)).toBe(true);
    expect(first.bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7');
    expect(first.pages).toBeGreaterThanOrEqual(3);
    const text = first.bytes.toString('latin1');
    expect(text).toContain('/MediaBox [0 0 595.28 841.89]');
    expect(text).toMatch(/\/CreationDate \(D:20260309120000Z\)/);
    expect(text).toContain('/EmbeddedFiles');
    const later = await renderCustodyReport({ ...report, issuedAt: new Date('2026-03-09T12:00:01.000Z') }, attachment);
    expect(later.bytes.equals(first.bytes)).toBe(false);
  });

  /** The report's text as a reader sees it (poppler's pdftotext), runs of spaces collapsed. */
  const readBack = async (report: ReturnType<typeof custodyReport>): Promise<string> => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-report-spec-'));
    try {
      const file = join(dir, 'report.pdf');
      const rendered = await renderCustodyReport(report, {
        name: 'b.json',
        bytes: Buffer.from('{}'),
        description: 'b',
      });
      writeFileSync(file, rendered.bytes);
      const result = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr} (apt-get install poppler-utils)`);
      return result.stdout.replace(/\s+/g, ' ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const withKind = (kind: string): CustodyBundle => {
    const bundle = story();
    const first = JSON.parse(bundle.entries[0].entry) as LedgerEntry;
    const data = first.data as { item: Record<string, unknown> };
    const entries = [
      { ...bundle.entries[0], entry: canonicalize({ ...first, data: { ...data, item: { ...data.item, kind } } }) },
      ...bundle.entries.slice(1),
    ];
    return { ...bundle, entries };
  };

  it.each([
    ['usb_drive', 'USB drive', 'Usb drive'],
    ['sim_card', 'SIM card', 'Sim card'],
    ['ssd', 'SSD', 'Ssd'],
    ['mobile_phone', 'Mobile phone', 'Mobile_phone'],
  ])('prints the kind %s as people write it: %s', async (kind, words, wrong) => {
    const text = await readBack(custodyReport(withKind(kind), 'f'.repeat(64), context));
    expect(text).toContain(`Kind ${words}`);
    expect(text).not.toContain(wrong);
  });

  it('cites ISO/IEC 27037 and eIDAS for an EU agency; 21 CFR Part 11 only as the design model', async () => {
    const text = await readBack(custodyReport(story(), 'f'.repeat(64), { ...context, issuingCountry: 'ES' }));
    expect(text).toContain('Standards and legal basis');
    expect(text).toContain('ISO/IEC 27037:2012');
    expect(text).toContain('Regulation (EU) No 910/2014 (eIDAS)');
    expect(text).toContain('Article 25(1)');
    expect(text).not.toMatch(/Federal Rules of Evidence|902\(13\)/);
    // The FDA rule is named once, as a model, never as the basis of the signatures.
    expect(text.match(/21 CFR/g)).toHaveLength(1);
    expect(text).toContain('21 CFR 11.50, a US FDA rule for regulated industry cited as a design model only');
  });

  it('cites ISO/IEC 27037 and FRE 902(13) and 902(14) for a US agency, no eIDAS', async () => {
    const text = await readBack(custodyReport(story(), 'f'.repeat(64), { ...context, issuingCountry: 'US' }));
    expect(text).toContain('ISO/IEC 27037:2012');
    expect(text).toContain('Federal Rules of Evidence 902(13) and 902(14)');
    expect(text).not.toContain('eIDAS');
    expect(text.match(/21 CFR/g)).toHaveLength(1);
  });

  it('names no foreign law for an agency of another jurisdiction', async () => {
    const text = await readBack(custodyReport(story(), 'f'.repeat(64), { ...context, issuingCountry: 'CA' }));
    expect(text).toContain('ISO/IEC 27037:2012');
    expect(text).toContain('governed by the law of the issuing agency’s jurisdiction (CA)');
    expect(text).not.toMatch(/eIDAS|Federal Rules of Evidence/);
  });

  /** What a reader of each language must find: headings, a translated item kind, the language stated, its law. */
  const IN_LANGUAGE = {
    en: {
      words: ['CHAIN OF CUSTODY — PL-PG-2026-000001', 'Chain of custody', 'Electronic signatures', 'How to verify'],
      kind: 'Kind Laptop',
      language: 'Language of this report English (en)',
      date: 'Seized (date / time) 2026-03-01 06:05:00 +01:00',
      law: 'Ley de Enjuiciamiento Criminal), articles 334 and 338',
    },
    es: {
      words: [
        'CADENA DE CUSTODIA — PL-PG-2026-000001',
        'Cadena de custodia',
        'Firmas electrónicas',
        'Cómo verificarlo',
      ],
      kind: 'Tipo Ordenador portátil',
      language: 'Idioma de este informe Español (es)',
      date: 'Intervenido el (fecha / hora) 01/03/2026 06:05:00 +01:00',
      law: 'Ley de Enjuiciamiento Criminal, artículos 334 y 338',
    },
    'pt-BR': {
      words: [
        'CADEIA DE CUSTÓDIA — PL-PG-2026-000001',
        'Cadeia de custódia',
        'Assinaturas eletrônicas',
        'Como verificar',
      ],
      kind: 'Tipo Notebook',
      language: 'Idioma deste relatório Português (Brasil) (pt-BR)',
      date: 'Apreendido em (data / hora) 01/03/2026 06:05:00 +01:00',
      law: 'Ley de Enjuiciamiento Criminal, artigos 334 e 338',
    },
    'pt-PT': {
      words: [
        'CADEIA DE CUSTÓDIA — PL-PG-2026-000001',
        'Cadeia de custódia',
        'Assinaturas eletrónicas',
        'Como verificar',
      ],
      kind: 'Tipo Computador portátil',
      language: 'Idioma deste relatório Português (Portugal) (pt-PT)',
      date: 'Apreendido em (data / hora) 01/03/2026 06:05:00 +01:00',
      law: 'Ley de Enjuiciamiento Criminal, artigos 334 e 338',
    },
  } as const;

  it.each(Object.keys(IN_LANGUAGE) as Array<keyof typeof IN_LANGUAGE>)(
    'is written in %s: headings, item kind, dates, the language it states and the law it cites',
    async (language) => {
      const expected = IN_LANGUAGE[language];
      const report = custodyReport(story(), 'f'.repeat(64), { ...context, issuingCountry: 'ES', language });
      expect(report.language).toBe(language);
      const text = await readBack(report);
      for (const words of expected.words) expect(text).toContain(words);
      expect(text).toContain(expected.kind);
      expect(text).toContain(expected.language);
      expect(text).toContain(expected.date);
      expect(text).toContain(expected.law);
      // Nothing of another language's headings leaks in.
      for (const other of Object.keys(IN_LANGUAGE) as Array<keyof typeof IN_LANGUAGE>) {
        if (IN_LANGUAGE[other].words[1] !== expected.words[1]) expect(text).not.toContain(IN_LANGUAGE[other].words[1]);
      }
    },
  );

  it.each([
    ['BR', 'pt-BR', ['artigos 158-A a 158-F', 'Lei n.º 13.964/2019', 'cadeia de custódia'], /eIDAS/],
    ['PT', 'pt-PT', ['artigos 178.º e seguintes', 'Lei n.º 109/2009', 'eIDAS'], /158-A/],
    ['AR', 'es', ['Ley 23.984', 'Ley 25.506', 'firmas electrónicas'], /eIDAS|Federal Rules/],
  ] as const)(
    'cites the national rules of custody for an agency of %s, in %s',
    async (country, language, cited, absent) => {
      const text = await readBack(
        custodyReport(story(), 'f'.repeat(64), { ...context, issuingCountry: country, language }),
      );
      for (const words of cited) expect(text).toContain(words);
      expect(text).not.toMatch(absent);
    },
  );
});
