import { readFileSync } from 'node:fs';

import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import request from 'supertest';

import { ROLES } from '../../src/common/request-context.js';
import type { AppConfig } from '../../src/config/config.js';
import { runDemo } from '../../src/demo/demo.command.js';
import { formatVerifierKey, parseSignerKey, parseVerifierKey } from '../../src/ledger/core/index.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { createTestApp, testConfig } from '../utils/test-app.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

interface Login {
  username: string;
  password: string;
  role: string;
  agency: string;
}

const LOGIN_LINE = new RegExp(`^ {2}([a-z0-9][a-z0-9._-]{2,63}) +(\\S{24}) +(${ROLES.join('|')}) +(\\S+) +\\S`);

/** The rows of the printed logins table. */
function loginsOf(out: string): Login[] {
  return out.split('\n').flatMap((line) => {
    const match = LOGIN_LINE.exec(line);
    return match === null ? [] : [{ username: match[1], password: match[2], role: match[3], agency: match[4] }];
  });
}

const COUNTED_TABLES = [
  'agency',
  'user_account',
  'case_file',
  'case_share',
  'item',
  'transfer',
  'hash_record',
  'ledger_entry',
  'ledger_checkpoint',
  'access_log',
  'auth_session',
];

/**
 * `custos demo` on a fresh database: the story goes through the real API of an in-process
 * application, so what it leaves is what users would have made — and the ledger verifies.
 */
