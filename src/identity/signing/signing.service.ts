import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { AccessLogService, type AccessLogSubject } from '../../access-log/access-log.service.js';
import type { RequestContext } from '../../common/request-context.js';
import { AuthService } from '../auth/auth.service.js';
import { accountThrottleKey, PasswordThrottleService, witnessThrottleKey } from '../auth/password-throttle.service.js';
import {
  AuthenticationRequiredError,
  InvalidRequestError,
  PasswordThrottledError,
  SignatureNotAllowedError,
  SignaturePasswordInvalidError,
} from '../identity.errors.js';
import { verifyPassword } from '../passwords/password-hasher.js';
import { findUserById } from '../users/user-records.js';
import {
  SIGNATURE_MEANINGS,
  type SignatureMeaning,
  type SignatureRecord,
  type Signer,
  type SigningRole,
} from './signature.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Electronic signatures (docs/design.md §3, 21 CFR 11.200(a)): the logged-in identity plus the password
 * entered again at signing time. Call it before the transaction that stores the signed event: a
 * wrong password writes nothing but its access-log row and counts towards the throttle (ADR 0016).
 */
@Injectable()
export class SigningService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly auth: AuthService,
    private readonly throttle: PasswordThrottleService,
    private readonly accessLog: AccessLogService,
  ) {}

  /** Checks the signer and returns their signature over `canonicalEventHash` (one-step form of `authenticate`). */
  async sign(
    ctx: RequestContext,
    password: string,
    meaning: SignatureMeaning,
    canonicalEventHash: string,
    options: { role: SigningRole },
  ): Promise<SignatureRecord> {
    if (!SHA256_HEX.test(canonicalEventHash)) {
      throw new InvalidRequestError(
        'signature_event_hash_invalid',
        'A signature binds a lower-case hex SHA-256 of the event',
      );
    }
    const signer = await this.authenticate(ctx, password, meaning, options);
    const record = signer.sign(canonicalEventHash);
    await this.recordSignature(this.dataSource.manager, ctx, signer, record);
    return record;
  }

  /**
   * The expensive half of signing, done *before* the unit of work that stores the event: checks the
   * role and the password (Argon2, tens of milliseconds) and returns a `Signer`. The unit then builds
   * the event from the state it locked, signs its hash (`Signer.sign`, no I/O) and records the
   * signature (`recordSignature`) in its own transaction — so the ledger is never held during a
   * password check, and a signature exists only if the event it signs does.
   */
  async authenticate(
    ctx: RequestContext,
    password: string,
    meaning: SignatureMeaning,
    options: {
      role: SigningRole;
      /**
       * The user who typed the password when it is not the signer's own session (a custodian typing
       * the witness's password): failures then delay that user with this witness, never the
       * witness's own logins or signatures.
       */
      typedBy?: string;
    },
  ): Promise<Signer> {
    if (ctx.actor === null) throw new AuthenticationRequiredError();
    if (!(SIGNATURE_MEANINGS as readonly string[]).includes(meaning)) {
      throw new InvalidRequestError(
        'signature_meaning_invalid',
        `The meaning must be one of ${SIGNATURE_MEANINGS.join(', ')}`,
        'signature.meaning',
      );
    }
    const user = await findUserById(this.dataSource, ctx.actor.id);
    if (user === undefined || !user.active) throw new AuthenticationRequiredError();
    const actor = { id: user.id, username: user.username, agencyId: user.agency_id };
    const refuse = async (reason: string, error: Error): Promise<never> => {
      await this.accessLog.recordRefusal(ctx, {
        event: 'signature.sign',
        outcome: 'denied',
        actor,
        details: { reason, meaning },
      });
      throw error;
    };
    if ((options.role as string) === 'admin' || user.roles.includes('admin') || user.agency_code === null) {
      return refuse('admin', new SignatureNotAllowedError('signature_not_allowed', 'Administrators sign nothing'));
    }
    if (!user.roles.includes(options.role)) {
      return refuse(
        'role',
        new SignatureNotAllowedError('signature_role_missing', `Signing as ${options.role} needs that role`),
      );
    }
    if (user.must_change_password) {
      // A reset password was chosen by an administrator: it must not sign as the user (docs/design.md §3).
      return refuse(
        'password_change_required',
        new SignatureNotAllowedError('signature_password_change_required', 'Choose your own password before signing'),
      );
    }
    const throttleKey =
      options.typedBy === undefined
        ? accountThrottleKey(user.username, ctx.ip)
        : witnessThrottleKey(user.username, options.typedBy);
    const delayedFor = await this.throttle.delayedFor(throttleKey);
    if (delayedFor > 0) return refuse('password_throttled', new PasswordThrottledError(delayedFor));
    if (!(await verifyPassword(user.password_hash, password))) {
      await this.auth.recordPasswordFailure(ctx, throttleKey, actor, 'signature.sign', 'wrong_password');
      throw new SignaturePasswordInvalidError();
    }
    await this.throttle.recordSuccess(throttleKey);
    const agency = user.agency_code;
    return {
      signer: {
        id: user.id,
        username: user.username,
        displayName: user.display_name,
        agency,
        agencyId: user.agency_id!,
      },
      sign: (canonicalEventHash: string): SignatureRecord => {
        if (!SHA256_HEX.test(canonicalEventHash))
          throw new Error('A signature binds a lower-case hex SHA-256 of the event');
        return {
          signerId: user.id,
          username: user.username,
          printedName: user.display_name,
          agency,
          role: options.role,
          meaning,
          signedAt: new Date().toISOString(),
          eventHash: canonicalEventHash,
        };
      },
    };
  }

  /**
   * The access-log row of a signature, written in the transaction that stores the signed event;
   * `signed` names the record signed (an item, a transfer) so an auditor reads what was signed.
   */
  async recordSignature(
    em: EntityManager,
    ctx: RequestContext,
    signer: Signer,
    record: SignatureRecord,
    signed?: { readonly subject: AccessLogSubject; readonly caseId?: string },
  ): Promise<void> {
    await this.accessLog.record(
      ctx,
      {
        event: 'signature.sign',
        outcome: 'success',
        actor: { id: signer.signer.id, username: signer.signer.username, agencyId: signer.signer.agencyId },
        ...(signed === undefined ? {} : { subject: signed.subject, caseId: signed.caseId }),
        details: { meaning: record.meaning, role: record.role, eventHash: record.eventHash },
      },
      em,
    );
  }
}
