import { DomainError } from './domain-error.js';

/**
 * Opaque pagination cursors: the sort key of the last row returned, as base64url JSON. Clients
 * pass them back unchanged; a cursor that does not decode to the expected shape is a 400.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export class CursorInvalidError extends DomainError {
  constructor() {
    super('invalid', 'cursor_invalid', 'The cursor is not one this list returned');
  }
}

export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorInvalidError();
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((value, i) => typeof value !== shape[i])) {
    throw new CursorInvalidError();
  }
  return key as { [K in keyof T]: T[K] extends 'number' ? number : string };
}
