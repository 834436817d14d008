/**
 * The court custody report as a printable A4 PDF (docs/reports.md, ADR 0041): the layout only. What
 * it says comes from custody-report.model.ts; nothing here reads a database or decides a fact.
 *
 * It follows the paper chain-of-custody forms: the item and its identifiers, the seizure and its
 * authority, a custody table (released by, received by, purpose, location, seal), the hash
 * references and verifications with their results, the disposition, every electronic signature
 * with printed name, date and time and meaning, the standards and law that apply to the issuing
 * agency (legal-basis.ts), and a verification block.
 *
 * Fonts: the PDF standard fonts (Helvetica, Courier), which need no embedding and no network and
 * print Windows-1252 (Latin-1 plus dashes, quotes, €, Œ, Š, Ž …). Any other character is printed
 * as '?', and every page says so when that happened; the bundle keeps the exact text.
 *
 * Deterministic for the same model: the creation date is the issuing time and pdfkit derives the
 * file ID from the document information, so equal inputs give equal bytes.
 */
import type PDFKitDocument from 'pdfkit';

import {
  displayInstant,
  displayTime,
  humanize,
  itemKindWords,
  type CustodyReport,
  type CustodyRow,
  type HashRow,
  type ReportConditionLine,
  type ReportItem,
  type ReportParty,
  type ReportPartyCell,
  type ReportSignature,
} from './custody-report.model.js';

export interface RenderedReport {
  readonly bytes: Buffer;
  readonly pages: number;
}

export interface ReportAttachment {
  readonly name: string;
  readonly bytes: Buffer;
  readonly description: string;
}

type FontName =
  'Helvetica' | 'Helvetica-Bold' | 'Helvetica-Oblique' | 'Helvetica-BoldOblique' | 'Courier' | 'Courier-Bold';

/** A paragraph inside a cell or block: one font, one size, one colour. */
interface Run {
  readonly text: string;
  readonly font?: FontName;
  readonly size?: number;
  readonly color?: string;
  readonly align?: 'left' | 'right' | 'center';
}

type Cell = readonly Run[];

interface Column {
  readonly header: string;
  readonly width: number;
}

const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = { top: 74, bottom: 64, left: 45, right: 45 };
const CONTENT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const BOTTOM = PAGE.height - MARGIN.bottom;
const PAD = 3;

const INK = '#111111';
const MUTED = '#4d4d4d';
const RULE = '#7a7a7a';
const HEADER_FILL = '#e4e4e4';
const LABEL_FILL = '#f3f3f3';
const ALERT = '#a30000';
const OK = '#1f5a24';

// Windows-1252 code points above Latin-1 that the standard fonts' WinAnsiEncoding prints.
const WIN_ANSI_EXTRA = new Set([
  0x152, 0x153, 0x160, 0x161, 0x178, 0x17d, 0x17e, 0x192, 0x2c6, 0x2dc, 0x2013, 0x2014, 0x2018, 0x2019, 0x201a, 0x201c,
  0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122,
]);

/** Letters that do not decompose to a base letter but have an obvious one. */
const BASE_LETTERS: Readonly<Record<string, string>> = {
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ŀ: 'L',
  ŀ: 'l',
  Ŋ: 'N',
  ŋ: 'n',
  Ŧ: 'T',
  ŧ: 't',
  ĸ: 'k',
};

function printable(codePoint: number): boolean {
  return (
    (codePoint >= 0x20 && codePoint <= 0x7e) ||
    (codePoint >= 0xa0 && codePoint <= 0xff) ||
    WIN_ANSI_EXTRA.has(codePoint)
  );
}

/**
 * Text the standard fonts can print: Windows-1252 as is; other letters by their base letter (ą → a,
 * Ś → S, Ł → L); anything else as '?'. Returns the text and how many characters were approximated.
 */
export function toWinAnsi(text: string): { text: string; replaced: number } {
  let out = '';
  let replaced = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (printable(codePoint) || char === '\n') {
      out += char;
      continue;
    }
    if (char === '\t') {
      out += ' ';
      continue;
    }
    const base = BASE_LETTERS[char] ?? char.normalize('NFD').replace(/\p{M}/gu, '');
    out += base.length > 0 && base !== char && [...base].every((c) => printable(c.codePointAt(0)!)) ? base : '?';
    replaced++;
  }
  return { text: out, replaced };
}

/** Splits a hex value in lines of `width` characters (hash values in narrow columns). */
function hexLines(hex: string, width = 32): string {
  const lines: string[] = [];
  for (let at = 0; at < hex.length; at += width) lines.push(hex.slice(at, at + width));
  return lines.join('\n');
}

/** "2026-11-20 09:14:00 +01:00" as two lines: the date, then the time with its offset. */
function timeLines(label: string, time: string, size: number): Run[] {
  const [date, ...rest] = time.split(' ');
  return [
    { text: label, font: 'Helvetica-Bold', size: size - 0.2 },
    { text: date, size },
    ...(rest.length > 0 ? [{ text: rest.join(' '), size }] : []),
  ];
}

function partyLine(party: ReportParty): string {
  return [party.role, party.agency].filter((part) => part !== null && part !== '').join(', ');
}

function agencyLine(code: string | null, name: string | null): string {
  if (code === null) return 'no agency';
  return name === null ? code : `${code}, ${name}`;
}

const STATE_TEXT = { in_custody: 'In custody', transfer_pending: 'Transfer pending', disposed: 'Disposed of' } as const;

/** Where the item stood at the checkpoint, as a sentence fragment ("in custody of … at …"). */
function custodyStatus(now: ReportItem['current']): string {
  const holder = `${now.custodian.name} (${agencyLine(now.custodian.agency, now.custodian.agencyName)})`;
  if (now.state === 'disposed') return `disposed of; last held by ${holder}`;
  const where = now.location ? `, stored at ${now.location}` : '';
  if (now.state === 'transfer_pending')
    return `in custody of ${holder}${where}; released to ${now.pendingTo?.name ?? 'another custodian'}, receipt not yet signed`;
  return `in custody of ${holder}${where}`;
}

class ReportWriter {
  private readonly doc: PDFKit.PDFDocument;
  private replaced = 0;
  /** The item each page is about, for its header (null: the case as a whole). */
  private readonly pageItems: Array<string | null> = [];
  private currentItem: string | null;

