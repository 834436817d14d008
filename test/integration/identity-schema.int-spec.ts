import pg from 'pg';

import { createTestDatabase, withClient, type TestDatabase } from '../utils/test-database.js';

describe('identity, access-log and case tables', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await withClient(database.appUrl, async (client) => {
      await client.query(
        `INSERT INTO access_log (event, outcome, details) VALUES ('auth.login', 'failure', '{"reason":"x"}')`,
      );
    });
  });

  afterAll(async () => {
    await database.drop();
  });

  it('lets the service append to and read the access log', async () => {
    const rows = await withClient(database.appUrl, (client) =>
      client.query('SELECT event, outcome, occurred_at FROM access_log'),
    );
    expect(rows.rows[0]).toMatchObject({ event: 'auth.login', outcome: 'failure' });
  });

  it.each([['UPDATE access_log SET outcome = $$success$$'], ['DELETE FROM access_log'], ['TRUNCATE access_log']])(
    'refuses %s to the service and to the owner alike',
    async (sql) => {
      await expect(withClient(database.appUrl, (client) => client.query(sql))).rejects.toThrow(
        /permission denied|append-only/,
      );
      await expect(withClient(database.ownerUrl, (client) => client.query(sql))).rejects.toThrow(/append-only/);
    },
  );

  it('gives the service no DELETE anywhere and only the UPDATE columns it uses', async () => {
    const { rows } = await withClient(database.appUrl, (client) =>
      client.query<{ table_name: string; privilege_type: string }>(
        `SELECT table_name, privilege_type FROM information_schema.table_privileges
          WHERE grantee = 'custos_service' AND table_name IN ('agency', 'user_account', 'auth_session', 'refresh_token', 'password_throttle', 'access_log', 'case_file', 'case_share')
          ORDER BY 1, 2`,
      ),
    );
    const grants = rows.map((row) => `${row.table_name}:${row.privilege_type}`);
    expect(grants.filter((grant) => /DELETE|TRUNCATE/.test(grant))).toEqual([]);
    expect(grants).toEqual(
      expect.arrayContaining([
        'access_log:INSERT',
        'access_log:SELECT',
        'case_share:INSERT',
        'password_throttle:UPDATE',
      ]),
    );
    expect(grants).not.toContain('access_log:UPDATE');
    expect(grants).not.toContain('case_file:UPDATE');
    await expect(
      withClient(database.appUrl, (client) => client.query(`UPDATE user_account SET username = 'x'`)),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withClient(database.appUrl, (client) => client.query(`UPDATE case_share SET access = 'contribute'`)),
    ).rejects.toThrow(/permission denied/);
  });

  it('enforces the account rules in the schema too', async () => {
    await withClient(database.appUrl, async (client) => {
      const agency = await client.query<{ id: string }>(
        `INSERT INTO agency (code, name, country) VALUES ('ES-PN', 'PN', 'ES') RETURNING id`,
      );
      const insert = (
        username: string,
        roles: string[],
        agencyId: string | null,
        platformAdmin = false,
      ): Promise<pg.QueryResult> =>
        client.query(
          `INSERT INTO user_account (username, display_name, agency_id, roles, platform_admin, password_hash)
           VALUES ($1, 'N', $2, $3, $4, '$argon2id$v=19$m=19456,t=2,p=1$x$y')`,
          [username, agencyId, roles, platformAdmin],
        );
      await insert('ana.garcia', ['officer'], agency.rows[0].id);
      await expect(insert('ANA.GARCIA', ['officer'], agency.rows[0].id)).rejects.toThrow(/check constraint|duplicate/);
      await expect(insert('mixed', ['admin', 'officer'], agency.rows[0].id)).rejects.toThrow(
        /user_account_admin_exclusive/,
      );
      await expect(insert('nowhere', ['officer'], null)).rejects.toThrow(/check constraint/);
      await expect(insert('janitor', ['janitor'], agency.rows[0].id)).rejects.toThrow(/check constraint/);
      await expect(
        client.query(`INSERT INTO agency (code, name, country) VALUES ('es-pn2', 'x', 'ES')`),
      ).rejects.toThrow(/check constraint/);
    });
  });
});
