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
              (SELECT count(*) FROM auth_session)::int AS sessions`,
    );
    const lockouts = await db.query('SELECT username_key, failure_count FROM login_lockout ORDER BY username_key');
    return { ...counts, lockouts };
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
});
