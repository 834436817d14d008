import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

// One line: no control or format characters (bidi overrides hide what a label really says).
const ONE_LINE = /^[^\p{Cc}\p{Cf}]*$/u;
// Prose may break lines and use tabs, nothing else invisible.
const PROSE = /^(?:[^\p{Cc}\p{Cf}]|[\n\t])*$/u;

/** Trims surrounding white space (serials typed with a trailing space are the same serial). */
export const Trim = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * A free-text field: trimmed, 1..max characters, no invisible characters. Free text describes the
 * evidence; it is never a place for its content (the body guard refuses encoded blobs anywhere).
 */
export function TextField(max: number, options: { optional?: boolean; prose?: boolean } = {}): PropertyDecorator {
  const decorators = [
    Trim(),
    IsString(),
    Length(1, max),
    Matches(options.prose ? PROSE : ONE_LINE, { message: ({ property }) => `${property} must not contain control characters` }),
  ];
  return applyDecorators(...(options.optional ? [IsOptional()] : []), ...decorators);
}
