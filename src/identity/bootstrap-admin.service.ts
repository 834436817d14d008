import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { systemContext } from '../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { initialAdminPasswordFile, writeInitialAdminPassword } from './initial-admin-password.js';
import { generatePassword } from './passwords/password-hasher.js';
import { PASSWORD_PROBLEM_MESSAGES, passwordProblem } from './passwords/password-policy.js';
import { insertUser, userSubject } from './users/users.service.js';

export const BOOTSTRAP_ADMIN_USERNAME = 'admin';

/**
 * First start: on a database without users, creates the platform administrator `admin`. Its
 * password is CUSTOS_BOOTSTRAP_ADMIN_PASSWORD, or a random one that must be changed at first login,
 * written to DATA_DIR/initial-admin-password (0600; the log says where) until that change deletes
 * it. Several processes starting together create it once (advisory lock).
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('BootstrapAdmin');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accessLog: AccessLogService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureAdmin();
  }

  /** Returns the generated password when it made one (for tests; production reads the file). */
  async ensureAdmin(): Promise<{ created: boolean; generatedPassword?: string }> {
    const configured = this.config.auth.bootstrapAdminPassword;
    if (configured !== undefined) {
      const problem = passwordProblem(configured, { username: BOOTSTRAP_ADMIN_USERNAME });
      if (problem !== undefined)
        throw new Error(`CUSTOS_BOOTSTRAP_ADMIN_PASSWORD is refused: ${PASSWORD_PROBLEM_MESSAGES[problem]}`);
    }
    const password = configured ?? generatePassword();
    const ctx = systemContext('bootstrap');
    const created = await this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['custos:bootstrap-admin']);
      const any = await em.query<unknown[]>('SELECT 1 FROM user_account LIMIT 1');
      if (any.length > 0) return false;
      const admin = await insertUser(em, {
        username: BOOTSTRAP_ADMIN_USERNAME,
        displayName: 'Bootstrap administrator',
        agencyId: null,
        roles: ['admin'],
        platformAdmin: true,
        password,
        mustChangePassword: configured === undefined,
      });
      await this.accessLog.record(
        ctx,
        {
          event: 'user.create',
          outcome: 'success',
          subject: userSubject(admin),
          details: { bootstrap: true, roles: ['admin'], platformAdmin: true },
        },
        em,
      );
      return true;
    });
    if (!created) return { created: false };
    if (configured !== undefined) {
      this.logger.log(
        `created the platform administrator "${BOOTSTRAP_ADMIN_USERNAME}" with CUSTOS_BOOTSTRAP_ADMIN_PASSWORD`,
      );
      return { created: true };
    }
    // Written after the commit, so that the file never holds a password no account has.
    const file = initialAdminPasswordFile(this.config.dataDir);
    writeInitialAdminPassword(file, this.config.dataDir, password);
    this.logger.warn(
      `created the platform administrator "${BOOTSTRAP_ADMIN_USERNAME}"; its one-time password is in ${file} ` +
        '(readable by this OS user only; it must be changed at first login, which deletes the file)',
    );
    return { created: true, generatedPassword: password };
  }
}
