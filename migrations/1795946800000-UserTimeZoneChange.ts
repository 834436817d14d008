import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An administrator may change a user's time zone after creating the account
 * (`PATCH /users/:id {timeZone}`): the service role may update that column too, and no other one
 * more than before.
 */
export class UserTimeZoneChange1795946800000 implements MigrationInterface {
  name = 'UserTimeZoneChange1795946800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`GRANT UPDATE (time_zone) ON user_account TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE UPDATE (time_zone) ON user_account FROM custos_service`);
  }
}
