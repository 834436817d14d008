import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';

import { freeTextProblem } from './free-text-guard.js';
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
  return new FreeTextValidationPipe({
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

/**
 * After a body became a valid DTO, its free-text fields are checked together, per item and per
 * request (ADR 0019): content split into pieces that each pass is refused as a whole.
 */
class FreeTextValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto: unknown = await super.transform(value, metadata);
    if (metadata.type === 'body') {
      const problem = freeTextProblem(dto);
      if (problem !== undefined) throw new HttpProblemException(400, problem.code, problem.detail);
    }
    return dto;
  }
}
