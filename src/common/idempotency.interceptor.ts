import { createHash } from 'node:crypto';

import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { DataSource } from 'typeorm';

import { contextOfRequest } from '../identity/auth.decorators.js';
import { HttpProblemException } from './http-problem.exception.js';

const KEY = /^[\x21-\x7e]{1,255}$/;
const HOURS = 24;

/** The body without its passwords, so that no password-derived hash is stored. */
function withoutPasswords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPasswords);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((key) => key !== 'password')
      .map((key) => [key, withoutPasswords((value as Record<string, unknown>)[key])]),
  );
}

/**
 * `Idempotency-Key` (IETF httpapi draft) on signed writes — requests whose body carries a
 * `signature` (ADR 0018). Per user and key: the first request runs and its response is kept 24
 * hours; the same key with the same request gets that response again and writes nothing; with
 * another request, 422; while the first is still running, 409. A failed first request keeps
 * nothing, so it may be retried with the same key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const key = request.headers['idempotency-key'];
    const body = request.body as Record<string, unknown> | undefined;
    const userId = contextOfRequest(request).actor?.id;
    if (request.method !== 'POST' || typeof key !== 'string' || body?.signature === undefined || userId === undefined)
      return next.handle();
    return from(this.run(context, next, userId, key, body));
  }

  private async run(
    context: ExecutionContext,
    next: CallHandler,
    userId: string,
    key: string,
    body: Record<string, unknown>,
  ): Promise<unknown> {
    if (!KEY.test(key))
      throw new HttpProblemException(
        400,
        'idempotency_key_invalid',
        'Idempotency-Key must be 1–255 visible ASCII characters',
      );
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const requestHash = createHash('sha256')
      .update(JSON.stringify([request.method, request.originalUrl.split('?')[0], withoutPasswords(body)]))
      .digest('hex');
    await this.dataSource.query(`DELETE FROM idempotency_key WHERE created_at < now() - make_interval(hours => $1)`, [
      HOURS,
    ]);
    const claimed = await this.dataSource.query<Array<{ key: string }>>(
      `INSERT INTO idempotency_key (user_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
      [userId, key, requestHash],
    );
    if (claimed.length === 0) {
      const [first] = await this.dataSource.query<
        Array<{ request_hash: string; response_status: number | null; response_body: unknown }>
      >(`SELECT request_hash, response_status, response_body FROM idempotency_key WHERE user_id = $1 AND key = $2`, [
        userId,
        key,
      ]);
      if (first === undefined)
        throw new HttpProblemException(
          409,
          'idempotency_request_in_progress',
          'A request with this Idempotency-Key is in progress',
        );
      if (first.request_hash !== requestHash)
        throw new HttpProblemException(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used for another request: use a new key for a new request',
        );
      if (first.response_status === null)
        throw new HttpProblemException(
          409,
          'idempotency_request_in_progress',
          'The first request with this Idempotency-Key is still being processed; try again shortly',
        );
      response.status(first.response_status);
      response.setHeader('Idempotent-Replayed', 'true');
      return first.response_body;
    }
    try {
      const result: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.dataSource.query(
        `UPDATE idempotency_key SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`,
        [userId, key, response.statusCode, JSON.stringify(result ?? null)],
      );
      return result;
    } catch (error) {
      await this.dataSource.query(`DELETE FROM idempotency_key WHERE user_id = $1 AND key = $2`, [userId, key]);
      throw error;
    }
  }
}
