/**
 * Label sheets rendered in a worker thread (ADR 0063): 200 labels with their Code 128 and QR codes
 * keep a core busy for seconds, which on the event loop would hold up every other request.
 * Loaded by piscina (labels.service.ts); imports no Nest and no database code.
 */
import type { Language } from '../i18n/languages.js';
import { renderLabelSheets, type LabelContent } from './labels-sheet.pdf.js';

export interface LabelSheetTask {
  readonly labels: readonly LabelContent[];
  readonly caseNumber: string;
  readonly issuedAt: Date;
  readonly language: Language;
}

export default async function renderLabels(task: LabelSheetTask): Promise<Uint8Array> {
  return renderLabelSheets(task.labels, {
    caseNumber: task.caseNumber,
    issuedAt: task.issuedAt,
    language: task.language,
  });
}
