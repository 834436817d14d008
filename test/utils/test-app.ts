import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';

export interface TestAppOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  /** Extra modules mounted beside the real ones (test-only controllers). */
  imports?: Array<Type | DynamicModule>;
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json', DATA_DIR: '/nonexistent', ...env });
}

/** The application exactly as main.ts builds it, initialised but not listening (supertest binds it). */
export async function createTestApp(options: TestAppOptions): Promise<NestExpressApplication> {
  return createApp({
    config: testConfig(options.env),
    databaseUrl: options.databaseUrl,
    logger: pino({ level: 'silent' }),
    imports: options.imports,
  });
}
