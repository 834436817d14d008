import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { ImportResult } from '../contracts/operations.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { ImportHashLogDto } from './dto/import-hash-log.dto.js';
import { HashImportsService } from './hash-imports.service.js';

@ApiTags('items')
@ApiBearerAuth()
@Controller()
export class HashImportsController {
  constructor(private readonly imports: HashImportsService) {}

  @Post('items/:id/hashes/import')
  @Roles('examiner', 'officer')
  @ApiOperation({
    summary:
      'Record hashes from an acquisition tool’s log (FTK Imager, Guymager, ewfacquire/ewfverify/ewfinfo, dc3dd, UFED .ufd, sha256sum/md5sum, hashdeep)',
    description:
      'The same rules as POST /items/:id/hashes (reference signed `acquired`, later verifications compared; a mismatch marks the item compromised). ' +
      '`dryRun` shows what would be recorded (200); a real import answers 201. Warnings (failed tool verification, case/evidence number or serial not the item’s, assumed time zone) ' +
      'must be confirmed in `confirm` (409 import_confirmation_required otherwise). A log not understood is 422 log_not_understood. The text is not stored, only its SHA-256. See docs/hash-import.md.',
  })
  @ApiJson(200, ImportResult, 'A dry run: what would be recorded')
  @ApiJson(201, ImportResult, 'Recorded')
  async importLog(
    @Ctx() ctx: RequestContext,
    @Param('id', new UuidParam('item_not_found', 'Item')) id: string,
    @Body() body: ImportHashLogDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportResult> {
    const result = await this.imports.import(ctx, id, body);
    // 201 when records were made, 200 for a dry run (nothing created).
    res.status(result.dryRun ? 200 : 201);
    return result;
  }
}
