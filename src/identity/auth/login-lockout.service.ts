import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../../config/config.js';

/** The lockout key of an account name, whether or not such an account exists. */
export function usernameKey(username: string): string {
  return username.trim().toLowerCase().slice(0, 200);
}

export interface FailureOutcome {
  readonly failureCount: number;
  /** This failure locked the account (the threshold was reached just now). */
  readonly lockedNow: boolean;
}

/**
 * Temporary lockout after consecutive failed password checks (logins, password changes,
 * signatures), kept in PostgreSQL so every service process sees it (docs/adr/0012). Keyed by the
 * account name as typed, so names that do not exist lock exactly like names that do.
 */
@Injectable()
export class LoginLockoutService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Seconds until the lock ends, or 0 when the account is not locked. */
  async lockedFor(username: string): Promise<number> {
    const rows = await this.dataSource.query<Array<{ seconds: number }>>(
      `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS seconds
         FROM login_lockout WHERE username_key = $1 AND locked_until > now()`,
      [usernameKey(username)],
    );
    return rows.length === 0 ? 0 : Math.max(1, rows[0].seconds);
  }

  async recordFailure(username: string): Promise<FailureOutcome> {
    const { lockoutThreshold, lockoutSeconds } = this.config.auth;
    // A new run of failures starts after a lock expired or when the first failure is older than the window.
    const restart = `(l.first_failure_at IS NULL OR l.first_failure_at < now() - make_interval(secs => $3)
                      OR (l.locked_until IS NOT NULL AND l.locked_until <= now()))`;
    const count = `(CASE WHEN ${restart} THEN 1 ELSE l.failure_count + 1 END)`;
    const rows = await this.dataSource.query<Array<{ failure_count: number }>>(
      `INSERT INTO login_lockout AS l (username_key, failure_count, first_failure_at, locked_until, updated_at)
       VALUES ($1, 1, now(), CASE WHEN 1 >= $2 THEN now() + make_interval(secs => $3) END, now())
       ON CONFLICT (username_key) DO UPDATE SET
         failure_count = ${count},
         first_failure_at = CASE WHEN ${restart} THEN now() ELSE l.first_failure_at END,
         locked_until = CASE WHEN ${count} >= $2 THEN now() + make_interval(secs => $3) ELSE NULL END,
         updated_at = now()
       RETURNING failure_count`,
      [usernameKey(username), lockoutThreshold, lockoutSeconds],
    );
    const failureCount = rows[0].failure_count;
    return { failureCount, lockedNow: failureCount === lockoutThreshold };
  }

  async recordSuccess(username: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE login_lockout SET failure_count = 0, first_failure_at = NULL, locked_until = NULL, updated_at = now()
        WHERE username_key = $1 AND (failure_count > 0 OR locked_until IS NOT NULL)`,
      [usernameKey(username)],
    );
  }
}
