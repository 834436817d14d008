import { Controller, Get, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiFile } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { ITEM_READERS } from '../custody/items.controller.js';
import { LanguageParam } from '../i18n/language-param.pipe.js';
import type { Language } from '../i18n/languages.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { LabelsQueryDto } from './dto/labels-query.dto.js';
import { LabelsService } from './labels.service.js';

/** Printable evidence-bag labels (docs/web-app.md). */
@ApiTags('labels')
@ApiBearerAuth()
@Controller()
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Get('cases/:id/labels.pdf')
  @Roles(...ITEM_READERS)
  @ApiOperation({
    summary: 'Evidence-bag labels of items of a case (PDF, A4 sheets of 8 labels of 99.1 × 67.7 mm)',
    description:
      'Each label: item number, case number, seizure time with its UTC offset, seal number, a Code 128 barcode and a QR code of the ' +
      'item number. Same access as reading the items: 404 case_not_found for a case you may not see, 404 item_not_found when an id ' +
      'is not an item of this case. Printed in the issuing agency’s language (the caller’s, else the case’s) unless `lang` names ' +
      'another; 400 language_unsupported lists the supported ones.',
  })
  @ApiFile('application/pdf', 'The label sheets, application/pdf')
  async caseLabels(
    @Ctx() ctx: RequestContext,
    @Param('id', new UuidParam('case_not_found', 'Case')) id: string,
    @Query() query: LabelsQueryDto,
    @Query('lang', new LanguageParam()) lang: Language | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const sheets = await this.labels.caseLabels(ctx, id, query.items, lang);
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Language', sheets.language);
    response.setHeader('Custos-Label-Count', String(sheets.count));
    return new StreamableFile(sheets.bytes, {
      type: 'application/pdf',
      disposition: `inline; filename="${sheets.fileName}"`,
      length: sheets.bytes.length,
    });
  }
}
