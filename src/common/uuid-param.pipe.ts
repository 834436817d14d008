import { type PipeTransform } from '@nestjs/common';

import { DomainError } from './domain-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * A path id that is not a UUID names nothing: 404 with the resource's own not-found problem, so a
 * malformed id and an id one may not see answer exactly alike.
 */
export class UuidParam implements PipeTransform<string, string> {
  constructor(
    private readonly notFoundCode: string,
    private readonly what: string,
  ) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw new DomainError('not_found', this.notFoundCode, `${this.what} was not found`);
    return value.toLowerCase();
  }
}
