import { Module } from '@nestjs/common';

import { CasesModule } from '../cases/cases.module.js';
import { CustodyModule } from '../custody/custody.module.js';
import { BundlesController } from './bundles.controller.js';
import { BundlesService } from './bundles.service.js';

/**
 * Verifiable custody bundles (docs/bundle-format.md). The offline verifier beside it
 * (bundle-verifier.ts, bundle-verify.command.ts) loads none of this: it runs without Nest.
 */
@Module({
  imports: [CasesModule, CustodyModule],
  controllers: [BundlesController],
  providers: [BundlesService],
  exports: [BundlesService],
})
export class BundlesModule {}