  constructor(
    PDFDocument: typeof PDFKitDocument,
    private readonly report: CustodyReport,
    attachment: ReportAttachment | undefined,
  ) {
    const { issuedAt } = report;
    this.currentItem = report.subject.type === 'item' ? report.subject.number : null;
    this.doc = new PDFDocument({
      size: 'A4',
      margins: MARGIN,
      bufferPages: true,
      autoFirstPage: false,
      lang: 'en',
      displayTitle: true,
      pdfVersion: '1.7',
      info: {
        Title: this.clean(`${report.title}`),
        Subject: this.clean(
          `Chain-of-custody report of ${report.subject.type} ${report.subject.number}, case ${report.case.number}`,
        ),
        Author: this.clean(
          `Custos, issued to ${report.issuedBy.name}${report.issuedBy.agency ? ` (${report.issuedBy.agency})` : ''}`,
        ),
        Keywords: `chain of custody; ${report.subject.number}; bundle sha256 ${report.verification.bundleSha256}; checkpoint ${report.verification.treeSize}`,
        Creator: 'Custos',
        Producer: 'Custos (PDFKit)',
        CreationDate: issuedAt,
        ModDate: issuedAt,
      },
    });
    this.doc.on('pageAdded', () => this.pageItems.push(this.currentItem));
    if (attachment !== undefined) {
      this.doc.file(attachment.bytes, {
        name: attachment.name,
        type: 'application/json',
        description: attachment.description,
        creationDate: issuedAt,
        modifiedDate: issuedAt,
      });
    }
  }

  private clean(text: string): string {
    const result = toWinAnsi(text);
    this.replaced += result.replaced;
    return result.text;
  }

  /** Renders the document, handing each chunk of the file to `sink` in order; resolves with the page count. */
  async render(sink: (chunk: Buffer) => void): Promise<number> {
    const done = new Promise<void>((resolve, reject) => {
      this.doc.on('data', sink);
      this.doc.on('end', resolve);
      this.doc.on('error', reject);
    });
    this.doc.addPage();
    this.titleBlock();
    if (this.report.subject.type === 'case') this.caseOverview();
    this.report.items.forEach((item, n) => this.itemSections(item, n));
    this.currentItem = null;
    this.verificationSection();
    this.entriesAppendix();
    const pages = this.doc.bufferedPageRange().count;
    this.pageFurniture(pages);
    this.doc.end();
    await done;
    return pages;
  }

  // -------------------------------------------------------------------------------------------
  // Primitives
  // -------------------------------------------------------------------------------------------

  private newPage(): void {
    this.doc.addPage();
  }

  /** Starts a new page unless `height` points still fit on this one. */
  private ensure(height: number): void {
    if (this.doc.y + height > BOTTOM) this.newPage();
  }

  private measure(run: Run, width: number): number {
    this.doc.font(run.font ?? 'Helvetica').fontSize(run.size ?? 8);
    return this.doc.heightOfString(this.clean(run.text), { width, lineGap: 0.6 });
  }

  private write(run: Run, x: number, y: number, width: number): number {
    const text = this.clean(run.text);
    this.doc
      .font(run.font ?? 'Helvetica')
      .fontSize(run.size ?? 8)
      .fillColor(run.color ?? INK);
    const height = this.doc.heightOfString(text, { width, lineGap: 0.6 });
    this.doc.text(text, x, y, { width, lineGap: 0.6, align: run.align ?? 'left' });
    return height;
  }

  /** The text, shortened with an ellipsis so that it fits on one line of the given width. */
  private fitLine(raw: string, font: string, size: number, width: number): string {
    const text = this.clean(raw);
    this.doc.font(font).fontSize(size);
    if (this.doc.widthOfString(text) <= width) return text;
    let end = text.length;
    while (end > 0 && this.doc.widthOfString(`${text.slice(0, end).trimEnd()}…`) > width) end--;
    return `${text.slice(0, end).trimEnd()}…`;
  }

  private cellHeight(cell: Cell, width: number): number {
    return cell.reduce((sum, run) => sum + this.measure(run, width - 2 * PAD), 0) + 2 * PAD;
  }

  private drawCell(cell: Cell, x: number, y: number, width: number): void {
    let at = y + PAD;
    for (const run of cell) at += this.write(run, x + PAD, at, width - 2 * PAD);
  }

  private heading(text: string, options: { size?: number; before?: number; keep?: number } = {}): void {
    const size = options.size ?? 11.5;
    this.doc.y += options.before ?? 10;
    this.ensure(size + 6 + (options.keep ?? 60));
    const y = this.doc.y;
    this.write({ text, font: 'Helvetica-Bold', size }, MARGIN.left, y, CONTENT_WIDTH);
    this.doc.y = y + size + 3;
    this.doc
      .moveTo(MARGIN.left, this.doc.y)
      .lineTo(MARGIN.left + CONTENT_WIDTH, this.doc.y)
      .lineWidth(0.8)
      .strokeColor(INK)
      .stroke();
    this.doc.y += 5;
  }

  private paragraph(runs: Cell, options: { indent?: number; after?: number } = {}): void {
    const indent = options.indent ?? 0;
    const width = CONTENT_WIDTH - indent;
    this.ensure(runs.reduce((sum, run) => sum + this.measure(run, width), 0));
    let y = this.doc.y;
    for (const run of runs) y += this.write(run, MARGIN.left + indent, y, width);
    this.doc.y = y + (options.after ?? 4);
  }

  /** Mixed fonts on one flowing paragraph: a bold label then regular text, e.g. "SEAL BROKEN — …". */
  private labelled(label: string, text: string, color: string, indent = 0): void {
    const width = CONTENT_WIDTH - indent;
    this.doc.font('Helvetica-Bold').fontSize(8.5);
    const height = this.doc.heightOfString(this.clean(`${label} — ${text}`), { width });
    this.ensure(height + 2);
    const y = this.doc.y;
    this.doc.fillColor(color).text(this.clean(`${label} — `), MARGIN.left + indent, y, { width, continued: true });
    this.doc.font('Helvetica').fillColor(INK).text(this.clean(text));
    this.doc.y = Math.max(this.doc.y, y + height) + 2;
  }

