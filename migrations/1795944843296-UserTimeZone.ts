import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The time zone an examiner's tools write their logs in (docs/hash-import.md): an IANA name such
 * as Europe/Madrid, set by an administrator when creating the account, validated by the service
 * (PostgreSQL's zone list changes with its tzdata, so no CHECK can name the valid ones). Null until set:
 * an import of a log without a zone then needs the zone in the request.
 */
export class UserTimeZone1795944843296 implements MigrationInterface {
  name = 'UserTimeZone1795944843296';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_account ADD COLUMN time_zone text CHECK (length(time_zone) BETWEEN 1 AND 64)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_account DROP COLUMN time_zone`);
  }
}
