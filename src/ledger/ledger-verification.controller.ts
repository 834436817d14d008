import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { StartedView, VerificationList } from '../contracts/ledger.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { VerificationsQueryDto } from './dto/verifications-query.dto.js';
import { LedgerVerificationService } from './ledger-verification.service.js';

const DEFAULT_LIMIT = 10;

/**
 * Full verifications of the ledger run by the service (docs/ledger.md §4): auditors and
 * administrators start one and read the latest. A run's record is the service's statement about
 * itself; the proof is a verification anyone runs with the public key (`custos verify`, bundles).
 */
@ApiTags('ledger')
@ApiBearerAuth()
@Controller('ledger/verifications')
export class LedgerVerificationController {
  constructor(private readonly verifications: LedgerVerificationService) {}

  @Post()
  @Roles('auditor', 'admin')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a deep verification of the whole ledger in the background (one at a time across every process)',
  })
  @ApiJson(202, StartedView, 'Running: poll GET /ledger/verifications')
  @ApiConflictResponse({
    description:
      'verification_running: a verification is running already (this or another process, or the command line)',
  })
  start(@Ctx() ctx: RequestContext): Promise<StartedView> {
    return this.verifications.start(ctx);
  }

  @Get()
  @Roles('auditor', 'admin')
  @ApiOperation({ summary: 'The latest verification runs, newest first, and the one running now (or null)' })
  @ApiJson(200, VerificationList)
  list(@Query() query: VerificationsQueryDto): Promise<VerificationList> {
    return this.verifications.list(query.limit ?? DEFAULT_LIMIT);
  }
}