  /**
   * A ruled table; rows never split across pages, and the header row is repeated on every page
   * the table continues on.
   */
  private table(
    columns: readonly Column[],
    rows: readonly Cell[][],
    options: { header?: boolean; caption?: string; labelColumn?: boolean } = {},
  ): void {
    const showHeader = options.header ?? true;
    const headerCells: Cell[] = columns.map((column) => [{ text: column.header, font: 'Helvetica-Bold', size: 7.5 }]);
    const headerHeight = showHeader
      ? Math.max(...headerCells.map((cell, i) => this.cellHeight(cell, columns[i].width)))
      : 0;
    const drawHeader = (continued: boolean): void => {
      if (continued && options.caption) {
        const y = this.doc.y;
        this.write(
          { text: `${options.caption} (continued)`, font: 'Helvetica-Oblique', size: 7.5, color: MUTED },
          MARGIN.left,
          y,
          CONTENT_WIDTH,
        );
        this.doc.y = y + 11;
      }
      if (!showHeader) return;
      const y = this.doc.y;
      let x = MARGIN.left;
      this.doc.rect(MARGIN.left, y, CONTENT_WIDTH, headerHeight).fillColor(HEADER_FILL).fill();
      columns.forEach((column, i) => {
        this.drawCell(headerCells[i], x, y, column.width);
        x += column.width;
      });
      this.grid(columns, y, headerHeight);
      this.doc.y = y + headerHeight;
    };
    const firstHeight =
      rows.length === 0 ? 0 : Math.max(...rows[0].map((cell, i) => this.cellHeight(cell, columns[i].width)));
    this.ensure(headerHeight + firstHeight);
    drawHeader(false);
    for (const row of rows) {
      const height = Math.max(...row.map((cell, i) => this.cellHeight(cell, columns[i].width)));
      if (this.doc.y + height > BOTTOM) {
        this.newPage();
        drawHeader(true);
      }
      const y = this.doc.y;
      if (options.labelColumn) this.doc.rect(MARGIN.left, y, columns[0].width, height).fillColor(LABEL_FILL).fill();
      let x = MARGIN.left;
      row.forEach((cell, i) => {
        this.drawCell(cell, x, y, columns[i].width);
        x += columns[i].width;
      });
      this.grid(columns, y, height);
      this.doc.y = y + height;
    }
    this.doc.y += 6;
  }

  private grid(columns: readonly Column[], y: number, height: number): void {
    this.doc.lineWidth(0.5).strokeColor(RULE);
    this.doc.rect(MARGIN.left, y, CONTENT_WIDTH, height).stroke();
    let x = MARGIN.left;
    for (const column of columns.slice(0, -1)) {
      x += column.width;
      this.doc
        .moveTo(x, y)
        .lineTo(x, y + height)
        .stroke();
    }
  }

  /** Label / value rows in a ruled two-column table. */
  private fields(rows: ReadonlyArray<readonly [string, Cell | string | null]>, labelWidth = 128): void {
    const columns: Column[] = [
      { header: '', width: labelWidth },
      { header: '', width: CONTENT_WIDTH - labelWidth },
    ];
    const cells = rows
      .filter(([, value]) => value !== null)
      .map(([label, value]): Cell[] => [
        [{ text: label, font: 'Helvetica-Bold', size: 8 }],
        typeof value === 'string' ? [{ text: value, size: 8.5 }] : value!,
      ]);
    this.table(columns, cells, { header: false, labelColumn: true });
  }

  // -------------------------------------------------------------------------------------------
  // Sections
  // -------------------------------------------------------------------------------------------

  private titleBlock(): void {
    const { report } = this;
    const y = this.doc.y;
    this.write({ text: report.title, font: 'Helvetica-Bold', size: 17 }, MARGIN.left, y, CONTENT_WIDTH);
    this.doc.y = y + 24;
    this.paragraph(
      [
        {
          text:
            report.subject.type === 'item'
              ? 'Evidence custody record: identification, seizure, every transfer of custody, hash verifications, disposition and electronic signatures, as recorded in the Custos tamper-evident ledger.'
              : 'Evidence custody record of every item of the case: identification, seizure, every transfer of custody, hash verifications, disposition and electronic signatures, as recorded in the Custos tamper-evident ledger.',
          size: 8.5,
          color: MUTED,
        },
      ],
      { after: 8 },
    );
    const { verification, issuedBy } = report;
    this.fields([
      ['Case', `${report.case.number} — ${report.case.title}`],
      ['Owning agency', agencyLine(report.case.agency, report.case.agencyName)],
      [
        'Case legal authority',
        report.case.legalAuthority.length > 0 ? report.case.legalAuthority.join('; ') : 'None recorded on the case',
      ],
      ...(report.subject.type === 'item'
        ? [['Item number', [{ text: report.subject.number, font: 'Helvetica-Bold', size: 9 }]] as const]
        : []),
      [
        'Report issued',
        [
          {
            text: `${displayInstant(report.issuedAt)} (UTC) to ${issuedBy.name}${issuedBy.username ? ` (${issuedBy.username})` : ''}`,
            size: 8.5,
          },
          {
            text: `${issuedBy.role ?? 'user'}, ${agencyLine(issuedBy.agency, issuedBy.agencyName)}`,
            size: 8,
            color: MUTED,
          },
        ],
      ],
      [
        'Ledger evidence',
        [
          {
            text: `Checkpoint of ledger ${verification.origin} at tree size ${verification.treeSize}; ${verification.entryCount} entries of this ${report.subject.type}`,
            size: 8.5,
          },
          { text: `Bundle SHA-256: ${verification.bundleSha256}`, font: 'Courier', size: 7.5 },
          {
            text: 'Details and how to verify them: section “Verification” at the end of this report.',
            size: 7.5,
            color: MUTED,
          },
        ],
      ],
    ]);
    this.paragraph(
      [
        {
          text:
            'Times are shown with their UTC offset. Times stated by the person who acted (seizure, hashing, disposal) keep the offset of the place; ' +
            'times recorded by the ledger and signature times are in UTC (+00:00). Ledger entries are cited as #<index>.',
          size: 7.5,
          color: MUTED,
        },
      ],
      { after: 2 },
    );
  }

