import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import fc from 'fast-check';
import pg from 'pg';
import request from 'supertest';

import { bodyLimitOf } from '../../src/common/json-body.js';
import { dataSourceOf } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';
import { testPool } from './support.js';
import { buildWorld, documentedWriteOperations, footprint, type WriteRoute } from './write-routes.js';

// A bound, not the expected time (about a minute): a busy shared server is slower.
jest.setTimeout(400_000);

/** Fixed, so a failure reproduces; FC_SEED=<n> explores others. fast-check prints seed and path on failure. */
const SEED = Number(process.env.FC_SEED ?? 20_261_129);
const RUNS_PER_ROUTE = Number(process.env.FC_RUNS ?? 10);
const PROBLEM_JSON = /^application\/problem\+json/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Text that breaks naive code: NUL, lone surrogates, bidi overrides, combining marks, non-NFC
// forms, zero-width and BOM, look-alikes, injection classics, and strings around the limits.
const trickyText = fc.constantFrom(
  '\u0000',
  'SEAL\u0000-1',
  '\uD800',
  'a\uDC00b',
  '\u202Egpj.exe',
  'admin\u202E\u2066',
  'e\u0301\u0301\u0301',
  'A\u030A',
  '\uFEFFofficer',
  'zero\u200Bwidth',
  'ＡＤＭＩＮ',
  '𝕏🧪👩🏽‍🔬',
  "'; DROP TABLE item; --",
  '../../../etc/passwd',
  '${7*7}{{7*7}}<script>alert(1)</script>',
  '%00%2e%2e',
  '',
  ' ',
  'x'.repeat(2001),
  'é'.repeat(2000),
  '1e309',
  'NaN',
  '00000000-0000-0000-0000-000000000000',
);
const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 4,
});
const anyText = fc.oneof(trickyText, fc.string({ unit: 'binary', maxLength: 40 }), loneSurrogates);
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  anyText,
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, [], {}, [null], {
    '': '',
  }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(anyText, { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);
const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype');
const anyKey = fc.oneof(
  pollutionKey,
  anyText,
  fc.constantFrom('id', 'agencyId', 'custodianId', 'state', 'ledgerIndex', 'platformAdmin', 'roles'),
);

/** Paths to every value inside a body (objects and arrays), the root included. */
function pathsOf(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  const here = [path];
  if (Array.isArray(value)) return here.concat(...value.map((item, i) => pathsOf(item, [...path, i])));
  if (value !== null && typeof value === 'object')
    return here.concat(...Object.entries(value).map(([key, item]) => pathsOf(item, [...path, key])));
  return here;
}

function withAt(value: Json, path: Array<string | number>, change: (old: Json) => Json | undefined): Json {
  if (path.length === 0) return change(value) ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((item, i) => (i === head ? withAt(item, rest, change) : item));
  const copy: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value as Record<string, Json>)) {
    if (key !== head) copy[key] = item;
    else {
      const next = withAt(item, rest, change);
      if (next !== undefined) copy[key] = next;
    }
  }
  return copy;
}

/**
 * A hostile variant of a valid body, as the JSON text sent (so `__proto__` survives as a key):
 * a value replaced, a key added (pollution keys included) or removed, the whole body swapped for
 * anything, or a pollution key nested at some depth.
 */
function hostileBody(template: Json): fc.Arbitrary<string> {
  const paths = pathsOf(template);
  const objectPaths = paths.filter((path) => {
    let node: Json = template;
    for (const step of path) node = (node as Record<string | number, Json>)[step];
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  const sub = <T>(items: T[]): fc.Arbitrary<T> => fc.constantFrom(...(items.length > 0 ? items : [undefined as T]));
  return fc.oneof(
    fc.tuple(sub(paths), hostileValue).map(([path, value]) => JSON.stringify(withAt(template, path, () => value))),
    fc.tuple(sub(objectPaths), anyKey, hostileValue).map(([path, key, value]) => {
      const body = JSON.stringify(
        withAt(template, path ?? [], (old) => ({ ...(old as Record<string, Json>), [`\u0001${key}`]: value })),
      );
      // Keys are renamed in the text so JSON.stringify keeps `__proto__` as an own key.
      return body.replace(JSON.stringify(`\u0001${key}`), JSON.stringify(key));
    }),
    sub(paths.filter((path) => path.length > 0)).map((path) =>
      JSON.stringify(withAt(template, path ?? [], () => undefined)),
    ),
    hostileValue.map((value) => JSON.stringify(value)),
    fc.tuple(pollutionKey, fc.integer({ min: 0, max: 6 })).map(([key, depth]) => {
      let nested = `{"${key}":{"polluted":true,"isAdmin":true,"roles":["admin"]}}`;
      for (let level = 0; level < depth; level++) nested = `{"items":[${nested}]}`;
      const text = JSON.stringify(template ?? {});
      return text.startsWith('{') && text !== '{}' ? `${text.slice(0, -1)},"extra":${nested}}` : nested;
    }),
  );
}

const hostileQuery = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?__proto__[polluted]=1',
    '?constructor[prototype][polluted]=1',
    '?__proto__.polluted=1',
    '?a[b][c][d][e][f][g][h]=1',
    '?limit=-1&limit=2',
    '?dryRun=false&dryRun=true',
  ),
  fc.tuple(anyKey, anyText).map(([key, value]) => `?${percentEncoded(key)}=${percentEncoded(value)}`),
);

