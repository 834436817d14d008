import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { createCase, shareCase } from '../factories/case.factory.js';
import { phone, recordHashes, release, seize, signature } from '../factories/custody.factory.js';
import {
  createAgency,
  createUser,
  FACTORY_PASSWORD,
  login,
  type Session,
  type TestUser,
} from '../factories/identity.factory.js';
import { sha256Hex } from './support.js';

/**
 * Every write route of the API, in one table, with who may call it and a body that passes
 * validation. The hostile-input specs start from these bodies; a route missing here fails the
 * coverage test (bad-input.res-spec.ts), so a new endpoint cannot go untested by accident.
 */
export interface WriteRoute {
  /** As OpenAPI names it: `post /api/v1/items/{id}/hashes`. */
  readonly operation: string;
  readonly method: 'post' | 'patch' | 'put' | 'delete';
  /** The concrete path, with ids of this world's records. */
  readonly path: string;
  readonly session: Session | undefined;
  /** A body that passes validation (undefined: the route takes none). */
  readonly body: Record<string, unknown> | undefined;
}

export interface World {
  readonly routes: WriteRoute[];
  readonly users: Record<'admin' | 'officer' | 'clerk' | 'examiner' | 'auditor' | 'victim', TestUser>;
}

/** Agencies, users, a case with items, a pending transfer and a share: something for every route to act on. */
export async function buildWorld(app: NestExpressApplication, db: DataSource): Promise<World> {
  const home = await createAgency(db);
  const partner = await createAgency(db);
  const users = {
    admin: await createUser(db, null, { roles: ['admin'] }),
    officer: await createUser(db, home, { roles: ['officer'] }),
    clerk: await createUser(db, home, { roles: ['clerk'] }),
    examiner: await createUser(db, home, { roles: ['examiner'] }),
    auditor: await createUser(db, home, { roles: ['auditor'] }),
    // Logs out, refreshes and changes its password: kept apart so the others keep their sessions.
    victim: await createUser(db, home, { roles: ['officer'] }),
  };
  const managed = await createUser(db, home, { roles: ['clerk'] });
  const [admin, officer, examiner, auditor, victim] = await Promise.all(
    [users.admin, users.officer, users.examiner, users.auditor, users.victim].map((user) => login(app, user)),
  );
  const kase = await createCase(db, home.id, users.officer.id);
  const shareId = await shareCase(db, kase.id, { agencyId: partner.id }, 'read', users.officer.id);
  const [held, pending, releasable] = await seize(app, officer, kase.id, [phone(), phone(), phone()]);
  await recordHashes(app, officer, held.id, {
    target: 'device',
    hashes: [{ algorithm: 'sha256', value: sha256Hex(held.id) }],
    occurredAt: '2026-11-20T10:00:00+01:00',
    signature: signature('acquired'),
  });
  const transfer = await release(app, officer, [pending.id], examiner);
  const history = await request(app.getHttpServer())
    .get(`/api/v1/items/${held.id}/history`)
    .set({ Authorization: `Bearer ${officer.accessToken}` });
  const registration = (history.body as { events: Array<{ ledgerIndex: number; type: string }> }).events[0];

  const route = (
    operation: string,
    path: string,
    session: Session | undefined,
    body?: Record<string, unknown>,
  ): WriteRoute => ({
    operation,
    method: operation.split(' ')[0] as WriteRoute['method'],
    path,
    session,
    body,
  });
  const routes: WriteRoute[] = [
    route('post /api/v1/agencies', '/api/v1/agencies', admin, {
      code: 'PT-PJ',
      name: 'Polícia Judiciária',
      country: 'PT',
    }),
    route('patch /api/v1/agencies/{code}', `/api/v1/agencies/${home.code}`, admin, { language: 'pt-PT' }),
    route('post /api/v1/users', '/api/v1/users', admin, {
      username: 'nuno.silva',
      displayName: 'Nuno Silva',
      agencyCode: home.code,
      roles: ['clerk'],
      password: 'Evidence-Room-Password-42',
    }),
    route('patch /api/v1/users/{id}', `/api/v1/users/${managed.id}`, admin, {
      displayName: 'Marta Ruiz',
      roles: ['clerk'],
    }),
    route('post /api/v1/users/{id}/password', `/api/v1/users/${managed.id}/password`, admin, {
      password: 'Reset-By-Admin-Password-77',
    }),
    route('post /api/v1/auth/login', '/api/v1/auth/login', undefined, {
      username: users.victim.username,
      password: FACTORY_PASSWORD,
    }),
    route('post /api/v1/auth/refresh', '/api/v1/auth/refresh', undefined, { refreshToken: victim.refreshToken }),
    route('post /api/v1/auth/logout', '/api/v1/auth/logout', victim, undefined),
    route('post /api/v1/auth/password', '/api/v1/auth/password', victim, {
      currentPassword: FACTORY_PASSWORD,
      newPassword: 'A-Brand-New-Long-Password-9',
    }),
    route('post /api/v1/cases', '/api/v1/cases', officer, {
      caseNumber: 'FUZZ-1',
      title: 'Operación Arena',
      legalAuthority: ['JI-7 118/2026'],
    }),
    route('post /api/v1/cases/{id}/shares', `/api/v1/cases/${kase.id}/shares`, officer, {
      username: users.auditor.username,
      access: 'read',
    }),
    route(
      'delete /api/v1/cases/{id}/shares/{shareId}',
      `/api/v1/cases/${kase.id}/shares/${shareId}`,
      officer,
      undefined,
    ),
    route('post /api/v1/cases/{id}/close', `/api/v1/cases/${kase.id}/close`, officer, {
      reason: 'Proceedings concluded',
    }),
    route('post /api/v1/cases/{id}/reopen', `/api/v1/cases/${kase.id}/reopen`, officer, { reason: 'Appeal lodged' }),
    route('post /api/v1/cases/{id}/items', `/api/v1/cases/${kase.id}/items`, officer, { items: [phone()] }),
    route('post /api/v1/items/{id}/hashes', `/api/v1/items/${held.id}/hashes`, officer, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: sha256Hex(held.id) }],
      tool: 'sha256sum',
      toolVersion: '9.4',
      occurredAt: '2026-11-21T10:00:00+01:00',
    }),
    route('post /api/v1/items/{id}/hashes/import', `/api/v1/items/${held.id}/hashes/import`, officer, {
      text: `${sha256Hex(held.id)}  /dev/sdb\n`,
      format: 'checksum-list',
      target: 'device',
      occurredAt: '2026-11-21T10:00:00+01:00',
      dryRun: true,
    }),
    route('post /api/v1/items/{id}/location', `/api/v1/items/${held.id}/location`, officer, {
      location: 'Madrid/HQ/Room 2/Shelf B/Bin 4',
      reason: 'Long-term storage',
    }),
    route('post /api/v1/items/{id}/disposition', `/api/v1/items/${releasable.id}/disposition`, officer, {
      disposition: 'destroyed',
      authorityReference: 'JI-7 Madrid, auto 311/2027',
      notes: 'Shredded, certificate 2027/118',
      occurredAt: '2026-11-25T11:00:00+01:00',
      witness: { username: users.clerk.username, password: FACTORY_PASSWORD },
      signature: signature('disposed'),
    }),
    route('post /api/v1/items/{id}/corrections', `/api/v1/items/${held.id}/corrections`, officer, {
      corrects: registration.ledgerIndex,
      reason: 'Serial misread at the scene',
      changes: { serial: 'R58R0000B' },
      signature: signature('corrected'),
    }),
    route('post /api/v1/transfers', '/api/v1/transfers', officer, {
      itemIds: [releasable.id],
      to: users.examiner.username,
      purpose: 'Forensic examination',
      signature: signature('released'),
    }),
    route('post /api/v1/transfers/{id}/accept', `/api/v1/transfers/${transfer.id}/accept`, examiner, {
      items: [{ itemId: pending.id, sealIntact: true }],
      location: 'Lab safe 2',
      signature: signature('received'),
    }),
    route('post /api/v1/transfers/{id}/reject', `/api/v1/transfers/${transfer.id}/reject`, examiner, {
      reason: 'Seal numbers do not match the sheet',
      signature: signature('rejected'),
    }),
    route('post /api/v1/transfers/{id}/cancel', `/api/v1/transfers/${transfer.id}/cancel`, officer, {
      reason: 'Wrong receiver selected',
    }),
    route('post /api/v1/ledger/checkpoints', '/api/v1/ledger/checkpoints', auditor, undefined),
    route('post /api/v1/ledger/verifications', '/api/v1/ledger/verifications', auditor, undefined),
    // Public, a C2SP text body (docs/witness.md); this service cosigns no log here, so every request
    // is refused. Its own protocol's bad input is tested in the witness specs.
    route('post /api/v1/witness/add-checkpoint', '/api/v1/witness/add-checkpoint', undefined, undefined),
  ];
  return { routes, users };
}

