import { setTimeout as sleep } from 'node:timers/promises';

import { Controller, Get, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { Public } from '../../src/identity/auth.decorators.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

let started: () => void;
const requestStarted = new Promise<void>((resolve) => (started = resolve));

// Test-only routes opt out of the global AccessGuard like any public route.
@Public()
@Controller('slow')
class SlowController {
  @Get()
  async slow(): Promise<{ finished: boolean }> {
    started();
    await sleep(600);
    return { finished: true };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('graceful shutdown', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, imports: [SlowModule] });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await database.drop();
  });

  it('lets a request in flight finish, then stops accepting connections', async () => {
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    const inFlight = fetch(`${url}/api/v1/slow`);
    // Fails fast (instead of hanging) if the request is answered without reaching the controller.
    await Promise.race([
      requestStarted,
      inFlight.then((r) => Promise.reject(new Error(`answered early: ${r.status}`))),
    ]);
    const closing = app.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
