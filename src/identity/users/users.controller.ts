import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../../common/api-response.js';
import type { RequestContext } from '../../common/request-context.js';
import { UuidParam } from '../../common/uuid-param.pipe.js';
import { CreatedUser, UserPage, UserView } from '../../contracts/identity.js';
import { Ctx, Roles } from '../auth.decorators.js';
import { CreateUserDto, ResetPasswordDto, UpdateUserDto, UserListQueryDto } from '../dto/user.dto.js';
import { UsersService } from './users.service.js';

const USER_ID = new UuidParam('user_not_found', 'User');

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiJson(201, CreatedUser)
  @ApiOperation({
    summary: 'Create a user of your agency (platform administrators: of any agency)',
    description:
      'The user must choose their own password at first login. Without `password`, one is generated and returned once as initialPassword.',
  })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateUserDto): Promise<CreatedUser> {
    return this.users.create(ctx, body);
  }

  @Get()
  @ApiJson(200, UserPage)
  @ApiOperation({ summary: 'Users of your agency, by username' })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: UserListQueryDto,
  ): Promise<{ users: UserView[]; nextCursor: string | null }> {
    return this.users.list(ctx, { agencyCode: query.agencyCode, limit: query.limit ?? 100, cursor: query.cursor });
  }

  @Get(':id')
  @ApiJson(200, UserView)
  get(@Ctx() ctx: RequestContext, @Param('id', USER_ID) id: string): Promise<UserView> {
    return this.users.get(ctx, id);
  }

  @Patch(':id')
  @ApiJson(200, UserView)
  @ApiOperation({
    summary: 'Rename, change roles or time zone, disable or enable; a role change or disable ends the user’s sessions',
  })
  update(@Ctx() ctx: RequestContext, @Param('id', USER_ID) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return this.users.update(ctx, id, body);
  }

  @Post(':id/password')
  @ApiJson(200, UserView)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reset a user’s password to a temporary one; they must choose their own before acting or signing',
  })
  resetPassword(
    @Ctx() ctx: RequestContext,
    @Param('id', USER_ID) id: string,
    @Body() body: ResetPasswordDto,
  ): Promise<UserView> {
    return this.users.resetPassword(ctx, id, body.password);
  }
}
