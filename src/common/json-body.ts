import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { HttpProblemException } from './http-problem.exception.js';

/** No endpoint takes more: Custos stores descriptions and hashes, never evidence content. */
export const MAX_BODY_BYTES = 64 * 1024;

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

/** Any request body must be JSON: multipart, forms and octet streams are refused with 415. */
export function requireJsonBody(req: IncomingMessage, _res: ServerResponse, next: Next): void {
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

const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true, type: isJsonMediaTypeRequest });

function isJsonMediaTypeRequest(req: IncomingMessage): boolean {
  return isJsonMediaType(req.headers['content-type']);
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Nothing legitimate nests deeper; a deeper body is an attack on whatever walks it. */
export const MAX_JSON_DEPTH = 32;
// Keys that reach Object.prototype in naive merges. No Custos field has these names.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first structural reason to refuse a parsed body, with the path where it was found. */
export function inspectJson(value: unknown, path = '', depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) return `the body nests deeper than ${MAX_JSON_DEPTH} levels at ${path || 'the top'}`;
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [`[${index}]`, item])
    : Object.keys(value).map((key) => [key, (value as Record<string, unknown>)[key]]);
  for (const [key, child] of entries) {
    const childPath = key.startsWith('[') ? `${path}${key}` : path ? `${path}.${key}` : key;
    if (!key.startsWith('[') && FORBIDDEN_KEYS.has(key)) return `the key "${key}" is not allowed (at ${childPath})`;
    const problem = inspectJson(child, childPath, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** express.json, with its failures turned into problems the global filter understands. */
export function parseJsonBody(req: IncomingMessage, res: ServerResponse, next: Next): void {
  parseJson(req, res, (error?: unknown) => {
    if (error === undefined || error === null) {
      const problem = inspectJson((req as express.Request).body);
      if (problem === undefined) return next();
      return next(new HttpProblemException(400, 'forbidden_json_structure', `The request body was refused: ${problem}`));
    }
    const failure = error as BodyParserError;
    switch (failure.type) {
      case 'entity.too.large':
        return next(
          new HttpProblemException(413, 'payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`),
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
