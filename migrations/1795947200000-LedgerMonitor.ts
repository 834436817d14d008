import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger monitor's one row (docs/ledger.md §4, ADR 0028): how far the service has verified the
 * ledger on its own (`verified_size`, with the tree's frontier at that size, so the next run goes on
 * from there and a history rewritten behind it cannot match), where its rolling re-check of older
 * entries is (`sweep_position`), and whether it found the ledger or the state tables broken: `failed`
 * with the index, the reason (for operators and auditors), a summary with no case data (for every
 * signed-in user) and whether the ledger's own structure is broken (`structural`: custody writes are
 * refused then). Every service process reads it: the appending transaction refuses to write while
 * it says `structural`, and no checkpoint is signed while it says `failed`.
 *
 * It is the service's statement about itself, like `ledger_verification`: the service may read it
 * and update what it moves, never insert or delete it.
 */
export class LedgerMonitor1795947200000 implements MigrationInterface {
  name = 'LedgerMonitor1795947200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_monitor (
        id                smallint    PRIMARY KEY CHECK (id = 1),
        verified_size     bigint      NOT NULL DEFAULT 0 CHECK (verified_size >= 0),
        verified_frontier bytea[]     NOT NULL DEFAULT '{}',
        verified_at       timestamptz,
        sweep_position    bigint      NOT NULL DEFAULT 0 CHECK (sweep_position >= 0),
        status            text        NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failed')),
        structural        boolean     NOT NULL DEFAULT false,
        failed_index      bigint      CHECK (failed_index >= 0),
        kind              text,
        summary           text        CHECK (length(summary) <= 200),
        reason            text        CHECK (length(reason) <= 2000),
        source            text,
        failed_at         timestamptz,
        CONSTRAINT ledger_monitor_failure CHECK (
          CASE status
            WHEN 'failed' THEN kind IS NOT NULL AND summary IS NOT NULL AND reason IS NOT NULL AND source IS NOT NULL
                               AND failed_at IS NOT NULL
            ELSE NOT structural AND failed_index IS NULL AND kind IS NULL AND summary IS NULL AND reason IS NULL
                 AND source IS NULL AND failed_at IS NULL
          END)
      )`);
    await queryRunner.query(`INSERT INTO ledger_monitor (id) VALUES (1)`);
    await queryRunner.query(
      `GRANT SELECT, UPDATE (verified_size, verified_frontier, verified_at, sweep_position, status, structural, failed_index,
                             kind, summary, reason, source, failed_at) ON ledger_monitor TO custos_service`,
    );
    await queryRunner.query(
      `CREATE TRIGGER ledger_monitor_kept BEFORE DELETE OR TRUNCATE ON ledger_monitor
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ledger_monitor`);
  }
}
