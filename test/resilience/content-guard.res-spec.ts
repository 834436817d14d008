import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';

import { MAX_ENCODED_LENGTH } from '../../src/common/json-body.js';
import { dataSourceOf } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';
import { testPool } from './support.js';
import { buildWorld, footprint, type WriteRoute } from './write-routes.js';

jest.setTimeout(120_000);

/**
 * Extends test/e2e/content-guard.e2e-spec.ts (multipart to every route; base64 in the fields of two
 * routes) to every write route of the table in write-routes.ts: every binary or form media type is
 * refused with 415, and 2 KiB of base64 in any string field of any route is refused with 400.
 */
const BINARY_TYPES = [
  'application/octet-stream',
  'image/jpeg',
  'image/png',
  'video/mp4',
  'application/pdf',
  'application/zip',
  'application/x-www-form-urlencoded',
  'multipart/mixed; boundary=X',
  'text/plain',
  'application/xml',
];
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
// 2 KiB of a photo as a client would send it: base64 of arbitrary bytes.
const PHOTO = Buffer.from(Array.from({ length: 1536 }, (_, i) => (i * 151 + 7) % 256)).toString('base64');

const LOG_TEXT = 'post /api/v1/items/{id}/hashes/import text';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every string leaf of a body, with the body that has it replaced by `replacement`. */
function eachStringReplaced(body: Json, replacement: string, path = ''): Array<{ field: string; body: Json }> {
  if (typeof body === 'string') return [{ field: path, body: replacement }];
  if (Array.isArray(body)) {
    return body.flatMap((item, i) =>
      eachStringReplaced(item, replacement, `${path}[${i}]`).map(({ field, body: replaced }) => ({
        field,
        body: body.map((other, j) => (j === i ? replaced : other)),
      })),
    );
  }
  if (body !== null && typeof body === 'object') {
    return Object.entries(body).flatMap(([key, item]) =>
      eachStringReplaced(item, replacement, path === '' ? key : `${path}.${key}`).map(({ field, body: replaced }) => ({
        field,
        body: { ...body, [key]: replaced },
      })),
    );
  }
  return [];
}

describe('no write route accepts evidence content', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let admin: pg.Pool;
  let routes: WriteRoute[];

  const state = (): Promise<Record<string, unknown>> =>
    footprint({ query: async (text) => (await admin.query(text)).rows as Array<Record<string, unknown>> });
  const call = (route: WriteRoute): request.Test => {
    const test = request(app.getHttpServer())[route.method](route.path);
    if (route.session) void test.set('Authorization', `Bearer ${route.session.accessToken}`);
    return test;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_RATE_LIMIT_PER_IP: '100000', LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000' },
    });
    admin = testPool(database.adminUrl);
    ({ routes } = await buildWorld(app, dataSourceOf(app)));
  });

  afterAll(async () => {
    await app.close();
    await admin.end();
    await database.drop();
  });

  it('refuses every binary, form and non-JSON media type on every write route with 415, changing nothing', async () => {
    const before = await state();
    const answers: string[] = [];
    for (const route of routes) {
      for (const contentType of BINARY_TYPES) {
        const response = await call(route)
          .set('Content-Type', contentType)
          .send(contentType.startsWith('image/') ? JPEG : 'field=value');
        answers.push(
          `${route.operation} ${contentType} → ${response.status} ${(response.body as { code?: string }).code}`,
        );
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
    // The witness protocol's body is a C2SP text note (at most 64 KiB, docs/witness.md): text/plain
    // reaches it, and this service, which cosigns no log, answers 404 witness_off.
    const witnessNote = 'post /api/v1/witness/add-checkpoint text/plain → 404 witness_off';
    expect(answers).toContain(witnessNote);
    expect(
      answers.filter((answer) => !answer.endsWith('→ 415 unsupported_media_type') && answer !== witnessNote),
    ).toEqual([]);
    expect(await state()).toEqual(before);
  });

  it('refuses 2 KiB of base64 in any string field of any write route with 400 content_not_accepted, naming the field', async () => {
    expect(PHOTO.length).toBeGreaterThan(MAX_ENCODED_LENGTH);
    const before = await state();
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      // A route without a body still gets one field to carry the photo in.
      const template = (route.body ?? { note: 'x' }) as Json;
      for (const encoded of [PHOTO, `data:image/jpeg;base64,${PHOTO}`]) {
        for (const { field, body } of eachStringReplaced(template, encoded)) {
          checked++;
          const response = await call(route).send(body as object);
          const { code, detail } = response.body as { code?: string; detail?: string };
          // A log's text has its own rules (ADR 0004 amendment 2): a line that is nothing but a data:
          // URI is no log line at all, refused as such.
          if (`${route.operation} ${field}` === LOG_TEXT && response.status === 422 && code === 'log_not_understood')
            continue;
          if (
            response.status !== 400 ||
            code !== 'content_not_accepted' ||
            !detail?.includes(`The field ${field} `) ||
            response.text.includes(PHOTO.slice(0, 64))
          ) {
            wrong.push(`${route.operation} ${field}: ${response.status} ${code} ${detail}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(100);
    expect(await state()).toEqual(before);
  });

  // Found by this suite (issue #7): the log-text check once looked only at whole base64 tokens.
  it('refuses a 2 KiB data: URI inside an otherwise valid log line (hash import)', async () => {
    const route = routes.find((candidate) => candidate.operation === 'post /api/v1/items/{id}/hashes/import')!;
    const hash = (route.body!.text as string).split(' ')[0];
    const before = await state();
    const response = await call(route).send({ ...route.body, text: `${hash}  data:image/jpeg;base64,${PHOTO}\n` });
    expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
      status: 400,
      code: 'content_not_accepted',
    });
    expect(await state()).toEqual(before);
  });
});