  private caseOverview(): void {
    const { report } = this;
    this.heading('Items of the case');
    if (report.items.length === 0) this.paragraph([{ text: 'No item is registered in this case.', size: 8.5 }]);
    const columns: Column[] = [
      { header: 'Item number', width: 92 },
      { header: 'Kind and description', width: 170 },
      { header: 'Custody at the checkpoint', width: 148 },
      { header: 'Integrity', width: CONTENT_WIDTH - 410 },
    ];
    if (report.items.length > 0) {
      this.table(
        columns,
        report.items.map((item): Cell[] => [
          [{ text: item.number, font: 'Helvetica-Bold', size: 7.5 }],
          [
            { text: itemKindWords(item.description.kind), font: 'Helvetica-Bold', size: 7.5 },
            { text: item.description.description, size: 7.5 },
          ],
          [
            { text: STATE_TEXT[item.current.state], size: 7.5 },
            {
              text: `${item.current.state === 'disposed' ? 'Last held by' : 'Held by'} ${item.current.custodian.name} (${item.current.custodian.agency ?? 'no agency'})`,
              size: 7.5,
            },
            ...(item.current.location ? [{ text: item.current.location, size: 7, color: MUTED }] : []),
          ],
          item.findings.length > 0
            ? [
                { text: 'COMPROMISED', font: 'Helvetica-Bold', size: 7.5, color: ALERT },
                ...item.findings.map((finding): Run => ({
                  text: `${finding.label} (#${finding.entry})`,
                  font: 'Helvetica-Bold',
                  size: 7,
                  color: ALERT,
                })),
              ]
            : [{ text: 'Intact', size: 7.5 }],
        ]),
        { caption: 'Items of the case' },
      );
    }
    if (report.caseRecord.length > 0) {
      this.heading('Case record');
      this.table(
        [
          { header: 'Entry', width: 34 },
          { header: 'Recorded', width: 110 },
          { header: 'Event', width: CONTENT_WIDTH - 144 },
        ],
        report.caseRecord.map((line): Cell[] => [
          [{ text: `#${line.entry}`, size: 7.5 }],
          [{ text: line.when, size: 7.5 }],
          [
            { text: line.text, size: 7.5 },
            ...(line.sha256 ? [{ text: `PDF SHA-256 ${line.sha256}`, font: 'Courier' as const, size: 7 }] : []),
          ],
        ]),
        { caption: 'Case record' },
      );
    }
  }

  private itemSections(item: ReportItem, n: number): void {
    const { report } = this;
    const caseReport = report.subject.type === 'case';
    const prefix = caseReport ? `${n + 1}.` : '';
    if (caseReport) {
      this.currentItem = item.number;
      this.newPage();
      const y = this.doc.y;
      this.write(
        { text: `Item ${n + 1} of ${report.items.length}: ${item.number}`, font: 'Helvetica-Bold', size: 15 },
        MARGIN.left,
        y,
        CONTENT_WIDTH,
      );
      this.doc.y = y + 22;
    }
    this.integrityBanner(item);
    this.identification(item, `${prefix}1`);
    this.seizure(item, `${prefix}2`);
    this.custodyTable(item, `${prefix}3`);
    this.hashTable(item, `${prefix}4`);
    const more = item.corrections.length > 0 ? 1 : 0;
    if (more > 0) this.corrections(item, `${prefix}5`);
    this.disposition(item, `${prefix}${5 + more}`);
    this.signatures(item, `${prefix}${6 + more}`);
  }

  private integrityBanner(item: ReportItem): void {
    const compromised = item.findings.length > 0;
    const { match, mismatch, notCompared } = item.verifications;
    const verifications = match + mismatch + notCompared;
    const counted =
      verifications === 0
        ? 'no hash verification is recorded'
        : `${verifications} hash verification${verifications === 1 ? '' : 's'} recorded: ${match} matched the reference, ${mismatch} did not${notCompared > 0 ? `, ${notCompared} could not be compared` : ''}`;
    const headline = compromised ? 'INTEGRITY: COMPROMISED' : 'INTEGRITY: INTACT';
    const summary = compromised
      ? `The ledger records ${item.findings.length} integrity problem${item.findings.length === 1 ? '' : 's'} for this item (${counted}):`
      : `No hash mismatch and no broken seal is recorded for this item (${counted}).`;
    const width = CONTENT_WIDTH - 16;
    this.doc.font('Helvetica-Bold').fontSize(8.5);
    const findingsHeight = item.findings.reduce(
      (sum, finding) => sum + this.doc.heightOfString(this.clean(`${finding.label} — ${finding.text}`), { width }) + 2,
      0,
    );
    const height = 8 + 15 + this.measure({ text: summary, size: 8.5 }, width) + 3 + findingsHeight + 6;
    this.ensure(height + 4);
    const top = this.doc.y;
    this.doc
      .lineWidth(compromised ? 1.6 : 0.9)
      .strokeColor(compromised ? ALERT : OK)
      .rect(MARGIN.left, top, CONTENT_WIDTH, height)
      .stroke();
    this.write(
      { text: headline, font: 'Helvetica-Bold', size: 11.5, color: compromised ? ALERT : OK },
      MARGIN.left + 8,
      top + 7,
      width,
    );
    this.doc.y = top + 8 + 15;
    this.doc.y += this.write({ text: summary, size: 8.5 }, MARGIN.left + 8, this.doc.y, width) + 3;
    for (const finding of item.findings) this.labelled(finding.label, finding.text, ALERT, 8);
    this.doc.y = top + height + 4;
  }

  private identification(item: ReportItem, number: string): void {
    const d = item.description;
    const note = (field: string): Run[] =>
      item.correctedFields.has(field)
        ? [{ text: 'Corrected value: see Corrections', font: 'Helvetica-Oblique', size: 7.5, color: MUTED }]
        : [];
    const corrected = (field: string, text: string): Cell => [{ text, size: 8.5 }, ...note(field)];
    const mono = (field: string, values: readonly string[]): Cell | null =>
      values.length === 0 ? null : [{ text: values.join('\n'), font: 'Courier-Bold', size: 8.5 }, ...note(field)];
    const capacity =
      d.capacityBytes === null
        ? null
        : `${BigInt(d.capacityBytes).toLocaleString('en-GB')} bytes (${(Number(d.capacityBytes) / 1e9).toLocaleString('en-GB', { maximumFractionDigits: 1 })} GB)`;
    this.heading(`${number}. Evidence item`);
    this.fields([
      ['Item number', [{ text: item.number, font: 'Helvetica-Bold', size: 9.5 }]],
      ['Kind', itemKindWords(d.kind)],
      ['Description', corrected('description', d.description)],
      [
        'Make / model',
        d.make || d.model ? corrected(d.make ? 'make' : 'model', [d.make, d.model].filter(Boolean).join(' / ')) : null,
      ],
      ['Serial number', d.serial ? mono('serial', [d.serial]) : null],
      [d.imeis.length > 1 ? 'IMEIs' : 'IMEI', mono('imeis', d.imeis)],
      ['ICCID (SIM)', d.iccid ? mono('iccid', [d.iccid]) : null],
      ['MAC addresses', mono('macAddresses', d.macAddresses)],
      ['Capacity', capacity === null ? null : corrected('capacityBytes', capacity)],
      ['Condition', d.condition ? corrected('condition', d.condition) : null],
      [
        'Power state at seizure',
        d.powerState
          ? corrected('powerState', humanize(d.powerState === 'airplane' ? 'airplane_mode' : d.powerState))
          : null,
      ],
      [
        'Seal (evidence bag) no.',
        d.sealNumber ? mono('sealNumber', [d.sealNumber]) : 'No seal recorded at registration',
      ],
      ['Made from item', d.parent ? [{ text: d.parent.number, font: 'Helvetica-Bold', size: 8.5 }] : null],
    ]);
  }

