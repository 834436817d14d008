import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * Test configuration; DATA_DIR is a fresh temporary directory (the ledger key is generated there).
 * The periodic checkpoint and the ledger monitor are off (once a day): tests that want them run them
 * themselves (CheckpointService.checkpointNow, LedgerMonitorService.pass).
 */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-app-'));
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    LOG_FORMAT: 'json',
    DATA_DIR: dataDir,
    LEDGER_ORIGIN: 'test.custos.invalid/ledger',
    LEDGER_CHECKPOINT_SECONDS: '86400',
    LEDGER_MONITOR_SECONDS: '86400',
    ...env,
  });
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
