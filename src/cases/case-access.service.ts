import { Injectable } from '@nestjs/common';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import type { RequestContext, Role } from '../common/request-context.js';
import { prepared, queryPrepared } from '../database/prepared.js';
import type { Queryable } from '../identity/users/user-records.js';
import { CASE_WORKER_ROLES, caseAccessFor, satisfies, type CaseAccess } from './case-access.js';
import { CaseForbiddenError, CaseNotFoundError } from './cases.errors.js';

export interface CaseRow {
  id: string;
  agency_id: string;
  agency_code: string;
  agency_name: string;
  agency_country: string;
  case_number: string;
  title: string;
  legal_authority: string[];
  status: 'open' | 'closed';
  closed_at: Date | null;
  close_reason: string | null;
  created_by: string;
  created_by_username: string;
  created_by_name: string;
  created_at: Date;
  /** created_at in microseconds since the epoch: the exact sort key for cursors. */
  created_at_us: string;
  share_access: CaseAccess | null;
}

export interface AccessibleCase extends CaseRow {
  /** What the caller may do with the case. */
  readonly access: CaseAccess;
  /** The caller's agency owns the case (only then may they share it or see its shares). */
  readonly ownAgency: boolean;
}

/** SQL yielding the strongest active share of case `caseExpr` to the user or the user's agency. */
function shareAccessSql(caseExpr: string, agencyParam: string, userParam: string): string {
  return `(SELECT CASE WHEN bool_or(s.access = 'contribute') THEN 'contribute' WHEN count(*) > 0 THEN 'read' END
             FROM case_share s
            WHERE s.case_id = ${caseExpr} AND s.revoked_at IS NULL
              AND (s.grantee_agency_id = ${agencyParam} OR s.grantee_user_id = ${userParam}))`;
}

export const CASE_SELECT = (agencyParam: string, userParam: string): string => `
  SELECT c.id, c.agency_id, a.code AS agency_code, a.name AS agency_name, a.country AS agency_country, c.case_number,
         c.title, c.legal_authority, c.status, c.closed_at, c.close_reason, c.created_by, u.username AS created_by_username,
         u.display_name AS created_by_name, c.created_at,
         (extract(epoch FROM c.created_at) * 1000000)::bigint::text AS created_at_us, ${shareAccessSql('c.id', agencyParam, userParam)} AS share_access
    FROM case_file c
    JOIN agency a ON a.id = c.agency_id
    JOIN user_account u ON u.id = c.created_by`;

/** One case with the caller's share access: $1 case, $2 the caller's agency, $3 the caller. */
const CASE_BY_ID = prepared(`${CASE_SELECT('$2', '$3')} WHERE c.id = $1`);

/**
 * The one place case access is decided (docs/access-control.md). Every query about a case, or
 * about anything in a case (items, transfers, histories, reports), goes through `requireCase` for
 * one case or `accessibleCasePredicate` / `restrictToAccessibleCases` for lists. A case the caller
 * may not see is 404 `case_not_found`, exactly like a case that does not exist.
 */
@Injectable()
export class CaseAccessService {
  constructor(private readonly accessLog: AccessLogService) {}

  /** The case with the caller's access to it; 404 when they may not see it, 403 when read-only and `need` is contribute. */
  async requireCase(
    db: Queryable,
    ctx: RequestContext,
    caseId: string,
    need: CaseAccess,
    options: { lock?: boolean } = {},
  ): Promise<AccessibleCase> {
    const actor = ctx.actor;
    // Serialises the writers of one case (shares, later custody changes) without the UPDATE right on
    // case_file that SELECT … FOR UPDATE would need.
    if (options.lock && actor !== null)
      await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`case:${caseId}`]);
    const rows =
      actor === null ? [] : await queryPrepared<CaseRow[]>(db, CASE_BY_ID, [caseId, actor.agencyId, actor.id]);
    const row = rows[0];
    const ownAgency = row !== undefined && actor !== null && row.agency_id === actor.agencyId;
    const access =
      row === undefined || actor === null ? null : caseAccessFor(actor.roles, { ownAgency, share: row.share_access });
    if (row === undefined || access === null) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'case.access_denied',
        outcome: 'denied',
        // Logged for the auditors of the case's agency too: someone outside it asked for it.
        subject:
          row === undefined ? undefined : { type: 'case', id: row.id, label: row.case_number, agencyId: row.agency_id },
        caseId: row?.id,
        details: { need, requestedId: caseId, exists: row !== undefined },
      });
      throw new CaseNotFoundError();
    }
    if (!satisfies(access, need)) {
      throw new CaseForbiddenError('case_read_only', 'This case is shared with you read-only');
    }
    return { ...row, access, ownAgency };
  }

  /** What another person (a transfer's receiver, a witness) may do with a case. Writes no access-log row. */
  async accessOf(
    db: Queryable,
    user: { id: string; agencyId: string | null; roles: readonly Role[] },
    caseId: string,
  ): Promise<CaseAccess | null> {
    const rows = await queryPrepared<CaseRow[]>(db, CASE_BY_ID, [caseId, user.agencyId, user.id]);
    const row = rows[0];
    if (row === undefined) return null;
    return caseAccessFor(user.roles, { ownAgency: row.agency_id === user.agencyId, share: row.share_access });
  }

  /**
   * A SQL condition true for the cases the caller may see (`read`) or work on (`contribute`);
   * `param` binds a value and returns its placeholder, so it fits positional SQL and query builders.
   */
  accessibleCasePredicate(
    ctx: RequestContext,
    caseIdExpr: string,
    need: CaseAccess,
    param: (value: unknown) => string,
  ): string {
    const actor = ctx.actor;
    if (actor === null) return 'false';
    const worker = actor.roles.some((role) => CASE_WORKER_ROLES.includes(role));
    const auditor = actor.roles.includes('auditor');
    if (!worker && !(auditor && need === 'read')) return 'false';
    const agency = param(actor.agencyId);
    const user = param(actor.id);
    const shareFilter = need === 'contribute' ? ` AND s.access = 'contribute'` : '';
    return `(${caseIdExpr} IN (SELECT oc.id FROM case_file oc WHERE oc.agency_id = ${agency})
             OR EXISTS (SELECT 1 FROM case_share s WHERE s.case_id = ${caseIdExpr} AND s.revoked_at IS NULL${shareFilter}
                          AND (s.grantee_agency_id = ${agency} OR s.grantee_user_id = ${user})))`;
  }

  /** For TypeORM query builders: keeps only rows whose `caseIdColumn` is a case the caller may see. */
  restrictToAccessibleCases<T extends ObjectLiteral>(
    query: SelectQueryBuilder<T>,
    ctx: RequestContext,
    caseIdColumn: string,
    need: CaseAccess = 'read',
  ): SelectQueryBuilder<T> {
    const params: Record<string, unknown> = {};
    let n = 0;
    const predicate = this.accessibleCasePredicate(ctx, caseIdColumn, need, (value) => {
      const name = `caseAccess${n++}`;
      params[name] = value;
      return `:${name}`;
    });
    return query.andWhere(predicate, params);
  }
}
