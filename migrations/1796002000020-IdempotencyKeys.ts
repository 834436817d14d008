import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `Idempotency-Key` on signed writes (issue 16 item 9, ADR 0018): the first response to a key, per
 * user, kept 24 hours so that a repeated request is answered with it instead of being recorded
 * twice. `request_hash` is a SHA-256 of the method, path and body without its passwords.
 */
export class IdempotencyKeys1796002000020 implements MigrationInterface {
  name = 'IdempotencyKeys1796002000020';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_key (
        user_id         uuid        NOT NULL,
        key             text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
        request_hash    text        NOT NULL,
        response_status integer,
        response_body   jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at)`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_key`);
  }
}
