import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import type { RequestContext } from '../common/request-context.js';
import { prepared, queryPrepared } from '../database/prepared.js';
import type { LedgerEntry } from '../ledger/core/entry.js';
import { CustodyRecords } from './custody-records.service.js';
import { custodySteps, type HistoryEvent } from './custody-steps.js';
import { itemView, type ItemView } from './item-records.js';

export type { HistoryEvent, HistoryHash } from './custody-steps.js';

const ENTRIES_OF_ITEM = prepared(
  `SELECT le.entry, le.leaf_hash FROM item_event ie JOIN ledger_entry le ON le.idx = ie.ledger_idx WHERE ie.item_id = $1::uuid ORDER BY ie.ledger_idx`,
);

/** The custody timeline of an item: every ledger entry about it, in order, with proofs' handles. */
@Injectable()
export class ItemHistoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
    private readonly accessLog: AccessLogService,
  ) {}

  async history(ctx: RequestContext, itemId: string): Promise<{ item: ItemView; events: HistoryEvent[] }> {
    const { item, kase } = await this.records.requireItem(this.dataSource, ctx, itemId, 'read');
    const rows = await queryPrepared<Array<{ entry: Buffer; leaf_hash: Buffer }>>(this.dataSource, ENTRIES_OF_ITEM, [
      item.id,
    ]);
    await this.accessLog.logRead(ctx, 'custody_history', {
      type: 'item',
      id: item.id,
      label: item.item_number,
      caseId: kase.id,
      caseAgencyId: kase.agency_id,
    });
    const entries = rows.map((row) => ({
      entry: JSON.parse(row.entry.toString('utf8')) as LedgerEntry,
      leafHash: row.leaf_hash.toString('hex'),
    }));
    return { item: itemView(item), events: custodySteps(item.id, entries) };
  }
}