  private seizure(item: ReportItem, number: string): void {
    const d = item.description;
    const by = item.registeredBy;
    const corrected = (field: string, text: string, bold = false): Cell => [
      { text, font: bold ? 'Helvetica-Bold' : 'Helvetica', size: 8.5 },
      ...(item.correctedFields.has(field)
        ? [{ text: 'Corrected value: see Corrections', font: 'Helvetica-Oblique' as const, size: 7.5, color: MUTED }]
        : []),
    ];
    const who: Cell =
      by === null
        ? [{ text: 'the system', size: 8.5 }]
        : [
            { text: by.name, font: 'Helvetica-Bold', size: 8.5 },
            {
              text: `${by.role ?? ''}${by.role ? ', ' : ''}${agencyLine(by.agency, by.agencyName)}`,
              size: 8,
              color: MUTED,
            },
          ];
    if (item.derived) {
      const acquisition = item.acquisition!;
      this.heading(`${number}. Origin: forensic acquisition`);
      this.fields([
        ['Made at (date / time)', corrected('occurredAt', displayTime(d.occurredAt), true)],
        ['Place', corrected('place', d.place)],
        ['Made from item', d.parent?.number ?? 'not recorded'],
        [
          'Tool',
          `${acquisition.tool} ${acquisition.toolVersion}${acquisition.method ? ` — ${acquisition.method}` : ''}`,
        ],
        [
          'Legal authority',
          d.legalAuthority ? corrected('legalAuthority', d.legalAuthority) : 'Not stated on the item (see the case)',
        ],
        ['Made and registered by', who],
        ['Recorded in the ledger', `Entry #${item.registrationEntry}, ${item.registeredAt}`],
      ]);
      return;
    }
    this.heading(`${number}. Seizure and authority`);
    this.fields([
      ['Seized (date / time)', corrected('occurredAt', displayTime(d.occurredAt), true)],
      ['Place of seizure', corrected('place', d.place)],
      ['Seized from (reference)', d.seizedFrom ? corrected('seizedFrom', d.seizedFrom) : 'Not recorded'],
      [
        'Legal authority',
        d.legalAuthority ? corrected('legalAuthority', d.legalAuthority) : 'Not stated on the item (see the case)',
      ],
      ['Seized and registered by', who],
      ['Recorded in the ledger', `Entry #${item.registrationEntry}, ${item.registeredAt}`],
    ]);
  }

  private partyCell(cell: ReportPartyCell): Cell {
    const runs: Run[] = [];
    if (cell.party !== null) {
      runs.push({ text: cell.party.name, font: 'Helvetica-Bold', size: 7.5 });
      // A name the fonts cannot print (Greek, Cyrillic …) is still identified by the username.
      if (
        cell.party.username !== null &&
        toWinAnsi(cell.party.name).text.includes('?') &&
        !cell.party.name.includes('?')
      ) {
        runs.push({ text: `(${cell.party.username})`, size: 6.8 });
      }
      runs.push({ text: partyLine(cell.party), size: 7 });
      if (cell.party.agencyName)
        runs.push({ text: cell.party.agencyName, font: 'Helvetica-Oblique', size: 6.8, color: MUTED });
    }
    if (cell.text !== null) runs.push({ text: cell.text, size: 7.2 });
    if (cell.signature !== null) {
      runs.push({ text: `Signed “${cell.signature.meaning}”`, font: 'Helvetica-Bold', size: 6.8 });
      runs.push({ text: cell.signature.at, size: 6.5 });
    } else if (cell.party !== null) {
      runs.push({ text: cell.unsigned ?? 'Not a signed act', font: 'Helvetica-Oblique', size: 6.5, color: MUTED });
    }
    return runs;
  }

  private lines(lines: readonly ReportConditionLine[], size = 7.2): Cell {
    if (lines.length === 0) return [{ text: '—', size, color: MUTED }];
    return lines.map((line) =>
      line.alert ? { text: line.text, font: 'Helvetica-Bold', size, color: ALERT } : { text: line.text, size },
    );
  }

  private custodyTable(item: ReportItem, number: string): void {
    this.heading(`${number}. Chain of custody`, { keep: 90 });
    const columns: Column[] = [
      { header: 'Entry', width: 27 },
      { header: 'Date / time', width: 66 },
      { header: 'Released by', width: 97 },
      { header: 'Received by', width: 97 },
      { header: 'Purpose', width: 90 },
      { header: 'Location', width: 62 },
      { header: 'Seal / condition', width: CONTENT_WIDTH - 439 },
    ];
    const rows = item.custody.map((row: CustodyRow): Cell[] => [
      [{ text: row.entries.map((index) => `#${index}`).join('\n'), size: 7.2 }],
      row.when.flatMap((line) => timeLines(line.label, line.time, 7)),
      this.partyCell(row.releasedBy),
      this.partyCell(row.receivedBy),
      this.lines(row.purpose),
      [{ text: row.location ?? '—', size: 7, color: row.location ? INK : MUTED }],
      this.lines(row.condition),
    ]);
    this.table(columns, rows, { caption: `${item.number}: chain of custody` });
    this.paragraph([
      {
        text: `Custody at the checkpoint (tree size ${this.report.verification.treeSize}): ${custodyStatus(item.current)}.`,
        font: 'Helvetica-Bold',
        size: 8,
      },
    ]);
  }

  private hashTable(item: ReportItem, number: string): void {
    this.heading(`${number}. Hash references and verifications`, { keep: 70 });
    if (item.hashes.length === 0) {
      this.paragraph([{ text: 'No hash of this item is recorded.', size: 8.5 }]);
      return;
    }
    const columns: Column[] = [
      { header: 'Entry', width: 30 },
      { header: 'Target / record', width: 78 },
      { header: 'Algorithm', width: 44 },
      { header: 'Value (hex)', width: 140 },
      { header: 'Date / time, by, tool', width: 118 },
      { header: 'Result', width: CONTENT_WIDTH - 410 },
    ];
    const rows = item.hashes.map((hash: HashRow): Cell[] => [
      [{ text: `#${hash.entry}`, size: 7.2 }],
      [
        { text: hash.target, font: 'Helvetica-Bold', size: 7.2 },
        {
          text:
            hash.role === 'reference'
              ? hash.context === 'acquisition'
                ? 'Reference (acquisition)'
                : 'Reference'
              : hash.context === 'on receipt'
                ? 'Verification on receipt'
                : 'Verification',
          size: 7,
        },
      ],
      [{ text: hash.algorithm.toUpperCase(), size: 7.2 }],
      [{ text: hexLines(hash.value), font: 'Courier', size: 6.6 }],
      [
        { text: hash.when, size: 7 },
        { text: hash.by === null ? 'the system' : `${hash.by.name} (${hash.by.agency ?? 'no agency'})`, size: 7 },
        ...(hash.tool ? [{ text: hash.tool, size: 6.8, color: MUTED }] : []),
      ],
      this.hashResult(hash),
    ]);
    this.table(columns, rows, { caption: `${item.number}: hash references and verifications` });
  }

