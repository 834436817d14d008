import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { SERVICE_GROUP_ROLE } from '../../src/database/roles.js';

/**
 * Every test file gets its own database, copied from a template that global setup migrated with
 * the real migrations, so files run in parallel without seeing each other's rows.
 */
export interface TestDatabaseEnvironment {
  adminUrl: string;
  template: string;
  prefix: string;
  owner: { name: string; password: string };
  app: { name: string; password: string };
}

export const TEST_ENVIRONMENT_VARIABLE = 'CUSTOS_TEST_DATABASE_ENVIRONMENT';

export function testDatabaseEnvironment(): TestDatabaseEnvironment {
  const raw = process.env[TEST_ENVIRONMENT_VARIABLE];
  if (raw === undefined) throw new Error('test database environment missing: run the tests through `npm test`');
  return JSON.parse(raw) as TestDatabaseEnvironment;
}

export function databaseUrl(baseUrl: string, database: string, role?: { name: string; password: string }): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  if (role) {
    url.username = encodeURIComponent(role.name);
    url.password = encodeURIComponent(role.password);
  }
  return url.toString();
}

/** Runs `work` on a connection of its own to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** One statement on a connection of its own: for checks as a given role. */
export function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withClient(url, (client) => client.query(text, params));
}

export interface TestDatabase {
  readonly name: string;
  /** The owner role: what migrations run as. */
  readonly ownerUrl: string;
  /** The service's least-privileged role: what the app connects as. */
  readonly appUrl: string;
  /** Superuser on this database: for adversarial tests only. */
  readonly adminUrl: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const env = testDatabaseEnvironment();
  const name = `${env.prefix}_${randomBytes(4).toString('hex')}`;
  await withClient(env.adminUrl, async (client) => {
    const db = client.escapeIdentifier(name);
    await client.query(
      `CREATE DATABASE ${db} TEMPLATE ${client.escapeIdentifier(env.template)} OWNER ${client.escapeIdentifier(env.owner.name)}`,
    );
    // Database-level privileges live in pg_database and are not copied from the template.
    await client.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${client.escapeIdentifier(SERVICE_GROUP_ROLE)}`);
  });
  return {
    name,
    ownerUrl: databaseUrl(env.adminUrl, name, env.owner),
    appUrl: databaseUrl(env.adminUrl, name, env.app),
    adminUrl: databaseUrl(env.adminUrl, name),
    drop: () => dropDatabase(env.adminUrl, name),
  };
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
  );
}
