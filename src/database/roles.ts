import type pg from 'pg';

/**
 * The two database roles of docs/operations.md:
 * - the owner owns the schema and runs migrations;
 * - the service's login role is a member of the NOLOGIN group `custos_service`, to which the
 *   migrations grant exactly what the service needs (on ledger tables: INSERT and SELECT only).
 */
export const SERVICE_GROUP_ROLE = 'custos_service';

export interface RoleCredentials {
  owner: { name: string; password: string | undefined };
  app: { name: string; password: string | undefined };
}

function ident(client: pg.ClientBase, name: string): string {
  return client.escapeIdentifier(name);
}

async function ensureLoginRole(client: pg.ClientBase, name: string, password: string | undefined): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
  const passwordClause = password === undefined ? '' : ` PASSWORD ${client.escapeLiteral(password)}`;
  await client.query(
    `${verb} ROLE ${ident(client, name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS${passwordClause}`,
  );
}

/** Idempotent; needs a superuser (or CREATEROLE + CREATEDB) connection to the cluster's `postgres` database. */
export async function bootstrapRoles(client: pg.ClientBase, roles: RoleCredentials, database: string): Promise<void> {
  // Roles are cluster-wide and may be created by several processes at once (parallel test setup).
  await client.query('SELECT pg_advisory_lock(hashtext($1))', ['custos:bootstrap-roles']);
  try {
    const group = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [SERVICE_GROUP_ROLE]);
    if (group.rowCount === 0) await client.query(`CREATE ROLE ${ident(client, SERVICE_GROUP_ROLE)} NOLOGIN`);
    await ensureLoginRole(client, roles.owner.name, roles.owner.password);
    await ensureLoginRole(client, roles.app.name, roles.app.password);
    await client.query(`GRANT ${ident(client, SERVICE_GROUP_ROLE)} TO ${ident(client, roles.app.name)}`);
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (db.rowCount === 0) {
      await client.query(
        `CREATE DATABASE ${ident(client, database)} OWNER ${ident(client, roles.owner.name)} ENCODING 'UTF8' TEMPLATE template0`,
      );
    }
    await client.query(`REVOKE ALL ON DATABASE ${ident(client, database)} FROM PUBLIC`);
    await client.query(
      `GRANT CONNECT, TEMPORARY ON DATABASE ${ident(client, database)} TO ${ident(client, SERVICE_GROUP_ROLE)}`,
    );
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['custos:bootstrap-roles']);
  }
}