  private hashResult(hash: HashRow): Cell {
    if (hash.role === 'reference') {
      return hash.weak
        ? [
            { text: 'REFERENCE', font: 'Helvetica-Bold', size: 7.2 },
            { text: 'WEAK: no SHA-256 or stronger in this reference', font: 'Helvetica-Bold', size: 6.8, color: ALERT },
          ]
        : [{ text: 'REFERENCE', font: 'Helvetica-Bold', size: 7.2 }];
    }
    const against = hash.referenceEntry === null ? '' : ` reference #${hash.referenceEntry}`;
    switch (hash.result) {
      case 'match':
        return [
          { text: 'MATCH', font: 'Helvetica-Bold', size: 7.2, color: OK },
          { text: `equals${against}`, size: 6.8 },
        ];
      case 'mismatch':
        return [
          { text: 'MISMATCH', font: 'Helvetica-Bold', size: 8, color: ALERT },
          { text: `differs from${against}`, font: 'Helvetica-Bold', size: 6.8, color: ALERT },
        ];
      default:
        return [
          { text: 'NOT COMPARED', font: 'Helvetica-Bold', size: 7.2 },
          { text: `no ${hash.algorithm.toUpperCase()} in the reference`, size: 6.8 },
        ];
    }
  }

  private corrections(item: ReportItem, number: string): void {
    this.heading(`${number}. Corrections`, { keep: 50 });
    this.paragraph([
      {
        text: 'Nothing in the ledger is ever edited. A correction is a new, signed entry naming the entry it corrects and why; this report shows the corrected values above and both values here.',
        size: 7.5,
        color: MUTED,
      },
    ]);
    this.table(
      [
        { header: 'Entry', width: 30 },
        { header: 'Corrects', width: 46 },
        { header: 'Field: recorded value / corrected value', width: 230 },
        { header: 'Reason', width: 110 },
        { header: 'By', width: CONTENT_WIDTH - 416 },
      ],
      item.corrections.map((correction): Cell[] => [
        [{ text: `#${correction.entry}`, size: 7.2 }],
        [{ text: `#${correction.corrects}`, size: 7.2 }],
        correction.changes.flatMap((change): Run[] => [
          { text: change.field, font: 'Helvetica-Bold', size: 7.2 },
          { text: `was: ${change.from}`, size: 7 },
          { text: `now: ${change.to}`, size: 7 },
        ]),
        [{ text: correction.reason, size: 7.2 }],
        [
          {
            text:
              correction.by === null ? 'the system' : `${correction.by.name} (${correction.by.agency ?? 'no agency'})`,
            size: 7.2,
          },
        ],
      ]),
      { caption: `${item.number}: corrections` },
    );
  }

  private disposition(item: ReportItem, number: string): void {
    this.heading(`${number}. Disposition`, { keep: 50 });
    const disposal = item.disposition;
    if (disposal === null) {
      this.paragraph([
        {
          text: `Not disposed of. At the checkpoint of tree size ${this.report.verification.treeSize} the item was ${custodyStatus(item.current)}.`,
          size: 8.5,
        },
      ]);
      return;
    }
    const signature = (who: ReportParty, meaning: string): Cell => {
      const signed = disposal.signatures.find((s) => s.printedName === who.name && s.meaning === meaning);
      return [
        { text: who.name, font: 'Helvetica-Bold', size: 8.5 },
        {
          text: `${who.role ?? ''}${who.role ? ', ' : ''}${agencyLine(who.agency, who.agencyName)}`,
          size: 8,
          color: MUTED,
        },
        signed
          ? { text: `Signed “${meaning}” ${signed.signedAt}`, font: 'Helvetica-Bold', size: 8 }
          : { text: 'No signature', size: 8, color: ALERT },
      ];
    };
    this.fields([
      ['Disposition', [{ text: disposal.disposition, font: 'Helvetica-Bold', size: 9 }]],
      ['Date / time', disposal.occurredAt],
      ['Authority', disposal.authorityReference],
      [
        'Recipient',
        disposal.recipient ?? (disposal.disposition === 'Destroyed' ? 'Not applicable (destroyed)' : 'Not recorded'),
      ],
      ['Notes', disposal.notes],
      ['Custodian', signature(disposal.custodian, 'disposed')],
      ['Witness', signature(disposal.witness, 'witnessed')],
      ['Recorded in the ledger', `Entry #${disposal.entry}`],
    ]);
  }

  private signatures(item: ReportItem, number: string): void {
    this.heading(`${number}. Electronic signatures`, { keep: 60 });
    this.paragraph([
      {
        text:
          'Each signature was made by the signer re-entering their password at the time of signing. It is stored inside the ledger entry it signs ' +
          'and bound to the SHA-256 of that entry’s content, so it cannot be moved to another record. Shown with printed name, date and time and meaning. ' +
          this.report.legalBasis.signatureLaw,
        size: 7.5,
        color: MUTED,
      },
    ]);
    if (item.signatures.length === 0) {
      this.paragraph([{ text: 'No signed act is recorded for this item.', size: 8.5 }]);
      return;
    }
    this.table(
      [
        { header: 'Entry', width: 27 },
        { header: 'Printed name', width: 92 },
        { header: 'Meaning', width: 52 },
        { header: 'Date / time signed', width: 108 },
        { header: 'Role, agency', width: 96 },
        { header: 'Signed act; bound to entry content SHA-256', width: CONTENT_WIDTH - 375 },
      ],
      item.signatures.map((signature: ReportSignature): Cell[] => [
        [{ text: `#${signature.entry}`, size: 7.2 }],
        [
          { text: signature.printedName, font: 'Helvetica-Bold', size: 7.5 },
          { text: signature.username, size: 6.8, color: MUTED },
        ],
        [{ text: signature.meaning, font: 'Helvetica-Bold', size: 7.5 }],
        [{ text: signature.signedAt, size: 7.5 }],
        [
          { text: `${signature.role}, ${signature.agency ?? 'no agency'}`, size: 7.2 },
          ...(signature.agencyName
            ? [{ text: signature.agencyName, font: 'Helvetica-Oblique' as const, size: 6.8, color: MUTED }]
            : []),
        ],
        [
          { text: signature.act, size: 7 },
          { text: hexLines(signature.eventHash), font: 'Courier', size: 6.2, color: MUTED },
        ],
      ]),
      { caption: `${item.number}: electronic signatures` },
    );
  }

