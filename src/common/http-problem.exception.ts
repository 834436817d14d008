import { HttpException } from '@nestjs/common';

import type { FieldProblem } from './problem.js';

/**
 * An HTTP-level refusal raised before a request reaches a controller (body parsing, media type,
 * validation), carrying the problem code and, for validation, the failing fields.
 */
export class HttpProblemException extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: readonly FieldProblem[],
  ) {
    super(detail, status);
  }
}
