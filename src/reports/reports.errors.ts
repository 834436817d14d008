import { DomainError } from '../common/domain-error.js';

/**
 * No report with that SHA-256 was issued, or it was issued about an item or case the caller may not
 * see: the same answer for both, like every other not-found in Custos.
 */
export class ReportNotFoundError extends DomainError {
  constructor() {
    super(
      'not_found',
      'report_not_found',
      'No report with this SHA-256 was issued (or it is about an item or case you may not see)',
    );
  }
}