  private verificationSection(): void {
    const { report } = this;
    const v = report.verification;
    this.newPage();
    this.heading('Verification', { before: 0, size: 13 });
    this.paragraph([
      {
        text:
          `This report is a rendering of the custody bundle identified below: ${v.entryCount} ledger entries of ${report.subject.type} ${report.subject.number}, ` +
          'each with its proof of inclusion in the signed checkpoint below, and the ledger’s signed statement that they are all the entries of that ' +
          `${report.subject.type} in that checkpoint’s tree. Anyone can check the bundle offline, without trusting Custos or its operators, with nothing but the bundle and the ledger’s public key.`,
        size: 8.5,
      },
    ]);
    this.fields([
      ['Bundle SHA-256', [{ text: v.bundleSha256, font: 'Courier-Bold', size: 8.2 }]],
      ['Bundle file', [{ text: v.bundleFileName, font: 'Courier', size: 8 }]],
      ['Ledger origin', [{ text: v.origin, font: 'Courier', size: 8 }]],
      ['Checkpoint tree size', [{ text: String(v.treeSize), font: 'Helvetica-Bold', size: 9 }]],
      ['Root hash (base64)', [{ text: v.rootBase64, font: 'Courier', size: 8 }]],
      ['Root hash (hex)', [{ text: v.rootHex, font: 'Courier', size: 8 }]],
      ['Ledger verifier key', [{ text: v.vkey, font: 'Courier', size: 7 }]],
      // What vouches for the checkpoint besides the ledger's key (issue #15): a TSA's time, witnesses.
      ...(v.attestations.timestamp === null
        ? []
        : ([
            [
              'Time-stamp (RFC 3161)',
              [
                { text: v.attestations.timestamp.genTime, font: 'Helvetica-Bold', size: 8.5 },
                { text: `by ${v.attestations.timestamp.tsa}`, size: 8 },
              ],
            ],
          ] as const)),
      ...v.attestations.cosignatures.map(
        (c) => ['Witness cosignature', [{ text: `${c.witness}, cosigned ${c.at}`, font: 'Courier', size: 8 }]] as const,
      ),
    ]);
    this.checkpointBox(v.checkpointNote);
    this.heading('How to verify', { size: 10.5, keep: 120 });
    const steps: Array<readonly [string, string | null]> = [
      [
        'Obtain the ledger’s verifier key from the operator of the Custos service, through a channel independent of this report (for example GET /api/v1/ledger/public-key, or a letter from the agency). It must equal the key printed above.',
        null,
      ],
      [
        `Obtain the bundle. The electronic copy of this report carries it as the attached file ${v.bundleFileName} (extract it with “pdfdetach -saveall report.pdf”, or from the attachments panel of a PDF reader). Its SHA-256 (“sha256sum ${v.bundleFileName}”) must equal the bundle SHA-256 above. ` +
          `With a paper copy only, download the bundle from the service with GET ${v.bundlePath}?since=${v.treeSize} and save the checkpoint above as checkpoint.txt: that bundle proves that the ledger today extends this checkpoint.`,
        null,
      ],
      [
        'Run the offline verifier of Custos (it needs Node.js only: no database, no network), with the key of step 1. It must end with VERIFIED and show the entries, custodians, signatures and integrity findings printed in this report:',
        `npm run custos -- verify ${v.bundleFileName} --key <verifier key>\n(with a downloaded bundle, add: --checkpoint checkpoint.txt)`,
      ],
      [
        'Authenticate this PDF file. Its SHA-256 was registered in the ledger when it was issued; a copy changed after issue, even by one byte, is not found:',
        'npm run custos -- verify-report report.pdf --url <service base URL> --token <access token>\n(or: sha256sum report.pdf, then GET /api/v1/reports/<sha256>)',
      ],
    ];
    steps.forEach(([text, command], i) => {
      this.ensure(30);
      const y = this.doc.y;
      this.write({ text: `${i + 1}.`, font: 'Helvetica-Bold', size: 8.5 }, MARGIN.left, y, 14);
      this.doc.y = y;
      this.paragraph([{ text, size: 8.5 }], { indent: 14, after: command === null ? 5 : 2 });
      if (command !== null) this.paragraph([{ text: command, font: 'Courier', size: 7.2 }], { indent: 24, after: 6 });
    });
    this.heading('Standards and legal basis', { size: 10.5, keep: 80 });
    for (const text of report.legalBasis.paragraphs) this.paragraph([{ text, size: 8.5 }]);
    this.heading('Registration of this report', { size: 10.5, keep: 60 });
    this.paragraph([
      {
        text:
          `Issued ${displayInstant(report.issuedAt)} (UTC) to ${report.issuedBy.name} (${report.issuedBy.role ?? 'user'}, ${agencyLine(report.issuedBy.agency, report.issuedBy.agencyName)}). ` +
          'Before this file was delivered, Custos recorded a “report.issued” entry in the ledger carrying the SHA-256 of this PDF file, the bundle SHA-256, the checkpoint above, ' +
          'the number of pages and the issuing time. A document cannot contain its own hash, so that entry’s number is not printed here: the lookup in step 4 returns it, ' +
          'and later checkpoints include it like every entry. The report bears no handwritten signature; its authenticity rests on that entry.',
        size: 8.5,
      },
    ]);
    this.ensure(70);
    this.doc.y += 8;
    const y = this.doc.y;
    this.write({ text: 'For the use of the court', font: 'Helvetica-Bold', size: 8.5 }, MARGIN.left, y, CONTENT_WIDTH);
    const lineY = y + 34;
    const segments: Array<[string, number, number]> = [
      ['Received by (name, signature)', MARGIN.left, 220],
      ['Date', MARGIN.left + 240, 110],
      ['Exhibit number', MARGIN.left + 370, CONTENT_WIDTH - 370],
    ];
    for (const [label, x, width] of segments) {
      this.doc
        .moveTo(x, lineY)
        .lineTo(x + width, lineY)
        .lineWidth(0.6)
        .strokeColor(INK)
        .stroke();
      this.write({ text: label, size: 7, color: MUTED }, x, lineY + 3, width);
    }
    this.doc.y = lineY + 18;
  }

