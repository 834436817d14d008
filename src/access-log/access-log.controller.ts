import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { AccessLogPage } from '../contracts/operations.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { identityActor } from '../identity/identity-actor.js';
import { AccessLogService, type AccessLogView } from './access-log.service.js';
import { AccessLogQueryDto } from './dto/access-log-query.dto.js';

@ApiTags('access log')
@ApiBearerAuth()
@Controller('access-log')
export class AccessLogController {
  constructor(private readonly accessLog: AccessLogService) {}

  @Get()
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'The access log of your agency, newest first (auditors); rows of no agency (platform administrators)',
  })
  @ApiJson(200, AccessLogPage)
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: AccessLogQueryDto,
  ): Promise<{ entries: AccessLogView[]; nextCursor: string | null }> {
    const actor = identityActor(ctx)!;
    let agencyId: string | null;
    if (actor.roles.includes('auditor') && actor.agencyId !== null) agencyId = actor.agencyId;
    else if (actor.platformAdmin) agencyId = null;
    else throw new DomainError('forbidden', 'access_log_forbidden', "The access log is read by your agency's auditors");
    return this.accessLog.list(ctx, { agencyId }, { ...query, limit: query.limit ?? 100 });
  }
}
