import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../../common/api-response.js';
import { PageQueryDto } from '../../common/page-query.dto.js';
import type { RequestContext } from '../../common/request-context.js';
import { AgencyDetails, AgencyPage } from '../../contracts/identity.js';
import { Ctx, Roles } from '../auth.decorators.js';
import { CreateAgencyDto, UpdateAgencyDto } from '../dto/agency.dto.js';
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
    description: '409 agency_code_taken; 400 country_invalid, language_unsupported',
  })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateAgencyDto): Promise<AgencyDetails> {
    return this.agencies.create(ctx, body);
  }

  @Patch(':code')
  @ApiJson(200, AgencyDetails)
  @Roles('admin')
  @ApiOperation({
    summary: 'Set the language of an agency’s court reports and label sheets (platform administrators)',
    description: '404 agency_not_found; 400 language_unsupported (the problem lists the supported ones)',
  })
  update(
    @Ctx() ctx: RequestContext,
    @Param('code') code: string,
    @Body() body: UpdateAgencyDto,
  ): Promise<AgencyDetails> {
    return this.agencies.setLanguage(ctx, code, body.language);
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
