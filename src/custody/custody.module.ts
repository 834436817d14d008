import { Module } from '@nestjs/common';

import { CasesModule } from '../cases/cases.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { CustodyRecords } from './custody-records.service.js';
import { HashesService } from './hashes.service.js';
import { ItemHistoryService } from './item-history.service.js';
import { ItemsController } from './items.controller.js';
import { ItemsService } from './items.service.js';
import { TransfersController } from './transfers.controller.js';
import { TransfersService } from './transfers.service.js';

/** Items, transfers, hashes, storage, disposition, corrections and histories (docs/custody.md). */
@Module({
  imports: [CasesModule, IdentityModule],
  controllers: [ItemsController, TransfersController],
  providers: [CustodyRecords, ItemsService, HashesService, TransfersService, ItemHistoryService],
  exports: [CustodyRecords, ItemsService, ItemHistoryService, TransfersService, HashesService],
})
export class CustodyModule {}
