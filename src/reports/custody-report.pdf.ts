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

import { translator, type Translator } from '../i18n/translator.js';
import {
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

function agencyLine(tr: Translator, code: string | null, name: string | null): string {
  if (code === null) return tr.t('report.no_agency');
  return name === null ? code : `${code}, ${name}`;
}

/** Where the item stood at the checkpoint, as a sentence fragment ("in custody of … at …"). */
function custodyStatus(tr: Translator, now: ReportItem['current']): string {
  const holder = `${now.custodian.name} (${agencyLine(tr, now.custodian.agency, now.custodian.agencyName)})`;
  if (now.state === 'disposed') return tr.t('report.status_disposed', { holder });
  const where = now.location ? tr.t('report.stored_at', { location: now.location }) : '';
  if (now.state === 'transfer_pending')
    return tr.t('report.status_pending', {
      holder,
      where,
      to: now.pendingTo?.name ?? tr.t('report.another_custodian'),
    });
  return tr.t('report.status_in_custody', { holder, where });
}

class ReportWriter {
  private readonly doc: PDFKit.PDFDocument;
  private replaced = 0;
  /** The item each page is about, for its header (null: the case as a whole). */
  private readonly pageItems: Array<string | null> = [];
  private currentItem: string | null;
  /** The report's language: every word printed comes from its catalogue (src/i18n/locales). */
  private readonly tr: Translator;
  private readonly t: Translator['t'];

  constructor(
    PDFDocument: typeof PDFKitDocument,
    private readonly report: CustodyReport,
    attachment: ReportAttachment | undefined,
  ) {
    const { issuedAt } = report;
    this.tr = translator(report.language);
    this.t = this.tr.t;
    const { t } = this;
    this.currentItem = report.subject.type === 'item' ? report.subject.number : null;
    this.doc = new PDFDocument({
      size: 'A4',
      margins: MARGIN,
      bufferPages: true,
      autoFirstPage: false,
      lang: report.language,
      displayTitle: true,
      pdfVersion: '1.7',
      info: {
        Title: this.clean(`${report.title}`),
        Subject: this.clean(
          t('report.pdf_subject', {
            subject: report.subject.type,
            number: report.subject.number,
            case: report.case.number,
          }),
        ),
        Author: this.clean(
          t('report.pdf_author', {
            name: `${report.issuedBy.name}${report.issuedBy.agency ? ` (${report.issuedBy.agency})` : ''}`,
          }),
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
          {
            text: this.t('report.continued', { caption: options.caption }),
            font: 'Helvetica-Oblique',
            size: 7.5,
            color: MUTED,
          },
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
          text: report.subject.type === 'item' ? this.t('report.intro_item') : this.t('report.intro_case'),
          size: 8.5,
          color: MUTED,
        },
      ],
      { after: 8 },
    );
    const { verification, issuedBy } = report;
    this.fields([
      [this.t('report.field_case'), `${report.case.number} — ${report.case.title}`],
      [this.t('report.field_owning_agency'), agencyLine(this.tr, report.case.agency, report.case.agencyName)],
      [
        this.t('report.field_case_authority'),
        report.case.legalAuthority.length > 0 ? report.case.legalAuthority.join('; ') : this.t('report.none_on_case'),
      ],
      ...(report.subject.type === 'item'
        ? [
            [
              this.t('report.field_item_number'),
              [{ text: report.subject.number, font: 'Helvetica-Bold', size: 9 }],
            ] as const,
          ]
        : []),
      [
        this.t('report.field_issued'),
        [
          {
            text: this.t('report.issued_to', {
              time: this.tr.time(report.issuedAt.toISOString()),
              name: `${issuedBy.name}${issuedBy.username ? ` (${issuedBy.username})` : ''}`,
            }),
            size: 8.5,
          },
          {
            text: `${issuedBy.role ?? this.t('report.user')}, ${agencyLine(this.tr, issuedBy.agency, issuedBy.agencyName)}`,
            size: 8,
            color: MUTED,
          },
        ],
      ],
      [
        this.t('report.field_ledger_evidence'),
        [
          {
            text: this.t('report.ledger_evidence', {
              origin: verification.origin,
              size: String(verification.treeSize),
              count: verification.entryCount,
              subject: report.subject.type,
            }),
            size: 8.5,
          },
          { text: `Bundle SHA-256: ${verification.bundleSha256}`, font: 'Courier', size: 7.5 },
          {
            text: this.t('report.see_verification'),
            size: 7.5,
            color: MUTED,
          },
        ],
      ],
      [this.t('report.field_language'), `${this.t('language.name')} (${report.language})`],
    ]);
    this.paragraph(
      [
        {
          text: this.t('report.times_note'),
          size: 7.5,
          color: MUTED,
        },
      ],
      { after: 2 },
    );
  }

  private caseOverview(): void {
    const { report } = this;
    this.heading(this.t('report.items_heading'));
    if (report.items.length === 0) this.paragraph([{ text: this.t('report.no_items'), size: 8.5 }]);
    const columns: Column[] = [
      { header: this.t('report.col_item_number'), width: 92 },
      { header: this.t('report.col_kind_description'), width: 170 },
      { header: this.t('report.col_custody_checkpoint'), width: 148 },
      { header: this.t('report.col_integrity'), width: CONTENT_WIDTH - 410 },
    ];
    if (report.items.length > 0) {
      this.table(
        columns,
        report.items.map((item): Cell[] => [
          [{ text: item.number, font: 'Helvetica-Bold', size: 7.5 }],
          [
            { text: this.tr.kind(item.description.kind), font: 'Helvetica-Bold', size: 7.5 },
            { text: item.description.description, size: 7.5 },
          ],
          [
            { text: this.tr.word('state', item.current.state), size: 7.5 },
            {
              text: this.t(item.current.state === 'disposed' ? 'report.last_held_by' : 'report.held_by', {
                name: item.current.custodian.name,
                agency: item.current.custodian.agency ?? this.t('report.no_agency'),
              }),
              size: 7.5,
            },
            ...(item.current.location ? [{ text: item.current.location, size: 7, color: MUTED }] : []),
          ],
          item.findings.length > 0
            ? [
                { text: this.t('integrity.compromised'), font: 'Helvetica-Bold', size: 7.5, color: ALERT },
                ...item.findings.map((finding): Run => ({
                  text: `${finding.label} (#${finding.entry})`,
                  font: 'Helvetica-Bold',
                  size: 7,
                  color: ALERT,
                })),
              ]
            : [{ text: this.t('integrity.intact'), size: 7.5 }],
        ]),
        { caption: this.t('report.items_heading') },
      );
    }
    if (report.caseRecord.length > 0) {
      this.heading(this.t('report.case_record_heading'));
      this.table(
        [
          { header: this.t('report.col_entry'), width: 34 },
          { header: this.t('report.col_recorded'), width: 110 },
          { header: this.t('report.col_event'), width: CONTENT_WIDTH - 144 },
        ],
        report.caseRecord.map((line): Cell[] => [
          [{ text: `#${line.entry}`, size: 7.5 }],
          [{ text: line.when, size: 7.5 }],
          [
            { text: line.text, size: 7.5 },
            ...(line.sha256 ? [{ text: `PDF SHA-256 ${line.sha256}`, font: 'Courier' as const, size: 7 }] : []),
          ],
        ]),
        { caption: this.t('report.case_record_heading') },
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
        {
          text: this.t('report.item_n_of', { n: n + 1, count: report.items.length, number: item.number }),
          font: 'Helvetica-Bold',
          size: 15,
        },
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
        ? this.t('report.verifications_none')
        : this.t('report.verifications_counted', { count: verifications, match, mismatch, notCompared });
    const headline = this.t(compromised ? 'integrity.banner_compromised' : 'integrity.banner_intact');
    const summary = compromised
      ? this.t('report.integrity_problems', { count: item.findings.length, counted })
      : this.t('report.integrity_none', { counted });
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
        ? [{ text: this.t('report.corrected_see'), font: 'Helvetica-Oblique', size: 7.5, color: MUTED }]
        : [];
    const corrected = (field: string, text: string): Cell => [{ text, size: 8.5 }, ...note(field)];
    const mono = (field: string, values: readonly string[]): Cell | null =>
      values.length === 0 ? null : [{ text: values.join('\n'), font: 'Courier-Bold', size: 8.5 }, ...note(field)];
    const capacity =
      d.capacityBytes === null
        ? null
        : this.t('report.capacity', {
            bytes: this.tr.integer(BigInt(d.capacityBytes)),
            gb: this.tr.decimal(Number(d.capacityBytes) / 1e9, 1),
          });
    this.heading(this.t('report.evidence_item_heading', { number }));
    this.fields([
      [this.t('report.field_item_number'), [{ text: item.number, font: 'Helvetica-Bold', size: 9.5 }]],
      [this.t('report.field_kind'), this.tr.kind(d.kind)],
      [this.t('report.field_description'), corrected('description', d.description)],
      [
        this.t('report.field_make_model'),
        d.make || d.model ? corrected(d.make ? 'make' : 'model', [d.make, d.model].filter(Boolean).join(' / ')) : null,
      ],
      [this.t('report.field_serial'), d.serial ? mono('serial', [d.serial]) : null],
      [d.imeis.length > 1 ? 'IMEIs' : 'IMEI', mono('imeis', d.imeis)],
      ['ICCID (SIM)', d.iccid ? mono('iccid', [d.iccid]) : null],
      [this.t('report.field_macs'), mono('macAddresses', d.macAddresses)],
      [this.t('report.field_capacity'), capacity === null ? null : corrected('capacityBytes', capacity)],
      [this.t('report.field_condition'), d.condition ? corrected('condition', d.condition) : null],
      [
        this.t('report.field_power_state'),
        d.powerState ? corrected('powerState', this.tr.word('power', d.powerState)) : null,
      ],
      [
        this.t('report.field_seal'),
        d.sealNumber ? mono('sealNumber', [d.sealNumber]) : this.t('report.no_seal_at_registration'),
      ],
      [
        this.t('report.field_made_from'),
        d.parent ? [{ text: d.parent.number, font: 'Helvetica-Bold', size: 8.5 }] : null,
      ],
    ]);
  }

  private seizure(item: ReportItem, number: string): void {
    const d = item.description;
    const by = item.registeredBy;
    const corrected = (field: string, text: string, bold = false): Cell => [
      { text, font: bold ? 'Helvetica-Bold' : 'Helvetica', size: 8.5 },
      ...(item.correctedFields.has(field)
        ? [{ text: this.t('report.corrected_see'), font: 'Helvetica-Oblique' as const, size: 7.5, color: MUTED }]
        : []),
    ];
    const who: Cell =
      by === null
        ? [{ text: this.t('report.the_system'), size: 8.5 }]
        : [
            { text: by.name, font: 'Helvetica-Bold', size: 8.5 },
            {
              text: `${by.role ?? ''}${by.role ? ', ' : ''}${agencyLine(this.tr, by.agency, by.agencyName)}`,
              size: 8,
              color: MUTED,
            },
          ];
    if (item.derived) {
      const acquisition = item.acquisition!;
      this.heading(this.t('report.origin_heading', { number }));
      this.fields([
        [this.t('report.field_made_at'), corrected('occurredAt', this.tr.time(d.occurredAt), true)],
        [this.t('report.field_place'), corrected('place', d.place)],
        [this.t('report.field_made_from'), d.parent?.number ?? this.t('report.not_recorded')],
        [
          this.t('report.field_tool'),
          `${acquisition.tool} ${acquisition.toolVersion}${acquisition.method ? ` — ${acquisition.method}` : ''}`,
        ],
        [
          this.t('report.field_legal_authority'),
          d.legalAuthority ? corrected('legalAuthority', d.legalAuthority) : this.t('report.authority_not_on_item'),
        ],
        [this.t('report.field_made_by'), who],
        [
          this.t('report.field_recorded_in_ledger'),
          this.t('report.entry_at', { entry: String(item.registrationEntry), time: item.registeredAt }),
        ],
      ]);
      return;
    }
    this.heading(this.t('report.seizure_heading', { number }));
    this.fields([
      [this.t('report.field_seized_at'), corrected('occurredAt', this.tr.time(d.occurredAt), true)],
      [this.t('report.field_seizure_place'), corrected('place', d.place)],
      [
        this.t('report.field_seized_from'),
        d.seizedFrom ? corrected('seizedFrom', d.seizedFrom) : this.t('report.not_recorded'),
      ],
      [
        this.t('report.field_legal_authority'),
        d.legalAuthority ? corrected('legalAuthority', d.legalAuthority) : this.t('report.authority_not_on_item'),
      ],
      [this.t('report.field_seized_by'), who],
      [
        this.t('report.field_recorded_in_ledger'),
        this.t('report.entry_at', { entry: String(item.registrationEntry), time: item.registeredAt }),
      ],
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
      runs.push({
        text: this.t('report.signed_meaning', { meaning: this.tr.meaning(cell.signature.meaning) }),
        font: 'Helvetica-Bold',
        size: 6.8,
      });
      runs.push({ text: cell.signature.at, size: 6.5 });
    } else if (cell.party !== null) {
      runs.push({
        text: cell.unsigned ?? this.t('report.not_signed_act'),
        font: 'Helvetica-Oblique',
        size: 6.5,
        color: MUTED,
      });
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
    this.heading(this.t('report.custody_heading', { number }), { keep: 90 });
    const columns: Column[] = [
      { header: this.t('report.col_entry'), width: 27 },
      { header: this.t('report.col_date_time'), width: 66 },
      { header: this.t('report.col_released_by'), width: 97 },
      { header: this.t('report.col_received_by'), width: 97 },
      { header: this.t('report.col_purpose'), width: 90 },
      { header: this.t('report.col_location'), width: 62 },
      { header: this.t('report.col_seal_condition'), width: CONTENT_WIDTH - 439 },
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
    this.table(columns, rows, { caption: this.t('report.caption_custody', { number: item.number }) });
    this.paragraph([
      {
        text: this.t('report.custody_at_checkpoint', {
          size: String(this.report.verification.treeSize),
          status: custodyStatus(this.tr, item.current),
        }),
        font: 'Helvetica-Bold',
        size: 8,
      },
    ]);
  }

  private hashTable(item: ReportItem, number: string): void {
    this.heading(this.t('report.hashes_heading', { number }), { keep: 70 });
    if (item.hashes.length === 0) {
      this.paragraph([{ text: this.t('report.no_hashes'), size: 8.5 }]);
      return;
    }
    const columns: Column[] = [
      { header: this.t('report.col_entry'), width: 30 },
      { header: this.t('report.col_target'), width: 78 },
      { header: this.t('report.col_algorithm'), width: 44 },
      { header: this.t('report.col_value'), width: 140 },
      { header: this.t('report.col_when_by_tool'), width: 118 },
      { header: this.t('report.col_result'), width: CONTENT_WIDTH - 410 },
    ];
    const rows = item.hashes.map((hash: HashRow): Cell[] => [
      [{ text: `#${hash.entry}`, size: 7.2 }],
      [
        { text: hash.target, font: 'Helvetica-Bold', size: 7.2 },
        {
          text:
            hash.role === 'reference'
              ? hash.context === 'acquisition'
                ? this.t('report.hash_reference_acquisition')
                : this.t('report.hash_reference')
              : hash.context === 'on receipt'
                ? this.t('report.hash_verification_receipt')
                : this.t('report.hash_verification'),
          size: 7,
        },
      ],
      [{ text: hash.algorithm.toUpperCase(), size: 7.2 }],
      [{ text: hexLines(hash.value), font: 'Courier', size: 6.6 }],
      [
        { text: hash.when, size: 7 },
        {
          text:
            hash.by === null
              ? this.t('report.the_system')
              : `${hash.by.name} (${hash.by.agency ?? this.t('report.no_agency')})`,
          size: 7,
        },
        ...(hash.tool ? [{ text: hash.tool, size: 6.8, color: MUTED }] : []),
      ],
      this.hashResult(hash),
    ]);
    this.table(columns, rows, { caption: this.t('report.caption_hashes', { number: item.number }) });
  }

  private hashResult(hash: HashRow): Cell {
    if (hash.role === 'reference') {
      return hash.weak
        ? [
            { text: this.t('hash.reference'), font: 'Helvetica-Bold', size: 7.2 },
            { text: this.t('report.hash_weak'), font: 'Helvetica-Bold', size: 6.8, color: ALERT },
          ]
        : [{ text: this.t('hash.reference'), font: 'Helvetica-Bold', size: 7.2 }];
    }
    const against =
      hash.referenceEntry === null ? '' : this.t('report.hash_against', { entry: String(hash.referenceEntry) });
    switch (hash.result) {
      case 'match':
        return [
          { text: this.t('hash.match'), font: 'Helvetica-Bold', size: 7.2, color: OK },
          { text: this.t('report.hash_equals', { against }), size: 6.8 },
        ];
      case 'mismatch':
        return [
          { text: this.t('hash.mismatch'), font: 'Helvetica-Bold', size: 8, color: ALERT },
          { text: this.t('report.hash_differs', { against }), font: 'Helvetica-Bold', size: 6.8, color: ALERT },
        ];
      default:
        return [
          { text: this.t('hash.not_compared'), font: 'Helvetica-Bold', size: 7.2 },
          { text: this.t('report.hash_not_in_reference', { algorithm: hash.algorithm.toUpperCase() }), size: 6.8 },
        ];
    }
  }

  private corrections(item: ReportItem, number: string): void {
    this.heading(this.t('report.corrections_heading', { number }), { keep: 50 });
    this.paragraph([
      {
        text: this.t('report.corrections_note'),
        size: 7.5,
        color: MUTED,
      },
    ]);
    this.table(
      [
        { header: this.t('report.col_entry'), width: 30 },
        { header: this.t('report.col_corrects'), width: 46 },
        { header: this.t('report.col_field_values'), width: 230 },
        { header: this.t('report.col_reason'), width: 110 },
        { header: this.t('report.col_by'), width: CONTENT_WIDTH - 416 },
      ],
      item.corrections.map((correction): Cell[] => [
        [{ text: `#${correction.entry}`, size: 7.2 }],
        [{ text: `#${correction.corrects}`, size: 7.2 }],
        correction.changes.flatMap((change): Run[] => [
          { text: change.field, font: 'Helvetica-Bold', size: 7.2 },
          { text: this.t('report.was', { value: change.from }), size: 7 },
          { text: this.t('report.now', { value: change.to }), size: 7 },
        ]),
        [{ text: correction.reason, size: 7.2 }],
        [
          {
            text:
              correction.by === null
                ? this.t('report.the_system')
                : `${correction.by.name} (${correction.by.agency ?? this.t('report.no_agency')})`,
            size: 7.2,
          },
        ],
      ]),
      { caption: this.t('report.caption_corrections', { number: item.number }) },
    );
  }

  private disposition(item: ReportItem, number: string): void {
    this.heading(this.t('report.disposition_heading', { number }), { keep: 50 });
    const disposal = item.disposition;
    if (disposal === null) {
      this.paragraph([
        {
          text: this.t('report.not_disposed', {
            size: String(this.report.verification.treeSize),
            status: custodyStatus(this.tr, item.current),
          }),
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
          text: `${who.role ?? ''}${who.role ? ', ' : ''}${agencyLine(this.tr, who.agency, who.agencyName)}`,
          size: 8,
          color: MUTED,
        },
        signed
          ? {
              text: this.t('report.signed_meaning_at', { meaning: this.tr.meaning(meaning), time: signed.signedAt }),
              font: 'Helvetica-Bold' as const,
              size: 8,
            }
          : { text: this.t('report.no_signature'), size: 8, color: ALERT },
      ];
    };
    this.fields([
      [this.t('report.field_disposition'), [{ text: disposal.disposition, font: 'Helvetica-Bold', size: 9 }]],
      [this.t('report.col_date_time'), disposal.occurredAt],
      [this.t('report.field_authority'), disposal.authorityReference],
      [
        this.t('report.field_recipient'),
        disposal.recipient ??
          (disposal.disposition === this.t('disposition.destroyed')
            ? this.t('report.recipient_destroyed')
            : this.t('report.not_recorded')),
      ],
      [this.t('report.field_notes'), disposal.notes],
      [this.t('report.field_custodian'), signature(disposal.custodian, 'disposed')],
      [this.t('report.field_witness'), signature(disposal.witness, 'witnessed')],
      [this.t('report.field_recorded_in_ledger'), this.t('report.entry', { entry: String(disposal.entry) })],
    ]);
  }

  private signatures(item: ReportItem, number: string): void {
    this.heading(this.t('report.signatures_heading', { number }), { keep: 60 });
    this.paragraph([
      {
        text: `${this.t('report.signatures_note')} ${this.report.legalBasis.signatureLaw}`,
        size: 7.5,
        color: MUTED,
      },
    ]);
    if (item.signatures.length === 0) {
      this.paragraph([{ text: this.t('report.no_signatures'), size: 8.5 }]);
      return;
    }
    this.table(
      [
        { header: this.t('report.col_entry'), width: 27 },
        { header: this.t('report.col_printed_name'), width: 92 },
        { header: this.t('report.col_meaning'), width: 52 },
        { header: this.t('report.col_signed_at'), width: 108 },
        { header: this.t('report.col_role_agency'), width: 96 },
        { header: this.t('report.col_signed_act'), width: CONTENT_WIDTH - 375 },
      ],
      item.signatures.map((signature: ReportSignature): Cell[] => [
        [{ text: `#${signature.entry}`, size: 7.2 }],
        [
          { text: signature.printedName, font: 'Helvetica-Bold', size: 7.5 },
          { text: signature.username, size: 6.8, color: MUTED },
        ],
        [{ text: this.tr.meaning(signature.meaning), font: 'Helvetica-Bold', size: 7.5 }],
        [{ text: signature.signedAt, size: 7.5 }],
        [
          { text: `${signature.role}, ${signature.agency ?? this.t('report.no_agency')}`, size: 7.2 },
          ...(signature.agencyName
            ? [{ text: signature.agencyName, font: 'Helvetica-Oblique' as const, size: 6.8, color: MUTED }]
            : []),
        ],
        [
          { text: signature.act, size: 7 },
          { text: hexLines(signature.eventHash), font: 'Courier', size: 6.2, color: MUTED },
        ],
      ]),
      { caption: this.t('report.caption_signatures', { number: item.number }) },
    );
  }

  private verificationSection(): void {
    const { report } = this;
    const v = report.verification;
    this.newPage();
    this.heading(this.t('report.verification_heading'), { before: 0, size: 13 });
    this.paragraph([
      {
        text: this.t('report.verification_intro', {
          count: v.entryCount,
          subject: report.subject.type,
          number: report.subject.number,
        }),
        size: 8.5,
      },
    ]);
    this.fields([
      ['Bundle SHA-256', [{ text: v.bundleSha256, font: 'Courier-Bold', size: 8.2 }]],
      [this.t('report.field_bundle_file'), [{ text: v.bundleFileName, font: 'Courier', size: 8 }]],
      [this.t('report.field_ledger_origin'), [{ text: v.origin, font: 'Courier', size: 8 }]],
      [this.t('report.field_tree_size'), [{ text: String(v.treeSize), font: 'Helvetica-Bold', size: 9 }]],
      [this.t('report.field_root_base64'), [{ text: v.rootBase64, font: 'Courier', size: 8 }]],
      [this.t('report.field_root_hex'), [{ text: v.rootHex, font: 'Courier', size: 8 }]],
      [this.t('report.field_vkey'), [{ text: v.vkey, font: 'Courier', size: 7 }]],
      // What vouches for the checkpoint besides the ledger's key (issue #15): a TSA's time, witnesses.
      ...(v.attestations.timestamp === null
        ? []
        : ([
            [
              this.t('report.field_timestamp'),
              [
                { text: v.attestations.timestamp.genTime, font: 'Helvetica-Bold', size: 8.5 },
                { text: this.t('report.timestamp_by', { tsa: v.attestations.timestamp.tsa }), size: 8 },
              ],
            ],
          ] as const)),
      ...v.attestations.cosignatures.map(
        (c) =>
          [
            this.t('report.field_cosignature'),
            [{ text: this.t('report.cosigned', { witness: c.witness, at: c.at }), font: 'Courier', size: 8 }],
          ] as const,
      ),
    ]);
    this.checkpointBox(v.checkpointNote);
    this.heading(this.t('report.how_to_verify_heading'), { size: 10.5, keep: 120 });
    const steps: Array<readonly [string, string | null]> = [
      [this.t('report.verify_step_key'), null],
      [
        this.t('report.verify_step_bundle', { file: v.bundleFileName, path: v.bundlePath, size: String(v.treeSize) }),
        null,
      ],
      [this.t('report.verify_step_run'), this.t('report.verify_step_run_command', { file: v.bundleFileName })],
      [this.t('report.verify_step_pdf'), this.t('report.verify_step_pdf_command')],
    ];
    steps.forEach(([text, command], i) => {
      this.ensure(30);
      const y = this.doc.y;
      this.write({ text: `${i + 1}.`, font: 'Helvetica-Bold', size: 8.5 }, MARGIN.left, y, 14);
      this.doc.y = y;
      this.paragraph([{ text, size: 8.5 }], { indent: 14, after: command === null ? 5 : 2 });
      if (command !== null) this.paragraph([{ text: command, font: 'Courier', size: 7.2 }], { indent: 24, after: 6 });
    });
    this.heading(this.t('report.legal_heading'), { size: 10.5, keep: 80 });
    for (const text of report.legalBasis.paragraphs) this.paragraph([{ text, size: 8.5 }]);
    this.heading(this.t('report.registration_heading'), { size: 10.5, keep: 60 });
    this.paragraph([
      {
        text: this.t('report.registration', {
          time: this.tr.time(report.issuedAt.toISOString()),
          name: report.issuedBy.name,
          role: report.issuedBy.role ?? this.t('report.user'),
          agency: agencyLine(this.tr, report.issuedBy.agency, report.issuedBy.agencyName),
        }),
        size: 8.5,
      },
    ]);
    this.ensure(70);
    this.doc.y += 8;
    const y = this.doc.y;
    this.write({ text: this.t('report.court_use'), font: 'Helvetica-Bold', size: 8.5 }, MARGIN.left, y, CONTENT_WIDTH);
    const lineY = y + 34;
    const segments: Array<[string, number, number]> = [
      [this.t('report.court_received_by'), MARGIN.left, 220],
      [this.t('report.court_date'), MARGIN.left + 240, 110],
      [this.t('report.court_exhibit'), MARGIN.left + 370, CONTENT_WIDTH - 370],
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
        text: this.t('report.checkpoint_box'),
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
    this.heading(this.t('report.appendix_heading'), { size: 10.5, keep: 80 });
    this.paragraph([
      {
        text: this.t('report.appendix_intro'),
        size: 7.5,
        color: MUTED,
      },
    ]);
    this.table(
      [
        { header: this.t('report.col_entry'), width: 34 },
        { header: this.t('report.col_type'), width: 78 },
        { header: this.t('report.col_about'), width: 116 },
        { header: this.t('report.col_recorded'), width: 94 },
        { header: this.t('report.col_leaf_hash'), width: CONTENT_WIDTH - 322 },
      ],
      report.entries.map((entry): Cell[] => [
        [{ text: `#${entry.index}`, size: 7 }],
        [{ text: entry.type, size: 7 }],
        [{ text: entry.subject, size: 7 }],
        [{ text: entry.recordedAt, size: 7 }],
        [{ text: hexLines(entry.leafHash), font: 'Courier', size: 6.4 }],
      ]),
      { caption: this.t('report.caption_entries') },
    );
  }

  /** Header and footer of every page, drawn last so the footer can say "page X of Y". */
  private pageFurniture(pages: number): void {
    const { report } = this;
    const v = report.verification;
    const issued = this.tr.time(report.issuedAt.toISOString());
    for (let i = 0; i < pages; i++) {
      this.doc.switchToPage(i);
      // Writing in the margins must not start new pages.
      const margins = { ...this.doc.page.margins };
      this.doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 };
      const item = this.pageItems[i];
      const scope =
        item !== null
          ? this.t('report.header_item', { number: item })
          : report.subject.type === 'case'
            ? this.t('report.header_all_items')
            : null;
      const right = `${this.t('report.header_case', { number: report.case.number })}${scope === null ? '' : `  ·  ${scope}`}`;
      this.write({ text: this.t('report.running_title'), font: 'Helvetica-Bold', size: 8 }, MARGIN.left, 30, 200);
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
        { text: this.t('report.header_issued', { time: issued }), size: 7.5, color: MUTED, align: 'right' },
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
          text: this.t('report.footer_bundle', { sha256: v.bundleSha256, size: String(v.treeSize) }),
          font: 'Courier',
          size: 6.3,
          color: MUTED,
        },
        MARGIN.left,
        footerTop + 5,
        CONTENT_WIDTH - 80,
      );
      this.write(
        {
          text: this.t('report.footer_page', { page: i + 1, pages }),
          font: 'Helvetica-Bold',
          size: 8.5,
          align: 'right',
        },
        MARGIN.left + CONTENT_WIDTH - 80,
        footerTop + 4,
        80,
      );
      const note = this.t('report.footer_note') + (this.replaced > 0 ? ` ${this.t('report.footer_replaced')}` : '');
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
