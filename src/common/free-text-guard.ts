import { isFreeTextProperty } from './text-field.js';

/**
 * Content never gets in in pieces (issue 16 item 6, ADR 0019). Each string is already checked on
 * its own (json-body.ts); this checks the free text of a request *together*: per item (every
 * object in a list, such as one device of a seizure batch) and for the whole request, both against
 * a budget of characters and against the encoded-content detector applied to the concatenation
 * with every separator removed — base64 split into runs joined by `.`, spread over the fields of
 * a hundred items, is one blob again once the pieces are put back together.
 */

/** Free text one item may carry in all its fields together: several full descriptions. */
export const MAX_ITEM_FREE_TEXT = 8_000;
/** Free text one request may carry: a seizure of 200 devices described at length. */
export const MAX_REQUEST_FREE_TEXT = 200_000;
/** Characters that read as encoded content, allowed per item and per request (as for one field). */
export const MAX_ENCODED_FREE_TEXT = 1024;
/** The detector looks at the separator-free text in windows of this many characters. */
const WINDOW = 64;

export type FreeTextRefusal = { code: 'content_not_accepted' | 'free_text_too_long'; detail: string };

interface Unit {
  readonly path: string;
  readonly pieces: string[];
}

/** Collects the free-text strings of `value`, per item (objects inside lists) and in total. */
function collect(value: unknown, path: string, request: Unit, items: Unit[], item: Unit | undefined): void {
  if (Array.isArray(value)) {
    value.forEach((element, index) => {
      const elementPath = `${path}[${index}]`;
      if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
        const unit = { path: elementPath, pieces: [] };
        items.push(unit);
        collect(element, elementPath, request, items, unit);
      } else collect(element, elementPath, request, items, item);
    });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (isFreeTextProperty(value, key)) {
      const texts: unknown[] = typeof child === 'string' ? [child] : Array.isArray(child) ? child : [];
      for (const text of texts) {
        if (typeof text !== 'string') continue;
        request.pieces.push(text);
        item?.pieces.push(text);
      }
    } else collect(child, childPath, request, items, item);
  }
}

function codePoints(pieces: readonly string[]): number {
  let count = 0;
  for (const piece of pieces) for (const _ of piece) count++;
  return count;
}

/**
 * How many characters of the text, with everything but ASCII letters and digits removed, sit in
 * windows of 64 that read as encoded. Base64 of arbitrary bytes switches between upper case, lower
 * case and digits at about two of every three characters (0.65; the lowest of 600 random windows
 * measured 0.44), where words keep one case for several letters: the long descriptions of
 * test/fixtures/descriptions, model names and serials included, stay at or below 0.37. Hex uses
 * only 0-9 and a-f, both mixed, which prose never does for 64 characters. A hash quoted in a
 * description is a window's worth at most.
 */
export function encodedCharacters(text: string): number {
  const squashed = text.replace(/[^A-Za-z0-9]/g, '');
  let encoded = 0;
  for (let start = 0; start + WINDOW <= squashed.length; start += WINDOW)
    if (looksEncoded(squashed.slice(start, start + WINDOW))) encoded += WINDOW;
  return encoded;
}

/** Share of neighbouring characters of different kinds (upper, lower, digit) from which a window reads as base64. */
const BASE64_SWITCHES = 0.42;

function kindOf(c: string): number {
  if (c >= '0' && c <= '9') return 0;
  return c >= 'A' && c <= 'Z' ? 1 : 2;
}

function looksEncoded(window: string): boolean {
  const digits = window.replace(/[^0-9]/g, '').length;
  if (/^[0-9a-f]+$/.test(window) || /^[0-9A-F]+$/.test(window))
    return digits >= window.length * 0.2 && digits <= window.length * 0.9;
  let switches = 0;
  for (let i = 1; i < window.length; i++) if (kindOf(window[i]) !== kindOf(window[i - 1])) switches++;
  return digits >= 2 && switches / (window.length - 1) >= BASE64_SWITCHES;
}

function check(unit: Unit, budget: number, what: string): FreeTextRefusal | undefined {
  const length = codePoints(unit.pieces);
  if (length === 0) return undefined;
  // Joined without a separator: whatever separated the pieces is gone anyway once squashed.
  if (encodedCharacters(unit.pieces.join('')) > MAX_ENCODED_FREE_TEXT) {
    return {
      code: 'content_not_accepted',
      detail:
        `The free text of ${what}, taken together, looks like encoded content (base64 or hex) longer than ` +
        `${MAX_ENCODED_FREE_TEXT} characters. Custos records descriptions, identifiers and hashes, never evidence content.`,
    };
  }
  if (length > budget) {
    return {
      code: 'free_text_too_long',
      detail: `The free text of ${what} is ${length} characters long, over the ${budget} allowed`,
    };
  }
  return undefined;
}

/** The first refusal of the request's free text, per item then for the whole, or undefined. */
export function freeTextProblem(body: unknown): FreeTextRefusal | undefined {
  const request: Unit = { path: '', pieces: [] };
  const items: Unit[] = [];
  collect(body, '', request, items, undefined);
  for (const item of items) {
    const problem = check(item, MAX_ITEM_FREE_TEXT, item.path);
    if (problem !== undefined) return problem;
  }
  return check(request, MAX_REQUEST_FREE_TEXT, 'the request');
}
