import type { LedgerEntry } from '../ledger/core/entry.js';
import { csvBytes, csvField, CUSTODY_CSV_HEADER, custodyCsv, custodyRows } from './custody-csv.js';

const ana = { id: 'u1', username: 'officer.ana', displayName: 'Ana Morales', agency: 'ES-PN' };
const luis = { id: 'u2', username: 'clerk.luis', displayName: 'Luis García', agency: 'ES-PN' };

function entry(
  index: number,
  type: string,
  data: Record<string, unknown>,
  extra: Partial<LedgerEntry> = {},
): LedgerEntry {
  return {
    v: 1,
    index,
    recordedAt: `2026-11-20T10:00:0${index}.000Z`,
    type,
    actor: { ...ana, role: 'officer' },
    subject: { type: 'item', id: 'item-1', number: 'ES-PN-2026-000001' },
    data,
    signatures: [],
    ...extra,
  };
}

describe('custody CSV', () => {
  describe('a field', () => {
    it('is written as is when it needs nothing', () => {
      expect(csvField('ES-PN-2026-000001')).toBe('ES-PN-2026-000001');
      expect(csvField('')).toBe('');
      expect(csvField('a-b+c=d@e')).toBe('a-b+c=d@e');
    });

    it('is quoted when it holds a comma, a quote or a line break, its quotes doubled (RFC 4180)', () => {
      expect(csvField('Madrid, HQ')).toBe('"Madrid, HQ"');
      expect(csvField('the "blue" bag')).toBe('"the ""blue"" bag"');
      expect(csvField('line one\nline two')).toBe('"line one\nline two"');
      expect(csvField('a\r\nb')).toBe('"a\r\nb"');
    });

    it.each(['=', '+', '-', '@', '\t', '\r'])(
      'starting with %j is neutralised with an apostrophe (OWASP CSV injection)',
      (start) => {
        const written = csvField(`${start}HYPERLINK("http://evil.example","x")`);
        expect(written.replace(/^"/, '')).toMatch(/^'/);
      },
    );

    it('a formula that also needs quoting is both neutralised and quoted', () => {
      expect(csvField('=HYPERLINK("http://evil.example","Click")')).toBe(
        `"'=HYPERLINK(""http://evil.example"",""Click"")"`,
      );
    });
  });

  it('the file is UTF-8 with a byte order mark, CRLF after every record, header first', () => {
    const bytes = csvBytes(
      ['a', 'b'],
      [
        ['1', 'ñ'],
        ['2', ''],
      ],
    );
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe('a,b\r\n1,ñ\r\n2,\r\n');
  });

  it('an item’s rows follow ledger order and say what each event recorded', () => {
    const item = { id: 'item-1', number: 'ES-PN-2026-000001', description: 'Black smartphone' };
    const seized = entry(3, 'item.seized', {
      item: {
        kind: 'mobile_phone',
        place: 'Calle Mayor 12',
        occurredAt: '2026-11-20T09:14:00+01:00',
        sealNumber: 'SEAL-1',
        seizedFrom: null,
        legalAuthority: 'JI-7 118/2026',
        parent: null,
      },
      custodian: ana,
      location: null,
    });
    const released = entry(
      5,
      'transfer.released',
      { from: ana, to: luis, purpose: 'Storage', items: [{ id: 'item-1', number: item.number }] },
      {
        subject: { type: 'transfer', id: 't1' },
        signatures: [
          {
            signerId: 'u1',
            username: 'officer.ana',
            printedName: 'Ana Morales',
            agency: 'ES-PN',
            role: 'officer',
            meaning: 'released',
            signedAt: '2026-11-20T10:00:05.000Z',
            eventHash: 'ab',
          },
        ],
      },
    );
    const accepted = entry(
      7,
      'transfer.accepted',
      {
        from: ana,
        to: luis,
        location: 'Madrid/HQ/Intake',
        items: [
          {
            id: 'item-1',
            number: item.number,
            sealIntact: false,
            sealNote: 'Torn',
            hashes: [{ target: 'device', algorithm: 'sha256', value: 'aa', result: 'mismatch', referenceIndex: 4 }],
          },
        ],
      },
      { subject: { type: 'transfer', id: 't1' }, actor: { ...luis, role: 'clerk' } },
    );
    const correction = entry(
      9,
      'item.corrected',
      { changes: [{ field: 'sealNumber', from: 'SEAL-1', to: 'SEAL-7' }] },
      { corrects: { index: 3, reason: 'Typo' } },
    );
    const rows = custodyRows(
      item,
      [correction, accepted, seized, released].map((e) => ({ entry: e, leafHash: `${e.index}`.padStart(64, '0') })),
    );
    expect(rows.map((row) => [row.ledgerIndex, row.event])).toEqual([
      [3, 'item.seized'],
      [5, 'transfer.released'],
      [7, 'transfer.accepted'],
      [9, 'item.corrected'],
    ]);
    expect(rows[0]).toMatchObject({
      occurredAt: '2026-11-20T09:14:00+01:00',
      to: ana,
      sealNumber: 'SEAL-1',
      details: expect.arrayContaining(['corrected by entry 9 (Typo)']),
    });
    expect(rows[2]).toMatchObject({
      from: ana,
      to: luis,
      location: 'Madrid/HQ/Intake',
      sealIntact: false,
      sealNote: 'Torn',
      hashes: [{ target: 'device', algorithm: 'sha256', value: 'aa', result: 'mismatch' }],
    });
    expect(rows[3]).toMatchObject({ reason: 'Typo', details: ['corrects entry 3', 'sealNumber: "SEAL-1" → "SEAL-7"'] });

    const text = custodyCsv([{ item, entries: [seized, released].map((e) => ({ entry: e, leafHash: 'ff' })) }])
      .subarray(3)
      .toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(CUSTODY_CSV_HEADER.map(csvField).join(','));
    expect(lines[0]).toContain(',"From (name, agency)",');
    expect(lines[2]).toContain(',Ana Morales (ES-PN),Luis García (ES-PN),Storage,');
    expect(lines[2]).toContain(',"Ana Morales (officer, ES-PN) released at 2026-11-20T10:00:05.000Z",');
    expect(lines).toHaveLength(4);
  });
});
