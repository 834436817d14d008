/**
 * Evidence-bag labels as a printable PDF (docs/web-app.md, ADR 0070): A4 sheets of 8 labels,
 * 2 columns × 4 rows of 99.1 × 67.7 mm — the common "L7165" self-adhesive sheet that fits a
 * standard evidence bag's label panel. Layout only; what is printed comes from the item views.
 *
 * Each label: the item number large (what people read and write down), a Code 128 barcode of the
 * item number (what a hand scanner reads into the web app's search box), a QR code of the same
 * number (what a phone reads), the case number, the seizure time with its UTC offset (the
 * acquisition time, labelled "Acquired", for an image or extraction), the seal
 * number and a short description. Standard PDF fonts only: nothing embedded, nothing fetched.
 */
import type BwipJs from 'bwip-js';
import type PDFKitDocument from 'pdfkit';

import { DERIVED_KINDS, type ItemKind } from '../custody/custody-events.js';
import type { Language } from '../i18n/languages.js';
import { translator, type Translator } from '../i18n/translator.js';

/**
 * pdfkit and bwip-js (with their fonts and encoders, several MB of heap) are loaded on the first
 * label sheet, not when the service starts: most instances never print one (idle memory, issue #7).
 * The promise is kept, so the modules are imported once.
 */
let libraries: Promise<{ PDFDocument: typeof PDFKitDocument; bwipjs: typeof BwipJs }> | undefined;
const loadLibraries = (): Promise<{ PDFDocument: typeof PDFKitDocument; bwipjs: typeof BwipJs }> =>
  (libraries ??= Promise.all([import('pdfkit'), import('bwip-js')]).then(([pdfkit, bwip]) => ({
    PDFDocument: pdfkit.default,
    bwipjs: bwip.default,
  })));

export interface LabelContent {
  readonly itemNumber: string;
  readonly caseNumber: string;
  readonly agency: string;
  /** RFC 3339 with the offset of the place, as recorded. */
  readonly occurredAt: string;
  readonly sealNumber: string | null;
  readonly kind: string;
  readonly description: string;
}

const MM = 72 / 25.4;
/** L7165: 99.1 × 67.7 mm, 2 × 4, top margin 13.1 mm, side margin 4.65 mm, column gap 2.5 mm. */
export const LABEL_SHEET = {
  columns: 2,
  rows: 4,
  width: 99.1 * MM,
  height: 67.7 * MM,
  top: 13.1 * MM,
  left: 4.65 * MM,
  gap: 2.5 * MM,
} as const;
export const LABELS_PER_SHEET = LABEL_SHEET.columns * LABEL_SHEET.rows;
const PAD = 4 * MM;

/** Latin-1 plus what WinAnsi prints; the standard fonts cannot show anything else. */
const printable = (text: string): string =>
  text.replace(/[^\u0020-\u007e\u00a0-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u20ac]/g, '?');

/**
 * `2026-11-28T09:14:00+01:00` → `2026-11-28 09:14 (UTC+01:00)` in English, `28/11/2026 09:14 (UTC+01:00)`
 * in Spanish and Portuguese: the wall clock of the place, never converted.
 */
export function labelTime(occurredAt: string, language: Language = 'en'): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(occurredAt);
  if (match === null) return occurredAt;
  const [, year, month, day, clock, zone] = match;
  const date =
    language === 'en'
      ? `${year}-${month}-${day}`
      : new Intl.DateTimeFormat(language, {
          timeZone: 'UTC',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        }).format(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return `${date} ${clock} (UTC${zone === 'Z' ? '' : zone})`;
}

async function barcodes(bwipjs: typeof BwipJs, itemNumber: string): Promise<{ code128: Buffer; qr: Buffer }> {
  const [code128, qr] = await Promise.all([
    bwipjs.toBuffer({
      bcid: 'code128',
      text: itemNumber,
      scale: 4,
      height: 12,
      includetext: false,
      paddingwidth: 0,
      paddingheight: 0,
    }),
    bwipjs.toBuffer({ bcid: 'qrcode', text: itemNumber, scale: 6 }),
  ]);
  return { code128, qr };
}

