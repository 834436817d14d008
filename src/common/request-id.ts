import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// A caller's id is kept (it ties our log to theirs) only if it is short and harmless to log.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives every request an id before anything else runs, so even a refused body is traceable. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const existing: unknown = req.id;
  if (typeof existing === 'string' && existing !== '') return existing;
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
  req.id = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The id assigned to a request, or '' before assignRequestId ran. */
export function requestIdOf(req: IncomingMessage): string {
  const id: unknown = req.id;
  return typeof id === 'string' ? id : '';
}

export function requestIdMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  assignRequestId(req, res);
  next();
}