/** Percent-encoding; a lone surrogate has no UTF-8 form, so it is sent as the bytes of one (invalid UTF-8). */
function percentEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

describe('hostile input on every write route', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let admin: pg.Pool;
  let routes: WriteRoute[];

  const state = (): Promise<Record<string, unknown>> =>
    footprint({ query: async (text) => (await admin.query(text)).rows as Array<Record<string, unknown>> });

  const send = (route: WriteRoute, path: string, text: string | undefined): request.Test => {
    const call = request(app.getHttpServer())[route.method](path);
    if (route.session) void call.set('Authorization', `Bearer ${route.session.accessToken}`);
    if (text !== undefined) void call.set('Content-Type', 'application/json').send(text);
    return call;
  };

  /** Never a 500; a refusal is a problem document and changed nothing; nothing reached Object.prototype. */
  const expectSafe = async (route: WriteRoute, path: string, text: string | undefined): Promise<number> => {
    const before = await state();
    const response = await send(route, path, text);
    const seen = {
      operation: route.operation,
      status: response.status,
      code: (response.body as { code?: string }).code,
    };
    expect(seen.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.text).not.toMatch(/\bat .+\.(js|ts):\d+/);
      expect({ ...seen, unchanged: true }).toEqual({
        ...seen,
        unchanged: JSON.stringify(await state()) === JSON.stringify(before),
      });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    return response.status;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({
      databaseUrl: database.appUrl,
      env: {
        LOGIN_RATE_LIMIT_PER_IP: '100000',
        LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
        PASSWORD_THROTTLE_FREE_FAILURES: '100',
      },
    });
    admin = testPool(database.adminUrl);
    ({ routes } = await buildWorld(app, dataSourceOf(app)));
  });

  afterAll(async () => {
    await app.close();
    await admin.end();
    await database.drop();
  });

  it('the table covers every write route the API documents', async () => {
    expect(routes.map((route) => route.operation).sort()).toEqual(await documentedWriteOperations(app));
  });

  it('refuses an oversize body on every route with 413, changing nothing', async () => {
    for (const route of routes) {
      // Many short strings: no single field is too long, the body as a whole is.
      const limit = bodyLimitOf({ method: route.method.toUpperCase(), url: route.path });
      const text = JSON.stringify({
        ...(route.body ?? {}),
        padding: Array.from({ length: Math.ceil(limit / 8) }, () => 'abcdefgh'),
      });
      const status = await expectSafe(route, route.path, text);
      expect({ route: route.operation, status }).toEqual({ route: route.operation, status: 413 });
    }
  });

  it('refuses deep JSON and pollution keys at any depth with 400, changing nothing', async () => {
    for (const route of routes) {
      expect(await expectSafe(route, route.path, `${'['.repeat(40)}${']'.repeat(40)}`)).toBe(400);
      // As deep as the size limit allows: the parser must not overflow its stack into a 500.
      expect(await expectSafe(route, route.path, `${'['.repeat(30_000)}${']'.repeat(30_000)}`)).toBe(400);
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const body = JSON.stringify(route.body ?? {}).slice(0, -1);
        const top = `${body}${body === '{' ? '' : ','}"${key}":{"polluted":true}}`;
        const nested = `{"items":[{"changes":{"${key}":{"polluted":true}}}]}`;
        for (const text of [top, nested]) {
          const status = await expectSafe(route, route.path, text);
          expect({ route: route.operation, key, status }).toEqual({ route: route.operation, key, status: 400 });
        }
      }
    }
  });

  // One property per route: fast-check reports the seed and the shrunk body of a failure.
  it('never answers 500 to hostile bodies and queries, and a refusal changes nothing', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(hostileBody((route.body ?? {}) as Json), hostileQuery, async (text, query) => {
          await expectSafe(route, `${route.path}${query}`, text);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
    }
  });
});
