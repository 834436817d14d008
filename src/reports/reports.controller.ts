import { Controller, Get, Param, Res, StreamableFile, type PipeTransform } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiFile, ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { ReportRecord } from '../contracts/ledger.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { ReportNotFoundError } from './reports.errors.js';
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
  '`GET /api/v1/reports/{sha256}` authenticates a copy later. Writes a `report.read` access-log row.';

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
  async itemReport(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.item) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return send(await this.reports.itemReport(ctx, id), response);
  }

  @Get('cases/:id/report.pdf')
  @Roles(...REPORT_READERS)
  @ApiOperation({
    summary: 'Issue the court custody report of a case and all its items (PDF)',
    description: REPORT_DESCRIPTION,
  })
  @ApiFile('application/pdf', 'The report, application/pdf')
  async caseReport(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.case) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return send(await this.reports.caseReport(ctx, id), response);
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

function send(issued: IssuedReport, response: Response): StreamableFile {
  // RFC 9530: the digest of exactly the bytes served, which the ledger entry records.
  response.setHeader('Repr-Digest', `sha-256=:${Buffer.from(issued.sha256, 'hex').toString('base64')}:`);
  response.setHeader('Custos-Ledger-Index', String(issued.ledgerIndex));
  response.setHeader('Cache-Control', 'no-store');
  return new StreamableFile(issued.bytes, {
    type: 'application/pdf',
    disposition: `inline; filename="${issued.fileName}"`,
    length: issued.bytes.length,
  });
}
