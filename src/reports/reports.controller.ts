import { createReadStream } from 'node:fs';

import { Controller, Get, Param, Query, Res, StreamableFile, type PipeTransform } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiFile, ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { ReportRecord } from '../contracts/ledger.js';
import { LanguageParam } from '../i18n/language-param.pipe.js';
import { LANGUAGES, type Language } from '../i18n/languages.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { ReportAbandonedError, ReportNotFoundError } from './reports.errors.js';
import { REPORT_READERS, ReportsService, type IssuedReport } from './reports.service.js';

const PARAMS = { item: new UuidParam('item_not_found', 'Item'), case: new UuidParam('case_not_found', 'Case') };

/** A path SHA-256 that is not 64 hex digits names no report: 404 like an unknown one. */
class Sha256Param implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new ReportNotFoundError();
    return value.toLowerCase();
  }
}

const REPORT_DESCRIPTION =
  'A printable A4 chain-of-custody report (docs/reports.md), rendered from the custody bundle of the item or case, which it names by SHA-256 ' +
  'with its signed checkpoint and carries as an attached file. Each request issues a new report and records a `report.issued` ledger entry ' +
  'with the PDF’s SHA-256 before the PDF is returned (its index is in the `Custos-Ledger-Index` header); `custos verify-report <file>` or ' +
  '`GET /api/v1/reports/{sha256}` authenticates a copy later. Writes a `report.read` access-log row. Written in the language of the ' +
  'issuing agency (the caller’s, else the case’s) unless `lang` names another; the entry records the language.';

const LANG_QUERY = {
  name: 'lang',
  required: false,
  enum: LANGUAGES,
  description:
    'Language of the report; absent: the issuing agency’s. 400 language_unsupported (listing the supported ones) otherwise',
} as const;

/** Court custody reports and their authentication by SHA-256. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller()
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('items/:id/report.pdf')
  @Roles(...REPORT_READERS)
  @ApiOperation({ summary: 'Issue the court custody report of an item (PDF)', description: REPORT_DESCRIPTION })
  @ApiFile('application/pdf', 'The report, application/pdf')
  @ApiQuery(LANG_QUERY)
  async itemReport(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.item) id: string,
    @Query('lang', new LanguageParam()) lang: Language | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return serve(response, (signal) => this.reports.itemReport(ctx, id, lang, signal));
  }

  @Get('cases/:id/report.pdf')
  @Roles(...REPORT_READERS)
  @ApiOperation({
    summary: 'Issue the court custody report of a case and all its items (PDF)',
    description: REPORT_DESCRIPTION,
  })
  @ApiFile('application/pdf', 'The report, application/pdf')
  @ApiQuery(LANG_QUERY)
  async caseReport(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.case) id: string,
    @Query('lang', new LanguageParam()) lang: Language | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return serve(response, (signal) => this.reports.caseReport(ctx, id, lang, signal));
  }

  @Get('reports/:sha256')
  @Roles(...REPORT_READERS)
  @ApiOperation({
    summary:
      'Which report a PDF file is, by the file’s SHA-256 (hex): when and to whom it was issued, its ledger entry, bundle and checkpoint',
    description:
      '404 report_not_found for a file Custos did not issue (one changed byte is enough) and for a report about an item or case you may not see.',
  })
  @ApiJson(200, ReportRecord)
  lookup(@Ctx() ctx: RequestContext, @Param('sha256', new Sha256Param()) sha256: string): Promise<ReportRecord> {
    return this.reports.lookup(ctx, sha256);
  }
}

/**
 * Issues a report and streams its temporary file. The file is removed when the response is over,
 * whichever way: sent, failed, or the client gone; a client gone before the report is ready stops
 * its render and nothing is registered.
 */
async function serve(
  response: Response,
  issue: (signal: AbortSignal) => Promise<IssuedReport>,
): Promise<StreamableFile> {
  const abandoned = new AbortController();
  const over = new Promise<void>((done) =>
    response.once('close', () => {
      if (!response.writableFinished) abandoned.abort(new ReportAbandonedError());
      done();
    }),
  );
  const issued = await issue(abandoned.signal);
  void over.then(() => issued.dispose());
  if (abandoned.signal.aborted) throw abandoned.signal.reason;
  // RFC 9530: the digest of exactly the bytes served, which the ledger entry records.
  response.setHeader('Repr-Digest', `sha-256=:${Buffer.from(issued.sha256, 'hex').toString('base64')}:`);
  response.setHeader('Custos-Ledger-Index', String(issued.ledgerIndex));
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Language', issued.language);
  return new StreamableFile(createReadStream(issued.file), {
    type: 'application/pdf',
    disposition: `inline; filename="${issued.fileName}"`,
    length: issued.size,
  });
}