/** Write operations the running app documents (OpenAPI), as `method /path/{param}`. */
export async function documentedWriteOperations(app: NestExpressApplication): Promise<string[]> {
  const document = (await request(app.getHttpServer()).get('/api/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths)
    .flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method} ${path}`),
    )
    .sort();
}

/**
 * Everything a refused request could have written, as one comparable value: the ledger's size and
 * a digest of every table's rows. Left out: tables whose job is to record refusals (the access
 * log, login failure counters), which a 4xx is meant to write, and the record of ledger
 * verification runs, which a run started by an earlier 202 writes in the background whenever it ends,
 * and the ledger monitor's progress, which moves on its own schedule.
 */
export const REFUSAL_RECORDS = [
  'access_log',
  'password_throttle',
  'login_attempt',
  'schema_migrations',
  'ledger_verification',
  'ledger_monitor',
];

export async function footprint(adminDb: {
  query: (text: string) => Promise<Array<Record<string, unknown>>>;
}): Promise<Record<string, unknown>> {
  const tables = (await adminDb.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`))
    .map((row) => row.tablename as string)
    .filter((table) => !REFUSAL_RECORDS.includes(table));
  const digests = await adminDb.query(
    `SELECT ${tables.map((table) => `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "${table}" t) AS "${table}"`).join(', ')}`,
  );
  return digests[0];
}
