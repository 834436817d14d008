import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Piscina } from 'piscina';
import type { DataSource } from 'typeorm';

import { CaseAccessService } from '../cases/case-access.service.js';
import type { RequestContext } from '../common/request-context.js';
import { workerModule } from '../common/worker-module.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ItemNotFoundError } from '../custody/custody.errors.js';
import { ITEM_SELECT, itemView, type ItemRow } from '../custody/item-records.js';
import { isLanguage, type Language } from '../i18n/languages.js';
import { ReportRendersBusyError } from '../reports/reports.errors.js';
import type { LabelContent } from './labels-sheet.pdf.js';
import type { LabelSheetTask } from './labels-sheet.worker.js';

/** Every label sheet shows at most this many items: a big search is printed in several runs. */
export const MAX_LABELS = 200;

export interface LabelSheets {
  readonly bytes: Buffer;
  readonly fileName: string;
  readonly count: number;
  readonly language: Language;
}

/**
 * Label sheets for items of a case. Whoever may read the items may print their labels (the same
 * rule as GET /items/:id, decided by CaseAccessService): a label says nothing the item view does not.
 */
@Injectable()
export class LabelsService implements OnApplicationShutdown {
  /**
   * Sheets are rendered in worker threads, as court reports are, within the same limits:
   * REPORT_RENDERS_MAX at once, REPORT_RENDERS_QUEUED waiting, then 503 service_busy (ADR 0063).
   */
  private readonly pool: Piscina<LabelSheetTask, Uint8Array>;
  /** Sheets rendering or waiting for a thread, and how many may be. */
  private inFlight = 0;
  private readonly limit: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly caseAccess: CaseAccessService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limit = config.reportRendersMax + config.reportRendersQueued;
    this.pool = new Piscina<LabelSheetTask, Uint8Array>({
      ...workerModule(import.meta.url, 'labels-sheet.worker'),
      minThreads: 0,
      maxThreads: config.reportRendersMax,
      idleTimeout: 30_000,
    });
  }

  /** Sheets rendering or waiting for a worker (for tests and diagnostics). */
  get load(): { inFlight: number } {
    return { inFlight: this.inFlight };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.destroy();
  }

  /** In `language`, or else the issuing agency's (the caller's, else the case's), like a court report. */
  async caseLabels(
    ctx: RequestContext,
    caseId: string,
    itemIds: readonly string[] | undefined,
    language?: Language,
  ): Promise<LabelSheets> {
    const kase = await this.caseAccess.requireCase(this.dataSource, ctx, caseId, 'read');
    const params: unknown[] = [kase.id];
    let filter = '';
    if (itemIds !== undefined) {
      params.push(itemIds);
      filter = ' AND i.id = ANY($2::uuid[])';
    }
    const rows = await this.dataSource.query<ItemRow[]>(
      `${ITEM_SELECT} WHERE i.case_id = $1${filter} ORDER BY i.item_number LIMIT ${MAX_LABELS + 1}`,
      params,
    );
    // An id of another case (or of nothing) is not silently dropped: the sheet would miss a bag.
    if (itemIds !== undefined && rows.length !== itemIds.length) throw new ItemNotFoundError();
    const labels: LabelContent[] = rows
      .slice(0, MAX_LABELS)
      .map(itemView)
      .map((item) => ({
        itemNumber: item.itemNumber,
        caseNumber: item.case.caseNumber,
        agency: item.case.agency,
        occurredAt: item.occurredAt,
        sealNumber: item.sealNumber,
        kind: item.kind,
        description: [item.make, item.model].filter((part) => part !== null).join(' ') || item.description,
      }));
    const printed = language ?? (await this.agencyLanguage(ctx.actor?.agencyCode ?? kase.agency_code));
    if (this.inFlight >= this.limit) throw new ReportRendersBusyError(10);
    this.inFlight++;
    let rendered: Uint8Array;
    try {
      const task: LabelSheetTask = { labels, caseNumber: kase.case_number, issuedAt: new Date(), language: printed };
      rendered = await this.pool.run(task);
    } finally {
      this.inFlight--;
    }
    const bytes = Buffer.from(rendered.buffer, rendered.byteOffset, rendered.byteLength);
    const safeNumber = kase.case_number.replace(/[^A-Za-z0-9._-]+/g, '_');
    return { bytes, fileName: `labels-${safeNumber}.pdf`, count: labels.length, language: printed };
  }

  private async agencyLanguage(code: string): Promise<Language> {
    const rows = await this.dataSource.query<Array<{ language: string }>>(
      'SELECT language FROM agency WHERE code = $1',
      [code],
    );
    const tag = rows[0]?.language;
    return tag !== undefined && isLanguage(tag) ? tag : 'en';
  }
}
