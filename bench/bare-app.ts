/**
 * The framework's ceiling (issue #19, item 2): a bare NestJS 12 app on the same HTTP adapter
 * (Express) and pool size (20) as the service, with no authentication, no logging, no interceptors:
 *   GET  /things/:id  one SELECT by primary key;
 *   POST /things      one INSERT of the JSON body, committed durably (synchronous_commit on).
 * Whatever Custos does per request costs on top of this; `npm run bench -- ceiling` reports every
 * Custos figure as a ratio to it. Run as a child process: `node dist/bench/bare-app.js`, with
 * DATABASE_URL and PORT (0: any free port; the URL is printed as `{"url":"…"}` on stdout).
 */
import 'reflect-metadata';

import { Body, Controller, Get, HttpCode, Inject, Module, NotFoundException, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';

const POOL = Symbol('pg pool');

@Controller('things')
class ThingsController {
  constructor(@Inject(POOL) private readonly pool: pg.Pool) {}

  @Get(':id')
  async one(@Param('id') id: string): Promise<unknown> {
    const { rows } = await this.pool.query(
      'SELECT id, item_id, body, recorded_at FROM bench_bare_thing WHERE id = $1',
      [id],
    );
    if (rows.length === 0) throw new NotFoundException();
    return rows[0];
  }

  @Post()
  @HttpCode(201)
  async add(@Body() body: { itemId: string } & Record<string, unknown>): Promise<{ id: string }> {
    const { rows } = await this.pool.query<{ id: string }>(
      'INSERT INTO bench_bare_thing (item_id, body) VALUES ($1, $2) RETURNING id',
      [body.itemId, body],
    );
    return rows[0];
  }
}

@Module({
  controllers: [ThingsController],
  providers: [
    {
      provide: POOL,
      useFactory: () =>
        new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) }),
    },
  ],
})
class BareModule {}

const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: false });
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.stdout.write(`${JSON.stringify({ url: await app.getUrl() })}\n`);
