import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full ledger verifications (docs/ledger.md §4, ADR 0022): one row per finished run of the deep
 * verification, started through `POST /api/v1/ledger/verifications` (source `service`, by a user)
 * or by `custos ledger verify` (source `cli`). What was verified (tree size, root, counts) exists
 * only for `ok`; a failure names the index where it can and always the reason; `error` means the
 * run could not finish (a lost connection, the service stopping) and says nothing about the ledger.
 * Append-only like the ledger: the service may INSERT and SELECT, nothing else, and a trigger
 * refuses UPDATE, DELETE and TRUNCATE for every role, owner included.
 */
export class LedgerVerification1795946700000 implements MigrationInterface {
  name = 'LedgerVerification1795946700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_verification (
        id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at           timestamptz NOT NULL,
        finished_at          timestamptz NOT NULL,
        deep                 boolean     NOT NULL,
        outcome              text        NOT NULL CHECK (outcome IN ('ok', 'failed', 'error')),
        tree_size            bigint      CHECK (tree_size >= 0),
        root_hash            bytea       CHECK (octet_length(root_hash) = 32),
        failed_index         bigint      CHECK (failed_index >= 0),
        reason               text        CHECK (length(reason) BETWEEN 1 AND 2000),
        checkpoints_verified bigint      CHECK (checkpoints_verified >= 0),
        items_checked        bigint      CHECK (items_checked >= 0),
        source               text        NOT NULL CHECK (source IN ('service', 'cli')),
        requested_by         uuid        REFERENCES user_account (id),
        CONSTRAINT ledger_verification_finished_after_start CHECK (finished_at >= started_at),
        -- ok states what it verified and no reason; failed and error state a reason and claim no tree.
        CONSTRAINT ledger_verification_outcome_fields CHECK (
          CASE outcome
            WHEN 'ok' THEN tree_size IS NOT NULL AND root_hash IS NOT NULL AND checkpoints_verified IS NOT NULL
                           AND items_checked IS NOT NULL AND failed_index IS NULL AND reason IS NULL
            ELSE tree_size IS NULL AND root_hash IS NULL AND checkpoints_verified IS NULL AND items_checked IS NULL
                 AND reason IS NOT NULL AND (outcome = 'failed' OR failed_index IS NULL)
          END),
        -- The service runs one at a user's request; the command line is run by whoever holds the host.
        CONSTRAINT ledger_verification_requester CHECK ((source = 'service') = (requested_by IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE FUNCTION ledger_verification_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % refused: verification runs are append-only', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER ledger_verification_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_verification
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_verification_refuse_change()`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT ON ledger_verification TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ledger_verification`);
    await queryRunner.query(`DROP FUNCTION ledger_verification_refuse_change()`);
  }
}
