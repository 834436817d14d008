import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../../config/config.js';

/** The throttle key of an account name, whether or not such an account exists. */
export function usernameKey(username: string): string {
  return username.trim().toLowerCase().slice(0, 200);
}

/**
 * What a password opens and who typed it. A delay stops only this pair: never the account from
 * another client, never a witness's own logins (docs/adr/0016).
 */
export interface ThrottleKey {
  readonly subject: string;
  readonly client: string;
}

/** A password of the account typed from a client address (login, password change, own signature). */
export function accountThrottleKey(username: string, ip: string | null): ThrottleKey {
  return { subject: `account:${usernameKey(username)}`, client: `ip:${(ip ?? 'unknown').slice(0, 100)}` };
}

/** A witness's password typed into the custodian's disposition. */
export function witnessThrottleKey(witnessUsername: string, custodianId: string): ThrottleKey {
  return { subject: `witness:${usernameKey(witnessUsername)}`, client: `custodian:${custodianId}` };
}

export interface FailureOutcome {
  /** Consecutive failures of this pair, this one included. */
  readonly failureCount: number;
  /** Seconds this failure makes the pair wait before its next attempt (0: none yet). */
  readonly delaySeconds: number;
}

/**
 * Growing delays after consecutive wrong passwords, per (subject, client), kept in PostgreSQL so
 * every service process sees them. The first `freeFailures` cost nothing; each further one doubles
 * the wait, from `firstDelaySeconds` up to `maxDelaySeconds`. A success resets the pair; a pair
 * without a failure for `forgetSeconds` starts over. Nothing here locks an account.
 */
@Injectable()
export class PasswordThrottleService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Seconds this pair must still wait, or 0. */
  async delayedFor(key: ThrottleKey): Promise<number> {
    const rows = await this.dataSource.query<Array<{ seconds: number }>>(
      `SELECT ceil(extract(epoch FROM delayed_until - now()))::int AS seconds
         FROM password_throttle WHERE subject_key = $1 AND client_key = $2 AND delayed_until > now()`,
      [key.subject, key.client],
    );
    return rows.length === 0 ? 0 : Math.max(1, rows[0].seconds);
  }

  async recordFailure(key: ThrottleKey): Promise<FailureOutcome> {
    const { throttleFreeFailures, throttleFirstDelaySeconds, throttleMaxDelaySeconds, throttleForgetSeconds } =
      this.config.auth;
    const count = `(CASE WHEN t.last_failure_at IS NULL OR t.last_failure_at < now() - make_interval(secs => $3)
                         THEN 1 ELSE t.failure_count + 1 END)`;
    const rows = await this.dataSource.query<Array<{ failure_count: number }>>(
      `INSERT INTO password_throttle AS t (subject_key, client_key, failure_count, last_failure_at, updated_at)
       VALUES ($1, $2, 1, now(), now())
       ON CONFLICT (subject_key, client_key) DO UPDATE SET
         failure_count = ${count}, last_failure_at = now(), updated_at = now()
       RETURNING failure_count`,
      [key.subject, key.client, throttleForgetSeconds],
    );
    const failureCount = rows[0].failure_count;
    const delaySeconds = throttleDelaySeconds(failureCount, {
      freeFailures: throttleFreeFailures,
      firstDelaySeconds: throttleFirstDelaySeconds,
      maxDelaySeconds: throttleMaxDelaySeconds,
    });
    await this.dataSource.query(
      `UPDATE password_throttle SET delayed_until = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3) END
        WHERE subject_key = $1 AND client_key = $2`,
      [key.subject, key.client, delaySeconds],
    );
    return { failureCount, delaySeconds };
  }

  async recordSuccess(key: ThrottleKey): Promise<void> {
    await this.dataSource.query(
      `UPDATE password_throttle SET failure_count = 0, last_failure_at = NULL, delayed_until = NULL, updated_at = now()
        WHERE subject_key = $1 AND client_key = $2 AND failure_count > 0`,
      [key.subject, key.client],
    );
  }

  /** An administrator's password reset: every client of the account starts over. */
  async clearAccount(username: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE password_throttle SET failure_count = 0, last_failure_at = NULL, delayed_until = NULL, updated_at = now()
        WHERE subject_key = $1 AND failure_count > 0`,
      [accountThrottleKey(username, null).subject],
    );
  }
}

/** The wait after the `failureCount`-th consecutive failure: 0, then doubling up to the cap. */
export function throttleDelaySeconds(
  failureCount: number,
  policy: { freeFailures: number; firstDelaySeconds: number; maxDelaySeconds: number },
): number {
  if (failureCount <= policy.freeFailures) return 0;
  const doublings = Math.min(failureCount - policy.freeFailures - 1, 30);
  return Math.min(policy.firstDelaySeconds * 2 ** doublings, policy.maxDelaySeconds);
}
