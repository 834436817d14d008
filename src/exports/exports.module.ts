import { Module } from '@nestjs/common';

import { CasesModule } from '../cases/cases.module.js';
import { CustodyModule } from '../custody/custody.module.js';
import { ExportsController } from './exports.controller.js';
import { ExportsService } from './exports.service.js';

/** CASE/UCO JSON-LD and CSV exports of custody (docs/exports.md). */
@Module({
  imports: [CasesModule, CustodyModule],
  controllers: [ExportsController],
  providers: [ExportsService],
})
export class ExportsModule {}
