import { randomBytes, randomUUID } from 'node:crypto';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { createCase, shareCase, type TestCase } from '../factories/case.factory.js';
import { release } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestAgency,
  type TestUser,
} from '../factories/identity.factory.js';
import {
  loadAccessMatrix,
  MATRIX_CALLERS,
  parseAccessMatrix,
  type MatrixCaller,
  type MatrixRow,
} from '../utils/access-matrix.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

// The executable matrix of docs/access-control.md: one test per route × relation × caller.
const matrix = loadAccessMatrix();

const ROLE_OF: Partial<Record<MatrixCaller, 'officer' | 'clerk' | 'examiner' | 'prosecutor' | 'auditor' | 'admin'>> = {
  officer: 'officer',
  clerk: 'clerk',
  examiner: 'examiner',
  prosecutor: 'prosecutor',
  auditor: 'auditor',
  admin: 'admin',
};

/** What a 403 may say: a role refusal or a rule about a resource the caller can see. */
const FORBIDDEN_CODES = [
  'role_forbidden',
  'admin_scope_forbidden',
  'case_share_forbidden',
  'case_status_forbidden',
  'case_read_only',
  'access_log_forbidden',
];

const withoutInstance = (body: Record<string, unknown>): Record<string, unknown> => {
  const { instance: _instance, requestId: _requestId, ...rest } = body;
  return rest;
};

describe('docs/access-control.md', () => {
  it('is a well-formed matrix covering every caller', () => {
    expect(matrix.length).toBeGreaterThan(40);
    for (const row of matrix) expect(Object.keys(row.expected)).toEqual([...MATRIX_CALLERS]);
  });

  it('refuses malformed tables', () => {
    const table = (line: string): string =>
      `<!-- access-matrix:begin -->\n| route | relation | ${MATRIX_CALLERS.join(' | ')} |\n| --- |\n${line}\n<!-- access-matrix:end -->`;
    expect(() => parseAccessMatrix('no markers')).toThrow(/markers/);
    expect(() => parseAccessMatrix(table('| `GET /x` | own | 200 | 200 |'))).toThrow(/cells/);
    expect(() => parseAccessMatrix(table(`| \`GET /x\` | mine | ${Array(8).fill('200').join(' | ')} |`))).toThrow(
      /relation/,
    );
    expect(() => parseAccessMatrix(table(`| \`GET /x\` | own | ${Array(8).fill('ok').join(' | ')} |`))).toThrow(
      /status/,
    );
    expect(
      parseAccessMatrix(table(`| \`GET /x\` | own | ${Array(8).fill('200 listed').join(' | ')} |`))[0].expected.clerk,
    ).toEqual({
      status: 200,
      listed: true,
    });
  });
});

