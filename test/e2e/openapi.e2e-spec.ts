import type { NestExpressApplication } from '@nestjs/platform-express';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';

import type { ItemView, TransferView } from '../../src/contracts/custody.js';
import { hardDrive, phone, signature } from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  login,
  type Session,
  type TestUser,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

/** Routes whose answer is a file, not JSON: the media type they document instead of a schema. */
const FILES: Readonly<Record<string, string>> = {
  'GET /api/v1/items/{id}/bundle': 'application/json',
  'GET /api/v1/cases/{id}/bundle': 'application/json',
  'GET /api/v1/cases/{id}/export': 'application/ld+json',
  'GET /api/v1/cases/{id}/custody.csv': 'text/csv',
  'GET /api/v1/items/{id}/custody.csv': 'text/csv',
  'GET /api/v1/items/{id}/report.pdf': 'application/pdf',
  'GET /api/v1/cases/{id}/report.pdf': 'application/pdf',
  'GET /api/v1/cases/{id}/labels.pdf': 'application/pdf',
  'POST /api/v1/witness/add-checkpoint': 'text/plain',
};

/** Routes that answer 204 No Content: nothing to describe. */
const NO_CONTENT: readonly string[] = ['POST /api/v1/auth/logout'];

/**
 * Every JSON object of the contracts, closed: a response member the schema does not declare fails
 * validation here (the published schemas stay open, so that clients survive a new member).
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (node === null || typeof node !== 'object') return node;
  const copy: Json = {};
  for (const [key, value] of Object.entries(node)) copy[key] = closed(value);
  if (copy.type === 'object' && typeof copy.properties === 'object' && !('additionalProperties' in copy)) {
    copy.additionalProperties = false;
  }
  return copy;
}

/**
 * The OpenAPI document (ADR 0009): every route documents its 2xx answer, and the schemas it
 * publishes tell the truth about real answers of the main routes.
 */
