import { Module } from '@nestjs/common';

import { BundlesModule } from '../bundles/bundles.module.js';
import { CasesModule } from '../cases/cases.module.js';
import { CustodyModule } from '../custody/custody.module.js';
import { ReportRenderer } from './report-renderer.js';
import { ReportsController } from './reports.controller.js';
import { ReportsService } from './reports.service.js';

/**
 * Court custody reports (docs/reports.md, ADR 0041): a PDF rendered from the item's or case's
 * custody bundle, registered in the ledger (`report.issued`) before it is served, and the lookup
 * that authenticates a copy by its SHA-256. `custos verify-report` (report-verify.command.ts) asks
 * that lookup over HTTP and loads none of this.
 */
@Module({
  imports: [CasesModule, CustodyModule, BundlesModule],
  controllers: [ReportsController],
  providers: [ReportsService, ReportRenderer],
})
export class ReportsModule {}