describe('access matrix, cell by cell', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let home: TestAgency;
  let other: TestAgency;
  let third: TestAgency;
  let otherOfficer: TestUser;
  let otherOfficerSession: Session;
  /** A colleague of otherOfficer, to receive the transfers of the other agency's cases. */
  let otherClerkSession: Session;
  const callers = new Map<MatrixCaller, { user: TestUser; session: Session }>();

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    db = dataSourceOf(app);
    home = await createAgency(db, { code: 'ES-HOME' });
    other = await createAgency(db, { code: 'AR-OTHER', country: 'AR' });
    third = await createAgency(db, { code: 'PT-THIRD', country: 'PT' });
    otherOfficer = await createUser(db, other, { roles: ['officer'] });
    otherOfficerSession = await login(app, otherOfficer);
    otherClerkSession = await login(app, await createUser(db, other, { roles: ['clerk'] }));
    for (const caller of MATRIX_CALLERS) {
      if (caller === 'no token') continue;
      const user =
        caller === 'platform admin'
          ? await createUser(db, null, { roles: ['admin'], platformAdmin: true })
          : await createUser(db, home, { roles: [ROLE_OF[caller]!] });
      callers.set(caller, { user, session: await login(app, user) });
    }
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('covers every route of the identity, access-log and case modules', async () => {
    const { body } = await request(app.getHttpServer()).get('/api/docs-json').expect(200);
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const exempt = [
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/refresh',
      'POST /api/v1/auth/logout',
      'POST /api/v1/auth/password',
    ];
    const ours = documented.filter(
      (route) =>
        (/^\w+ \/api\/v1\/(auth|agencies|users|access-log|cases|ledger)(\/|$)/.test(route) ||
          /^GET \/api\/v1\/(items\/:id|items$|transfers$)/.test(route)) &&
        !exempt.includes(route),
    );
    const inMatrix = new Set(matrix.map((row) => `${row.method} ${row.path}`));
    expect(ours.filter((route) => !inMatrix.has(route))).toEqual([]);
  });

  interface Target {
    case?: TestCase;
    /** An item seized in the case, for item routes. */
    itemId?: string;
    /** A transfer of that item within the case's agency, for the transfer list. */
    transferId?: string;
    shareId?: string;
    userId?: string;
  }

  /** Creates what the relation needs, fresh for each cell. */
  async function arrange(row: MatrixRow, caller: MatrixCaller): Promise<Target> {
    const me = callers.get(caller)?.user;
    if (row.path.startsWith('/api/v1/users/')) {
      const target = await createUser(db, row.relation === 'foreign' ? other : home, { roles: ['clerk'] });
      return { userId: target.id };
    }
    if (!/^\/api\/v1\/(cases|items|transfers$|ledger\/entries$)/.test(row.path) || row.relation === '—') return {};
    const homeOfficer = callers.get('officer')!.user;
    const owned = row.relation === 'own';
    const found = owned
      ? await createCase(db, home.id, homeOfficer.id)
      : await createCase(db, other.id, otherOfficer.id);
    const granter = owned ? homeOfficer.id : otherOfficer.id;
    switch (row.relation) {
      case 'agency-contribute':
      case 'agency-read':
        await shareCase(
          db,
          found.id,
          { agencyId: home.id },
          row.relation === 'agency-read' ? 'read' : 'contribute',
          granter,
        );
        break;
      case 'user-contribute':
      case 'user-read':
        if (me)
          await shareCase(
            db,
            found.id,
            { userId: me.id },
            row.relation === 'user-read' ? 'read' : 'contribute',
            granter,
          );
        break;
      case 'revoked': {
        // Revoked through the API, as an officer does: the share's row and its ledger entry agree.
        const shareId = await shareCase(db, found.id, { agencyId: home.id }, 'contribute', granter);
        await request(app.getHttpServer())
          .delete(`/api/v1/cases/${found.id}/shares/${shareId}`)
          .set(bearer(otherOfficerSession))
          .expect(200);
        break;
      }
      default:
        break;
    }
    const shareId = row.path.includes(':shareId')
      ? await shareCase(db, found.id, { agencyId: third.id }, 'read', granter)
      : undefined;
    const seizer = owned ? callers.get('officer')!.session : otherOfficerSession;
    const itemId = /^\/api\/v1\/(items|transfers$)/.test(row.path) ? await seizeOne(seizer, found.id) : undefined;
    const transferId =
      row.path === '/api/v1/transfers'
        ? (await release(app, seizer, [itemId!], owned ? callers.get('clerk')!.session : otherClerkSession)).id
        : undefined;
    return { case: found, shareId, itemId, transferId };
  }

  /** The query a route needs: the target case's entries, items or transfers; proofs within the tree. */
  async function queryOf(row: MatrixRow, target: Target): Promise<string> {
    if (row.method !== 'GET') return '';
    switch (row.path) {
      case '/api/v1/cases':
        return '?limit=500';
      case '/api/v1/items':
      case '/api/v1/transfers':
        return `?caseId=${target.case!.id}`;
      case '/api/v1/ledger/entries': {
        const [range] = await db.query<Array<{ from: string; to: string }>>(
          'SELECT min(idx)::text AS from, (max(idx) + 1)::text AS to FROM ledger_entry WHERE case_id = $1',
          [target.case!.id],
        );
        return `?from=${range.from}&to=${range.to}`;
      }
      case '/api/v1/ledger/proofs/inclusion':
        return '?index=0&treeSize=1';
      case '/api/v1/ledger/proofs/consistency':
        return '?from=1&to=2';
      default:
        return '';
    }
  }

  /** For list routes: whether the target appears (for ledger entries: whether its content is served). */
  function listed(row: MatrixRow, body: Record<string, unknown>, target: Target): boolean {
    switch (row.path) {
      case '/api/v1/items':
        return (body.items as Array<{ id: string }>).some((item) => item.id === target.itemId);
      case '/api/v1/transfers':
        return (body.transfers as Array<{ id: string }>).some((transfer) => transfer.id === target.transferId);
      case '/api/v1/ledger/entries': {
        const entries = body.entries as Array<{ entry?: string; withheld?: boolean }>;
        const served = entries.filter((e) => e.entry !== undefined && e.withheld === undefined);
        // All or nothing: every entry of the case is served in full, or every one is withheld.
        expect(served.length === 0 || served.length === entries.length).toBe(true);
        return entries.length > 0 && served.length === entries.length;
      }
      default:
        return (body.cases as Array<{ id: string }>).some((c) => c.id === target.case!.id);
    }
  }

  async function seizeOne(officer: Session, caseId: string): Promise<string> {
    const { body } = await request(app.getHttpServer())
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(officer))
      .send({
        items: [
          {
            kind: 'usb_drive',
            description: 'Matrix USB stick',
            occurredAt: '2026-01-05T10:00:00+01:00',
            place: 'Matrix street 1',
          },
        ],
      })
      .expect(201);
    return (body as { items: Array<{ id: string }> }).items[0].id;
  }

  function body(row: MatrixRow, relation: string): Record<string, unknown> | undefined {
    const unique = randomBytes(4).toString('hex');
    switch (`${row.method} ${row.path}`) {
      case 'POST /api/v1/agencies':
        return { code: `ES-M${unique.toUpperCase()}`, name: 'Matrix agency', country: 'ES' };
      case 'PATCH /api/v1/agencies/:code':
        return { language: 'es' };
      case 'POST /api/v1/users':
        return {
          username: `matrix.${unique}`,
          displayName: 'Matrix User',
          agencyCode: relation === 'foreign' ? other.code : home.code,
          roles: ['clerk'],
        };
      case 'PATCH /api/v1/users/:id':
        return { displayName: `Renamed ${unique}` };
      case 'POST /api/v1/users/:id/password':
        return { password: `Temporary-Passphrase-${unique}` };
      case 'POST /api/v1/cases':
        return { caseNumber: `M-${unique}`, title: 'Matrix case', legalAuthority: ['JI-1 1/2026'] };
      case 'POST /api/v1/cases/:id/shares':
        return { agencyCode: third.code, access: 'read' };
      case 'POST /api/v1/cases/:id/close':
      case 'POST /api/v1/cases/:id/reopen':
        return { reason: 'Matrix status change' };
      case 'POST /api/v1/cases/:id/items':
        return {
          items: [
            {
              kind: 'usb_drive',
              description: 'Matrix USB stick',
              occurredAt: '2026-01-05T10:00:00+01:00',
              place: 'Matrix street 1',
            },
          ],
        };
      default:
        return undefined;
    }
  }

  function send(method: string, path: string, caller: MatrixCaller, payload?: Record<string, unknown>): request.Test {
    const server = request(app.getHttpServer());
    const call =
      method === 'GET'
        ? server.get(path)
        : method === 'POST'
          ? server.post(path)
          : method === 'PATCH'
            ? server.patch(path)
            : server.delete(path);
    const session = callers.get(caller)?.session;
    if (session) void call.set(bearer(session));
    return payload === undefined ? call : call.send(payload);
  }

  /** A started verification runs on in the background: the next cell's start would get 409 until it ends. */
  async function verificationFinished(caller: MatrixCaller): Promise<void> {
    for (;;) {
      const { body } = await send('GET', '/api/v1/ledger/verifications', caller).expect(200);
      if ((body as { running: unknown }).running === null) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  for (const row of matrix) {
    describe(`${row.method} ${row.path} [${row.relation}]`, () => {
      for (const caller of MATRIX_CALLERS) {
        const expected = row.expected[caller];
        const label = `${caller} → ${expected.status}${expected.listed === undefined ? '' : expected.listed ? ' listed' : ' hidden'}`;
        it(label, async () => {
          const target = await arrange(row, caller);
          const path =
            row.path
              .replace(':id', target.itemId ?? target.case?.id ?? target.userId ?? randomUUID())
              .replace(':shareId', target.shareId ?? randomUUID())
              .replace(':code', home.code) + (await queryOf(row, target));
          const response = await send(row.method, path, caller, body(row, row.relation));
          expect({ status: response.status, code: response.body?.code }).toMatchObject({ status: expected.status });
          if (row.path === '/api/v1/ledger/verifications' && row.method === 'POST' && response.status === 202)
            await verificationFinished(caller);
          if (expected.listed !== undefined) expect(listed(row, response.body, target)).toBe(expected.listed);
          if (expected.status === 401) expect(response.body.code).toBe('unauthenticated');
          if (expected.status === 403) expect(FORBIDDEN_CODES).toContain(response.body.code);
          if (expected.status === 404 && target.case) {
            // Indistinguishable from a case (or item) that does not exist.
            expect(response.body.code).toBe(target.itemId === undefined ? 'case_not_found' : 'item_not_found');
            const missing = await send(
              row.method,
              path.replace(target.itemId ?? target.case.id, randomUUID()),
              caller,
              body(row, row.relation),
            );
            expect(withoutInstance(missing.body)).toEqual(withoutInstance(response.body));
          }
          if (expected.status === 404 && target.userId) expect(response.body.code).toBe('user_not_found');
        });
      }
    });
  }
});
