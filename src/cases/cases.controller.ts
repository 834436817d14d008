import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { CasePage, CaseView, ShareList, ShareView } from '../contracts/cases.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { CasesService, type CaseListEntry } from './cases.service.js';
import { CaseListQueryDto, CaseStatusChangeDto, CreateCaseDto, CreateShareDto } from './dto/case.dto.js';

const CASE_ID = new UuidParam('case_not_found', 'Case');
const CASE_READERS = ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor'] as const;

/** Who may call what, per role and relation to the case: docs/access-control.md (tested cell by cell). */
@ApiTags('cases')
@ApiBearerAuth()
@Controller('cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Post()
  @ApiJson(201, CaseView)
  @Roles('officer')
  @ApiOperation({ summary: 'Open a case of your agency (officers)', description: '409 case_number_taken' })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateCaseDto): Promise<CaseView> {
    return this.cases.create(ctx, body);
  }

  @Get()
  @ApiJson(200, CasePage)
  @Roles(...CASE_READERS)
  @ApiOperation({
    summary:
      'Cases you may see: your agency’s and those shared with your agency or you, newest first, each with its items counted ({ total, compromised })',
  })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: CaseListQueryDto,
  ): Promise<{ cases: CaseListEntry[]; nextCursor: string | null }> {
    return this.cases.list(ctx, { status: query.status, limit: query.limit ?? 100, cursor: query.cursor });
  }

  @Get(':id')
  @ApiJson(200, CaseView)
  @Roles(...CASE_READERS)
  @ApiOperation({ summary: 'One case; 404 case_not_found when it does not exist or you may not see it' })
  get(@Ctx() ctx: RequestContext, @Param('id', CASE_ID) id: string): Promise<CaseView> {
    return this.cases.get(ctx, id);
  }

  @Post(':id/close')
  @ApiJson(200, CaseView)
  @HttpCode(200)
  @Roles('officer')
  @ApiOperation({
    summary: 'Close the case, with the reason: no new items may be registered in it; custody of its items goes on',
    description:
      'Officers of the owning agency. 409 case_closed when it is closed already; 403 case_status_forbidden for shared cases.',
  })
  close(
    @Ctx() ctx: RequestContext,
    @Param('id', CASE_ID) id: string,
    @Body() body: CaseStatusChangeDto,
  ): Promise<CaseView> {
    return this.cases.setStatus(ctx, id, 'closed', body.reason);
  }

  @Post(':id/reopen')
  @ApiJson(200, CaseView)
  @HttpCode(200)
  @Roles('officer')
  @ApiOperation({
    summary: 'Reopen a closed case, with the reason',
    description: 'Officers of the owning agency. 409 case_open when it is open.',
  })
  reopen(
    @Ctx() ctx: RequestContext,
    @Param('id', CASE_ID) id: string,
    @Body() body: CaseStatusChangeDto,
  ): Promise<CaseView> {
    return this.cases.setStatus(ctx, id, 'open', body.reason);
  }

  @Post(':id/shares')
  @ApiJson(201, ShareView)
  @Roles('officer')
  @ApiOperation({
    summary: 'Share the case with another agency or one user of another agency, read-only or as contributor',
    description: 'Officers of the owning agency. 409 case_share_exists; 403 case_share_forbidden for shared cases.',
  })
  share(
    @Ctx() ctx: RequestContext,
    @Param('id', CASE_ID) id: string,
    @Body() body: CreateShareDto,
  ): Promise<ShareView> {
    return this.cases.share(ctx, id, body);
  }

  @Get(':id/shares')
  @ApiJson(200, ShareList)
  @Roles(...CASE_READERS)
  @ApiOperation({ summary: 'Shares of the case, active and revoked (users of the owning agency)' })
  listShares(@Ctx() ctx: RequestContext, @Param('id', CASE_ID) id: string): Promise<{ shares: ShareView[] }> {
    return this.cases.listShares(ctx, id);
  }

  @Delete(':id/shares/:shareId')
  @ApiJson(200, ShareView)
  @HttpCode(200)
  @Roles('officer')
  @ApiOperation({ summary: 'Revoke a share: it stays on record as revoked (by whom, when)' })
  revokeShare(
    @Ctx() ctx: RequestContext,
    @Param('id', CASE_ID) id: string,
    @Param('shareId', new UuidParam('case_share_not_found', 'Share')) shareId: string,
  ): Promise<ShareView> {
    return this.cases.revokeShare(ctx, id, shareId);
  }
}
