import { DomainError } from '../common/domain-error.js';

/** The same answer for an item that does not exist and one in a case the caller may not see. */
export class ItemNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'item_not_found', 'Item was not found');
  }
}

export class TransferNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'transfer_not_found', 'Transfer was not found');
  }
}

/** A field-level refusal that only the service can decide (it needs the database or the clock). */
export class CustodyInvalidError extends DomainError {
  constructor(code: string, message: string, field: string) {
    super('invalid', code, message, { errors: [{ field, messages: [message] }] });
  }
}

/** The caller is not the person the custody rules name for this act (custodian, receiver, releaser). */
export class CustodyForbiddenError extends DomainError {
  constructor(code: 'not_custodian' | 'not_receiver' | 'not_releaser' | 'reference_not_allowed', message: string) {
    super('forbidden', code, message);
  }
}

/** The item or transfer is not in a state that allows the act (pending elsewhere, disposed, resolved). */
export class CustodyConflictError extends DomainError {
  constructor(
    code:
      | 'item_transfer_pending'
      | 'item_disposed'
      | 'transfer_not_pending'
      | 'case_closed'
      | 'item_numbers_exhausted'
      | 'hash_reference_recorded',
    message: string,
    extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super('conflict', code, message, extensions);
  }
}
