import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../../access-log/access-log.service.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { contextOfRequest } from '../auth.decorators.js';
import { LoginRateLimitedError } from '../identity.errors.js';
import { findUserByUsername } from '../users/user-records.js';
import { FixedWindowRateLimiter } from './login-rate-limiter.js';

/**
 * A rate limit on login attempts per client IP (docs/adr/0016), kept in this process's memory: a
 * brake on a client spraying many account names, in front of the per-(account, client) delays kept
 * in the database. There is deliberately no limit per account name alone: anyone could spend it and
 * keep the owner out.
 */
@Injectable()
export class LoginThrottleGuard implements CanActivate {
  private readonly byIp: FixedWindowRateLimiter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly accessLog: AccessLogService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const windowMs = config.auth.loginRateWindowSeconds * 1000;
    this.byIp = new FixedWindowRateLimiter(config.auth.loginRateLimitPerIp, windowMs);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const body = request.body as { username?: unknown } | undefined;
    const username = typeof body?.username === 'string' ? body.username : null;
    const ip = this.byIp.hit(request.ip ?? 'unknown');
    if (ip.allowed) return true;
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
      details: { limitedBy: 'ip' },
    });
    throw new LoginRateLimitedError(ip.retryAfterSeconds);
  }
}
