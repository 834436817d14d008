import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';

import { AccessLogModule } from './access-log/access-log.module.js';
import { BundlesModule } from './bundles/bundles.module.js';
import { CasesModule } from './cases/cases.module.js';
import { IdempotencyInterceptor } from './common/idempotency.interceptor.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { CustodyModule } from './custody/custody.module.js';
import { ConnectionGuards } from './database/connection-guards.js';
import { dataSourceOptions } from './database/data-source.js';
import { ExportsModule } from './exports/exports.module.js';
import { HashImportsModule } from './hash-imports/hash-imports.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { LabelsModule } from './labels/labels.module.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { WitnessModule } from './witness/witness.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  /** The run-time connection: the service's least-privileged role. */
  databaseUrl: string;
  logger: Logger;
  /** Modules mounted beside the service's own (test-only controllers, benchmarks). */
  imports?: Array<Type | DynamicModule>;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, imports = [] }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({
          ...dataSourceOptions({
            url: databaseUrl,
            poolSize: config.databasePoolSize,
            statementTimeoutMs: config.databaseStatementTimeoutMs,
            queryTimeoutMs: config.databaseQueryTimeoutMs,
          }),
          autoLoadEntities: true,
          retryAttempts: 10,
          retryDelay: 3_000,
        }),
        HealthModule,
        AccessLogModule,
        IdentityModule,
        CasesModule,
        LedgerModule,
        CustodyModule,
        HashImportsModule,
        BundlesModule,
        ExportsModule,
        ReportsModule,
        LabelsModule,
        WitnessModule,
        ...imports,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        ConnectionGuards,
      ],
    };
  }
}
