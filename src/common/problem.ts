/**
 * RFC 9457 problem details: every error Custos returns has this shape, served as
 * `application/problem+json`. `code` is stable and documented in docs/api.md; `type` is its URI.
 */
import type { FieldProblem, Problem } from '../contracts/problem.js';

// Declared once, with the schema the OpenAPI document publishes, in src/contracts (ADR 0009).
export type { FieldProblem };
export type ProblemDetails = Problem;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The catalogue of generic problem codes; features add their own through DomainError. */
export const PROBLEM_TITLES: Readonly<Record<number, { code: string; title: string }>> = {
  400: { code: 'bad_request', title: 'Bad request' },
  401: { code: 'unauthenticated', title: 'Authentication required' },
  403: { code: 'forbidden', title: 'Forbidden' },
  404: { code: 'not_found', title: 'Not found' },
  405: { code: 'method_not_allowed', title: 'Method not allowed' },
  406: { code: 'not_acceptable', title: 'Not acceptable' },
  408: { code: 'request_timeout', title: 'Request timeout' },
  409: { code: 'conflict', title: 'Conflict' },
  410: { code: 'gone', title: 'Gone' },
  413: { code: 'payload_too_large', title: 'Payload too large' },
  415: { code: 'unsupported_media_type', title: 'Unsupported media type' },
  422: { code: 'unprocessable', title: 'Unprocessable request' },
  429: { code: 'too_many_requests', title: 'Too many requests' },
  500: { code: 'internal_error', title: 'Internal error' },
  503: { code: 'service_unavailable', title: 'Service unavailable' },
};

export function problemType(code: string): string {
  return `/problems/${code.replace(/_/g, '-')}`;
}
