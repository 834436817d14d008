import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiFile } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { ExportQueryDto } from './dto/export-query.dto.js';
import { ExportsService } from './exports.service.js';

const PARAMS = { item: new UuidParam('item_not_found', 'Item'), case: new UuidParam('case_not_found', 'Case') };
/** Whoever may read the item or case; case access decides the rest (404 for what one may not see). */
const EXPORT_READERS = ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor'] as const;
const CSV_TYPE = 'text/csv; charset=utf-8';

/** `attachment` with an ASCII file name and, for names that are not, its UTF-8 form (RFC 6266, RFC 8187). */
function attachment(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return ascii === name
    ? `attachment; filename="${ascii}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

const CSV_DESCRIPTION =
  'One row per custody event of each item, in ledger order, with the columns of docs/exports.md. RFC 4180 (CRLF, quoted fields), ' +
  'UTF-8 with a byte order mark for Excel; a cell starting with = + - @, tab or carriage return is prefixed with an apostrophe so no ' +
  'spreadsheet runs it as a formula. Writes a `custody_history.read` access-log row.';

/** Exports for spreadsheets and for other agencies' tools (docs/exports.md). */
@ApiTags('exports')
@ApiBearerAuth()
@Controller()
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Get('cases/:id/export')
  @Roles(...EXPORT_READERS)
  @ApiOperation({
    summary: 'The case’s custody as CASE/UCO JSON-LD (`format=case`)',
    description:
      'CASE 1.x / UCO 1.x JSON-LD with an inline context: the case as an Investigation, items as devices with their identifiers, every ' +
      'custody event as an InvestigativeAction with its ledger index and leaf hash, a ProvenanceRecord chain per exhibit, hashes as ' +
      'ContentData, warrants as Authorizations. Mapping and limits: docs/exports.md. Writes a `custody_history.read` access-log row.',
  })
  @ApiFile('application/ld+json', 'JSON-LD document { @context, @graph }')
  async caseExport(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.case) id: string,
    @Query() _query: ExportQueryDto,
  ): Promise<StreamableFile> {
    const { document, caseNumber } = await this.exports.caseUco(ctx, id);
    const bytes = Buffer.from(`${JSON.stringify(document, null, 2)}\n`, 'utf8');
    return new StreamableFile(bytes, {
      type: 'application/ld+json',
      disposition: attachment(`${caseNumber}.case-uco.jsonld`),
      length: bytes.length,
    });
  }

  @Get('cases/:id/custody.csv')
  @Roles(...EXPORT_READERS)
  @ApiOperation({ summary: 'The custody table of every item of the case, as CSV', description: CSV_DESCRIPTION })
  @ApiFile('text/csv', 'CSV')
  async caseCsv(@Ctx() ctx: RequestContext, @Param('id', PARAMS.case) id: string): Promise<StreamableFile> {
    const { csv, caseNumber } = await this.exports.caseCsv(ctx, id);
    return new StreamableFile(csv, {
      type: CSV_TYPE,
      disposition: attachment(`${caseNumber}-custody.csv`),
      length: csv.length,
    });
  }

  @Get('items/:id/custody.csv')
  @Roles(...EXPORT_READERS)
  @ApiOperation({ summary: 'The custody table of an item, as CSV', description: CSV_DESCRIPTION })
  @ApiFile('text/csv', 'CSV')
  async itemCsv(@Ctx() ctx: RequestContext, @Param('id', PARAMS.item) id: string): Promise<StreamableFile> {
    const { csv, itemNumber } = await this.exports.itemCsv(ctx, id);
    return new StreamableFile(csv, {
      type: CSV_TYPE,
      disposition: attachment(`${itemNumber}-custody.csv`),
      length: csv.length,
    });
  }
}
