import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../../common/api-response.js';
import { PageQueryDto } from '../../common/page-query.dto.js';
import type { RequestContext } from '../../common/request-context.js';
import { AgencyDetails, AgencyPage } from '../../contracts/identity.js';
import { Ctx, Roles } from '../auth.decorators.js';
import { CreateAgencyDto } from '../dto/agency.dto.js';
import { AgenciesService } from './agencies.service.js';

@ApiTags('agencies')
@ApiBearerAuth()
@Controller('agencies')
export class AgenciesController {
  constructor(private readonly agencies: AgenciesService) {}

  @Post()
  @ApiJson(201, AgencyDetails)
  @Roles('admin')
  @ApiOperation({
    summary: 'Create an agency (platform administrators)',
    description: '409 agency_code_taken; 400 country_invalid',
  })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateAgencyDto): Promise<AgencyDetails> {
    return this.agencies.create(ctx, body);
  }

  @Get()
  @ApiJson(200, AgencyPage)
  @ApiOperation({ summary: 'All agencies, by code (any logged-in user: sharing names one)' })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: PageQueryDto,
  ): Promise<{ agencies: AgencyDetails[]; nextCursor: string | null }> {
    return this.agencies.list(ctx, { limit: query.limit ?? 100, cursor: query.cursor });
  }
}
