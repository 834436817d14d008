import { Global, Module } from '@nestjs/common';

import { AccessLogController } from './access-log.controller.js';
import { AccessLogService } from './access-log.service.js';

/** Global: every feature logs reads of custody records through `AccessLogService.logRead`. */
@Global()
@Module({
  controllers: [AccessLogController],
  providers: [AccessLogService],
  exports: [AccessLogService],
})
export class AccessLogModule {}
