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
