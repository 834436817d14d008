import { ValidationPipe, type ValidationError } from '@nestjs/common';

import { HttpProblemException } from './http-problem.exception.js';
import type { FieldProblem } from './problem.js';

function fieldPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent === '' ? property : `${parent}.${property}`;
}

/** Flattens class-validator's error tree into one entry per failing field, with its full path. */
export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const field = fieldPath(parent, error.property);
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) problems.push({ field, messages });
    if (error.children?.length) problems.push(...flattenValidationErrors(error.children, field));
  }
  return problems;
}

/**
 * The one ValidationPipe: unknown fields are refused (not silently dropped), payloads become DTO
 * instances, and a refusal lists every failing field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flattenValidationErrors(errors);
      const summary = fields.map((f) => f.field).join(', ');
      return new HttpProblemException(400, 'validation_failed', `The request has invalid fields: ${summary}`, fields);
    },
  });
}
