/**
 * Errors raised by services. They say what went wrong in the custody world, with a stable code,
 * and know nothing of HTTP; the problem+json filter maps each kind to a status.
 */
export type DomainErrorKind =
  | 'invalid'
  /** Well-formed, but its content cannot be processed (a log that is not understood). */
  | 'unprocessable'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_many_requests'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    /** Extra members for the problem document (never secrets, never stack traces). */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, code = 'not_found') {
    super('not_found', code, `${what} was not found`);
  }
}

export const DOMAIN_ERROR_STATUS: Readonly<Record<DomainErrorKind, number>> = {
  invalid: 400,
  unprocessable: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  unavailable: 503,
};
