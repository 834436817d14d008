import { Module } from '@nestjs/common';

import { CustodyModule } from '../custody/custody.module.js';
import { HashImportsController } from './hash-imports.controller.js';
import { HashImportsService } from './hash-imports.service.js';

/** Hash values imported from acquisition tools' logs (docs/hash-import.md). */
@Module({
  imports: [CustodyModule],
  controllers: [HashImportsController],
  providers: [HashImportsService],
  exports: [HashImportsService],
})
export class HashImportsModule {}