describe('the OpenAPI document', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let document: { paths: Record<string, Record<string, Operation>>; components: Json };
  let officer: Session;
  let examiner: Session;
  let examinerUser: TestUser;
  let auditor: Session;
  const api = (): ReturnType<typeof request> => request(app.getHttpServer());

  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext its function is the module's `default` member.
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();

  /** Checks a real answer against the schema the document gives its route and status. */
  function conforms(method: string, route: string, response: request.Response): void {
    const key = `${method} ${route} ${response.status}`;
    let validate = validators.get(key);
    if (validate === undefined) {
      const operation = document.paths[route]?.[method];
      const schema = operation?.responses[String(response.status)]?.content?.['application/json']?.schema;
      if (schema === undefined) throw new Error(`${key} is not documented (answer: ${JSON.stringify(response.body)})`);
      // The components ride along so that the schema's `#/components/schemas/…` references resolve.
      validate = ajv.compile({ ...(closed(schema) as Json), components: closed(document.components) });
      validators.set(key, validate);
    }
    if (!validate(response.body)) {
      throw new Error(`${key} does not match its schema: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl, env: { LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    const db = dataSourceOf(app);
    const agency = await createAgency(db, { code: 'ES-OA', country: 'ES' });
    officer = await login(app, await createUser(db, agency, { roles: ['officer'] }));
    await createAgency(db, { code: 'PT-OA', country: 'PT' });
    examinerUser = await createUser(db, agency, { roles: ['examiner'] });
    examiner = await login(app, examinerUser);
    auditor = await login(app, await createUser(db, agency, { roles: ['auditor'] }));
    document = (await api().get('/api/docs-json').expect(200)).body as typeof document;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('documents a 2xx answer with a schema, a file type or no content, for every route', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const route = `${method.toUpperCase()} ${path}`;
        const successes = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
        const documented = successes.some(([status, response]) => {
          if (NO_CONTENT.includes(route)) return status === '204' && response.content === undefined;
          const file = FILES[route];
          if (file !== undefined) return response.content?.[file] !== undefined;
          return response.content?.['application/json']?.schema !== undefined;
        });
        if (!documented) missing.push(route);
        // Errors are problem+json, with its schema, on every route.
        expect(operation.responses.default?.content?.['application/problem+json']?.schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
    }
    expect(missing).toEqual([]);
    // The exception lists name real routes: a renamed route cannot hide in them.
    const routes = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(expect.arrayContaining([...Object.keys(FILES), ...NO_CONTENT]));
  });

  it('names the contracts as components a client generator can use', () => {
    const schemas = document.components.schemas as Json;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['ItemView', 'TransferView', 'HistoryEvent', 'HashRecordView', 'PartyRef', 'Problem']),
    );
    const item = document.paths['/api/v1/items/{id}'].get.responses['200'].content?.['application/json'].schema;
    expect(item).toEqual({ $ref: '#/components/schemas/ItemView' });
  });

  it('describes the real answers of the identity and case routes', async () => {
    const login = await api()
      .post('/api/v1/auth/login')
      .send({ username: examinerUser.username, password: examinerUser.password });
    conforms('post', '/api/v1/auth/login', login);
    conforms('get', '/api/v1/auth/me', await api().get('/api/v1/auth/me').set(bearer(login.body.accessToken)));

    const opened = await api()
      .post('/api/v1/cases')
      .set(bearer(officer))
      .send({ caseNumber: 'OP-OPENAPI-0', title: 'Cases' });
    conforms('post', '/api/v1/cases', opened);
    const caseId = opened.body.id as string;
    conforms('get', '/api/v1/cases/{id}', await api().get(`/api/v1/cases/${caseId}`).set(bearer(officer)));
    conforms('get', '/api/v1/cases', await api().get('/api/v1/cases').set(bearer(officer)));
    const share = await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'PT-OA', access: 'read' });
    conforms('post', '/api/v1/cases/{id}/shares', share);
    conforms(
      'get',
      '/api/v1/cases/{id}/shares',
      await api().get(`/api/v1/cases/${caseId}/shares`).set(bearer(officer)),
    );
    const closed = await api()
      .post(`/api/v1/cases/${caseId}/close`)
      .set(bearer(officer))
      .send({ reason: 'Proceedings ended' });
    conforms('post', '/api/v1/cases/{id}/close', closed);
    expect(closed.body.status).toBe('closed');
  });

  it('describes the real answers of the custody routes', async () => {
    const caseId = (
      await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'OP-OPENAPI-1', title: 'Contracts' })
    ).body.id as string;

    const seizure = await api()
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(officer))
      .send({ items: [phone({ sealNumber: 'S-OA-1' }), hardDrive()] });
    conforms('post', '/api/v1/cases/{id}/items', seizure);
    const [item, drive] = seizure.body.items as ItemView[];

    conforms('get', '/api/v1/items/{id}', await api().get(`/api/v1/items/${item.id}`).set(bearer(officer)));
    conforms('get', '/api/v1/items', await api().get('/api/v1/items?limit=1').set(bearer(officer)));

    const hashes = await api()
      .post(`/api/v1/items/${drive.id}/hashes`)
      .set(bearer(officer))
      .send({
        target: 'device',
        hashes: [{ algorithm: 'sha256', value: 'ab'.repeat(32) }],
        tool: 'Guymager',
        toolVersion: '0.8.13',
        occurredAt: '2026-11-20T11:02:00+01:00',
        signature: signature('acquired'),
      });
    conforms('post', '/api/v1/items/{id}/hashes', hashes);
    conforms(
      'get',
      '/api/v1/items/{id}/hashes',
      await api().get(`/api/v1/items/${drive.id}/hashes`).set(bearer(officer)),
    );

    const moved = await api()
      .post(`/api/v1/items/${item.id}/location`)
      .set(bearer(officer))
      .send({ location: 'Madrid/HQ/Room 2/Shelf B' });
    conforms('post', '/api/v1/items/{id}/location', moved);

    const released = await api()
      .post('/api/v1/transfers')
      .set(bearer(officer))
      .send({
        itemIds: [item.id],
        to: examiner.user.username,
        purpose: 'Extraction',
        signature: signature('released'),
      });
    conforms('post', '/api/v1/transfers', released);
    const transfer = released.body as TransferView;
    const accepted = await api()
      .post(`/api/v1/transfers/${transfer.id}/accept`)
      .set(bearer(examiner))
      .send({ items: [{ itemId: item.id, sealIntact: true }], signature: signature('received') });
    conforms('post', '/api/v1/transfers/{id}/accept', accepted);
    conforms('get', '/api/v1/transfers/{id}', await api().get(`/api/v1/transfers/${transfer.id}`).set(bearer(officer)));
    conforms('get', '/api/v1/transfers', await api().get('/api/v1/transfers?direction=incoming').set(bearer(examiner)));

    const history = await api().get(`/api/v1/items/${item.id}/history`).set(bearer(examiner));
    conforms('get', '/api/v1/items/{id}/history', history);
    expect((history.body as { events: unknown[] }).events.length).toBeGreaterThanOrEqual(4);
  });

  it('describes the real answers of the ledger routes', async () => {
    conforms('get', '/health', await api().get('/health'));
    conforms('get', '/health/ready', await api().get('/health/ready'));
    conforms('get', '/api/v1/ledger/public-key', await api().get('/api/v1/ledger/public-key'));
    // The ledger holds at least this case's entry and the seizure's.
    const caseId = (
      await api().post('/api/v1/cases').set(bearer(officer)).send({ caseNumber: 'OP-OPENAPI-2', title: 'Ledger' })
    ).body.id as string;
    await api()
      .post(`/api/v1/cases/${caseId}/items`)
      .set(bearer(officer))
      .send({ items: [phone()] })
      .expect(201);
    const signed = await api().post('/api/v1/ledger/checkpoints').set(bearer(auditor));
    conforms('post', '/api/v1/ledger/checkpoints', signed);
    const treeSize = signed.body.treeSize as number;
    expect(treeSize).toBeGreaterThan(1);
    conforms('get', '/api/v1/ledger/checkpoint', await api().get('/api/v1/ledger/checkpoint'));
    const entries = await api().get(`/api/v1/ledger/entries?from=0&to=${treeSize}`).set(bearer(auditor));
    conforms('get', '/api/v1/ledger/entries', entries);
    expect(entries.body.entries).toHaveLength(treeSize);
    conforms(
      'get',
      '/api/v1/ledger/proofs/inclusion',
      await api().get(`/api/v1/ledger/proofs/inclusion?index=1&treeSize=${treeSize}`).set(bearer(officer)),
    );
    conforms(
      'get',
      '/api/v1/ledger/proofs/consistency',
      await api().get(`/api/v1/ledger/proofs/consistency?from=1&to=${treeSize}`).set(bearer(officer)),
    );
    conforms('get', '/api/v1/ledger/status', await api().get('/api/v1/ledger/status').set(bearer(officer)));
    conforms(
      'get',
      '/api/v1/ledger/verifications',
      await api().get('/api/v1/ledger/verifications').set(bearer(auditor)),
    );
    conforms('get', '/api/v1/access-log', await api().get('/api/v1/access-log?limit=5').set(bearer(auditor)));
  });
});
