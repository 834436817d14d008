import { realpathSync, rmSync } from 'node:fs';

import pg from 'pg';

import { listRelocatedClusters } from '../../dist/src/database/embedded-clusters.js';

/**
 * Stops the embedded cluster, or drops this run's databases on the shared server; then removes
 * everything the run left in the temporary folder (global-setup.mjs pointed TMPDIR at one
 * directory) and the embedded clusters that were kept under /var/lib/custos for DATA_DIRs in it.
 */
export default async function globalTeardown() {
  const embedded = globalThis.__CUSTOS_EMBEDDED__;
  if (embedded) await embedded.stop();
  else await dropRunDatabases();
  removeRunDir();
}

async function dropRunDatabases() {
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

function removeRunDir() {
  const runDir = process.env.CUSTOS_TEST_RUN_DIR;
  if (!runDir) return;
  const outer = process.env.CUSTOS_TEST_OUTER_TMPDIR;
  if (outer) process.env.TMPDIR = outer;
  else delete process.env.TMPDIR;
  const realRunDir = realpathSync(runDir);
  // Under root, a DATA_DIR the postgres OS user cannot reach has its cluster relocated (ADR 0002);
  // its owner record names the DATA_DIR. Only this run's, and only stopped ones.
  for (const cluster of listRelocatedClusters()) {
    if (cluster.dataDir === undefined || !cluster.dataDir.startsWith(`${realRunDir}/`)) continue;
    if (cluster.postmasterPid !== undefined) {
      process.stderr.write(`test teardown: PostgreSQL (pid ${cluster.postmasterPid}) still runs on ${cluster.path}\n`);
      continue;
    }
    rmSync(cluster.path, { recursive: true, force: true });
  }
  rmSync(runDir, { recursive: true, force: true });
}
