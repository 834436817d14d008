import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Password throttling that an attacker cannot turn against a user (issue 16 item 7, ADR 0016).
 * `login_lockout` counted failures per account name, from anywhere, and locked the name — for its
 * owner too, and a custodian's wrong `witness.password` locked the witness. `password_throttle`
 * counts failures per (what the password opens, who typed it): an account and a client address, or
 * a witness and the custodian who typed the witness's password. A delay only ever stops that pair.
 * The service may INSERT, SELECT and UPDATE (a success resets the row; it never deletes).
 */
export class PasswordThrottle1796002000010 implements MigrationInterface {
  name = 'PasswordThrottle1796002000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE password_throttle (
        subject_key     text        NOT NULL CHECK (length(subject_key) <= 220),
        client_key      text        NOT NULL CHECK (length(client_key) <= 220),
        failure_count   integer     NOT NULL CHECK (failure_count >= 0),
        last_failure_at timestamptz,
        delayed_until   timestamptz,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_key, client_key)
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON password_throttle TO custos_service`);
    await queryRunner.query(`DROP TABLE login_lockout`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE login_lockout (
        username_key     text        PRIMARY KEY CHECK (length(username_key) <= 200),
        failure_count    integer     NOT NULL CHECK (failure_count >= 0),
        first_failure_at timestamptz,
        locked_until     timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON login_lockout TO custos_service`);
    await queryRunner.query(`DROP TABLE password_throttle`);
  }
}
