import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The schema's privileges baseline. The owner (who runs migrations) owns every object; the service
 * logs in as a member of the NOLOGIN group `custos_service`, which later migrations grant exactly
 * what the service needs, table by table. Nobody else may create objects in the schema.
 */
export class Baseline1795917581347 implements MigrationInterface {
  name = 'Baseline1795917581347';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_service') THEN
          BEGIN
            CREATE ROLE custos_service NOLOGIN;
          EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'the role custos_service does not exist and % may not create it',
              current_user
              USING HINT = 'Create it once as a superuser: CREATE ROLE custos_service NOLOGIN; (see docs/operations.md)';
          END;
        END IF;
      END
      $$;
    `);
    await queryRunner.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE USAGE ON SCHEMA public FROM custos_service`);
  }
}
