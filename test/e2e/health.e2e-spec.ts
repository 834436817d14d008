import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { runMigrations } from '../../src/database/migrate.js';
import { createTestApp } from '../utils/test-app.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// This test stops and starts a database, so it always runs on a cluster of its own.
describe('health', () => {
  let dataDir: string;
  let database: EmbeddedDatabase;
  let app: NestExpressApplication;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'custos-health-'));
    database = await startEmbeddedPostgres({ dataDir, logger: quiet });
    await runMigrations(database.ownerUrl, quiet);
    app = await createTestApp({ databaseUrl: database.appUrl });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is live and ready while the database answers', async () => {
    await request(app.getHttpServer()).get('/health').expect(200, { status: 'ok' });
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.details.database.status).toBe('up');
  });

  it('answers 503 problem+json (not 500, not a hang) while the database is down, and recovers by itself', async () => {
    await database.stopCluster();
    try {
      const started = Date.now();
      const down = await request(app.getHttpServer()).get('/health/ready');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(down.status).toBe(503);
      expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(down.headers['retry-after']).toBe('5');
      expect(down.body).toMatchObject({
        type: '/problems/not-ready',
        title: 'Not ready',
        status: 503,
        code: 'not_ready',
        checks: { database: { status: 'down' } },
      });
      expect(down.body.requestId).toBe(down.headers['x-request-id']);
      // Liveness is about the process, which is fine.
      await request(app.getHttpServer()).get('/health').expect(200);
    } finally {
      await database.startCluster();
    }
    const recovered = await eventually(
      () => request(app.getHttpServer()).get('/health/ready'),
      (response) => response.status === 200,
    );
    expect(recovered.status).toBe(200);
    expect(recovered.body.details.database.status).toBe('up');
  });
});
