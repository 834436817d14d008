import { spawnSync } from 'node:child_process';

import { renderLabelSheets, type LabelContent } from './labels-sheet.pdf.js';

/** The sheet's text as a reader sees it (poppler's pdftotext, as the e2e label tests use). */
function textOf(pdf: Buffer): string {
  const result = spawnSync('pdftotext', ['-layout', '-', '-'], { input: pdf, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined)
    throw new Error(`pdftotext is needed by this test (apt-get install poppler-utils): ${result.error.message}`);
  return result.stdout;
}

const label = (overrides: Partial<LabelContent>): LabelContent => ({
  itemNumber: 'ES-PN-2026-000001',
  caseNumber: 'OP-TELARANA-2026',
  agency: 'ES-PN',
  occurredAt: '2026-11-20T09:14:00+01:00',
  sealNumber: 'SEAL-1',
  kind: 'mobile_phone',
  description: 'Samsung Galaxy S23',
  ...overrides,
});

describe('evidence label sheet', () => {
  it('says "Seized" for a seized device and "Acquired" for an image or extraction made from it', async () => {
    const text = textOf(
      await renderLabelSheets(
        [
          label({}),
          label({ itemNumber: 'ES-PN-2026-000002', kind: 'forensic_image', occurredAt: '2026-11-26T14:05:00-03:00' }),
          label({ itemNumber: 'ES-PN-2026-000003', kind: 'extraction', occurredAt: '2026-11-26T16:40:00-03:00' }),
        ],
        { caseNumber: 'OP-TELARANA-2026', issuedAt: new Date('2026-12-01T10:00:00Z') },
      ),
    );
    expect(text.match(/\bSeized\b/g)).toHaveLength(1);
    expect(text.match(/\bAcquired\b/g)).toHaveLength(2);
    expect(text).toContain('2026-11-26 14:05 (UTC-03:00)');
  });
});

describe('evidence label sheet languages', () => {
  const sheet = async (language: 'en' | 'es' | 'pt-BR' | 'pt-PT'): Promise<string> =>
    textOf(
      await renderLabelSheets(
        [
          label({ kind: 'sim_card' }),
          label({ itemNumber: 'ES-PN-2026-000002', kind: 'forensic_image', sealNumber: null }),
        ],
        { caseNumber: 'OP-TELARANA-2026', issuedAt: new Date('2026-12-01T10:00:00Z'), language },
      ),
    );

  it.each([
    [
      'en',
      ['EVIDENCE — ES-PN', 'Seized', 'Acquired', 'Seal no.', '— none —', 'SIM card:', 'Forensic image:'],
      '2026-11-20 09:14 (UTC+01:00)',
    ],
    [
      'es',
      [
        'EFECTO JUDICIAL — ES-PN',
        'Intervenido',
        'Adquirido',
        'Precinto',
        '— ninguno —',
        'Tarjeta SIM:',
        'Imagen forense:',
      ],
      '20/11/2026 09:14 (UTC+01:00)',
    ],
    [
      'pt-BR',
      ['VESTÍGIO — ES-PN', 'Apreendido', 'Adquirido', 'Lacre n.º', '— nenhum —', 'Chip SIM:', 'Imagem forense:'],
      '20/11/2026 09:14 (UTC+01:00)',
    ],
    [
      'pt-PT',
      ['PROVA — ES-PN', 'Apreendido', 'Adquirido', 'Selo n.º', '— nenhum —', 'Cartão SIM:', 'Imagem forense:'],
      '20/11/2026 09:14 (UTC+01:00)',
    ],
  ] as const)(
    'prints the labels in %s, with the date in that order and the offset of the place',
    async (language, words, date) => {
      const text = await sheet(language);
      for (const word of words) expect(text).toContain(word);
      expect(text).toContain(date);
    },
  );
});
