import { Global, Logger, Module } from '@nestjs/common';

import { CasesModule } from '../cases/cases.module.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CheckpointService } from './checkpoint.service.js';
import { LedgerEntriesService } from './ledger-entries.service.js';
import { loadOrCreateLedgerKey } from './ledger-key.js';
import { LedgerMonitorService } from './ledger-monitor.service.js';
import { LedgerStatusController } from './ledger-status.controller.js';
import { LedgerVerificationController } from './ledger-verification.controller.js';
import { LedgerVerificationService } from './ledger-verification.service.js';
import { LedgerController } from './ledger.controller.js';
import { LedgerService } from './ledger.service.js';
import { LEDGER_KEY } from './ledger.tokens.js';
import { openPkcs11LedgerKey } from './signer/pkcs11-key.js';
import { LedgerTimestampingService } from './timestamp/ledger-timestamping.service.js';
import { LedgerWitnessingService } from './witnessing/ledger-witnessing.service.js';

/** The ledger: `LedgerService.append(em, ctx, event)` for writers, read-only queries, checkpoints. */
@Global()
@Module({
  // CaseAccessService scopes the entries served (ADR 0015).
  imports: [CasesModule],
  controllers: [LedgerController, LedgerVerificationController, LedgerStatusController],
  providers: [
    LedgerService,
    LedgerEntriesService,
    CheckpointService,
    LedgerVerificationService,
    LedgerMonitorService,
    LedgerWitnessingService,
    LedgerTimestampingService,
    {
      provide: LEDGER_KEY,
      inject: [APP_CONFIG],
      // A key in a PKCS#11 token when one is configured (ADR 0026); the key file otherwise.
      useFactory: (config: AppConfig) =>
        config.ledgerPkcs11
          ? openPkcs11LedgerKey(config.ledgerPkcs11, config.ledgerOrigin)
          : loadOrCreateLedgerKey(config.ledgerKeyFile, config.ledgerOrigin, new Logger('LedgerKey')),
    },
  ],
  exports: [LedgerService, CheckpointService, LedgerMonitorService, LedgerWitnessingService, LedgerTimestampingService],
})
export class LedgerModule {}
