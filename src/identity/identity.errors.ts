import { DomainError } from '../common/domain-error.js';
import { PASSWORD_PROBLEM_MESSAGES, type PasswordProblem } from './passwords/password-policy.js';

/** The one answer to a failed login: the same for an unknown name, a wrong password, a disabled account. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('unauthenticated', 'invalid_credentials', 'The username or password is wrong');
  }
}

export class AuthenticationRequiredError extends DomainError {
  constructor() {
    super('unauthenticated', 'unauthenticated', 'This request needs a bearer access token');
  }
}

export class TokenInvalidError extends DomainError {
  constructor(code: 'token_invalid' | 'token_expired' | 'session_ended' = 'token_invalid') {
    const messages = {
      token_invalid: 'The access token is not valid',
      token_expired: 'The access token has expired; refresh it',
      session_ended: 'The session has ended; log in again',
    };
    super('unauthenticated', code, messages[code]);
  }
}

export class RefreshTokenInvalidError extends DomainError {
  constructor(code: 'refresh_token_invalid' | 'refresh_token_reused' = 'refresh_token_invalid') {
    super(
      'unauthenticated',
      code,
      code === 'refresh_token_reused'
        ? 'This refresh token was already used: the session has been ended for safety; log in again'
        : 'The refresh token is not valid or its session has ended',
    );
  }
}

/** Too many wrong passwords from this client (or this custodian, for a witness): wait (ADR 0016). */
export class PasswordThrottledError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      'too_many_requests',
      'password_throttled',
      `Too many wrong passwords from here: wait ${retryAfterSeconds} s before trying again`,
      { retryAfterSeconds },
    );
  }
}

export class LoginRateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('too_many_requests', 'login_rate_limited', 'Too many login attempts; wait before trying again', {
      retryAfterSeconds,
    });
  }
}

export class RoleForbiddenError extends DomainError {
  constructor() {
    super('forbidden', 'role_forbidden', 'Your roles do not allow this action');
  }
}

export class PasswordChangeRequiredError extends DomainError {
  constructor() {
    super(
      'forbidden',
      'password_change_required',
      'Choose a new password (POST /api/v1/auth/password) before anything else',
    );
  }
}

export class PasswordRejectedError extends DomainError {
  constructor(readonly problem: PasswordProblem | 'unchanged') {
    super(
      'invalid',
      'password_rejected',
      problem === 'unchanged'
        ? 'The new password must differ from the current one'
        : PASSWORD_PROBLEM_MESSAGES[problem],
      {
        reason: problem,
        errors: [
          {
            field: 'newPassword',
            messages: [problem === 'unchanged' ? 'unchanged' : PASSWORD_PROBLEM_MESSAGES[problem]],
          },
        ],
      },
    );
  }
}

export class CurrentPasswordInvalidError extends DomainError {
  constructor() {
    super('unauthenticated', 'current_password_invalid', 'The current password is wrong');
  }
}

export class SignaturePasswordInvalidError extends DomainError {
  /** `field`: where the wrong password was typed, when a request carries more than one signer's. */
  constructor(field?: string) {
    const message = 'The password entered for the signature is wrong';
    super(
      'unauthenticated',
      'signature_password_invalid',
      message,
      field === undefined ? {} : { errors: [{ field, messages: [message] }] },
    );
  }
}

export class SignatureNotAllowedError extends DomainError {
  constructor(
    code: 'signature_password_change_required' | 'signature_role_missing' | 'signature_not_allowed',
    message: string,
  ) {
    super('forbidden', code, message);
  }
}

export class UserNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'user_not_found', 'User was not found');
  }
}

export class AgencyNotFoundError extends DomainError {
  constructor(code: string) {
    super('invalid', 'agency_unknown', `There is no agency ${code}`);
  }
}

export class AdminScopeError extends DomainError {
  constructor(message: string, code = 'admin_scope_forbidden') {
    super('forbidden', code, message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super('conflict', code, message);
  }
}

export class InvalidRequestError extends DomainError {
  constructor(code: string, message: string, field?: string) {
    super('invalid', code, message, field === undefined ? {} : { errors: [{ field, messages: [message] }] });
  }
}
