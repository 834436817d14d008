import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { CheckpointService, type SignerStatus } from './checkpoint.service.js';
import { LedgerMonitorService, type IntegrityStatus } from './ledger-monitor.service.js';
import { LedgerService } from './ledger.service.js';

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
  ) {}

  @Get()
  @ApiOperation({ summary: "The ledger's size and what the service's own integrity monitor found (no case data)" })
  @ApiOkResponse({
    description:
      '{ treeSize, integrity: { status: ok|failed, verifiedSize, verifiedAt, failure: { index, kind, summary, source, at } | null, writesRefused, checkpointsStopped }, signer: { status: ok|refused, signedSize, signedAt, refusal: { reason, at } | null } }',
  })
  async status(): Promise<{ treeSize: number; integrity: IntegrityStatus; signer: SignerStatus }> {
    const [head, integrity] = await Promise.all([this.ledger.treeHead(), this.monitor.status()]);
    return { treeSize: head.treeSize, integrity, signer: this.checkpoints.signerStatus() };
  }
}
