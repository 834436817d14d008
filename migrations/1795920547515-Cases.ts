import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases and their shares (DESIGN §1–2, docs/access-control.md).
 * - case_file: a case of one agency; its number is unique within the agency (case-insensitively).
 * - case_share: a case shared read-only or as contributor with another agency or a single user.
 *   A revocation sets revoked_at/revoked_by: shares are never deleted, so who could see a case at
 *   any moment stays answerable. At most one active share per grantee.
 * Case rows are not updated by the service yet (closing a case comes with custody work).
 */
export class Cases1795920547515 implements MigrationInterface {
  name = 'Cases1795920547515';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE case_file (
        id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id      uuid        NOT NULL REFERENCES agency (id),
        case_number    text        NOT NULL CHECK (length(case_number) BETWEEN 1 AND 64),
        title          text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        legal_authority text[]     NOT NULL DEFAULT '{}' CHECK (cardinality(legal_authority) <= 20),
        status         text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        created_by     uuid        NOT NULL REFERENCES user_account (id),
        created_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX case_file_number_key ON case_file (agency_id, lower(case_number))`);
    await queryRunner.query(
      `CREATE INDEX case_file_agency_created_idx ON case_file (agency_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT ON case_file TO custos_service`);

    await queryRunner.query(`
      CREATE TABLE case_share (
        id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        case_id           uuid        NOT NULL REFERENCES case_file (id),
        grantee_agency_id uuid        REFERENCES agency (id),
        grantee_user_id   uuid        REFERENCES user_account (id),
        access            text        NOT NULL CHECK (access IN ('read', 'contribute')),
        granted_by        uuid        NOT NULL REFERENCES user_account (id),
        granted_at        timestamptz NOT NULL DEFAULT now(),
        revoked_at        timestamptz,
        revoked_by        uuid        REFERENCES user_account (id),
        CONSTRAINT case_share_one_grantee CHECK ((grantee_agency_id IS NULL) <> (grantee_user_id IS NULL)),
        CONSTRAINT case_share_revocation CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX case_share_active_agency_key ON case_share (case_id, grantee_agency_id)
         WHERE revoked_at IS NULL AND grantee_agency_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX case_share_active_user_key ON case_share (case_id, grantee_user_id)
         WHERE revoked_at IS NULL AND grantee_user_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX case_share_agency_idx ON case_share (grantee_agency_id) WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX case_share_user_idx ON case_share (grantee_user_id) WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE (revoked_at, revoked_by) ON case_share TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE case_share, case_file`);
  }
}
