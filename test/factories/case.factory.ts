import { randomBytes } from 'node:crypto';

import type { DataSource } from 'typeorm';

export interface TestCase {
  readonly id: string;
  readonly caseNumber: string;
  readonly agencyId: string;
}

export async function createCase(
  db: DataSource,
  agencyId: string,
  createdBy: string,
  overrides: { caseNumber?: string; title?: string } = {},
): Promise<TestCase> {
  const caseNumber = overrides.caseNumber ?? `CASE-${randomBytes(4).toString('hex').toUpperCase()}`;
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO case_file (agency_id, case_number, title, legal_authority, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [agencyId, caseNumber, overrides.title ?? `Operation ${caseNumber}`, ['JI-7 118/2026'], createdBy],
  );
  return { id: rows[0].id, caseNumber, agencyId };
}

export async function shareCase(
  db: DataSource,
  caseId: string,
  grantee: { agencyId: string } | { userId: string },
  access: 'read' | 'contribute',
  grantedBy: string,
): Promise<string> {
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO case_share (case_id, grantee_agency_id, grantee_user_id, access, granted_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [
      caseId,
      'agencyId' in grantee ? grantee.agencyId : null,
      'userId' in grantee ? grantee.userId : null,
      access,
      grantedBy,
    ],
  );
  return rows[0].id;
}
