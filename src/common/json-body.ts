import type { IncomingMessage, ServerResponse } from 'node:http';

import express from 'express';

import { logTextProblem } from '../hash-imports/log-text.js';
import { HttpProblemException } from './http-problem.exception.js';

/** No endpoint takes more: Custos stores descriptions and hashes, never evidence content. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The one exception: a seizure of up to 200 devices, each described as a lab expects (identifiers,
 * seal, place, condition: about 400 bytes), does not fit in 64 KiB. That route alone may carry
 * 256 KiB; every string in it is still bounded by the content guard below (ADR 0004).
 */
export const MAX_SEIZURE_BODY_BYTES = 256 * 1024;
const SEIZURE_ROUTE = /^\/api\/v1\/cases\/[^/?]+\/items\/?(?:\?|$)/;

/**
 * The second exception (ADR 0004 amendment 2, ADR 0050): an acquisition tool's log, imported for
 * its hash values. Its one field `text` may hold up to 256 KiB of text; it is still checked as a
 * text log (no control characters, no base64-like run over 1 KiB). Every other field of that body
 * keeps the ordinary guard.
 */
const HASH_IMPORT_ROUTE = /^\/api\/v1\/items\/[^/?]+\/hashes\/import\/?(?:\?|$)/;
const HASH_IMPORT_TEXT_FIELD = 'text';

function isHashImport(req: Pick<IncomingMessage, 'method' | 'url'>): boolean {
  return req.method === 'POST' && HASH_IMPORT_ROUTE.test(req.url ?? '');
}

/** The body limit of a request: 64 KiB, except for a seizure batch and a log import. */
export function bodyLimitOf(req: Pick<IncomingMessage, 'method' | 'url'>): number {
  return req.method === 'POST' && (SEIZURE_ROUTE.test(req.url ?? '') || isHashImport(req))
    ? MAX_SEIZURE_BODY_BYTES
    : MAX_BODY_BYTES;
}

function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

type Next = (error?: unknown) => void;

/**
 * The third exception (ADR 0024): C2SP tlog-witness add-checkpoint, whose body is the protocol's
 * text (64 KiB at most, read and checked by the witness controller itself), as `text/plain` or with
 * no Content-Type; any other media type is still 415.
 */
const WITNESS_ROUTE = /^\/api\/v1\/witness\/add-checkpoint\/?(?:\?|$)/;

function isWitnessText(req: IncomingMessage): boolean {
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  return req.method === 'POST' && WITNESS_ROUTE.test(req.url ?? '') && (type === undefined || type === 'text/plain');
}

/** Any request body must be JSON: multipart, forms and octet streams are refused with 415. */
export function requireJsonBody(req: IncomingMessage, _res: ServerResponse, next: Next): void {
  if (isWitnessText(req)) {
    next();
    return;
  }
  if (hasBody(req) && !isJsonMediaType(req.headers['content-type'])) {
    next(
      new HttpProblemException(
        415,
        'unsupported_media_type',
        `Request bodies must be application/json (got ${req.headers['content-type'] ?? 'no Content-Type'})`,
      ),
    );
    return;
  }
  next();
}

const parsers = new Map(
  [MAX_BODY_BYTES, MAX_SEIZURE_BODY_BYTES].map(
    (limit) => [limit, express.json({ limit, strict: true, type: isJsonMediaTypeRequest })] as const,
  ),
);

function isJsonMediaTypeRequest(req: IncomingMessage): boolean {
  return isJsonMediaType(req.headers['content-type']);
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Nothing legitimate nests deeper; a deeper body is an attack on whatever walks it. */
export const MAX_JSON_DEPTH = 32;
/** The longest text any field may hold: descriptions, not documents. */
export const MAX_STRING_LENGTH = 2000;
/** Past this many characters (whitespace removed), base64 or a data: URI is a file, not a field. */
export const MAX_ENCODED_LENGTH = 1024;
/** No Custos field name comes close; a longer key is data smuggled in as a name. */
export const MAX_KEY_LENGTH = 200;
// Keys that reach Object.prototype in naive merges. No Custos field has these names.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// The base64 and base64url alphabets together, with optional padding, once whitespace is removed.
const BASE64_LIKE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DATA_URI = /^data:/i;
// Encoders wrap lines at 64 or 76 characters; prose has short words. Letters, digits and spaces
// whose chunks average fewer characters than this are text, not base64.
const MIN_ENCODED_CHUNK = 16;

export type BodyRefusalCode = 'forbidden_json_structure' | 'field_too_long' | 'content_not_accepted' | 'invalid_text';

export interface BodyRefusal {
  readonly code: BodyRefusalCode;
  readonly detail: string;
}

/**
 * Lengths are counted in Unicode code points, as class-validator's Length and PostgreSQL count
 * characters: an emoji is one character, not two UTF-16 units.
 */
function longerThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false; // UTF-16 units are never fewer than code points
  let codePoints = 0;
  for (const _ of text) if (++codePoints > limit) return true;
  return false;
}

