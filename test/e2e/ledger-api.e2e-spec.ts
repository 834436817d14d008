import type { NestExpressApplication } from '@nestjs/platform-express';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import { leafHash, openCheckpoint, verifyConsistency, verifyInclusion } from '../../src/ledger/core/index.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { createCase } from '../factories/case.factory.js';
import { bearer, createAgency, createUser, login } from '../factories/identity.factory.js';
import { appendEntries } from '../utils/ledger-fixtures.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const b64 = (text: string): Buffer => Buffer.from(text, 'base64');

describe('ledger API', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  // Every route is behind the global AccessGuard (deny by default): the ledger is read as an auditor.
  let auth: { Authorization: string };
  const api = {
    get: (path: string): request.Test => request(app.getHttpServer()).get(path).set(auth),
    post: (path: string): request.Test => request(app.getHttpServer()).post(path).set(auth),
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    const dataSource = app.get<DataSource>(getDataSourceToken());
    const agency = await createAgency(dataSource);
    // Entry 0 opens a case of the auditor's agency; entries 1–20 name no case (ADR 0015: withheld).
    await createCase(dataSource, agency.id, (await createUser(dataSource, agency, { roles: ['officer'] })).id);
    await appendEntries(dataSource, app.get(LedgerService), 20, 1);
    auth = bearer(await login(app, await createUser(dataSource, agency, { roles: ['auditor'] })));
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('publishes the verifier key in the Go note vkey format', async () => {
    const { body } = await api.get('/api/v1/ledger/public-key').expect(200);
    expect(body).toMatchObject({
      origin: 'test.custos.invalid/ledger',
      keyName: 'test.custos.invalid/ledger',
      algorithm: 'Ed25519',
    });
    expect(body.vkey).toMatch(/^test\.custos\.invalid\/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(body.vkey.split('+')[1]).toBe(body.keyId);
  });

  it('signs a checkpoint on demand and serves the latest one, verifiable with the vkey', async () => {
    const { body: key } = await api.get('/api/v1/ledger/public-key');
    const created = await api.post('/api/v1/ledger/checkpoints').expect(201);
    expect(created.body.treeSize).toBe(21);
    const { body } = await api.get('/api/v1/ledger/checkpoint').expect(200);
    expect(body).toEqual(created.body);
    const opened = openCheckpoint(body.note, [key.vkey], { origin: key.origin });
    expect(opened.treeSize).toBe(21);
    expect(opened.rootHash.toString('base64')).toBe(body.rootHash);
    await api.get('/api/v1/ledger/checkpoint?treeSize=20').expect(404);
  });

  it('serves entries as the exact bytes that were hashed, and the others as leaf hashes', async () => {
    const { body } = await api.get('/api/v1/ledger/entries?from=0&to=9').expect(200);
    expect(body.treeSize).toBe(21);
    expect(body.entries.map((e: { index: number }) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const [readable, ...withheld] = body.entries;
    const bytes = b64(readable.entryBase64);
    expect(bytes.toString('utf8')).toBe(readable.entry);
    expect(leafHash(bytes).toString('base64')).toBe(readable.leafHash);
    expect(JSON.parse(readable.entry)).toMatchObject({ index: 0, type: 'case.opened' });
    const stored = await app.get(LedgerService).entries(1, 9);
    expect(withheld).toEqual(
      stored.map((e) => ({ index: e.index, leafHash: e.leafHash.toString('base64'), withheld: true })),
    );
  });

  it('serves inclusion proofs that verify against the checkpoint root', async () => {
    const { body: checkpoint } = await api.get('/api/v1/ledger/checkpoint');
    for (const index of [0, 7, 20]) {
      const { body } = await api.get(`/api/v1/ledger/proofs/inclusion?index=${index}`).expect(200);
      expect(body).toMatchObject({ index, treeSize: 21, rootHash: checkpoint.rootHash });
      expect(() =>
        verifyInclusion(b64(body.leafHash), index, 21, body.proof.map(b64), b64(checkpoint.rootHash)),
      ).not.toThrow();
    }
  });

  it('serves consistency proofs between two sizes', async () => {
    const { body } = await api.get('/api/v1/ledger/proofs/consistency?from=8&to=21').expect(200);
    expect(() =>
      verifyConsistency(8, 21, body.proof.map(b64), b64(body.fromRootHash), b64(body.toRootHash)),
    ).not.toThrow();
  });

  it('publishes the public key and the latest checkpoint without an account, for witnesses', async () => {
    await request(app.getHttpServer()).get('/api/v1/ledger/public-key').expect(200);
    const { body } = await request(app.getHttpServer()).get('/api/v1/ledger/checkpoint').expect(200);
    expect(body.note).toContain('test.custos.invalid/ledger\n');
  });

  it('keeps entries to auditors and proofs to signed-in users', async () => {
    const dataSource = app.get<DataSource>(getDataSourceToken());
    const agency = await createAgency(dataSource);
    for (const role of ['officer', 'clerk', 'examiner', 'prosecutor'] as const) {
      const user = bearer(await login(app, await createUser(dataSource, agency, { roles: [role] })));
      const refused = await request(app.getHttpServer())
        .get('/api/v1/ledger/entries?from=0&to=5')
        .set(user)
        .expect(403);
      expect(refused.body.code).toBe('role_forbidden');
      await request(app.getHttpServer()).post('/api/v1/ledger/checkpoints').set(user).expect(403);
      await request(app.getHttpServer()).get('/api/v1/ledger/proofs/inclusion?index=0').set(user).expect(200);
    }
    await request(app.getHttpServer()).get('/api/v1/ledger/entries?from=0&to=5').expect(401);
    await request(app.getHttpServer()).get('/api/v1/ledger/proofs/inclusion?index=0').expect(401);
    await request(app.getHttpServer()).post('/api/v1/ledger/checkpoints').expect(401);
  });

  it.each([
    ['/api/v1/ledger/entries?from=10&to=5', 'ledger_range_invalid'],
    ['/api/v1/ledger/entries?from=0&to=5000', 'ledger_range_invalid'],
    ['/api/v1/ledger/entries?from=abc&to=5', 'validation_failed'],
    ['/api/v1/ledger/entries?from=-1&to=5', 'validation_failed'],
    ['/api/v1/ledger/proofs/inclusion?index=21&treeSize=21', 'ledger_range_invalid'],
    ['/api/v1/ledger/proofs/inclusion?index=0&treeSize=22', 'ledger_range_invalid'],
    ['/api/v1/ledger/proofs/consistency?from=9&to=8', 'ledger_range_invalid'],
    ['/api/v1/ledger/proofs/inclusion?index=1.5', 'validation_failed'],
    ['/api/v1/ledger/entries?from=0&to=5&extra=1', 'validation_failed'],
  ])('refuses %s with a 400 problem', async (path, code) => {
    const { body } = await api
      .get(path)
      .expect(400)
      .expect('Content-Type', /problem\+json/);
    expect(body.code).toBe(code);
  });
});
