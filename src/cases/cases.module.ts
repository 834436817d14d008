import { Module } from '@nestjs/common';

import { CaseAccessService } from './case-access.service.js';
import { CasesController } from './cases.controller.js';
import { CasesService } from './cases.service.js';

/** Cases and sharing; exports CaseAccessService, the one place case access is decided. */
@Module({
  controllers: [CasesController],
  providers: [CasesService, CaseAccessService],
  exports: [CaseAccessService, CasesService],
})
export class CasesModule {}
