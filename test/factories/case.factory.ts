import { randomBytes } from 'node:crypto';

import type { DataSource, EntityManager } from 'typeorm';

import type { EntryActor } from '../../src/ledger/core/entry.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';

export interface TestCase {
  readonly id: string;
  readonly caseNumber: string;
  readonly agencyId: string;
}

const SYSTEM = { actor: null, requestId: 'factory', ip: null } as const;

/** The user as a ledger entry names them, under `role` when they have it (as `entryActor` does). */
async function actorOf(em: EntityManager, userId: string, role: string): Promise<EntryActor> {
  const [user] = await em.query<
    Array<{ id: string; username: string; display_name: string; code: string | null; roles: string[] }>
  >(
    `SELECT u.id, u.username, u.display_name, a.code, u.roles FROM user_account u LEFT JOIN agency a ON a.id = u.agency_id WHERE u.id = $1`,
    [userId],
  );
  return {
    id: user.id,
    username: user.username,
    displayName: user.display_name,
    agency: user.code,
    role: user.roles.includes(role) ? role : (user.roles[0] ?? null),
  };
}

/**
 * A case as the service opens one: its row and its `case.opened` ledger entry in one unit of work,
 * so `custos ledger verify` finds the case table what the ledger makes it.
 */
export async function createCase(
  db: DataSource,
  agencyId: string,
  createdBy: string,
  overrides: { caseNumber?: string; title?: string } = {},
): Promise<TestCase> {
  const caseNumber = overrides.caseNumber ?? `CASE-${randomBytes(4).toString('hex').toUpperCase()}`;
  const title = overrides.title ?? `Operation ${caseNumber}`;
  const legalAuthority = ['JI-7 118/2026'];
  const ledger = new LedgerService(db);
  return ledger.write(async (em) => {
    const rows = await em.query<Array<{ id: string }>>(
      `INSERT INTO case_file (agency_id, case_number, title, legal_authority, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [agencyId, caseNumber, title, legalAuthority, createdBy],
    );
    const id = rows[0].id;
    await ledger.append(em, SYSTEM, {
      type: 'case.opened',
      actor: await actorOf(em, createdBy, 'officer'),
      subject: { type: 'case', id, number: caseNumber },
      case: { id, number: caseNumber },
      data: { caseNumber, title, legalAuthority },
    });
    return { id, caseNumber, agencyId };
  });
}

/** A share as the service grants one: its row and its `case.shared` ledger entry together. */
export async function shareCase(
  db: DataSource,
  caseId: string,
  grantee: { agencyId: string } | { userId: string },
  access: 'read' | 'contribute',
  grantedBy: string,
): Promise<string> {
  const ledger = new LedgerService(db);
  return ledger.write(async (em) => {
    const rows = await em.query<Array<{ id: string; case_number: string; grantee: string }>>(
      `WITH share AS (
         INSERT INTO case_share (case_id, grantee_agency_id, grantee_user_id, access, granted_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, case_id, grantee_agency_id, grantee_user_id
       )
       SELECT s.id, c.case_number, coalesce(a.code, u.username) AS grantee
         FROM share s JOIN case_file c ON c.id = s.case_id
         LEFT JOIN agency a ON a.id = s.grantee_agency_id LEFT JOIN user_account u ON u.id = s.grantee_user_id`,
      [
        caseId,
        'agencyId' in grantee ? grantee.agencyId : null,
        'userId' in grantee ? grantee.userId : null,
        access,
        grantedBy,
      ],
    );
    const { id, case_number: number } = rows[0];
    await ledger.append(em, SYSTEM, {
      type: 'case.shared',
      actor: await actorOf(em, grantedBy, 'officer'),
      subject: { type: 'case', id: caseId, number },
      case: { id: caseId, number },
      data: { shareId: id, grantee: rows[0].grantee, access },
    });
    return id;
  });
}
