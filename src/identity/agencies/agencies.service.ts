import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { AccessLogService } from '../../access-log/access-log.service.js';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { NotFoundError } from '../../common/domain-error.js';
import type { RequestContext } from '../../common/request-context.js';
import { insertOrConflict } from '../../common/unique-violation.js';
import type { AgencyDetails } from '../../contracts/identity.js';
import { requireLanguage } from '../../i18n/language.errors.js';
import { languageForCountry, type Language } from '../../i18n/languages.js';
import { isPlatformAdmin } from '../identity-actor.js';
import { AdminScopeError, ConflictError, InvalidRequestError } from '../identity.errors.js';
import type { Queryable } from '../users/user-records.js';
import { AGENCY_CODE_PATTERN, COUNTRY_CODES } from './countries.js';

export interface NewAgency {
  readonly code: string;
  readonly name: string;
  readonly country: string;
  /** What its reports and labels are printed in; absent: its country's courts' language, else English. */
  readonly language?: string;
}

interface AgencyRow {
  id: string;
  code: string;
  name: string;
  country: string;
  language: string;
  created_at: Date;
}

export type { AgencyDetails };

const AGENCY_COLUMNS = 'id, code, name, country, language, created_at';

const agencyDetails = (row: AgencyRow): AgencyDetails => ({
  id: row.id,
  code: row.code,
  name: row.name,
  country: row.country.trim(),
  language: row.language,
  createdAt: row.created_at.toISOString(),
});

/** Shared by the API and `custos agency create`: validation and the row itself. */
export async function insertAgency(em: EntityManager, input: NewAgency): Promise<AgencyDetails> {
  if (!AGENCY_CODE_PATTERN.test(input.code))
    throw new InvalidRequestError('agency_code_invalid', 'code must look like ES-PN', 'code');
  if (!COUNTRY_CODES.has(input.country)) {
    throw new InvalidRequestError(
      'country_invalid',
      `${input.country} is not an ISO 3166-1 alpha-2 country code`,
      'country',
    );
  }
  const language: Language =
    input.language === undefined ? languageForCountry(input.country) : requireLanguage(input.language, 'language');
  const existing = await em.query<unknown[]>('SELECT 1 FROM agency WHERE code = $1', [input.code]);
  if (existing.length > 0) throw new ConflictError('agency_code_taken', `An agency ${input.code} already exists`);
  const rows = await insertOrConflict(
    () =>
      em.query<AgencyRow[]>(
        `INSERT INTO agency (code, name, country, language) VALUES ($1, $2, $3, $4) RETURNING ${AGENCY_COLUMNS}`,
        [input.code, input.name.trim(), input.country, language],
      ),
    () => new ConflictError('agency_code_taken', `An agency ${input.code} already exists`),
  );
  return agencyDetails(rows[0]);
}

/** Shared by the API and `custos agency set-language`: the one thing of an agency that may change. */
export async function updateAgencyLanguage(
  em: EntityManager,
  code: string,
  language: string,
): Promise<{ agency: AgencyDetails; previous: string } | undefined> {
  const checked = requireLanguage(language, 'language');
  // The row is locked so `previous` is what this update replaced.
  const before = await em.query<Array<{ language: string }>>('SELECT language FROM agency WHERE code = $1 FOR UPDATE', [
    code,
  ]);
  if (before.length === 0) return undefined;
  const [rows] = await em.query<[AgencyRow[], number]>(
    `UPDATE agency SET language = $2 WHERE code = $1 RETURNING ${AGENCY_COLUMNS}`,
    [code, checked],
  );
  return { agency: agencyDetails(rows[0]), previous: before[0].language };
}

export async function findAgencyByCode(db: Queryable, code: string): Promise<AgencyDetails | undefined> {
  const rows = await db.query<AgencyRow[]>(`SELECT ${AGENCY_COLUMNS} FROM agency WHERE code = $1`, [code]);
  return rows[0] === undefined ? undefined : agencyDetails(rows[0]);
}

@Injectable()
export class AgenciesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accessLog: AccessLogService,
  ) {}

  /** Platform administrators only: an agency administrator manages the users of their own agency. */
  async create(ctx: RequestContext, input: NewAgency): Promise<AgencyDetails> {
    if (!isPlatformAdmin(ctx)) {
      await this.accessLog.recordRefusal(ctx, {
        event: 'agency.create',
        outcome: 'denied',
        details: { code: input.code },
      });
      throw new AdminScopeError('Agencies are created by platform administrators');
    }
    return this.dataSource.transaction(async (em) => {
      const agency = await insertAgency(em, input);
      await this.accessLog.record(
        ctx,
        {
          event: 'agency.create',
          outcome: 'success',
          subject: { type: 'agency', id: agency.id, label: agency.code, agencyId: agency.id },
          details: { ...input },
        },
        em,
      );
      return agency;
    });
  }

  /** Platform administrators only, like creating one: the language its reports and labels are printed in. */
  async setLanguage(ctx: RequestContext, code: string, language: string): Promise<AgencyDetails> {
    if (!isPlatformAdmin(ctx)) {
      await this.accessLog.recordRefusal(ctx, { event: 'agency.update', outcome: 'denied', details: { code } });
      throw new AdminScopeError('Agencies are changed by platform administrators');
    }
    return this.dataSource.transaction(async (em) => {
      const updated = await updateAgencyLanguage(em, code, language);
      if (updated === undefined) throw new NotFoundError(`Agency ${code}`, 'agency_not_found');
      const { agency, previous } = updated;
      await this.accessLog.record(
        ctx,
        {
          event: 'agency.update',
          outcome: 'success',
          subject: { type: 'agency', id: agency.id, label: agency.code, agencyId: agency.id },
          details: { language: { from: previous, to: agency.language } },
        },
        em,
      );
      return agency;
    });
  }

  /** Every authenticated user may list agencies: sharing a case names one. */
  async list(
    _ctx: RequestContext,
    page: { limit: number; cursor?: string },
  ): Promise<{ agencies: AgencyDetails[]; nextCursor: string | null }> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'] as const)[0];
    const rows = await this.dataSource.query<AgencyRow[]>(
      `SELECT ${AGENCY_COLUMNS} FROM agency WHERE code > $1 ORDER BY code LIMIT $2`,
      [after, page.limit + 1],
    );
    const agencies = rows.slice(0, page.limit).map(agencyDetails);
    return {
      agencies,
      nextCursor: rows.length > page.limit ? encodeCursor([agencies[agencies.length - 1].code]) : null,
    };
  }
}
