import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { CursorInvalidError, decodeCursor, encodeCursor } from '../common/cursor.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { insertOrConflict } from '../common/unique-violation.js';
import type { CaseListEntry, CaseView, ShareView } from '../contracts/cases.js';
import { findAgencyByCode } from '../identity/agencies/agencies.service.js';
import { findUserByUsername } from '../identity/users/user-records.js';
import { entryActor } from '../ledger/entry-actor.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { caseAccessFor, type CaseAccess } from './case-access.js';
import { CASE_SELECT, CaseAccessService, type AccessibleCase, type CaseRow } from './case-access.service.js';
import {
  CaseConflictError,
  CaseForbiddenError,
  CaseShareInvalidError,
  CaseShareNotFoundError,
} from './cases.errors.js';

// Declared once, with their schemas, in src/contracts (ADR 0009).
export type { CaseListEntry, CaseView, ShareView };

interface ShareRow {
  id: string;
  case_id: string;
  grantee_agency_id: string | null;
  grantee_agency_code: string | null;
  grantee_agency_name: string | null;
  grantee_agency_country: string | null;
  grantee_user_id: string | null;
  grantee_username: string | null;
  grantee_display_name: string | null;
  grantee_user_agency_code: string | null;
  access: CaseAccess;
  granted_at: Date;
  granted_by_username: string;
  revoked_at: Date | null;
  revoked_by_username: string | null;
}

const SHARE_SELECT = `
  SELECT s.id, s.case_id, s.grantee_agency_id, ga.code AS grantee_agency_code, ga.name AS grantee_agency_name,
         ga.country AS grantee_agency_country, s.grantee_user_id, gu.username AS grantee_username,
         gu.display_name AS grantee_display_name, gua.code AS grantee_user_agency_code, s.access, s.granted_at,
         gb.username AS granted_by_username, s.revoked_at, rb.username AS revoked_by_username
    FROM case_share s
    LEFT JOIN agency ga ON ga.id = s.grantee_agency_id
    LEFT JOIN user_account gu ON gu.id = s.grantee_user_id
    LEFT JOIN agency gua ON gua.id = gu.agency_id
    JOIN user_account gb ON gb.id = s.granted_by
    LEFT JOIN user_account rb ON rb.id = s.revoked_by`;

function caseView(row: CaseRow, access: CaseAccess, ownAgency: boolean): CaseView {
  return {
    id: row.id,
    caseNumber: row.case_number,
    title: row.title,
    legalAuthority: row.legal_authority,
    status: row.status,
    closedAt: row.closed_at?.toISOString() ?? null,
    closeReason: row.close_reason,
    agency: { id: row.agency_id, code: row.agency_code, name: row.agency_name, country: row.agency_country.trim() },
    createdAt: row.created_at.toISOString(),
    createdBy: { id: row.created_by, username: row.created_by_username, displayName: row.created_by_name },
    access,
    shared: !ownAgency,
  };
}

function shareView(row: ShareRow): ShareView {
  return {
    id: row.id,
    caseId: row.case_id,
    grantee:
      row.grantee_agency_id !== null
        ? {
            type: 'agency',
            agency: {
              id: row.grantee_agency_id,
              code: row.grantee_agency_code!,
              name: row.grantee_agency_name!,
              country: row.grantee_agency_country!.trim(),
            },
          }
        : {
            type: 'user',
            user: {
              id: row.grantee_user_id!,
              username: row.grantee_username!,
              displayName: row.grantee_display_name!,
              agencyCode: row.grantee_user_agency_code,
            },
          },
    access: row.access,
    grantedAt: row.granted_at.toISOString(),
    grantedBy: row.granted_by_username,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    revokedBy: row.revoked_by_username,
    status: row.revoked_at === null ? 'active' : 'revoked',
  };
}

