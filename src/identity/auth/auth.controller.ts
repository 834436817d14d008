import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';

import { ApiJson } from '../../common/api-response.js';
import type { RequestContext } from '../../common/request-context.js';
import { SessionTokens, UserView } from '../../contracts/identity.js';
import { AllowedBeforePasswordChange, Ctx, Public } from '../auth.decorators.js';
import { ChangePasswordDto, LoginDto, RefreshDto } from '../dto/auth.dto.js';
import { AuthService } from './auth.service.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { authenticateCredentials } from './passport-strategies.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @ApiJson(200, SessionTokens)
  @Public()
  @UseGuards(LoginThrottleGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in: an access token (15 min) and a single-use refresh token',
    description:
      'Problems: 401 invalid_credentials (unknown user, wrong password or disabled account alike), ' +
      '429 password_throttled (growing delays after repeated failures from this client), 429 login_rate_limited.',
  })
  login(@Req() request: Request, @Body() _body: LoginDto): Promise<SessionTokens> {
    // The body was validated by the pipe; passport-local reads the same fields from it.
    return authenticateCredentials(request);
  }

  @Post('refresh')
  @ApiJson(200, SessionTokens)
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair (rotation)',
    description: 'A refresh token works once. Presenting a used one ends its whole session: 401 refresh_token_reused.',
  })
  refresh(@Ctx() ctx: RequestContext, @Body() body: RefreshDto): Promise<SessionTokens> {
    return this.auth.refresh(ctx, body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @AllowedBeforePasswordChange()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session: its access and refresh tokens stop working at once' })
  @ApiNoContentResponse({ description: 'The session has ended' })
  logout(@Ctx() ctx: RequestContext): Promise<void> {
    return this.auth.logout(ctx);
  }

  @Get('me')
  @ApiJson(200, UserView)
  @AllowedBeforePasswordChange()
  @ApiBearerAuth()
  me(@Ctx() ctx: RequestContext): Promise<UserView> {
    return this.auth.me(ctx);
  }

  @Post('password')
  @ApiJson(200, UserView)
  @HttpCode(200)
  @AllowedBeforePasswordChange()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Change your own password (needs the current one); ends your other sessions',
    description:
      'Problems: 401 current_password_invalid, 400 password_rejected (reason: too_short, common, …), 429 password_throttled.',
  })
  changePassword(@Ctx() ctx: RequestContext, @Body() body: ChangePasswordDto): Promise<UserView> {
    return this.auth.changePassword(ctx, body.currentPassword, body.newPassword);
  }
}
