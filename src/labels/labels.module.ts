import { Module } from '@nestjs/common';

import { CasesModule } from '../cases/cases.module.js';
import { LabelsController } from './labels.controller.js';
import { LabelsService } from './labels.service.js';

/** Evidence-bag label sheets (PDF) for the items of a case; read-only, no ledger entry. */
@Module({
  imports: [CasesModule],
  controllers: [LabelsController],
  providers: [LabelsService],
})
export class LabelsModule {}
