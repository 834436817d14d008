import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';

import { isDatabaseUnavailableError } from '../database/database-errors.js';
import { DOMAIN_ERROR_STATUS, DomainError } from './domain-error.js';
import { HttpProblemException } from './http-problem.exception.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TITLES, problemType, type ProblemDetails } from './problem.js';
import { assignRequestId } from './request-id.js';

interface ProblemCore {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  readonly [extension: string]: unknown;
}

function generic(status: number): { code: string; title: string } {
  return PROBLEM_TITLES[status] ?? (status >= 500 ? PROBLEM_TITLES[500] : PROBLEM_TITLES[400]);
}

/** Message of a Nest HttpException, which may be a string, an object, or class-validator's array. */
function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return exception.message;
}

const INTERNAL: ProblemCore = {
  status: 500,
  code: 'internal_error',
  detail: 'An unexpected error occurred. Quote the request id when reporting it.',
};

function serviceUnavailable(exception: HttpException): ProblemCore {
  const response = exception.getResponse();
  // @nestjs/terminus reports which checks failed: useful to an operator, and no secret.
  if (typeof response === 'object' && response !== null && 'status' in response && 'details' in response) {
    return {
      status: 503,
      code: 'not_ready',
      title: 'Not ready',
      detail: 'A dependency of the service is unavailable',
      checks: (response as { details: unknown }).details,
    };
  }
  return { status: 503, code: 'service_unavailable', detail: httpExceptionDetail(exception) };
}

export function toProblem(exception: unknown): ProblemCore {
  if (exception instanceof DomainError) {
    const status = DOMAIN_ERROR_STATUS[exception.kind];
    return { ...exception.extensions, status, code: exception.code, detail: exception.message };
  }
  if (exception instanceof HttpProblemException) {
    const status = exception.getStatus();
    return {
      status,
      code: exception.code,
      detail: exception.detail,
      ...(exception.errors ? { errors: exception.errors } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 503) return serviceUnavailable(exception);
    if (status >= 500) return INTERNAL;
    return { status, code: generic(status).code, detail: httpExceptionDetail(exception) };
  }
  if (isDatabaseUnavailableError(exception)) {
    return { status: 503, code: 'database_unavailable', detail: 'The database cannot be reached; try again shortly' };
  }
  return INTERNAL;
}

const logger = new Logger('ProblemDetails');

/**
 * Answers with RFC 9457 problem+json. Client errors say what was wrong; server errors say only
 * that something failed and the request id to quote: stacks and SQL stay in our log.
 */
export function sendProblem(exception: unknown, request: Request, response: Response): void {
  const problem = toProblem(exception);
  const requestId = assignRequestId(request, response);
  if (problem.status >= 500) {
    logger.error({ err: exception, requestId, code: problem.code }, `request failed: ${problem.code}`);
  }
  if (response.headersSent) return;
  if (problem.status === 503) response.setHeader('Retry-After', '5');
  const retryAfter = (problem as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if ((problem.status === 429 || problem.status === 503) && typeof retryAfter === 'number')
    response.setHeader('Retry-After', String(retryAfter));
  const { title, ...rest } = problem;
  const body: ProblemDetails = {
    type: problemType(problem.code),
    title: title ?? generic(problem.status).title,
    ...rest,
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    instance: request.originalUrl ?? request.url,
    requestId,
  };
  response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** The global filter: every error raised inside Nest's pipeline. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    sendProblem(exception, context.getRequest<Request>(), context.getResponse<Response>());
  }
}

/**
 * Express handlers installed after Nest's routes: Nest's own not-found and error handlers only
 * cover the global prefix, and a problem outside it (an unknown path, a refused body on /health)
 * must look the same.
 */
export function notFoundFallback(request: Request, response: Response): void {
  sendProblem(
    new HttpProblemException(404, 'not_found', `No resource at ${request.method} ${request.path}`),
    request,
    response,
  );
}

export function errorFallback(error: unknown, request: Request, response: Response, _next: () => void): void {
  sendProblem(error, request, response);
}
