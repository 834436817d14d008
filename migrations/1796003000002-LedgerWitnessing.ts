import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * This ledger's witnesses (docs/witness.md §5, ADR 0024). `ledger_witnessed_checkpoint`: the signed
 * checkpoints that reached their quorum of cosignatures, with the cosignature lines in `note`; the
 * largest is the published one. Append-only like `ledger_checkpoint`. `ledger_witness`: per witness
 * (by vkey) the size it holds as far as we know, and how its last answer went, for the ledger status.
 */
export class LedgerWitnessing1796003000002 implements MigrationInterface {
  name = 'LedgerWitnessing1796003000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_witnessed_checkpoint (
        tree_size     bigint      PRIMARY KEY REFERENCES ledger_checkpoint (tree_size),
        note          text        NOT NULL,
        cosignatures  integer     NOT NULL CHECK (cosignatures >= 1),
        published_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE TRIGGER ledger_witnessed_checkpoint_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_witnessed_checkpoint
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT ON ledger_witnessed_checkpoint TO custos_service`);
    await queryRunner.query(`
      CREATE TABLE ledger_witness (
        vkey        text        PRIMARY KEY,
        url         text        NOT NULL,
        size        bigint      NOT NULL DEFAULT 0 CHECK (size >= 0),
        status      text        NOT NULL CHECK (status IN ('ok', 'refused', 'unreachable')),
        reason      text        CHECK (length(reason) <= 2000),
        checked_at  timestamptz NOT NULL,
        ok_at       timestamptz
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON ledger_witness TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ledger_witness`);
    await queryRunner.query(`DROP TABLE ledger_witnessed_checkpoint`);
  }
}
