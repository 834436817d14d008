import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { CaseAccessService } from '../cases/case-access.service.js';
import type { RequestContext } from '../common/request-context.js';

/** An entry as a caller may see it: its bytes only where the caller may read the entry's case. */
export interface ScopedEntry {
  readonly index: number;
  readonly leafHash: Buffer;
  /** The canonical bytes; null when they are withheld from this caller. */
  readonly bytes: Buffer | null;
}

/**
 * Ledger entries read through the case access model (docs/access-control.md, ADR 0015). Every
 * entry about a case carries that case's data (titles, descriptions, places, serials, people), so
 * its bytes are served only to a caller who may read the case — decided in SQL by the same
 * predicate that scopes every other list (`CaseAccessService.accessibleCasePredicate`), so that a
 * page is filtered in the database. Other entries keep their index and leaf hash: with them a
 * verifier recomputes the tree, and a leaf hash reveals nothing of the entry. An entry that names no
 * case is withheld from everyone (none is written today); it can be read with `custos ledger`.
 */
@Injectable()
export class LedgerEntriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly caseAccess: CaseAccessService,
  ) {}

  async entries(ctx: RequestContext, from: number, to: number): Promise<ScopedEntry[]> {
    const params: unknown[] = [from, to];
    const readable = this.caseAccess.accessibleCasePredicate(ctx, 'e.case_id', 'read', (value) => {
      params.push(value);
      return `$${params.length}`;
    });
    const rows = await this.dataSource.query<Array<{ idx: string; leaf_hash: Buffer; entry: Buffer | null }>>(
      `SELECT e.idx, e.leaf_hash, CASE WHEN e.case_id IS NOT NULL AND ${readable} THEN e.entry END AS entry
         FROM ledger_entry e
        WHERE e.idx >= $1 AND e.idx < $2
        ORDER BY e.idx`,
      params,
    );
    return rows.map((row) => ({ index: Number(row.idx), leafHash: row.leaf_hash, bytes: row.entry }));
  }
}
