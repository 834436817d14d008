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

/**
 * Every court-report render slot is taken and the queue is full (REPORT_RENDERS_MAX,
 * REPORT_RENDERS_QUEUED): 503 with Retry-After. Nothing was read, rendered or registered.
 */
export class ReportRendersBusyError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('unavailable', 'service_busy', 'Too many reports are being prepared right now; try again shortly', {
      retryAfterSeconds,
    });
  }
}

/**
 * The client closed the connection before its report was ready: the render is stopped and nothing
 * is registered. Nobody reads the answer; it is a client error so that it is not logged as a fault.
 */
export class ReportAbandonedError extends DomainError {
  constructor() {
    super('invalid', 'request_abandoned', 'The connection was closed before the report was ready; nothing was issued');
  }
}
