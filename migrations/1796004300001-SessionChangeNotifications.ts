import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to what the access guard reads about a session is announced on the `custos_auth`
 * channel (issue #19, ADR 0064): the service caches live sessions in process and drops them when
 * told, so a logout, a disabled user, a role change or a revoked session ends access at the next
 * request in every process. Triggers, not the application, send the notices: no code path (nor a
 * hand-written UPDATE by an administrator) can change a session or an account without one.
 * NOTIFY is transactional, so a notice is delivered only once its change is committed.
 * Payloads: `s:<session id>`, `u:<user id>`, `*` (anything else: drop every cached session).
 */
export class SessionChangeNotifications1796004300001 implements MigrationInterface {
  name = 'SessionChangeNotifications1796004300001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION notify_auth_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('custos_auth', 's:' || OLD.id::text);
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER auth_session_change_notify AFTER UPDATE OR DELETE ON auth_session
        FOR EACH ROW EXECUTE FUNCTION notify_auth_session_change()`);
    await queryRunner.query(`
      CREATE FUNCTION notify_user_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('custos_auth', 'u:' || OLD.id::text);
        RETURN NULL;
      END $$`);
    // Only the columns a session's actor is built from: a login's last_login_at stays quiet.
    await queryRunner.query(`
      CREATE TRIGGER user_account_change_notify AFTER UPDATE ON user_account
        FOR EACH ROW WHEN (
          (OLD.username, OLD.display_name, OLD.agency_id, OLD.roles, OLD.platform_admin, OLD.active,
           OLD.auth_version, OLD.must_change_password)
          IS DISTINCT FROM
          (NEW.username, NEW.display_name, NEW.agency_id, NEW.roles, NEW.platform_admin, NEW.active,
           NEW.auth_version, NEW.must_change_password))
        EXECUTE FUNCTION notify_user_account_change()`);
    await queryRunner.query(`
      CREATE TRIGGER user_account_delete_notify AFTER DELETE ON user_account
        FOR EACH ROW EXECUTE FUNCTION notify_user_account_change()`);
    await queryRunner.query(`
      CREATE FUNCTION notify_auth_everything_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('custos_auth', '*');
        RETURN NULL;
      END $$`);
    // An agency's code is part of every actor of that agency; agencies change rarely.
    await queryRunner.query(`
      CREATE TRIGGER agency_change_notify AFTER UPDATE OR DELETE ON agency
        FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_everything_changed()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER agency_change_notify ON agency`);
    await queryRunner.query(`DROP TRIGGER user_account_delete_notify ON user_account`);
    await queryRunner.query(`DROP TRIGGER user_account_change_notify ON user_account`);
    await queryRunner.query(`DROP TRIGGER auth_session_change_notify ON auth_session`);
    await queryRunner.query(`DROP FUNCTION notify_auth_everything_changed()`);
    await queryRunner.query(`DROP FUNCTION notify_user_account_change()`);
    await queryRunner.query(`DROP FUNCTION notify_auth_session_change()`);
  }
}
