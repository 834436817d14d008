import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import request from 'supertest';

import { Public } from '../../src/identity/auth.decorators.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

class SealDto {
  @IsString()
  @Length(4, 32)
  number!: string;
}

class ProbeDto {
  @IsString()
  @Length(1, 20)
  description!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;

  @ValidateNested({ each: true })
  @ArrayMaxSize(3)
  @Type(() => SealDto)
  seals!: SealDto[];
}

const SECRET = 'password=hunter2 at /srv/custos/secret.ts:42';

// Test-only routes opt out of the global AccessGuard like any public route.
@Public()
@Controller('probe')
class ProbeController {
  @Post()
  create(@Body() body: ProbeDto): { received: ProbeDto; isDto: boolean } {
    return { received: body, isDto: body instanceof ProbeDto };
  }

  @Get('crash')
  crash(): never {
    throw new Error(SECRET);
  }

  @Get('database-down')
  databaseDown(): never {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const PROBLEM_JSON = /^application\/problem\+json/;

describe('HTTP errors are RFC 9457 problem+json', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, imports: [ProbeModule] });
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const valid = { description: 'Samsung phone', count: 2, seals: [{ number: 'SEAL-0001' }] };

  it('accepts a valid body and turns it into the DTO class', async () => {
    const response = await request(app.getHttpServer()).post('/api/v1/probe').send(valid).expect(201);
    expect(response.body).toEqual({ received: valid, isDto: true });
  });

  it('400 lists every failing field with its path', async () => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .send({ description: '', count: 11, seals: [{ number: 'ok-seal' }, { number: 'x' }] })
      .expect(400)
      .expect('Content-Type', PROBLEM_JSON);
    expect(response.body).toMatchObject({
      type: '/problems/validation-failed',
      title: 'Bad request',
      status: 400,
      code: 'validation_failed',
      instance: '/api/v1/probe',
    });
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
    const fields = (response.body.errors as Array<{ field: string; messages: string[] }>).map((e) => e.field).sort();
    expect(fields).toEqual(['count', 'description', 'seals[1].number']);
    expect(response.body.detail).toContain('seals[1].number');
  });

  it('400 refuses unknown fields instead of dropping them', async () => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .send({ ...valid, owner: 'someone', seals: [{ number: 'SEAL-0002', colour: 'red' }] })
      .expect(400);
    const fields = (response.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['owner', 'seals[0].colour']);
  });

  it.each([
    ['__proto__', '{"description":"a","count":1,"seals":[],"__proto__":{"admin":true}}', '__proto__'],
    [
      'constructor',
      '{"description":"a","count":1,"seals":[{"number":"SEAL-1","constructor":{"prototype":{}}}]}',
      'seals[0].constructor',
    ],
  ])('400 refuses the prototype-pollution key %s wherever it is', async (_key, body, path) => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(400);
    expect(response.body.code).toBe('forbidden_json_structure');
    expect(response.body.detail).toContain(path);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('400 refuses absurdly deep JSON', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .set('Content-Type', 'application/json')
      .send(deep)
      .expect(400);
    expect(response.body.code).toBe('forbidden_json_structure');
  });

  it('400 for a body that is not JSON at all', async () => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .set('Content-Type', 'application/json')
      .send('{"description": "unterminated')
      .expect(400)
      .expect('Content-Type', PROBLEM_JSON);
    expect(response.body).toMatchObject({ code: 'malformed_json', status: 400 });
  });

  it.each(['/api/v1/no-such-thing', '/no-such-thing', '/api/docs/../../etc/passwd'])(
    '404 for unknown route %s',
    async (path) => {
      const response = await request(app.getHttpServer()).get(path).expect(404).expect('Content-Type', PROBLEM_JSON);
      expect(response.body).toMatchObject({ code: 'not_found', status: 404, title: 'Not found' });
      expect(response.body.requestId).toEqual(expect.any(String));
    },
  );

  it('413 for a body over 64 KiB, before it is parsed', async () => {
    const big = { ...valid, description: 'x'.repeat(64 * 1024) };
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .send(big)
      .expect(413)
      .expect('Content-Type', PROBLEM_JSON);
    expect(response.body).toMatchObject({ code: 'payload_too_large', status: 413 });
  });

  it('accepts a body just under the limit up to validation', async () => {
    // Just under 64 KiB, every string within the per-field limits: it reaches validation.
    const body = JSON.stringify({
      ...valid,
      notes: Array.from({ length: 30 }, () => 'Seal intact, bag ES-PN-0042117 signed by both officers. '.repeat(35)),
    });
    expect(Buffer.byteLength(body)).toBeGreaterThan(56 * 1024);
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .set('Content-Type', 'application/json')
      .send(body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
  });

  it.each([
    [
      'multipart/form-data; boundary=X',
      '--X\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nJPEG\r\n--X--\r\n',
    ],
    ['application/x-www-form-urlencoded', 'description=a&count=1'],
    ['application/octet-stream', 'binary-bytes'],
    ['text/plain', '{"description":"a"}'],
    ['image/jpeg', 'JPEG'],
  ])('415 for a %s body', async (contentType, body) => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .set('Content-Type', contentType)
      .send(body)
      .expect(415)
      .expect('Content-Type', PROBLEM_JSON);
    expect(response.body).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });

  it('415 for a body without Content-Type', async () => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .set('Content-Length', '2')
      .send(Buffer.from('{}'))
      .unset('Content-Type');
    expect(response.status).toBe(415);
  });

  it('500 says nothing of the failure but the request id, and never a stack', async () => {
    const response = await request(app.getHttpServer())
      .get('/api/v1/probe/crash')
      .set('X-Request-Id', 'case-42-trace-0001')
      .expect(500)
      .expect('Content-Type', PROBLEM_JSON);
    expect(response.body).toEqual({
      type: '/problems/internal-error',
      title: 'Internal error',
      status: 500,
      code: 'internal_error',
      detail: 'An unexpected error occurred. Quote the request id when reporting it.',
      instance: '/api/v1/probe/crash',
      requestId: 'case-42-trace-0001',
    });
    expect(response.text).not.toContain('hunter2');
    expect(response.text).not.toMatch(/\.ts:\d+|at \w+ \(/);
  });

  it('503 with Retry-After when the database cannot be reached', async () => {
    const response = await request(app.getHttpServer()).get('/api/v1/probe/database-down').expect(503);
    expect(response.body).toMatchObject({ code: 'database_unavailable', status: 503 });
    expect(response.headers['retry-after']).toBe('5');
    expect(response.text).not.toContain('5432');
  });

  it('replaces a request id it cannot safely log', async () => {
    const response = await request(app.getHttpServer()).get('/health').set('X-Request-Id', 'bad id <script>');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends helmet security headers and no X-Powered-By', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('serves the OpenAPI document and its UI', async () => {
    const json = await request(app.getHttpServer()).get('/api/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready', '/api/v1/probe']));
    const ui = await request(app.getHttpServer()).get('/api/docs').expect(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect(ui.text).toContain('swagger');
  });
});
