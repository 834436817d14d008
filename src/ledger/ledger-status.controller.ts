import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { CheckpointService, type SignerStatus } from './checkpoint.service.js';
import { LedgerMonitorService, type IntegrityStatus } from './ledger-monitor.service.js';
import { LedgerService } from './ledger.service.js';
import { LedgerTimestampingService, type TimestampingStatus } from './timestamp/ledger-timestamping.service.js';
import { LedgerWitnessingService, type WitnessingStatus } from './witnessing/ledger-witnessing.service.js';

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
  @ApiOkResponse({
    description:
      '{ treeSize, integrity: { status: ok|failed, verifiedSize, verifiedAt, failure: { index, kind, summary, source, at } | null, writesRefused, checkpointsStopped }, signer: { status: ok|refused, signedSize, signedAt, refusal: { reason, at } | null }, witnessing: { enabled, quorum, publishedSize, publishedAt, witnesses: [{ name, url, vkey, status: ok|refused|unreachable|unknown, size, reason, checkedAt, okAt }] }, timestamping: { enabled, url, status: ok|failing|unknown, stampedSize, genTime, tsa, pendingSize, lastError: { reason, at } | null, checkedAt } }',
  })
  async status(): Promise<{
    treeSize: number;
    integrity: IntegrityStatus;
    signer: SignerStatus;
    witnessing: WitnessingStatus;
    timestamping: TimestampingStatus;
  }> {
    const [head, integrity, witnessing, timestamping] = await Promise.all([
      this.ledger.treeHead(),
      this.monitor.status(),
      this.witnessing.status(),
      this.timestamping.status(),
    ]);
    return { treeSize: head.treeSize, integrity, signer: this.checkpoints.signerStatus(), witnessing, timestamping };
  }
}