/** A case event, recorded in the ledger in the same transaction as the change (`recordChange`). */
export interface CaseEvent {
  readonly type: 'case.opened' | 'case.shared' | 'case.share_revoked' | 'case.closed' | 'case.reopened';
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Cases and their sharing. Every write is one `LedgerService.write` unit of work: the change, its
 * access-log row and its ledger entry commit or roll back together.
 */
@Injectable()
export class CasesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly caseAccess: CaseAccessService,
    private readonly accessLog: AccessLogService,
    private readonly ledger: LedgerService,
  ) {}

  /**
   * Records a change of a case, inside its unit of work: the access-log row (who did what to which
   * case, with `details`) and the ledger entry (`type`, `data`) commit or roll back with the change.
   */
  private async recordChange(
    em: EntityManager,
    ctx: RequestContext,
    kase: Pick<AccessibleCase, 'id' | 'case_number' | 'agency_id'>,
    log: {
      event: 'case.create' | 'case.share' | 'case.share_revoke' | 'case.close' | 'case.reopen';
      details?: Record<string, unknown>;
    },
    event: CaseEvent,
  ): Promise<void> {
    await this.accessLog.record(
      ctx,
      {
        event: log.event,
        outcome: 'success',
        subject: { type: 'case', id: kase.id, label: kase.case_number, agencyId: kase.agency_id },
        caseId: kase.id,
        ...(log.details === undefined ? {} : { details: log.details }),
      },
      em,
    );
    await this.ledger.append(em, ctx, {
      type: event.type,
      actor: entryActor(ctx, 'officer'),
      subject: { type: 'case', id: kase.id, number: kase.case_number },
      case: { id: kase.id, number: kase.case_number },
      data: event.data,
    });
  }

  async create(
    ctx: RequestContext,
    input: { caseNumber: string; title: string; legalAuthority?: string[] },
  ): Promise<CaseView> {
    const actor = ctx.actor!;
    if (actor.agencyId === null)
      throw new DomainError('forbidden', 'agency_required', 'Only users of an agency open cases');
    return this.ledger.write(async (em) => {
      const taken = await em.query<unknown[]>(
        'SELECT 1 FROM case_file WHERE agency_id = $1 AND lower(case_number) = lower($2)',
        [actor.agencyId, input.caseNumber.trim()],
      );
      if (taken.length > 0)
        throw new CaseConflictError('case_number_taken', `Your agency already has a case ${input.caseNumber.trim()}`);
      const inserted = await insertOrConflict(
        () =>
          em.query<Array<{ id: string }>>(
            `INSERT INTO case_file (agency_id, case_number, title, legal_authority, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
            [
              actor.agencyId,
              input.caseNumber.trim(),
              input.title.trim(),
              (input.legalAuthority ?? []).map((ref) => ref.trim()),
              actor.id,
            ],
          ),
        () => new CaseConflictError('case_number_taken', `Your agency already has a case ${input.caseNumber.trim()}`),
      );
      const created = await this.caseAccess.requireCase(em, ctx, inserted[0].id, 'contribute');
      await this.recordChange(
        em,
        ctx,
        created,
        { event: 'case.create' },
        {
          type: 'case.opened',
          data: { caseNumber: created.case_number, title: created.title, legalAuthority: created.legal_authority },
        },
      );
      return caseView(created, created.access, created.ownAgency);
    });
  }

  async list(
    ctx: RequestContext,
    query: { status?: 'open' | 'closed'; limit: number; cursor?: string },
  ): Promise<{ cases: CaseListEntry[]; nextCursor: string | null }> {
    const actor = ctx.actor!;
    const params: unknown[] = [actor.agencyId, actor.id];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = [this.caseAccess.accessibleCasePredicate(ctx, 'c.id', 'read', param)];
    if (query.status !== undefined) where.push(`c.status = ${param(query.status)}`);
    if (query.cursor !== undefined) {
      const [createdAtUs, id] = decodeCursor(query.cursor, ['string', 'string'] as const);
      if (!/^\d{1,19}$/.test(createdAtUs) || !/^[0-9a-f-]{36}$/.test(id)) throw new CursorInvalidError();
      where.push(
        `((extract(epoch FROM c.created_at) * 1000000)::bigint, c.id) < (${param(createdAtUs)}::bigint, ${param(id)}::uuid)`,
      );
    }
    const rows = await this.dataSource.query<CaseRow[]>(
      `${CASE_SELECT('$1', '$2')} WHERE ${where.join(' AND ')} ORDER BY c.created_at DESC, c.id DESC LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const cases = rows.slice(0, query.limit).flatMap((row) => {
      const ownAgency = row.agency_id === actor.agencyId;
      const access = caseAccessFor(actor.roles, { ownAgency, share: row.share_access });
      return access === null ? [] : [caseView(row, access, ownAgency)];
    });
    // Integrity at a glance: how many items each case of the page holds, and how many are compromised.
    const counts = await this.dataSource.query<Array<{ case_id: string; total: number; compromised: number }>>(
      `SELECT case_id, count(*)::int AS total, (count(*) FILTER (WHERE integrity = 'compromised'))::int AS compromised
         FROM item WHERE case_id = ANY($1::uuid[]) GROUP BY case_id`,
      [cases.map((kase) => kase.id)],
    );
    const byCase = new Map(counts.map((row) => [row.case_id, { total: row.total, compromised: row.compromised }]));
    const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
    return {
      cases: cases.map((kase) => ({ ...kase, items: byCase.get(kase.id) ?? { total: 0, compromised: 0 } })),
      nextCursor: last ? encodeCursor([last.created_at_us, last.id]) : null,
    };
  }

  async get(ctx: RequestContext, caseId: string): Promise<CaseView> {
    const found = await this.caseAccess.requireCase(this.dataSource, ctx, caseId, 'read');
    await this.accessLog.record(ctx, {
      event: 'case.read',
      outcome: 'success',
      subject: { type: 'case', id: found.id, label: found.case_number, agencyId: found.agency_id },
      caseId: found.id,
    });
    return caseView(found, found.access, found.ownAgency);
  }

  /** Sharing is decided by the owning agency: a contributor elsewhere cannot pass the case on. */
  private requireOwner(found: AccessibleCase, what: string): void {
    if (!found.ownAgency)
      throw new CaseForbiddenError('case_share_forbidden', `Only the agency that owns the case ${what}`);
  }

  async share(
    ctx: RequestContext,
    caseId: string,
    input: { agencyCode?: string; username?: string; access: CaseAccess },
  ): Promise<ShareView> {
    const actor = ctx.actor!;
    if ((input.agencyCode === undefined) === (input.username === undefined)) {
      throw new CaseShareInvalidError(
        'case_share_invalid',
        'Share with either an agency (agencyCode) or a user (username)',
        'agencyCode',
      );
    }
    return this.ledger.write(async (em) => {
      const found = await this.caseAccess.requireCase(em, ctx, caseId, 'contribute', { lock: true });
      this.requireOwner(found, 'shares it');
      let granteeAgencyId: string | null = null;
      let granteeUserId: string | null = null;
      let granteeLabel: string;
      if (input.agencyCode !== undefined) {
        const agency = await findAgencyByCode(em, input.agencyCode);
        if (agency === undefined)
          throw new CaseShareInvalidError(
            'share_grantee_unknown',
            `There is no agency ${input.agencyCode}`,
            'agencyCode',
          );
        if (agency.id === found.agency_id)
          throw new CaseShareInvalidError(
            'case_share_invalid',
            'The case already belongs to that agency',
            'agencyCode',
          );
        granteeAgencyId = agency.id;
        granteeLabel = agency.code;
      } else {
        const user = await findUserByUsername(em, input.username!);
        if (user === undefined || user.agency_id === null || !user.active) {
          throw new CaseShareInvalidError(
            'share_grantee_unknown',
            `There is no active user ${input.username}`,
            'username',
          );
        }
        if (user.agency_id === found.agency_id) {
          throw new CaseShareInvalidError(
            'case_share_invalid',
            'Users of the owning agency see its cases already',
            'username',
          );
        }
        granteeUserId = user.id;
        granteeLabel = user.username;
      }
      const existing = await em.query<unknown[]>(
        `SELECT 1 FROM case_share WHERE case_id = $1 AND revoked_at IS NULL
            AND (grantee_agency_id = $2 OR grantee_user_id = $3)`,
        [found.id, granteeAgencyId, granteeUserId],
      );
      if (existing.length > 0) {
        throw new CaseConflictError(
          'case_share_exists',
          `The case is already shared with ${granteeLabel}; revoke that share to change it`,
        );
      }
      const inserted = await insertOrConflict(
        () =>
          em.query<Array<{ id: string }>>(
            `INSERT INTO case_share (case_id, grantee_agency_id, grantee_user_id, access, granted_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
            [found.id, granteeAgencyId, granteeUserId, input.access, actor.id],
          ),
        () =>
          new CaseConflictError(
            'case_share_exists',
            `The case is already shared with ${granteeLabel}; revoke that share to change it`,
          ),
      );
      const share = await this.findShare(em, found.id, inserted[0].id);
      await this.recordChange(
        em,
        ctx,
        found,
        {
          event: 'case.share',
          details: {
            shareId: share.id,
            grantee: granteeLabel,
            granteeType: granteeAgencyId ? 'agency' : 'user',
            access: input.access,
          },
        },
        { type: 'case.shared', data: { shareId: share.id, grantee: granteeLabel, access: input.access } },
      );
      return share;
    });
  }

  async listShares(ctx: RequestContext, caseId: string): Promise<{ shares: ShareView[] }> {
    const found = await this.caseAccess.requireCase(this.dataSource, ctx, caseId, 'read');
    this.requireOwner(found, 'sees its shares');
    const rows = await this.dataSource.query<ShareRow[]>(
      `${SHARE_SELECT} WHERE s.case_id = $1 ORDER BY s.granted_at, s.id`,
      [found.id],
    );
    return { shares: rows.map(shareView) };
  }

  /** A revocation is a new state of the share, never a deletion: who could see the case stays on record. */
  async revokeShare(ctx: RequestContext, caseId: string, shareId: string): Promise<ShareView> {
    const actor = ctx.actor!;
    return this.ledger.write(async (em) => {
      const found = await this.caseAccess.requireCase(em, ctx, caseId, 'contribute', { lock: true });
      this.requireOwner(found, 'revokes its shares');
      const share = await this.findShare(em, found.id, shareId);
      if (share.status === 'revoked')
        throw new CaseConflictError('case_share_revoked', 'The share was already revoked');
      await em.query('UPDATE case_share SET revoked_at = now(), revoked_by = $2 WHERE id = $1', [shareId, actor.id]);
      const revoked = await this.findShare(em, found.id, shareId);
      await this.recordChange(
        em,
        ctx,
        found,
        {
          event: 'case.share_revoke',
          details: {
            shareId,
            access: share.access,
            grantee: share.grantee.type === 'agency' ? share.grantee.agency.code : share.grantee.user.username,
          },
        },
        { type: 'case.share_revoked', data: { shareId } },
      );
      return revoked;
    });
  }

  /**
   * Closes a case (no new items may be registered in it) or reopens it. Custody goes on in a closed
   * case: its evidence is still held, handed over, re-verified and finally disposed of.
   */
  async setStatus(ctx: RequestContext, caseId: string, status: 'open' | 'closed', reason: string): Promise<CaseView> {
    return this.ledger.write(async (em) => {
      const found = await this.caseAccess.requireCase(em, ctx, caseId, 'contribute', { lock: true });
      if (!found.ownAgency) {
        throw new CaseForbiddenError(
          'case_status_forbidden',
          `Only the agency that owns the case ${status === 'closed' ? 'closes' : 'reopens'} it`,
        );
      }
      if (found.status === status) {
        throw status === 'closed'
          ? new CaseConflictError('case_closed', `Case ${found.case_number} is already closed`)
          : new CaseConflictError('case_open', `Case ${found.case_number} is open`);
      }
      await em.query(
        `UPDATE case_file SET status = $2, closed_at = CASE WHEN $2 = 'closed' THEN now() END, close_reason = CASE WHEN $2 = 'closed' THEN $3 END WHERE id = $1`,
        [found.id, status, reason],
      );
      await this.recordChange(
        em,
        ctx,
        found,
        { event: status === 'closed' ? 'case.close' : 'case.reopen', details: { reason } },
        { type: status === 'closed' ? 'case.closed' : 'case.reopened', data: { reason } },
      );
      const changed = await this.caseAccess.requireCase(em, ctx, found.id, 'read');
      return caseView(changed, changed.access, changed.ownAgency);
    });
  }

  private async findShare(em: EntityManager, caseId: string, shareId: string): Promise<ShareView> {
    const rows = await em.query<ShareRow[]>(`${SHARE_SELECT} WHERE s.case_id = $1 AND s.id = $2`, [caseId, shareId]);
    if (rows.length === 0) throw new CaseShareNotFoundError();
    return shareView(rows[0]);
  }
}
