import { ValidationError } from 'class-validator';

import { flattenValidationErrors } from './validation.js';

function error(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe('flattenValidationErrors', () => {
  it('gives each failing field its full path, arrays in brackets', () => {
    const errors = [
      error('caseNumber', { isNotEmpty: 'caseNumber should not be empty' }),
      error('items', undefined, [
        error('3', undefined, [error('imeis', undefined, [error('0', { isImei: 'imeis[0] fails the Luhn check' })])]),
      ]),
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'caseNumber', messages: ['caseNumber should not be empty'] },
      { field: 'items[3].imeis[0]', messages: ['imeis[0] fails the Luhn check'] },
    ]);
  });
});
