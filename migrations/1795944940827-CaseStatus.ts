import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases can be closed and reopened (`POST /api/v1/cases/:id/close`, `/reopen`): the service may
 * update `case_file.status`, and nothing else of a case. Who closed it, when and why is in the
 * `case.closed` / `case.reopened` ledger entry written in the same transaction.
 */
export class CaseStatus1795944940827 implements MigrationInterface {
  name = 'CaseStatus1795944940827';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`GRANT UPDATE (status) ON case_file TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE UPDATE (status) ON case_file FROM custos_service`);
  }
}
