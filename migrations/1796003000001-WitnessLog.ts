import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The in-service witness's state (docs/witness.md, ADR 0024): for each log of another agency it
 * witnesses (WITNESS_LOGS), the latest checkpoint it cosigned. In the database rather than in
 * DATA_DIR because every process of a deployment answers `/api/v1/witness/add-checkpoint` and all
 * must share one state under one lock (an advisory transaction lock per origin).
 *
 * A row only moves forward: a trigger refuses a smaller size, or another root at the same size, for
 * every role, so a bug cannot make the witness forget what it cosigned. Deleting rows is refused.
 */
export class WitnessLog1796003000001 implements MigrationInterface {
  name = 'WitnessLog1796003000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE witness_log (
        origin      text        PRIMARY KEY CHECK (length(origin) BETWEEN 1 AND 1000),
        tree_size   bigint      NOT NULL CHECK (tree_size >= 0),
        root_hash   bytea       NOT NULL CHECK (length(root_hash) = 32),
        note        text        NOT NULL,
        cosignature text        NOT NULL,
        cosigned_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE FUNCTION witness_log_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.origin <> OLD.origin OR NEW.tree_size < OLD.tree_size
           OR (NEW.tree_size = OLD.tree_size AND NEW.root_hash <> OLD.root_hash) THEN
          RAISE EXCEPTION 'witness_log only moves forward (% at %, refused % at %)',
            OLD.origin, OLD.tree_size, NEW.origin, NEW.tree_size USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER witness_log_forward BEFORE UPDATE ON witness_log FOR EACH ROW EXECUTE FUNCTION witness_log_forward()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER witness_log_kept BEFORE DELETE OR TRUNCATE ON witness_log
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON witness_log TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE witness_log`);
    await queryRunner.query(`DROP FUNCTION witness_log_forward()`);
  }
}
