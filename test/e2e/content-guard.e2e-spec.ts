import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { MAX_ENCODED_LENGTH, MAX_STRING_LENGTH } from '../../src/common/json-body.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestUser,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const NEVER_CONTENT = 'Custos records descriptions, identifiers and hashes, never evidence content';

const SENTENCE = 'Seized under warrant JI-7 118/2026; phone found powered off, screen cracked. ';
const prose = (length: number): string => SENTENCE.repeat(Math.ceil(length / SENTENCE.length)).slice(0, length);
// 2 KiB of a photo as a client would send it: base64 of arbitrary bytes.
const photo = Buffer.from(Array.from({ length: 1536 }, (_, i) => (i * 151 + 7) % 256)).toString('base64');
const MULTIPART =
  '--X\r\nContent-Disposition: form-data; name="file"; filename="seizure.jpg"\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n--X--\r\n';

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'] as const;
type WriteMethod = (typeof WRITE_METHODS)[number];
const isWriteMethod = (method: string): method is WriteMethod => (WRITE_METHODS as readonly string[]).includes(method);

describe('no route accepts evidence content', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let officerUser: TestUser;
  let officer: Session;

  const api = (): ReturnType<typeof request> => request(app.getHttpServer());

  /** Every table a refused request could have written to. */
  const footprint = async (): Promise<Record<string, unknown>> => {
    const [counts] = await db.query<Array<Record<string, number>>>(
      `SELECT (SELECT count(*) FROM case_file)::int AS cases,
              (SELECT count(*) FROM ledger_entry)::int AS ledger,
              (SELECT count(*) FROM item)::int AS items,
              (SELECT count(*) FROM auth_session)::int AS sessions`,
    );
    const throttles = await db.query(
      'SELECT subject_key, client_key, failure_count FROM password_throttle ORDER BY subject_key, client_key',
    );
    return { ...counts, throttles };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    const agency = await createAgency(db, { code: 'ES-GC' });
    officerUser = await createUser(db, agency, { roles: ['officer'] });
    officer = await login(app, officerUser);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('writes an ordinary case, so the footprint below can see a write', async () => {
    expect(photo).toHaveLength(2048);
    const before = await footprint();
    await api()
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'CG-1', title: 'Operación Tormenta' })
      .expect(201);
    expect((await footprint()).cases).toBe((before.cases as number) + 1);
  });

  describe('POST /api/v1/cases', () => {
    it.each([
      {
        field: 'title',
        code: 'field_too_long',
        body: { caseNumber: 'CG-2', title: prose(MAX_STRING_LENGTH + 1) },
        detail: 'The field title is longer than 2000 characters',
      },
      {
        field: 'legalAuthority[1]',
        code: 'field_too_long',
        body: { caseNumber: 'CG-3', title: 'T', legalAuthority: ['ok', prose(2001)] },
        detail: 'The field legalAuthority[1] ',
      },
      {
        field: 'title',
        code: 'content_not_accepted',
        body: { caseNumber: 'CG-4', title: photo },
        detail: NEVER_CONTENT,
      },
      {
        field: 'legalAuthority[0]',
        code: 'content_not_accepted',
        body: { caseNumber: 'CG-5', title: 'T', legalAuthority: [`data:image/jpeg;base64,${photo}`] },
        detail: 'The field legalAuthority[0] ',
      },
    ])('refuses $field with $code before anything is written', async ({ body, code, detail }) => {
      const before = await footprint();
      const response = await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send(body)
        .expect(400)
        .expect('Content-Type', PROBLEM_JSON);
      expect(response.body).toMatchObject({
        status: 400,
        code,
        type: `/problems/${code.replace(/_/g, '-')}`,
        instance: '/api/v1/cases',
      });
      expect(response.body.detail).toContain(detail);
      expect(response.text).not.toContain(photo.slice(0, 64));
      expect(await footprint()).toEqual(before);
    });

    it('reaches validation with text within the limits (and refuses it there, as the DTO says)', async () => {
      const before = await footprint();
      const response = await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'CG-6', title: prose(MAX_STRING_LENGTH) })
        .expect(400);
      expect(response.body.code).toBe('validation_failed');
      const encodedWithin = await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'CG-7', title: photo.slice(0, MAX_ENCODED_LENGTH) })
        .expect(400);
      expect(encodedWithin.body.code).toBe('validation_failed');
      expect(await footprint()).toEqual(before);
    });
  });

  describe('POST /api/v1/auth/login', () => {
    it.each([
      ['a 2,001-character password', prose(2001), 'field_too_long'],
      ['a 2 KiB base64 password', photo, 'content_not_accepted'],
    ])('refuses %s before authentication: no session, no failure counted', async (_what, password, code) => {
      const before = await footprint();
      const response = await api()
        .post('/api/v1/auth/login')
        .send({ username: officerUser.username, password })
        .expect(400)
        .expect('Content-Type', PROBLEM_JSON);
      expect(response.body).toMatchObject({ status: 400, code });
      expect(response.body.detail).toContain('The field password ');
      expect(await footprint()).toEqual(before);
    });
  });

  describe('415 for anything but JSON', () => {
    it.each([
      ['multipart/form-data; boundary=X', MULTIPART],
      ['application/octet-stream', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])],
    ])('%s to cases and login, nothing written', async (contentType, body) => {
      const before = await footprint();
      for (const [path, session] of [
        ['/api/v1/cases', officer],
        ['/api/v1/auth/login', undefined],
      ] as const) {
        const call = api().post(path).set('Content-Type', contentType);
        if (session) void call.set(bearer(session));
        const response = await call.send(body).expect(415).expect('Content-Type', PROBLEM_JSON);
        expect(response.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      }
      expect(await footprint()).toEqual(before);
    });

    it('multipart to every write route the API documents, and to no route at all', async () => {
      const document = (await api().get('/api/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const writes: Array<readonly [WriteMethod, string]> = Object.entries(document.paths).flatMap(
        ([path, operations]) =>
          Object.keys(operations)
            .filter(isWriteMethod)
            .map((method) => [method, path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')] as const),
      );
      // The routes this file relies on are among them, and there are many more.
      expect(writes).toEqual(
        expect.arrayContaining([
          ['post', '/api/v1/cases'],
          ['post', '/api/v1/auth/login'],
        ]),
      );
      expect(writes.length).toBeGreaterThan(5);
      // The check runs before routing: an unknown path is refused the same way, not with 404.
      writes.push(['post', '/api/v1/uploads'], ['put', '/api/v1/items/00000000-0000-4000-8000-000000000000/photo']);
      const before = await footprint();
      for (const [method, path] of writes) {
        const response = await api()
          [method](path)
          .set(bearer(officer))
          .set('Content-Type', 'multipart/form-data; boundary=X')
          .send(MULTIPART);
        expect({ method, path, status: response.status, code: response.body.code }).toEqual({
          method,
          path,
          status: 415,
          code: 'unsupported_media_type',
        });
      }
      expect(await footprint()).toEqual(before);
    });
  });

  describe('content split into pieces (issue 16 item 6, ADR 0019)', () => {
    const corpus = JSON.parse(
      readFileSync(new URL('../fixtures/descriptions/corpus.json', import.meta.url), 'utf8'),
    ) as Record<string, string[]>;
    const descriptions = Object.values(corpus).flat();
    let caseId: string;
    const seizure = (items: Array<Record<string, unknown>>): request.Test =>
      api().post(`/api/v1/cases/${caseId}/items`).set(bearer(officer)).send({ items });
    const device = (description: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      kind: 'mobile_phone',
      description,
      occurredAt: '2026-11-20T09:14:00+01:00',
      place: 'Calle Mayor 12, Madrid',
      ...extra,
    });

    beforeAll(async () => {
      caseId = (
        (
          await api()
            .post('/api/v1/cases')
            .set(bearer(officer))
            .send({ caseNumber: 'CG-PIECES', title: 'Operación Mosaico' })
            .expect(201)
        ).body as { id: string }
      ).id;
    });

    it('refuses the reviewer’s attack: base64 in runs of 660 joined by “.” over 100 items; nothing is written', async () => {
      const encoded = randomBytes(148_500).toString('base64');
      const runs = encoded.match(/.{1,660}/g)!;
      const perItem = Math.ceil(runs.length / 100);
      const items = Array.from({ length: 100 }, (_, n) =>
        device(runs.slice(n * perItem, (n + 1) * perItem).join('.') || 'Empty'),
      );
      // Each run alone passes the per-field guard; only the pieces together are content.
      expect(runs.every((run) => run.length <= 660)).toBe(true);
      const before = await footprint();
      const refused = await seizure(items).expect(400);
      expect(refused.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(refused.body).toMatchObject({ code: 'content_not_accepted' });
      expect(refused.body.detail).toContain(NEVER_CONTENT);
      expect(await footprint()).toEqual(before);
    });

    it('refuses the same content spread thinner: 20 characters per field, all over the request', async () => {
      const encoded = randomBytes(3000).toString('base64');
      const pieces = encoded.match(/.{1,20}/g)!;
      const items = Array.from({ length: 100 }, (_, n) =>
        device(`Exhibit ${n}: ${pieces[n * 2] ?? 'x'}`, { condition: pieces[n * 2 + 1] ?? 'x' }),
      );
      const before = await footprint();
      expect((await seizure(items).expect(400)).body).toMatchObject({ code: 'content_not_accepted' });
      expect(await footprint()).toEqual(before);
    });

    it('accepts 100 real-looking long descriptions in Spanish, Portuguese, German and English', async () => {
      expect(Object.keys(corpus).sort()).toEqual(['de', 'en', 'es', 'pt']);
      const items = Array.from({ length: 100 }, (_, n) =>
        device(descriptions[n % descriptions.length], {
          condition: descriptions[(n + 5) % descriptions.length],
          make: 'Samsung',
          model: 'Galaxy S21 Ultra 5G SM-G998B/DS',
          serial: `R58N${String(1000 + n)}ABCD`,
        }),
      );
      const response = await seizure(items).expect(201);
      expect((response.body as { items: unknown[] }).items).toHaveLength(100);
    });
  });
});
