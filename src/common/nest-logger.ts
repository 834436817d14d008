import { AsyncLocalStorage } from 'node:async_hooks';

import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Level, Logger } from 'pino';

/**
 * Nest's logger, written through the service's one pino logger (ADR 0007 says why this is not
 * nestjs-pino). Inside a request, Nest's log lines go through that request's pino child, so they
 * carry the request id the client sees in X-Request-Id.
 */
const requestLogger = new AsyncLocalStorage<Logger>();

/** Express middleware, installed after pino-http: binds `req.log` for the rest of the request. */
export function bindRequestLogger(req: Request, _res: Response, next: NextFunction): void {
  const log = (req as Request & { log?: Logger }).log;
  if (log === undefined) next();
  else requestLogger.run(log, next);
}

/**
 * Start-up chatter an operator does not need at `info`: one line per module and per route (over a
 * hundred). It stays available at `LOG_LEVEL=debug`.
 */
const DEBUG_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest passes the context last (`logger.log(message, context)`); its exception handlers call
   * `error(message, stack, context)` with the stack as a string.
   */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      const context = params[params.length - 1];
      if (typeof context === 'string') {
        fields.context = context;
        rest = params.slice(0, -1);
        if (level === 'info' && DEBUG_CONTEXTS.has(context)) level = 'debug';
      }
    }
    const logger = requestLogger.getStore() ?? this.root;
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message });
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      const err = new Error(String(message));
      err.stack = rest[0];
      logger[level]({ ...fields, err }, String(message));
    } else {
      logger[level](fields, String(message), ...rest);
    }
  }
}