describe('custos demo', () => {
  let database: TestDatabase;
  let config: AppConfig;
  let first: Run;

  const count = async (query: string): Promise<number> => Number((await sql(database.appUrl, query)).rows[0].n);
  const counts = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      await Promise.all(
        COUNTED_TABLES.map(async (table) => [table, await count(`SELECT count(*) AS n FROM ${table}`)] as const),
      ),
    );

  async function demo(): Promise<Run> {
    const run = { out: '', err: '' };
    const code = await runDemo(
      { ownerUrl: database.ownerUrl, appUrl: database.appUrl },
      config,
      {
        out: (message) => (run.out += `${message}\n`),
        err: (message) => (run.err += `${message}\n`),
      },
      { logger: pino({ level: 'silent' }) },
    );
    return { code, ...run };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig();
    first = await demo();
  }, 120_000);

  afterAll(async () => {
    await database.drop();
  });

  it('succeeds and prints a login for every role', () => {
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const logins = loginsOf(first.out);
    expect(new Set(logins.map((login) => login.role))).toEqual(new Set(ROLES));
    expect(logins.map((login) => login.agency)).toEqual(
      expect.arrayContaining(['ES-PN', 'ES-FGE', 'AR-PFA', 'PT-PJ', 'DE-BKA']),
    );
    expect(first.out).toMatch(/clerk\.garcia .*waits in the inbox/);
  });

  it('fills the database with a multi-country operation', async () => {
    expect(
      await count(`SELECT count(*) AS n FROM agency WHERE code IN ('ES-PN', 'ES-FGE', 'AR-PFA', 'PT-PJ', 'DE-BKA')`),
    ).toBe(5);
    expect(await count('SELECT count(*) AS n FROM user_account')).toBe(loginsOf(first.out).length);
    expect(await count('SELECT count(*) AS n FROM case_file')).toBe(2);
    expect(
      await count(
        `SELECT count(*) AS n FROM case_share s JOIN agency a ON a.id = s.grantee_agency_id WHERE a.code = 'AR-PFA' AND s.access = 'contribute'`,
      ),
    ).toBe(1);
    expect(
      await count(
        `SELECT count(*) AS n FROM case_share s JOIN agency a ON a.id = s.grantee_agency_id WHERE a.code = 'ES-FGE' AND s.access = 'read'`,
      ),
    ).toBe(1);
    expect(await count('SELECT count(*) AS n FROM item')).toBeGreaterThanOrEqual(10);
    expect(
      await count(
        `SELECT count(*) AS n FROM item WHERE kind IN ('forensic_image', 'extraction') AND parent_id IS NOT NULL`,
      ),
    ).toBe(2);
    expect(
      await count(`SELECT count(*) AS n FROM item WHERE kind = 'sim_card' AND parent_id IS NOT NULL`),
    ).toBeGreaterThanOrEqual(2);
    expect(await count(`SELECT count(*) AS n FROM item WHERE integrity = 'compromised'`)).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) AS n FROM item WHERE state = 'disposed'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM transfer WHERE status = 'pending'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM transfer_item WHERE seal_intact = false`)).toBe(1);
    expect(
      await count(`SELECT count(*) AS n FROM hash_record WHERE role = 'verification' AND result = 'match'`),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await count(`SELECT count(*) AS n FROM hash_record WHERE role = 'verification' AND result = 'mismatch'`),
    ).toBe(1);
    expect(
      await count(`SELECT count(*) AS n FROM item WHERE location LIKE 'Madrid/HQ/Room 2/Shelf %/Bin %'`),
    ).toBeGreaterThanOrEqual(1);
  });

  it('signed every transfer, acquisition and disposal', async () => {
    const { rows } = await sql(
      database.appUrl,
      `SELECT type, convert_from(entry, 'UTF8')::jsonb -> 'signatures' AS signatures FROM ledger_entry WHERE type IN ('transfer.released', 'transfer.accepted', 'item.derived', 'item.disposed')`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows as Array<{ type: string; signatures: Array<{ meaning: string }> }>) {
      const expected = {
        'transfer.released': ['released'],
        'transfer.accepted': ['received'],
        'item.derived': ['acquired'],
        'item.disposed': ['disposed', 'witnessed'],
      }[row.type];
      expect(row.signatures.map((signature) => signature.meaning)).toEqual(expected);
    }
  });

  it('spreads the operation over days and hours, in the past, each event after the one before', async () => {
    const { rows } = await sql(
      database.appUrl,
      `SELECT s.what, s.at, s.offset_minutes
         FROM (
           SELECT 'seized' AS what, i.occurred_at AS at, i.occurred_offset AS offset_minutes, i.case_id
             FROM item i WHERE i.parent_id IS NULL OR i.kind NOT IN ('forensic_image', 'extraction')
           UNION ALL
           SELECT 'released to ' || u.username, t.release_occurred_at, t.release_occurred_offset, t.case_id
             FROM transfer t JOIN user_account u ON u.id = t.to_user_id
           UNION ALL
           SELECT 'received by ' || u.username, t.accepted_occurred_at, t.accepted_occurred_offset, t.case_id
             FROM transfer t JOIN user_account u ON u.id = t.to_user_id WHERE t.status = 'accepted'
           UNION ALL
           SELECT 'acquired ' || i.kind, i.occurred_at, i.occurred_offset, i.case_id
             FROM item i WHERE i.kind IN ('forensic_image', 'extraction')
           UNION ALL
           SELECT 'hashed ' || h.role || coalesce(' ' || h.result, ''), h.occurred_at, h.occurred_offset, i.case_id
             FROM hash_record h JOIN item i ON i.id = h.item_id WHERE h.transfer_id IS NULL
         ) s JOIN case_file c ON c.id = s.case_id
        WHERE c.case_number LIKE 'UCC-%'
        ORDER BY s.at`,
    );
    const events = rows as Array<{ what: string; at: Date; offset_minutes: number }>;
    const first = (what: string): { at: Date; offset_minutes: number } => {
      const found = events.find((event) => event.what === what);
      if (found === undefined) throw new Error(`no event "${what}" in ${events.map((e) => e.what).join(', ')}`);
      return found;
    };
    const last = (what: string): Date => events.filter((event) => event.what === what).at(-1)!.at;
    // Nothing happens in the future, and the operation spans days, not a minute.
    for (const event of events) expect(event.at.getTime()).toBeLessThan(Date.now());
    expect(new Set(events.map((event) => event.at.toISOString().slice(0, 10))).size).toBeGreaterThanOrEqual(4);
    // Search in the morning, the property room the same afternoon (Madrid's clock).
    const intake = first('released to clerk.garcia');
    expect(intake.at.getTime()).toBeGreaterThan(last('seized').getTime());
    expect(intake.at.getTime() - first('seized').at.getTime()).toBeLessThan(12 * 3_600_000);
    // The lab transfer days later, received in Buenos Aires (UTC-3), then the acquisition and the
    // failed re-verification, in that order.
    const toLab = first('released to perito.ferreira');
    const atLab = first('received by perito.ferreira');
    expect(toLab.at.getTime() - intake.at.getTime()).toBeGreaterThan(2 * 86_400_000);
    expect(toLab.offset_minutes).toBeGreaterThan(0);
    expect(atLab).toMatchObject({ offset_minutes: -180 });
    expect(atLab.at.getTime()).toBeGreaterThan(toLab.at.getTime());
    expect(first('acquired forensic_image').at.getTime()).toBeGreaterThan(atLab.at.getTime());
    expect(first('hashed verification mismatch').at.getTime()).toBeGreaterThan(
      first('acquired extraction').at.getTime(),
    );
    expect(first('hashed verification mismatch').at.getTime() - toLab.at.getTime()).toBeGreaterThan(86_400_000);
  });

  it('lets every printed user log in with the printed password', async () => {
    const app: NestExpressApplication = await createTestApp({
      databaseUrl: database.appUrl,
      env: { LOGIN_RATE_LIMIT_PER_IP: '1000' },
    });
    try {
      for (const login of loginsOf(first.out)) {
        const response = await request(app.getHttpServer())
          .post('/api/v1/auth/login')
          .send({ username: login.username, password: login.password });
        expect({ username: login.username, status: response.status }).toEqual({
          username: login.username,
          status: 200,
        });
        expect(response.body.user).toMatchObject({ username: login.username, roles: [login.role] });
      }
    } finally {
      await app.close();
    }
  });

  it('refuses a second run and changes nothing', async () => {
    const before = await counts();
    const second = await demo();
    expect(second.code).toBe(1);
    expect(second.out).toBe('');
    expect(second.err).toMatch(/already has 2 case\(s\) .* fills an empty database only/);
    expect(await counts()).toEqual(before);
  }, 60_000);

  it('leaves a ledger that verifies, custody replay included', async () => {
    const signer = parseSignerKey(readFileSync(config.ledgerKeyFile, 'utf8').trim());
    const result = await verifyLedger(database.appUrl, {
      trustedKeys: [parseVerifierKey(formatVerifierKey(signer.name, signer.publicKey))],
      deep: true,
    });
    expect(result).toMatchObject({ ok: true, checkpoints: expect.any(Number) as number });
    if (!result.ok) return;
    expect(result.checkpoints).toBeGreaterThanOrEqual(1);
    expect(result.items).toBe(await count('SELECT count(*) AS n FROM item'));
  });
});
