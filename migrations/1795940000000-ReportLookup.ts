import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Court reports are looked up by the SHA-256 of their PDF (`GET /api/v1/reports/:sha256`,
 * `custos verify-report`), which is carried in the `report.issued` ledger entry (ADR 0041). This
 * partial expression index makes that a point lookup instead of a scan of the ledger.
 *
 * `convert_from` is only STABLE (it depends on the database encoding), so the expression goes through
 * an IMMUTABLE wrapper: the encoding of a database never changes, and ledger entries are UTF-8 JSON
 * by construction (docs/ledger.md). The service calls the same function in its query, so the planner
 * matches the index.
 */
export class ReportLookup1795940000000 implements MigrationInterface {
  name = 'ReportLookup1795940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION ledger_report_sha256(entry bytea) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN convert_from(entry, 'UTF8')::jsonb #>> '{data,sha256}'`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION ledger_report_sha256(bytea) FROM PUBLIC`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION ledger_report_sha256(bytea) TO custos_service`);
    await queryRunner.query(`
      CREATE INDEX ledger_entry_report_sha256_idx ON ledger_entry (ledger_report_sha256(entry))
        WHERE type = 'report.issued'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ledger_entry_report_sha256_idx`);
    await queryRunner.query(`DROP FUNCTION ledger_report_sha256(bytea)`);
  }
}