  private checkpointBox(note: string): void {
    const lines = note.replace(/\n$/, '').split('\n');
    this.doc.font('Courier');
    const longest = Math.max(...lines.map((line) => this.doc.fontSize(1).widthOfString(this.clean(line))));
    const size = Math.max(5.5, Math.min(8.5, (CONTENT_WIDTH - 16) / longest));
    const height = lines.length * (size + 2.2) + 24;
    this.ensure(height + 8);
    const top = this.doc.y + 2;
    this.write(
      {
        text: 'Signed checkpoint (C2SP tlog-checkpoint signed note), exactly as issued:',
        font: 'Helvetica-Bold',
        size: 8,
      },
      MARGIN.left,
      top,
      CONTENT_WIDTH,
    );
    const boxTop = top + 12;
    this.doc
      .rect(MARGIN.left, boxTop, CONTENT_WIDTH, height - 12)
      .lineWidth(0.6)
      .strokeColor(RULE)
      .stroke();
    let y = boxTop + 6;
    for (const line of lines) {
      this.write(
        { text: line.length === 0 ? ' ' : line, font: 'Courier', size },
        MARGIN.left + 8,
        y,
        CONTENT_WIDTH - 16,
      );
      y += size + 2.2;
    }
    this.doc.y = boxTop + height - 12 + 8;
  }

  private entriesAppendix(): void {
    const { report } = this;
    this.heading('Appendix: ledger entries of the bundle', { size: 10.5, keep: 80 });
    this.paragraph([
      {
        text: 'Every entry this report is drawn from, with its RFC 6962 leaf hash, SHA-256(0x00 ‖ entry bytes): what its inclusion proof in the bundle proves.'.replace(
          '‖',
          '||',
        ),
        size: 7.5,
        color: MUTED,
      },
    ]);
    this.table(
      [
        { header: 'Entry', width: 34 },
        { header: 'Type', width: 78 },
        { header: 'About', width: 116 },
        { header: 'Recorded', width: 94 },
        { header: 'Leaf hash (hex)', width: CONTENT_WIDTH - 322 },
      ],
      report.entries.map((entry): Cell[] => [
        [{ text: `#${entry.index}`, size: 7 }],
        [{ text: entry.type, size: 7 }],
        [{ text: entry.subject, size: 7 }],
        [{ text: entry.recordedAt, size: 7 }],
        [{ text: hexLines(entry.leafHash), font: 'Courier', size: 6.4 }],
      ]),
      { caption: 'Ledger entries of the bundle' },
    );
  }

  /** Header and footer of every page, drawn last so the footer can say "page X of Y". */
  private pageFurniture(pages: number): void {
    const { report } = this;
    const v = report.verification;
    for (let i = 0; i < pages; i++) {
      this.doc.switchToPage(i);
      // Writing in the margins must not start new pages.
      const margins = { ...this.doc.page.margins };
      this.doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 };
      const item = this.pageItems[i];
      const right = `Case ${report.case.number}${item !== null ? `  ·  Item ${item}` : report.subject.type === 'case' ? '  ·  All items' : ''}`;
      this.write({ text: 'CHAIN OF CUSTODY REPORT', font: 'Helvetica-Bold', size: 8 }, MARGIN.left, 30, 200);
      this.write(
        { text: right, font: 'Helvetica-Bold', size: 9, align: 'right' },
        MARGIN.left + 150,
        29,
        CONTENT_WIDTH - 150,
      );
      // One line above the rule: a long case title is cut with an ellipsis (page 1 prints it whole).
      this.write(
        {
          text: this.fitLine(`${report.case.agencyName} — ${report.case.title}`, 'Helvetica', 7.5, 330),
          size: 7.5,
          color: MUTED,
        },
        MARGIN.left,
        43,
        330,
      );
      this.write(
        { text: `Issued ${displayInstant(report.issuedAt)} (UTC)`, size: 7.5, color: MUTED, align: 'right' },
        MARGIN.left + 330,
        43,
        CONTENT_WIDTH - 330,
      );
      this.doc
        .moveTo(MARGIN.left, 56)
        .lineTo(MARGIN.left + CONTENT_WIDTH, 56)
        .lineWidth(0.8)
        .strokeColor(INK)
        .stroke();
      const footerTop = PAGE.height - 50;
      this.doc
        .moveTo(MARGIN.left, footerTop)
        .lineTo(MARGIN.left + CONTENT_WIDTH, footerTop)
        .lineWidth(0.5)
        .strokeColor(RULE)
        .stroke();
      this.write(
        {
          text: `Bundle SHA-256 ${v.bundleSha256}  ·  checkpoint ${v.treeSize}`,
          font: 'Courier',
          size: 6.3,
          color: MUTED,
        },
        MARGIN.left,
        footerTop + 5,
        CONTENT_WIDTH - 80,
      );
      this.write(
        { text: `Page ${i + 1} of ${pages}`, font: 'Helvetica-Bold', size: 8.5, align: 'right' },
        MARGIN.left + CONTENT_WIDTH - 80,
        footerTop + 4,
        80,
      );
      const note =
        'The SHA-256 of this PDF file is registered in the Custos ledger (report.issued): check a copy with “custos verify-report”.' +
        (this.replaced > 0
          ? ' Characters the PDF standard fonts cannot print are shown without their accents (ś as s, Ł as L) or as “?”; the bundle holds the exact text.'
          : '');
      this.write({ text: note, size: 6.3, color: MUTED }, MARGIN.left, footerTop + 15, CONTENT_WIDTH - 80);
      this.doc.page.margins = margins;
    }
  }
}

/**
 * pdfkit (with fontkit and its font tables) costs tens of MiB once loaded: it is loaded with the
 * first report, not with the service (docs/performance.md, memory).
 */
let pdfkit: Promise<{ default: typeof PDFKitDocument }> | undefined;

/** Renders the report (A4), with the bundle attached when given. */
export async function renderCustodyReport(
  report: CustodyReport,
  attachment?: ReportAttachment,
): Promise<RenderedReport> {
  const chunks: Buffer[] = [];
  const { pages } = await writeCustodyReport(report, attachment, (chunk) => chunks.push(chunk));
  return { bytes: Buffer.concat(chunks), pages };
}

/**
 * Renders the report into `sink`, chunk by chunk, without keeping the file: the service's worker
 * writes the chunks to a file as they come (report-render.worker.ts).
 */
export async function writeCustodyReport(
  report: CustodyReport,
  attachment: ReportAttachment | undefined,
  sink: (chunk: Buffer) => void,
): Promise<{ pages: number }> {
  const { default: PDFDocument } = await (pdfkit ??= import('pdfkit'));
  return { pages: await new ReportWriter(PDFDocument, report, attachment).render(sink) };
}