function looksLikeEncodedContent(text: string): boolean {
  if (text.length <= MAX_ENCODED_LENGTH) return false;
  const chunks = text.split(/\s+/).filter((chunk) => chunk !== '');
  const compact = chunks.join('');
  if (!longerThan(compact, MAX_ENCODED_LENGTH)) return false;
  if (DATA_URI.test(compact)) return true;
  return BASE64_LIKE.test(compact) && compact.length / chunks.length >= MIN_ENCODED_CHUNK;
}

// NUL, which PostgreSQL text cannot hold, and UTF-16 halves without their pair, which are not
// Unicode and which jsonb refuses: stored anywhere (the access log keeps request details as jsonb)
// they failed as a 500 (test/resilience/bad-input.res-spec.ts, ADR 0060).
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function invalidText(field: string): BodyRefusal {
  return {
    code: 'invalid_text',
    detail: `${field} is not valid text: it contains a NUL character or an unpaired UTF-16 surrogate`,
  };
}

function inspectString(text: string, path: string): BodyRefusal | undefined {
  const field = path === '' ? 'The body' : `The field ${path}`;
  if (NOT_TEXT.test(text)) return invalidText(field);
  // Checked first: a 2 KiB base64 string is too long as well, but content is the real reason.
  if (looksLikeEncodedContent(text)) {
    return {
      code: 'content_not_accepted',
      detail:
        `${field} looks like encoded content (base64 or a data: URI) longer than ${MAX_ENCODED_LENGTH} characters. ` +
        'Custos records descriptions, identifiers and hashes, never evidence content.',
    };
  }
  if (longerThan(text, MAX_STRING_LENGTH)) {
    return {
      code: 'field_too_long',
      detail: `${field} is longer than ${MAX_STRING_LENGTH} characters, the limit for any text`,
    };
  }
  return undefined;
}

function refusedStructure(reason: string): BodyRefusal {
  return { code: 'forbidden_json_structure', detail: `The request body was refused: ${reason}` };
}

/**
 * The first reason to refuse a parsed body, naming the path where it was found. One walk checks
 * structure (depth, keys) and content (no long text, no encoded files) on every route at once.
 */
export function inspectJson(value: unknown, path = '', depth = 0, logTextPath?: string): BodyRefusal | undefined {
  if (typeof value === 'string' && path === logTextPath) {
    const problem = logTextProblem(value);
    return problem === undefined
      ? undefined
      : { code: 'content_not_accepted', detail: `The field ${path} is not a text log: ${problem}` };
  }
  if (typeof value === 'string') return inspectString(value, path);
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH)
    return refusedStructure(`the body nests deeper than ${MAX_JSON_DEPTH} levels at ${path || 'the top'}`);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const problem = inspectJson(value[index], `${path}[${index}]`, depth + 1, logTextPath);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    // The key itself stays out of the message: it may be the smuggled data.
    if (longerThan(key, MAX_KEY_LENGTH)) {
      return refusedStructure(`a key longer than ${MAX_KEY_LENGTH} characters (in ${path || 'the top level'})`);
    }
    if (NOT_TEXT.test(key)) return invalidText(`A key in ${path || 'the top level'}`);
    const childPath = path === '' ? key : `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) return refusedStructure(`the key "${key}" is not allowed (at ${childPath})`);
    const problem = inspectJson((value as Record<string, unknown>)[key], childPath, depth + 1, logTextPath);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** express.json, with its failures turned into problems the global filter understands. */
export function parseJsonBody(req: IncomingMessage, res: ServerResponse, next: Next): void {
  const limit = bodyLimitOf(req);
  parsers.get(limit)!(req, res, (error?: unknown) => {
    if (error === undefined || error === null) {
      const refusal = inspectJson(
        (req as express.Request).body,
        '',
        0,
        isHashImport(req) ? HASH_IMPORT_TEXT_FIELD : undefined,
      );
      if (refusal === undefined) return next();
      return next(new HttpProblemException(400, refusal.code, refusal.detail));
    }
    const failure = error as BodyParserError;
    switch (failure.type) {
      case 'entity.too.large':
        return next(
          new HttpProblemException(413, 'payload_too_large', `Request bodies are limited to ${limit} bytes here`),
        );
      case 'entity.parse.failed':
        return next(new HttpProblemException(400, 'malformed_json', 'The request body is not valid JSON'));
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return next(new HttpProblemException(415, 'unsupported_media_type', 'Request bodies must be UTF-8 JSON'));
      case 'request.size.invalid':
      case 'request.aborted':
        return next(new HttpProblemException(400, 'bad_request', 'The request body was incomplete'));
      default:
        return next(error);
    }
  });
}
