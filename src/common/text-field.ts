import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  buildMessage,
  IsArray,
  IsString,
  Matches,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';

// One line: no control or format characters (bidi overrides hide what a label really says).
const ONE_LINE = /^[^\p{Cc}\p{Cf}]*$/u;
// Prose may break lines and use tabs, nothing else invisible.
const PROSE = /^(?:[^\p{Cc}\p{Cf}]|[\n\t])*$/u;

/** The free-text properties of each DTO class, for the request-wide content guard (ADR 0019). */
const FREE_TEXT_PROPERTIES = new WeakMap<object, Set<string>>();

/** Marks a property as free text: it joins the concatenation checked per item and per request. */
const FreeText = (): PropertyDecorator => (target, key) => {
  if (typeof key !== 'string') return;
  const properties = FREE_TEXT_PROPERTIES.get(target) ?? new Set<string>();
  properties.add(key);
  FREE_TEXT_PROPERTIES.set(target, properties);
};

/** Whether `key` of `instance` (a DTO, or a class it extends) was declared with TextField or TextList. */
export function isFreeTextProperty(instance: object, key: string): boolean {
  for (let proto: unknown = Object.getPrototypeOf(instance); proto !== null && proto !== Object.prototype;) {
    if (FREE_TEXT_PROPERTIES.get(proto as object)?.has(key)) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/**
 * The field may be left out, but not sent as null: class-validator's IsOptional skips null too,
 * and the services (and the ledger entries) tell an absent field by `undefined`. A null is refused
 * by the field's own rules ("must be a string").
 */
export const Omittable = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** Trims surrounding white space (serials typed with a trailing space are the same serial). */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * 1..max characters counted as code points, as PostgreSQL's length() counts them in the column
 * checks. class-validator's Length counts a character and its variation selector (U+FE0F) as one,
 * so text it allows could fail the column check (a 500 instead of a 400).
 */
function CodePointLength(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'codePointLength',
      constraints: [max],
      validator: {
        validate: (value: unknown): boolean => {
          if (typeof value !== 'string') return false;
          const length = [...value].length;
          return length >= 1 && length <= max;
        },
        defaultMessage: buildMessage((each) => `${each}$property must be 1 to ${max} characters long`),
      },
    },
    options,
  );
}

/**
 * A free-text field: trimmed, 1..max characters, no invisible characters. Free text describes the
 * evidence; it is never a place for its content (the body guard refuses encoded blobs anywhere).
 */
export function TextField(max: number, options: { optional?: boolean; prose?: boolean } = {}): PropertyDecorator {
  const decorators = [
    FreeText(),
    Trim(),
    IsString(),
    CodePointLength(max),
    Matches(options.prose ? PROSE : ONE_LINE, {
      message: ({ property }) => `${property} must not contain control characters`,
    }),
  ];
  return applyDecorators(...(options.optional ? [Omittable()] : []), ...decorators);
}

/**
 * A list of short one-line texts (warrant numbers, say): at most maxItems, each trimmed and 1..max
 * characters (code points), no invisible characters.
 */
export function TextList(maxItems: number, max: number): PropertyDecorator {
  return applyDecorators(
    FreeText(),
    Transform(({ value }: { value: unknown }) =>
      Array.isArray(value) ? value.map((each: unknown) => (typeof each === 'string' ? each.trim() : each)) : value,
    ),
    IsArray(),
    ArrayMaxSize(maxItems),
    IsString({ each: true }),
    CodePointLength(max, { each: true }),
    Matches(ONE_LINE, {
      each: true,
      message: ({ property }) => `each of ${property} must not contain control characters`,
    }),
  );
}
