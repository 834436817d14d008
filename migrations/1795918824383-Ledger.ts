import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tamper-evident ledger (docs/ledger.md).
 * - ledger_entry: the canonical bytes of every entry, exactly as hashed, with a gapless index.
 * - ledger_node: every complete perfect subtree of the Merkle tree above the leaves (level ≥ 1), so
 *   proofs need O(log n) lookups and appends O(log n) work.
 * - ledger_state: one row, the serialisation point of appends (locked FOR UPDATE) and the tree's
 *   compact range (its perfect-subtree roots), so an append never reads the whole tree.
 * - ledger_checkpoint: every signed checkpoint (C2SP signed note), one per tree size.
 * The service may INSERT and SELECT the append-only tables, nothing else; triggers refuse UPDATE,
 * DELETE and TRUNCATE for every role, owner included.
 */
export class Ledger1795918824383 implements MigrationInterface {
  name = 'Ledger1795918824383';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_entry (
        idx          bigint      PRIMARY KEY CHECK (idx >= 0),
        entry        bytea       NOT NULL,
        leaf_hash    bytea       NOT NULL CHECK (octet_length(leaf_hash) = 32),
        type         text        NOT NULL,
        subject_type text        NOT NULL,
        subject_id   text        NOT NULL,
        case_id      uuid,
        recorded_at  timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX ledger_entry_subject_idx ON ledger_entry (subject_type, subject_id, idx)`);
    await queryRunner.query(
      `CREATE INDEX ledger_entry_case_idx ON ledger_entry (case_id, idx) WHERE case_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE ledger_node (
        level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
        idx   bigint   NOT NULL CHECK (idx >= 0),
        hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await queryRunner.query(`
      CREATE TABLE ledger_state (
        id         smallint    PRIMARY KEY CHECK (id = 1),
        tree_size  bigint      NOT NULL CHECK (tree_size >= 0),
        root_hash  bytea       NOT NULL CHECK (octet_length(root_hash) = 32),
        frontier   bytea[]     NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`INSERT INTO ledger_state VALUES (1, 0, sha256(''::bytea), '{}', now())`);
    await queryRunner.query(`
      CREATE TABLE ledger_checkpoint (
        tree_size  bigint      PRIMARY KEY CHECK (tree_size >= 0),
        root_hash  bytea       NOT NULL CHECK (octet_length(root_hash) = 32),
        origin     text        NOT NULL,
        key_name   text        NOT NULL,
        key_id     text        NOT NULL,
        note       text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % refused: the ledger is append-only', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Corrections are new entries that name the entry they correct.';
      END
      $$`);
    for (const table of ['ledger_entry', 'ledger_node', 'ledger_checkpoint']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${table}
           FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
      );
      await queryRunner.query(`GRANT SELECT, INSERT ON ${table} TO custos_service`);
    }
    await queryRunner.query(
      `GRANT SELECT, UPDATE (tree_size, root_hash, frontier, updated_at) ON ledger_state TO custos_service`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ledger_checkpoint, ledger_state, ledger_node, ledger_entry`);
    await queryRunner.query(`DROP FUNCTION ledger_refuse_change()`);
  }
}
