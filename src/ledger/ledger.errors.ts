import { DomainError } from '../common/domain-error.js';

export class LedgerRangeError extends DomainError {
  constructor(message: string) {
    super('invalid', 'ledger_range_invalid', message);
  }
}

/** The stored tree disagrees with an earlier signed checkpoint: nothing more is signed. */
export class LedgerIntegrityError extends DomainError {
  constructor(message: string) {
    super('unavailable', 'ledger_integrity_failure', message);
  }
}

/** A full verification is running already: in this process, another one, or the command line. */
export class VerificationRunningError extends DomainError {
  constructor() {
    super(
      'conflict',
      'verification_running',
      'A full verification of the ledger is running already: its result appears in GET /api/v1/ledger/verifications when it ends',
    );
  }
}
