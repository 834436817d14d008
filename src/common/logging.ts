import cluster from 'node:cluster';

import pino, { type Logger } from 'pino';
import type { Options as HttpLogOptions } from 'pino-http';

import type { AppConfig } from '../config/config.js';
import { requestIdOf } from './request-id.js';

/**
 * The service's one pino logger: JSON lines for machines, pino-pretty on a terminal.
 * Credentials never reach the log, whatever a request carries.
 */
export function createRootLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): Logger {
  return pino({
    level: config.logLevel,
    // With CUSTOS_WORKERS > 1, which process wrote a line.
    base: cluster.isWorker ? { service: 'custos', pid: process.pid } : { service: 'custos' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.refreshToken',
        '*.accessToken',
      ],
      censor: '[redacted]',
    },
    ...(config.logFormat === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', singleLine: false },
          },
        }
      : {}),
  });
}

/** Request logging: one line per request under the id the client sees in X-Request-Id. */
export function httpLogOptions(logger: Logger): HttpLogOptions {
  return {
    logger,
    genReqId: (req) => requestIdOf(req),
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
