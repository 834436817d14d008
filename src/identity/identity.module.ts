import { Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { AgenciesController } from './agencies/agencies.controller.js';
import { AgenciesService } from './agencies/agencies.service.js';
import { AccessGuard } from './auth/access.guard.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottleGuard } from './auth/login-throttle.guard.js';
import { AccessTokenStrategy, CredentialsStrategy } from './auth/passport-strategies.js';
import { PasswordThrottleService } from './auth/password-throttle.service.js';
import { SessionCache } from './auth/session-cache.js';
import { BootstrapAdminService } from './bootstrap-admin.service.js';
import { SigningService } from './signing/signing.service.js';
import { loadOrCreateTokenKey } from './tokens/token-key.js';
import { TOKEN_KEY, TokenService } from './tokens/token.service.js';
import { UsersController } from './users/users.controller.js';
import { UsersService } from './users/users.service.js';

/**
 * Identity and access: agencies, users, login sessions, the global AccessGuard (deny by default,
 * roles), password throttling, the bootstrap administrator, and electronic signatures
 * (`SigningService.sign`) for the custody features.
 */
@Module({
  controllers: [AuthController, UsersController, AgenciesController],
  providers: [
    {
      provide: TOKEN_KEY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => loadOrCreateTokenKey(config, new Logger('TokenKey')),
    },
    TokenService,
    PasswordThrottleService,
    LoginThrottleGuard,
    AuthService,
    AccessTokenStrategy,
    CredentialsStrategy,
    UsersService,
    AgenciesService,
    SigningService,
    BootstrapAdminService,
    SessionCache,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [SigningService, TokenService],
})
export class IdentityModule {}
