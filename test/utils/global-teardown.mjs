import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

import pg from 'pg';

/** Stops the embedded cluster (and removes it), or drops this run's databases on the shared server. */
export default async function globalTeardown() {
  const embedded = globalThis.__CUSTOS_EMBEDDED__;
  if (embedded) {
    await embedded.stop();
    rmSync(dirname(embedded.clusterDir), { recursive: true, force: true });
    return;
  }
  const raw = process.env.CUSTOS_TEST_DATABASE_ENVIRONMENT;
  if (!raw) return;
  const environment = JSON.parse(raw);
  const admin = new pg.Client({ connectionString: environment.adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${environment.prefix}%`,
    ]);
    for (const { datname } of rows)
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
