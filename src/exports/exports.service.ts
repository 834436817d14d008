import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { CaseAccessService, type AccessibleCase } from '../cases/case-access.service.js';
import type { RequestContext } from '../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CustodyRecords } from '../custody/custody-records.service.js';
import { ITEM_SELECT, itemView, type ItemRow } from '../custody/item-records.js';
import type { Queryable } from '../identity/users/user-records.js';
import type { LedgerEntry } from '../ledger/core/entry.js';
import { caseUcoExport, type CaseUcoDocument, type CaseUcoEntry } from './case-uco-export.js';
import { custodyCsv, type CustodyEntry } from './custody-csv.js';

/** What the access log says was exported (details.export of a `custody_history.read` row). */
type ExportFormat = 'case-uco' | 'csv';

interface EntryRow {
  idx: string;
  entry: Buffer;
  leaf_hash: Buffer;
  item_ids: string[];
}

/** Agency codes named in entries (actors, signers, custodians, witnesses), for Organization names. */
function agencyCodes(entries: readonly CustodyEntry[]): Set<string> {
  const codes = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const element of value) visit(element);
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record.agency === 'string') codes.add(record.agency);
      for (const member of Object.values(record)) visit(member);
    }
  };
  for (const { entry } of entries) visit([entry.actor, entry.signatures, entry.data]);
  return codes;
}

/**
 * Exports of custody for other systems (docs/exports.md): a case as CASE/UCO JSON-LD, the custody
 * table of an item or a case as CSV. Whoever may read the item or case may export it; everyone else
 * gets 404 as for the item or case itself. Each export writes a `custody_history.read` access-log
 * row naming the format. Items and entries are read in one REPEATABLE READ transaction, so an export
 * never mixes two states of the ledger.
 */
@Injectable()
export class ExportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly records: CustodyRecords,
    private readonly caseAccess: CaseAccessService,
    private readonly accessLog: AccessLogService,
  ) {}

  /** The case's custody as a CASE/UCO JSON-LD document. */
  async caseUco(ctx: RequestContext, caseId: string): Promise<{ document: CaseUcoDocument; caseNumber: string }> {
    const { kase, items, entries, agencies } = await this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const kase = await this.caseAccess.requireCase(em, ctx, caseId, 'read');
      const items = await em.query<ItemRow[]>(`${ITEM_SELECT} WHERE i.case_id = $1 ORDER BY i.item_number`, [kase.id]);
      const entries = await this.caseEntries(em, kase.id);
      const codes = [...agencyCodes(entries), kase.agency_code];
      const agencies = await em.query<Array<{ code: string; name: string }>>(
        'SELECT code, name FROM agency WHERE code = ANY($1::text[])',
        [codes],
      );
      return { kase, items, entries, agencies };
    });
    const document = caseUcoExport({
      origin: this.config.ledgerOrigin,
      kase: {
        id: kase.id,
        caseNumber: kase.case_number,
        title: kase.title,
        status: kase.status,
        agency: kase.agency_code,
        legalAuthority: kase.legal_authority,
        createdAt: kase.created_at.toISOString(),
      },
      agencies: new Map(agencies.map((agency) => [agency.code, agency.name])),
      items: items.map(itemView),
      entries,
    });
    await this.logExport(ctx, { type: 'case', id: kase.id, label: kase.case_number }, kase, 'case-uco');
    return { document, caseNumber: kase.case_number };
  }

  /** The custody table of one item. */
  async itemCsv(ctx: RequestContext, itemId: string): Promise<{ csv: Buffer; itemNumber: string }> {
    const { item, kase, entries } = await this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const { item, kase } = await this.records.requireItem(em, ctx, itemId, 'read');
      const rows = await em.query<Array<Omit<EntryRow, 'item_ids'>>>(
        `SELECT le.idx, le.entry, le.leaf_hash FROM item_event ie JOIN ledger_entry le ON le.idx = ie.ledger_idx WHERE ie.item_id = $1 ORDER BY ie.ledger_idx`,
        [item.id],
      );
      return { item, kase, entries: rows.map((row) => ({ ...parseEntry(row), itemIds: [item.id] })) };
    });
    const csv = custodyCsv([
      { item: { id: item.id, number: item.item_number, description: item.description }, entries },
    ]);
    await this.logExport(ctx, { type: 'item', id: item.id, label: item.item_number }, kase, 'csv');
    return { csv, itemNumber: item.item_number };
  }

  /** The custody tables of every item of a case, item by item (by item number). */
  async caseCsv(ctx: RequestContext, caseId: string): Promise<{ csv: Buffer; caseNumber: string }> {
    const { kase, items, entries } = await this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const kase = await this.caseAccess.requireCase(em, ctx, caseId, 'read');
      const items = await em.query<Array<{ id: string; item_number: string; description: string }>>(
        'SELECT id, item_number, description FROM item WHERE case_id = $1 ORDER BY item_number',
        [kase.id],
      );
      return { kase, items, entries: await this.caseEntries(em, kase.id) };
    });
    const byItem = new Map<string, CaseUcoEntry[]>(items.map((item) => [item.id, []]));
    for (const entry of entries) for (const id of entry.itemIds) byItem.get(id)?.push(entry);
    const csv = custodyCsv(
      items.map((item) => ({
        item: { id: item.id, number: item.item_number, description: item.description },
        entries: byItem.get(item.id)!,
      })),
    );
    await this.logExport(ctx, { type: 'case', id: kase.id, label: kase.case_number }, kase, 'csv');
    return { csv, caseNumber: kase.case_number };
  }

  /** Every custody entry of the case's items, once each, with the items it is indexed under. */
  private async caseEntries(db: Queryable, caseId: string): Promise<CaseUcoEntry[]> {
    const rows = await db.query<EntryRow[]>(
      `SELECT le.idx, le.entry, le.leaf_hash, ev.item_ids
         FROM (SELECT ie.ledger_idx, array_agg(ie.item_id::text ORDER BY ie.item_id) AS item_ids
                 FROM item_event ie JOIN item i ON i.id = ie.item_id
                WHERE i.case_id = $1
                GROUP BY ie.ledger_idx) ev
         JOIN ledger_entry le ON le.idx = ev.ledger_idx
        ORDER BY le.idx`,
      [caseId],
    );
    return rows.map((row) => ({ ...parseEntry(row), itemIds: row.item_ids }));
  }

  private async logExport(
    ctx: RequestContext,
    subject: { type: 'item' | 'case'; id: string; label: string },
    kase: AccessibleCase,
    format: ExportFormat,
  ): Promise<void> {
    await this.accessLog.record(ctx, {
      event: 'custody_history.read',
      outcome: 'success',
      subject: { ...subject, agencyId: kase.agency_id },
      caseId: kase.id,
      details: { export: format },
    });
  }
}

function parseEntry(row: { entry: Buffer; leaf_hash: Buffer }): CustodyEntry {
  return { entry: JSON.parse(row.entry.toString('utf8')) as LedgerEntry, leafHash: row.leaf_hash.toString('hex') };
}
