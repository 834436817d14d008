import { Logger, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DbWitnessStore } from './db-witness-store.js';
import { loadOrCreateWitnessKey } from './witness-key.js';
import { WitnessController } from './witness.controller.js';
import { Witness } from './witness.js';
import { IN_SERVICE_WITNESS } from './witness.tokens.js';

/** The in-service witness (WITNESS_LOGS): off, and no key generated, when no log is listed. */
@Module({
  controllers: [WitnessController],
  providers: [
    {
      provide: IN_SERVICE_WITNESS,
      inject: [APP_CONFIG, getDataSourceToken()],
      useFactory: (config: AppConfig, dataSource: DataSource): Witness | undefined => {
        if (config.witness.logs.length === 0) return undefined;
        const logger = new Logger('Witness');
        const cosigner = loadOrCreateWitnessKey(config.witness.keyFile, config.witness.name, (m) => logger.warn(m));
        logger.log(`witnessing ${config.witness.logs.map((log) => log.origin).join(', ')} as ${cosigner.verifierKey}`);
        return new Witness(cosigner, new DbWitnessStore(dataSource), config.witness.logs);
      },
    },
  ],
})
export class WitnessModule {}
