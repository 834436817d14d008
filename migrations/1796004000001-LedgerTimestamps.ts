import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 3161 timestamps of published checkpoints (ADR 0027). `ledger_checkpoint_timestamp`: one
 * time-stamp token per checkpoint, over the SHA-256 of its note body, stored only once it verified
 * against the TSA trust anchors; append-only like the checkpoints it stamps, and one row per tree
 * size so that processes racing for the same checkpoint insert it once. `ledger_timestamping`: the
 * one row the ledger status reads — how the last attempt went, whichever process made it.
 */
export class LedgerTimestamps1796004000001 implements MigrationInterface {
  name = 'LedgerTimestamps1796004000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_checkpoint_timestamp (
        tree_size      bigint      PRIMARY KEY REFERENCES ledger_checkpoint (tree_size),
        token          bytea       NOT NULL CHECK (length(token) BETWEEN 1 AND 65536),
        gen_time       timestamptz NOT NULL,
        tsa            text        NOT NULL CHECK (length(tsa) <= 2000),
        serial_number  text        NOT NULL CHECK (length(serial_number) <= 200),
        fetched_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE TRIGGER ledger_checkpoint_timestamp_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_checkpoint_timestamp
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT ON ledger_checkpoint_timestamp TO custos_service`);
    await queryRunner.query(`
      CREATE TABLE ledger_timestamping (
        id          integer     PRIMARY KEY CHECK (id = 1),
        status      text        NOT NULL CHECK (status IN ('ok', 'failing')),
        tree_size   bigint      NOT NULL CHECK (tree_size >= 0),
        reason      text        CHECK (length(reason) <= 2000),
        checked_at  timestamptz NOT NULL,
        ok_at       timestamptz
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON ledger_timestamping TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ledger_timestamping`);
    await queryRunner.query(`DROP TABLE ledger_checkpoint_timestamp`);
  }
}
