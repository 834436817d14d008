import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import { LedgerStatus } from '../contracts/ledger.js';
import { CheckpointService } from './checkpoint.service.js';
import { LedgerMonitorService } from './ledger-monitor.service.js';
import { LedgerService } from './ledger.service.js';
import { LedgerTimestampingService } from './timestamp/ledger-timestamping.service.js';
import { LedgerWitnessingService } from './witnessing/ledger-witnessing.service.js';

/**
 * `GET /api/v1/ledger/status`: the ledger's state at a glance, for every signed-in user (the web
 * app's banner reads it). A thin composition: each part comes from the service that owns it, and
 * none carries case data. `integrity` is the ledger monitor's (LedgerMonitorService.status()).
 */
@ApiTags('ledger')
@ApiBearerAuth()
@Controller('ledger/status')
export class LedgerStatusController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly monitor: LedgerMonitorService,
    private readonly checkpoints: CheckpointService,
    private readonly witnessing: LedgerWitnessingService,
    private readonly timestamping: LedgerTimestampingService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The ledger's size and what the service's own integrity monitor found (no case data)" })
  @ApiJson(200, LedgerStatus)
  // The parts' own types are checked against the contract here (they live with their services).
  async status(): Promise<LedgerStatus> {
    const [head, integrity, witnessing, timestamping] = await Promise.all([
      this.ledger.treeHead(),
      this.monitor.status(),
      this.witnessing.status(),
      this.timestamping.status(),
    ]);
    return { treeSize: head.treeSize, integrity, signer: this.checkpoints.signerStatus(), witnessing, timestamping };
  }
}
