// Jest's global setup runs outside its module system, so it uses the build that `pretest` made:
// the same launcher, role bootstrap and migrations that production runs.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { runMigrations } from '../../dist/src/database/migrate.js';
import { bootstrapRoles } from '../../dist/src/database/roles.js';

const quiet = { info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`), debug: () => undefined };
const password = () => randomBytes(18).toString('base64url');

/**
 * Default: a throw-away embedded PostgreSQL in a temporary directory. With TEST_DATABASE_URL (a
 * superuser connection, e.g. postgres://postgres@127.0.0.1:5432/postgres): that server. Either way
 * the same roles as production are created and a template database is migrated once; each test
 * file then copies it (test/utils/test-database.ts).
 */
export default async function globalSetup() {
  // Everything the run puts in the temporary folder goes under one directory that the teardown
  // removes: test workers (started after this) and the processes they spawn inherit TMPDIR, which
  // os.tmpdir() reads. 0711: the postgres OS user (under root) may traverse it, list nothing.
  const runDir = mkdtempSync(join(tmpdir(), 'custos-run-'));
  chmodSync(runDir, 0o711);
  process.env.CUSTOS_TEST_RUN_DIR = runDir;
  process.env.CUSTOS_TEST_OUTER_TMPDIR = process.env.TMPDIR ?? '';
  process.env.TMPDIR = runDir;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({
      dataDir: mkdtempSync(join(tmpdir(), 'custos-test-')),
      logger: quiet,
    });
    globalThis.__CUSTOS_EMBEDDED__ = embedded;
    adminUrl = embedded.superuserUrl;
  }
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const environment = {
    adminUrl,
    template: `custos_test_${runId}_template`,
    prefix: `custos_test_${runId}`,
    owner: { name: 'custos_test_owner', password: password() },
    app: { name: 'custos_test_app', password: password() },
  };
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await bootstrapRoles(admin, environment, environment.template);
  } finally {
    await admin.end();
  }
  const ownerUrl = new URL(adminUrl);
  ownerUrl.pathname = `/${environment.template}`;
  ownerUrl.username = environment.owner.name;
  ownerUrl.password = encodeURIComponent(environment.owner.password);
  await runMigrations(ownerUrl.toString(), { info: () => undefined });
  process.env.CUSTOS_TEST_DATABASE_ENVIRONMENT = JSON.stringify(environment);
}
