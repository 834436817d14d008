import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import type { AccessLogView } from '../contracts/operations.js';
import { prepared, queryPrepared } from '../database/prepared.js';
import type { AccessLogEvent, AccessLogOutcome, ReadRecord } from './access-log-events.js';

export interface AccessLogSubject {
  readonly type: string;
  readonly id: string;
  /** What a person reads in the log: a username, a case number, an agency code. */
  readonly label?: string;
  /** The agency whose auditors see this row besides the actor's. */
  readonly agencyId?: string | null;
}

export interface AccessLogRecord {
  readonly event: AccessLogEvent;
  readonly outcome: AccessLogOutcome;
  /** Overrides the actor of the context: a login names the account tried, not a logged-in user. */
  readonly actor?: { id: string | null; username: string | null; agencyId: string | null };
  readonly subject?: AccessLogSubject;
  readonly caseId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type { AccessLogView };

export interface AccessLogFilter {
  readonly event?: string;
  readonly outcome?: string;
  readonly actorId?: string;
  readonly username?: string;
  readonly caseId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit: number;
  readonly cursor?: string;
}

interface AccessLogRow {
  id: string;
  occurred_at: Date;
  event: string;
  outcome: string;
  actor_user_id: string | null;
  actor_username: string | null;
  actor_agency_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  subject_label: string | null;
  subject_agency_id: string | null;
  case_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

const INSERT_ACCESS_LOG = prepared(
  `INSERT INTO access_log (event, outcome, actor_user_id, actor_username, actor_agency_id, subject_type, subject_id,
                           subject_label, subject_agency_id, case_id, ip, request_id, details)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
);

const truncate = (value: string | null | undefined, max = 200): string | null =>
  value === null || value === undefined ? null : value.slice(0, max);

/**
 * The append-only access log (CJIS 5.4.1.1): logins, logouts, failures, lockouts, account and
 * permission changes, case sharing, reads of custody records. Rows describing a change are written
 * in the change's transaction (`em`); refusals and failures are written on their own, since the
 * request they describe fails.
 */
@Injectable()
export class AccessLogService {
  private readonly logger = new Logger(AccessLogService.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(ctx: RequestContext, record: AccessLogRecord, em?: EntityManager): Promise<void> {
    const actor = record.actor ?? {
      id: ctx.actor?.id ?? null,
      username: ctx.actor?.username ?? null,
      agencyId: ctx.actor?.agencyId ?? null,
    };
    await queryPrepared(em ?? this.dataSource, INSERT_ACCESS_LOG, [
      record.event,
      record.outcome,
      actor.id,
      truncate(actor.username),
      actor.agencyId,
      record.subject?.type ?? null,
      record.subject?.id ?? null,
      truncate(record.subject?.label),
      record.subject?.agencyId ?? null,
      record.caseId ?? null,
      truncate(ctx.ip, 64),
      truncate(ctx.requestId, 128),
      JSON.stringify(record.details ?? {}),
    ]);
  }

  /** Like record, for refusals: a failure to log never hides the refusal it describes. */
  async recordRefusal(ctx: RequestContext, record: AccessLogRecord): Promise<void> {
    try {
      await this.record(ctx, record);
    } catch (error) {
      this.logger.error({ err: error, event: record.event }, 'could not write an access-log row');
    }
  }

  /**
   * For custody features: every read of a custody history, bundle or report is logged, visible to
   * the auditors of the reader's agency and of the case's agency.
   */
  async logRead(
    ctx: RequestContext,
    what: ReadRecord,
    subject: { type: 'item' | 'case'; id: string; label?: string; caseId: string; caseAgencyId: string },
  ): Promise<void> {
    await this.record(ctx, {
      event: `${what}.read`,
      outcome: 'success',
      subject: { type: subject.type, id: subject.id, label: subject.label, agencyId: subject.caseAgencyId },
      caseId: subject.caseId,
    });
  }

  /**
   * Rows an auditor may read: those whose actor or subject belongs to the auditor's agency. A
   * platform administrator reads the rows whose actor has no agency (platform administrators'
   * own actions, attempts with unknown usernames, anonymous refusals).
   */
  async list(
    ctx: RequestContext,
    scope: { agencyId: string | null },
    filter: AccessLogFilter,
  ): Promise<{ entries: AccessLogView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (scope.agencyId === null) {
      where.push('actor_agency_id IS NULL');
    } else {
      const agency = param(scope.agencyId);
      where.push(`(actor_agency_id = ${agency} OR subject_agency_id = ${agency})`);
    }
    if (filter.event !== undefined) where.push(`event = ${param(filter.event)}`);
    if (filter.outcome !== undefined) where.push(`outcome = ${param(filter.outcome)}`);
    if (filter.actorId !== undefined) where.push(`actor_user_id = ${param(filter.actorId)}`);
    if (filter.username !== undefined) {
      const name = param(filter.username.toLowerCase());
      where.push(`(lower(actor_username) = ${name} OR (subject_type = 'user' AND lower(subject_label) = ${name}))`);
    }
    if (filter.caseId !== undefined) where.push(`case_id = ${param(filter.caseId)}`);
    if (filter.from !== undefined) where.push(`occurred_at >= ${param(filter.from)}`);
    if (filter.to !== undefined) where.push(`occurred_at < ${param(filter.to)}`);
    if (filter.cursor !== undefined) {
      const [lastId] = decodeCursor(filter.cursor, ['string'] as const);
      if (!/^\d{1,19}$/.test(lastId))
        throw new DomainError('invalid', 'cursor_invalid', 'The cursor is not one this list returned');
      where.push(`id < ${param(lastId)}`);
    }
    const rows = await this.dataSource.query<AccessLogRow[]>(
      `SELECT * FROM access_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    await this.recordRefusal(ctx, {
      event: 'access_log.read',
      outcome: 'success',
      details: {
        filter: { ...filter, cursor: undefined, from: filter.from?.toISOString(), to: filter.to?.toISOString() },
        rows: page.length,
      },
    });
    return {
      entries: page.map(view),
      nextCursor: rows.length > filter.limit ? encodeCursor([page[page.length - 1].id]) : null,
    };
  }
}

function view(row: AccessLogRow): AccessLogView {
  return {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    event: row.event,
    outcome: row.outcome,
    actor: { id: row.actor_user_id, username: row.actor_username, agencyId: row.actor_agency_id },
    subject:
      row.subject_type === null || row.subject_id === null
        ? null
        : { type: row.subject_type, id: row.subject_id, label: row.subject_label, agencyId: row.subject_agency_id },
    caseId: row.case_id,
    ip: row.ip,
    requestId: row.request_id,
    details: row.details,
  };
}
