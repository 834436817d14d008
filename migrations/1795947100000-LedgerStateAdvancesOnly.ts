import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ledger_state` may only advance (docs/ledger.md §5, issue #16): the service role needs UPDATE on
 * it to append, and nothing but this trigger kept that UPDATE from moving the tree back — after
 * which every append collided with the nodes already stored (`duplicate key ledger_node_pkey`) and
 * the next checkpoint would have been signed over a shorter tree. Now, for every role that leaves
 * triggers on: the size never decreases, a row of the same size keeps its root and frontier, and
 * the recording time never goes back (entries' `recordedAt` is taken from it). The row cannot be
 * deleted or truncated either (the service role had no such grant; the owner now cannot by mistake).
 */
export class LedgerStateAdvancesOnly1795947100000 implements MigrationInterface {
  name = 'LedgerStateAdvancesOnly1795947100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION ledger_state_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id <> OLD.id OR NEW.tree_size < OLD.tree_size
           OR (NEW.tree_size = OLD.tree_size AND (NEW.root_hash <> OLD.root_hash OR NEW.frontier <> OLD.frontier))
           OR NEW.updated_at < OLD.updated_at THEN
          RAISE EXCEPTION 'ledger_state may only advance: refused a change from size % to size %', OLD.tree_size, NEW.tree_size
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'The tree grows by appending entries; its size never decreases and a size keeps its root.';
        END IF;
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER ledger_state_advances_only BEFORE UPDATE ON ledger_state
         FOR EACH ROW EXECUTE FUNCTION ledger_state_advance_only()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER ledger_state_kept BEFORE DELETE OR TRUNCATE ON ledger_state
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER ledger_state_kept ON ledger_state`);
    await queryRunner.query(`DROP TRIGGER ledger_state_advances_only ON ledger_state`);
    await queryRunner.query(`DROP FUNCTION ledger_state_advance_only()`);
  }
}
