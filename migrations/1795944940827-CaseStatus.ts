import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases can be closed and reopened (`POST /api/v1/cases/:id/close`, `/reopen`): the service may
 * update `case_file.status` and when and why a closed case was closed, nothing else of a case.
 * Who closed or reopened it, when and why is also in the `case.closed` / `case.reopened` ledger
 * entry written in the same transaction (the columns only serve the case view).
 */
export class CaseStatus1795944940827 implements MigrationInterface {
  name = 'CaseStatus1795944940827';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE case_file ADD COLUMN closed_at timestamptz, ADD COLUMN close_reason text`);
    await queryRunner.query(`
      ALTER TABLE case_file ADD CONSTRAINT case_file_closed_check CHECK (
        (status = 'closed') = (closed_at IS NOT NULL) AND (status = 'closed') = (close_reason IS NOT NULL)
        AND (close_reason IS NULL OR length(close_reason) BETWEEN 1 AND 1000))`);
    await queryRunner.query(`GRANT UPDATE (status, closed_at, close_reason) ON case_file TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE UPDATE (status, closed_at, close_reason) ON case_file FROM custos_service`);
    await queryRunner.query(
      `ALTER TABLE case_file DROP CONSTRAINT case_file_closed_check, DROP COLUMN closed_at, DROP COLUMN close_reason`,
    );
  }
}