/** The PDF bytes; `issuedAt` is the creation date, so equal inputs at one time give equal bytes. */
export async function renderLabelSheets(
  labels: readonly LabelContent[],
  meta: { caseNumber: string; issuedAt: Date; language?: Language },
): Promise<Buffer> {
  const { PDFDocument, bwipjs } = await loadLibraries();
  const tr = translator(meta.language ?? 'en');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    autoFirstPage: false,
    lang: tr.language,
    info: {
      Title: printable(tr.t('labels.title', { number: meta.caseNumber })),
      Creator: 'Custos',
      Producer: 'Custos',
      CreationDate: meta.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const codes = await Promise.all(labels.map((label) => barcodes(bwipjs, label.itemNumber)));
  if (labels.length === 0) {
    doc.addPage();
    doc
      .font('Helvetica')
      .fontSize(12)
      .fillColor('#111111')
      .text(printable(tr.t('labels.empty', { number: meta.caseNumber })), 60, 80);
  }
  labels.forEach((label, n) => {
    const slot = n % LABELS_PER_SHEET;
    if (slot === 0) doc.addPage();
    const column = slot % LABEL_SHEET.columns;
    const row = Math.floor(slot / LABEL_SHEET.columns);
    const x = LABEL_SHEET.left + column * (LABEL_SHEET.width + LABEL_SHEET.gap);
    const y = LABEL_SHEET.top + row * LABEL_SHEET.height;
    drawLabel(doc, tr, label, codes[n], x, y);
  });
  doc.end();
  return done;
}

function drawLabel(
  doc: PDFKit.PDFDocument,
  tr: Translator,
  label: LabelContent,
  codes: { code128: Buffer; qr: Buffer },
  x: number,
  y: number,
): void {
  const { width, height } = LABEL_SHEET;
  // A thin cut guide: on blank paper the labels can be cut out; on label stock it falls on the gaps.
  doc
    .lineWidth(0.4)
    .strokeColor('#b0b0b0')
    .roundedRect(x + 1, y + 1, width - 2, height - 2, 6)
    .stroke();

  const left = x + PAD;
  const inner = width - 2 * PAD;
  const qrSize = 22 * MM;
  doc.fillColor('#111111');
  doc
    .font('Helvetica')
    .fontSize(7)
    .text(printable(tr.t('labels.evidence', { agency: label.agency })), left, y + PAD, {
      width: inner - qrSize - 2 * MM,
      lineBreak: false,
    });
  doc
    .font('Helvetica-Bold')
    .fontSize(15)
    .text(printable(label.itemNumber), left, y + PAD + 9, { width: inner - qrSize - 2 * MM, lineBreak: false });

  const fieldsTop = y + PAD + 29;
  const field = (name: string, value: string, row: number): void => {
    const top = fieldsTop + row * 11;
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor('#4d4d4d')
      .text(name, left, top + 1.5, { width: 17 * MM, lineBreak: false });
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .fillColor('#111111')
      .text(printable(value), left + 17 * MM, top, {
        width: inner - qrSize - 19 * MM,
        lineBreak: false,
        ellipsis: true,
      });
  };
  field(tr.t('labels.case'), label.caseNumber, 0);
  // An image or extraction was made at the lab, not seized: its time is the acquisition's.
  field(
    tr.t(DERIVED_KINDS.includes(label.kind as ItemKind) ? 'labels.acquired' : 'labels.seized'),
    labelTime(label.occurredAt, tr.language),
    1,
  );
  field(tr.t('labels.seal'), label.sealNumber ?? tr.t('labels.no_seal'), 2);
  doc.font('Helvetica').fontSize(7.5).fillColor('#111111');
  doc.text(printable(`${tr.kind(label.kind)}: ${label.description}`), left, fieldsTop + 3 * 11 + 1, {
    width: inner - qrSize - 2 * MM,
    height: 18,
    ellipsis: true,
  });

  doc.image(codes.qr, x + width - PAD - qrSize, y + PAD, { fit: [qrSize, qrSize] });
  const barTop = y + height - PAD - 15 * MM;
  doc.image(codes.code128, left, barTop, { fit: [inner, 11 * MM], align: 'center' });
  doc
    .font('Courier-Bold')
    .fontSize(9)
    .fillColor('#111111')
    .text(printable(label.itemNumber), left, barTop + 11 * MM + 2, { width: inner, align: 'center', lineBreak: false });
}
