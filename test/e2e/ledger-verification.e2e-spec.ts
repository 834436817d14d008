import { PassThrough } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';

import type { AppConfig } from '../../src/config/config.js';
import { CheckpointService } from '../../src/ledger/checkpoint.service.js';
import { VERIFICATION_LOCK } from '../../src/ledger/ledger-verification-run.js';
import { LedgerVerificationService } from '../../src/ledger/ledger-verification.service.js';
import { runLedgerVerify } from '../../src/ledger/ledger-verify.command.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestUser,
} from '../factories/identity.factory.js';
import { appendEntries } from '../utils/ledger-fixtures.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, withClient, type TestDatabase } from '../utils/test-database.js';

interface Verification {
  id: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  deep: boolean;
  outcome: 'ok' | 'failed' | 'error';
  treeSize: number | null;
  rootHash: string | null;
  checkpointsVerified: number | null;
  itemsChecked: number | null;
  failedIndex: number | null;
  reason: string | null;
  source: 'service' | 'cli';
  requestedBy: { id: string; username: string; displayName: string } | null;
}

interface Verifications {
  verifications: Verification[];
  running: { startedAt: string | null; source: string | null; requestedBy: { id: string } | null } | null;
}

const ENTRIES = 21;

describe('full ledger verifications run by the service (POST/GET /ledger/verifications)', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let admin: TestUser;
  let auditor: TestUser;
  let adminSession: Session;
  let auditorSession: Session;
  let officerSession: Session;
  let vkey: string;
  let rootHash: string;

  const start = (session: Session): request.Test =>
    request(app.getHttpServer()).post('/api/v1/ledger/verifications').set(bearer(session));
  const list = (session: Session, query = ''): request.Test =>
    request(app.getHttpServer()).get(`/api/v1/ledger/verifications${query}`).set(bearer(session));

  /** Polls as the web app does until no run holds the lock; the run's row exists by then. */
  async function whenFinished(session: Session): Promise<Verifications> {
    for (;;) {
      const { body } = await list(session).expect(200);
      if ((body as Verifications).running === null) return body as Verifications;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    const db = dataSourceOf(app);
    await appendEntries(db, app.get(LedgerService), ENTRIES);
    rootHash = (await app.get(CheckpointService).checkpointNow()).rootHash.toString('base64');
    const agency = await createAgency(db);
    admin = await createUser(db, agency, { roles: ['admin'], displayName: 'Marta Vidal' });
    auditor = await createUser(db, agency, { roles: ['auditor'], displayName: 'Elena Ruiz' });
    adminSession = await login(app, admin);
    auditorSession = await login(app, auditor);
    officerSession = await login(app, await createUser(db, agency, { roles: ['officer'] }));
    vkey = ((await request(app.getHttpServer()).get('/api/v1/ledger/public-key').expect(200)).body as { vkey: string })
      .vkey;
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('an administrator starts a deep run: 202 at once, then the list shows what it verified, by whom', async () => {
    expect((await list(adminSession).expect(200)).body).toEqual({ verifications: [], running: null });
    const { body: started } = await start(adminSession).expect(202);
    expect(started).toEqual({
      status: 'running',
      deep: true,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      source: 'service',
      requestedBy: { id: admin.id, username: admin.username, displayName: 'Marta Vidal' },
    });
    const { verifications } = await whenFinished(adminSession);
    expect(verifications).toEqual([
      {
        id: expect.any(String),
        startedAt: started.startedAt,
        finishedAt: expect.any(String),
        seconds: expect.any(Number),
        deep: true,
        outcome: 'ok',
        treeSize: ENTRIES,
        rootHash,
        checkpointsVerified: 1,
        itemsChecked: 0,
        failedIndex: null,
        reason: null,
        source: 'service',
        requestedBy: { id: admin.id, username: admin.username, displayName: 'Marta Vidal' },
      },
    ]);
    expect(Date.parse(verifications[0].finishedAt)).toBeGreaterThanOrEqual(Date.parse(verifications[0].startedAt));
    const logged = await sql(
      database.ownerUrl,
      `SELECT outcome, actor_user_id, subject_type FROM access_log WHERE event = 'ledger.verify'`,
    );
    expect(logged.rows).toEqual([{ outcome: 'success', actor_user_id: admin.id, subject_type: 'ledger' }]);
  });

  it('an auditor too; the list is newest first and bounded', async () => {
    await start(auditorSession).expect(202);
    const { verifications } = await whenFinished(auditorSession);
    expect(verifications.map((run) => [run.outcome, run.requestedBy?.id])).toEqual([
      ['ok', auditor.id],
      ['ok', admin.id],
    ]);
    expect((await list(auditorSession, '?limit=1').expect(200)).body.verifications).toHaveLength(1);
    expect((await list(auditorSession, '?limit=101').expect(400)).body.code).toBe('validation_failed');
  });

  it('other roles may neither start nor read runs', async () => {
    expect((await start(officerSession).expect(403)).body.code).toBe('role_forbidden');
    expect((await list(officerSession).expect(403)).body.code).toBe('role_forbidden');
  });

  it('one run at a time across processes: 409 while another holds the lock, which the list shows as running', async () => {
    // Another service process's run, as it looks from here: its connection holds the lock.
    const other = new pg.Client({
      connectionString: database.appUrl,
      application_name: `custos-verification ${auditor.id}`,
    });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::int, $2::int)', [...VERIFICATION_LOCK]);
      const refused = await start(adminSession).expect(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ status: 409, code: 'verification_running' });
      const { body } = await list(adminSession).expect(200);
      expect(body.running).toEqual({
        startedAt: expect.stringMatching(/^\d{4}-/),
        source: 'service',
        requestedBy: { id: auditor.id, username: auditor.username, displayName: 'Elena Ruiz' },
      });
      expect(body.verifications).toHaveLength(2);
    } finally {
      await other.end();
    }
    await start(adminSession).expect(202);
    expect((await whenFinished(adminSession)).verifications).toHaveLength(3);
  });

  it('the record is append-only: the service role may not change or delete a run, and triggers stop the owner', async () => {
    await expect(sql(database.appUrl, `UPDATE ledger_verification SET reason = 'edited'`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql(database.appUrl, 'DELETE FROM ledger_verification')).rejects.toThrow(/permission denied/);
    await expect(sql(database.appUrl, 'TRUNCATE ledger_verification')).rejects.toThrow(/permission denied/);
    await expect(sql(database.ownerUrl, `UPDATE ledger_verification SET outcome = 'ok'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql(database.ownerUrl, 'DELETE FROM ledger_verification')).rejects.toThrow(/append-only/);
    await expect(sql(database.ownerUrl, 'TRUNCATE ledger_verification')).rejects.toThrow(/append-only/);
    expect((await sql(database.ownerUrl, 'SELECT count(*)::int AS n FROM ledger_verification')).rows).toEqual([
      { n: 3 },
    ]);
  });

  it('the record cannot say what did not happen: an ok without its tree, a failure without a reason, a service run without its user', async () => {
    const insert = (values: string): Promise<unknown> =>
      sql(
        database.appUrl,
        `INSERT INTO ledger_verification (started_at, finished_at, deep, outcome, tree_size, root_hash, failed_index, reason,
                                          checkpoints_verified, items_checked, source, requested_by)
         VALUES (now(), now(), true, ${values})`,
      );
    const tree = `21, sha256(''::bytea)`;
    await expect(insert(`'ok', NULL, NULL, NULL, NULL, 1, 0, 'cli', NULL`)).rejects.toThrow(
      /ledger_verification_outcome_fields/,
    );
    await expect(insert(`'ok', ${tree}, NULL, 'but', 1, 0, 'cli', NULL`)).rejects.toThrow(
      /ledger_verification_outcome_fields/,
    );
    await expect(insert(`'failed', ${tree}, 3, 'bad', NULL, NULL, 'cli', NULL`)).rejects.toThrow(
      /ledger_verification_outcome_fields/,
    );
    await expect(insert(`'failed', NULL, NULL, 3, NULL, NULL, NULL, 'cli', NULL`)).rejects.toThrow(
      /ledger_verification_outcome_fields/,
    );
    await expect(insert(`'error', NULL, NULL, 3, 'lost', NULL, NULL, 'cli', NULL`)).rejects.toThrow(
      /ledger_verification_outcome_fields/,
    );
    await expect(insert(`'ok', ${tree}, NULL, NULL, 1, 0, 'service', NULL`)).rejects.toThrow(
      /ledger_verification_requester/,
    );
    await expect(insert(`'ok', ${tree}, NULL, NULL, 1, 0, 'cli', '${admin.id}'`)).rejects.toThrow(
      /ledger_verification_requester/,
    );
    await expect(
      sql(
        database.appUrl,
        `INSERT INTO ledger_verification (started_at, finished_at, deep, outcome, reason, source) VALUES (now(), now() - interval '1 s', true, 'error', 'x', 'cli')`,
      ),
    ).rejects.toThrow(/ledger_verification_finished_after_start/);
  });

  describe('custos ledger verify', () => {
    async function verifyCommand(): Promise<{ code: number; stdout: string; stderr: string }> {
      const out = new PassThrough();
      const errStream = new PassThrough();
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      out.on('data', (chunk: Buffer) => stdout.push(chunk));
      errStream.on('data', (chunk: Buffer) => stderr.push(chunk));
      const err = Object.assign(errStream, { isTTY: false }) as unknown as NodeJS.WriteStream;
      const code = await runLedgerVerify(['--deep', '--key', vkey], database.appUrl, {} as AppConfig, out, err);
      return { code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
    }

    it('records its run (source cli, no user) and says so in one line on stderr', async () => {
      const run = await verifyCommand();
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^ledger OK: 21 entries/);
      expect(run.stderr).toMatch(
        /^recorded in the database as verification run \d+: auditors and administrators see it in the web app\n$/,
      );
      const [latest] = (await list(auditorSession).expect(200)).body.verifications as Verification[];
      expect(latest).toMatchObject({
        outcome: 'ok',
        treeSize: ENTRIES,
        rootHash,
        deep: true,
        source: 'cli',
        requestedBy: null,
      });
    });

    it('still exits by the verification when the run cannot be recorded, and says so', async () => {
      await sql(database.adminUrl, 'REVOKE INSERT ON ledger_verification FROM custos_service');
      try {
        const run = await verifyCommand();
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^ledger OK: 21 entries/);
        expect(run.stderr).toMatch(
          /^this run is not recorded in the database \(permission denied for table ledger_verification\); its result above stands\n$/,
        );
      } finally {
        await sql(database.adminUrl, 'GRANT INSERT ON ledger_verification TO custos_service');
      }
    });
  });

  // Last: it breaks this database's ledger for good.
  it('records a tampered ledger as failed, with the index and the reason', async () => {
    await withClient(database.adminUrl, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica'); // triggers off: a rogue administrator
      await client.query(
        `UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'Phone 7', 'Phone 8'), 'UTF8') WHERE idx = 7`,
      );
      await client.query('COMMIT');
    });
    await start(auditorSession).expect(202);
    const [latest] = (await whenFinished(auditorSession)).verifications;
    expect(latest).toMatchObject({
      outcome: 'failed',
      failedIndex: 7,
      reason: 'entry 7: its bytes do not hash to its stored leaf hash',
      treeSize: null,
      rootHash: null,
      source: 'service',
      requestedBy: { id: auditor.id },
    });
  });
});

describe('a verification that is still running', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let admin: TestUser;
  let adminSession: Session;
  let auditorSession: Session;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    const db = dataSourceOf(app);
    await appendEntries(db, app.get(LedgerService), ENTRIES);
    const agency = await createAgency(db);
    admin = await createUser(db, agency, { roles: ['admin'] });
    adminSession = await login(app, admin);
    auditorSession = await login(app, await createUser(db, agency, { roles: ['auditor'] }));
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('refuses a second start in the same process (409) and, when the service stops, is recorded as an error, not a verdict', async () => {
    // An administrator's lock on the entries holds the run at its first read: observably running.
    const blocker = new pg.Client({ connectionString: database.adminUrl });
    await blocker.connect();
    let stopped: Promise<void> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE ledger_entry IN ACCESS EXCLUSIVE MODE');
      await request(app.getHttpServer()).post('/api/v1/ledger/verifications').set(bearer(adminSession)).expect(202);
      const refused = await request(app.getHttpServer())
        .post('/api/v1/ledger/verifications')
        .set(bearer(auditorSession))
        .expect(409);
      expect(refused.body.code).toBe('verification_running');
      const { body } = await request(app.getHttpServer())
        .get('/api/v1/ledger/verifications')
        .set(bearer(auditorSession))
        .expect(200);
      expect(body).toMatchObject({ verifications: [], running: { source: 'service', requestedBy: { id: admin.id } } });
      // What app.close() does first: the run gives up at its next progress point.
      stopped = app.get(LedgerVerificationService).beforeApplicationShutdown();
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    await stopped;
    const { rows } = await sql(
      database.ownerUrl,
      'SELECT outcome, reason, tree_size, failed_index, requested_by FROM ledger_verification',
    );
    expect(rows).toEqual([
      {
        outcome: 'error',
        reason: 'the service stopped before the verification finished',
        tree_size: null,
        failed_index: null,
        requested_by: admin.id,
      },
    ]);
  });
});
