import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../../access-log/access-log.service.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { contextOfRequest } from '../auth.decorators.js';
import { LoginRateLimitedError } from '../identity.errors.js';
import { findUserByUsername } from '../users/user-records.js';
import { usernameKey } from './login-lockout.service.js';
import { FixedWindowRateLimiter } from './login-rate-limiter.js';

/**
 * Rate limits on login attempts per client IP and per account name (docs/adr/0012), kept in this
 * process's memory: a brake in front of the lockout, which is the one kept in the database.
 */
@Injectable()
export class LoginThrottleGuard implements CanActivate {
  private readonly byIp: FixedWindowRateLimiter;
  private readonly byAccount: FixedWindowRateLimiter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly accessLog: AccessLogService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const windowMs = config.auth.loginRateWindowSeconds * 1000;
    this.byIp = new FixedWindowRateLimiter(config.auth.loginRateLimitPerIp, windowMs);
    this.byAccount = new FixedWindowRateLimiter(config.auth.loginRateLimitPerAccount, windowMs);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const body = request.body as { username?: unknown } | undefined;
    const username = typeof body?.username === 'string' ? body.username : null;
    const ip = this.byIp.hit(request.ip ?? 'unknown');
    const perAccount =
      username === null ? { allowed: true, retryAfterSeconds: 0 } : this.byAccount.hit(usernameKey(username));
    if (ip.allowed && perAccount.allowed) return true;
    const limitedBy = ip.allowed ? 'account' : 'ip';
    // Named after the account tried, so that its agency's auditors see attempts on their accounts.
    const account = username === null ? undefined : await findUserByUsername(this.dataSource, username.slice(0, 200));
    await this.accessLog.recordRefusal(contextOfRequest(request), {
      event: 'auth.login_throttled',
      outcome: 'denied',
      actor: {
        id: account?.id ?? null,
        username: account?.username ?? username?.slice(0, 200) ?? null,
        agencyId: account?.agency_id ?? null,
      },
      details: { limitedBy },
    });
    throw new LoginRateLimitedError(
      Math.max(ip.allowed ? 0 : ip.retryAfterSeconds, perAccount.allowed ? 0 : perAccount.retryAfterSeconds),
    );
  }
}
