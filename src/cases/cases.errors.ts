import { DomainError } from '../common/domain-error.js';

/** The same answer for a case that does not exist and one the caller may not see. */
export class CaseNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'case_not_found', 'Case was not found');
  }
}

export class CaseForbiddenError extends DomainError {
  constructor(code: 'case_read_only' | 'case_share_forbidden' | 'case_status_forbidden', message: string) {
    super('forbidden', code, message);
  }
}

export class CaseConflictError extends DomainError {
  constructor(
    code: 'case_number_taken' | 'case_share_exists' | 'case_share_revoked' | 'case_closed' | 'case_open',
    message: string,
  ) {
    super('conflict', code, message);
  }
}

export class CaseShareInvalidError extends DomainError {
  constructor(code: 'case_share_invalid' | 'share_grantee_unknown', message: string, field: string) {
    super('invalid', code, message, { errors: [{ field, messages: [message] }] });
  }
}

export class CaseShareNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'case_share_not_found', 'Share was not found');
  }
}
