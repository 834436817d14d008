import type { MigrationInterface, QueryRunner } from 'typeorm';

const ROLES = `ARRAY['officer', 'clerk', 'examiner', 'prosecutor', 'auditor', 'admin']::text[]`;

/**
 * Identity and access (docs/identity.md):
 * - agency, user_account: who may act; usernames are stored lower-case and unique.
 * - auth_session, refresh_token: one row per login (the refresh-token family) and per issued
 *   refresh token (stored as its SHA-256, never in clear); revocation is a state, not a deletion.
 * - login_lockout: consecutive failures per account name (existing or not, so a lockout never tells
 *   whether a name exists), shared by every service process.
 * - access_log: who did or tried what, when, from where, with what outcome (CJIS 5.4.1.1).
 *   Append-only: the service may INSERT and SELECT; a trigger refuses UPDATE, DELETE and TRUNCATE
 *   for every role, the owner included.
 * The service gets exactly the privileges it uses, down to the columns it may update.
 */
export class Identity1795920519294 implements MigrationInterface {
  name = 'Identity1795920519294';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agency (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        code       text        NOT NULL UNIQUE CHECK (code ~ '^[A-Z]{2}(-[A-Z0-9]{1,16}){1,3}$'),
        name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        country    char(2)     NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON agency TO custos_service`);

    await queryRunner.query(`
      CREATE TABLE user_account (
        id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        username             text        NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
        display_name         text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
        agency_id            uuid        REFERENCES agency (id),
        roles                text[]      NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ${ROLES}),
        platform_admin       boolean     NOT NULL DEFAULT false,
        active               boolean     NOT NULL DEFAULT true,
        password_hash        text        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
        must_change_password boolean     NOT NULL DEFAULT false,
        password_changed_at  timestamptz NOT NULL DEFAULT now(),
        auth_version         integer     NOT NULL DEFAULT 1,
        last_login_at        timestamptz,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        -- DESIGN §1: an administrator holds no custody role.
        CONSTRAINT user_account_admin_exclusive CHECK (NOT ('admin' = ANY (roles)) OR roles = ARRAY['admin']::text[]),
        CONSTRAINT user_account_platform_admin_is_admin CHECK (NOT platform_admin OR roles = ARRAY['admin']::text[]),
        CONSTRAINT user_account_agency_or_platform CHECK (agency_id IS NOT NULL OR platform_admin)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX user_account_username_key ON user_account (lower(username))`);
    await queryRunner.query(`CREATE INDEX user_account_agency_idx ON user_account (agency_id)`);
    await queryRunner.query(`GRANT SELECT, INSERT ON user_account TO custos_service`);
    await queryRunner.query(
      `GRANT UPDATE (display_name, roles, active, password_hash, must_change_password, password_changed_at,
                     auth_version, last_login_at, updated_at) ON user_account TO custos_service`,
    );

    await queryRunner.query(`
      CREATE TABLE auth_session (
        id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id        uuid        NOT NULL REFERENCES user_account (id),
        created_at     timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        ip             text,
        revoked_at     timestamptz,
        revoked_reason text CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'user_disabled', 'roles_changed',
                                                      'password_changed', 'password_reset'))
      )`);
    await queryRunner.query(`CREATE INDEX auth_session_user_idx ON auth_session (user_id) WHERE revoked_at IS NULL`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE (revoked_at, revoked_reason) ON auth_session TO custos_service`,
    );

    await queryRunner.query(`
      CREATE TABLE refresh_token (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid        NOT NULL REFERENCES auth_session (id),
        token_hash bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at    timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX refresh_token_session_idx ON refresh_token (session_id)`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE (used_at) ON refresh_token TO custos_service`);

    await queryRunner.query(`
      CREATE TABLE login_lockout (
        username_key     text        PRIMARY KEY CHECK (length(username_key) <= 200),
        failure_count    integer     NOT NULL CHECK (failure_count >= 0),
        first_failure_at timestamptz,
        locked_until     timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON login_lockout TO custos_service`);

    await queryRunner.query(`
      CREATE TABLE access_log (
        id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        event             text        NOT NULL CHECK (event ~ '^[a-z_]+\\.[a-z_]+$'),
        outcome           text        NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
        actor_user_id     uuid,
        actor_username    text,
        actor_agency_id   uuid,
        subject_type      text,
        subject_id        text,
        subject_label     text,
        subject_agency_id uuid,
        case_id           uuid,
        ip                text,
        request_id        text,
        details           jsonb       NOT NULL DEFAULT '{}'::jsonb
      )`);
    await queryRunner.query(`CREATE INDEX access_log_actor_agency_idx ON access_log (actor_agency_id, id)`);
    await queryRunner.query(`CREATE INDEX access_log_subject_agency_idx ON access_log (subject_agency_id, id)`);
    await queryRunner.query(`CREATE INDEX access_log_actor_idx ON access_log (actor_user_id, id)`);
    await queryRunner.query(`CREATE INDEX access_log_case_idx ON access_log (case_id, id) WHERE case_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE FUNCTION access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % refused: the access log is append-only', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
         FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT ON access_log TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE access_log, login_lockout, refresh_token, auth_session, user_account, agency`);
    await queryRunner.query(`DROP FUNCTION access_log_refuse_change()`);
  }
}
