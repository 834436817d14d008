import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { addSignatureLines, formatAddCheckpointRequest, verifyCosignatures } from '../../src/ledger/core/index.js';
import { loadOrCreateWitnessKey } from '../../src/witness/witness-key.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';
import { ToyLog } from '../utils/witness-fixtures.js';

const ROUTE = '/api/v1/witness/add-checkpoint';

/**
 * The in-service witness: another agency's log (WITNESS_LOGS) gets its checkpoints cosigned under
 * /api/v1/witness/add-checkpoint, with the state in the database shared by every process.
 */
describe('in-service witness', () => {
  const partner = new ToyLog('custos.pfa.example/ledger');
  let database: TestDatabase;
  let dir: string;
  let apps: NestExpressApplication[];
  let vkey: string;

  const post = (app: NestExpressApplication, body: string | Buffer) =>
    request(app.getHttpServer()).post(ROUTE).set('Content-Type', 'text/plain').send(body);

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'custos-witness-e2e-'));
    const env = {
      WITNESS_LOGS: `${partner.origin}=${partner.keys.verifierKey}`,
      WITNESS_KEY_FILE: join(dir, 'witness.key'),
      WITNESS_NAME: 'custos.gc.example/witness',
    };
    // Two processes of one deployment: one key file, one database.
    apps = [
      await createTestApp({ databaseUrl: database.appUrl, env }),
      await createTestApp({ databaseUrl: database.appUrl, env }),
    ];
    vkey = loadOrCreateWitnessKey(env.WITNESS_KEY_FILE, env.WITNESS_NAME, () => undefined).verifierKey;
  }, 60_000);

  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.close()));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cosigns a listed log without a login, with the key in WITNESS_KEY_FILE (0600)', async () => {
    const response = await post(apps[0], partner.request(0, 4)).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(verifyCosignatures(addSignatureLines(partner.checkpoint(4), response.text), [vkey])).toHaveLength(1);
    expect(statSync(join(dir, 'witness.key')).mode & 0o777).toBe(0o600);
  });

  it('shares its state between processes: the other one answers 409 with the size', async () => {
    const response = await post(apps[1], partner.request(0, 9)).expect(409);
    expect(response.headers['content-type']).toBe('text/x.tlog.size');
    expect(response.text).toBe('4\n');
    await post(apps[1], partner.request(4, 9)).expect(200);
  });

  it('lets only one of 20 concurrent requests through two processes win', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(apps[i % 2], partner.request(9, 10 + i))),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
  });

  it('refuses bad input with problem+json and changes nothing', async () => {
    const before = (await sql(database.ownerUrl, 'SELECT tree_size, root_hash FROM witness_log')).rows;
    const held = Number(before[0].tree_size);
    const stranger = new ToyLog('elsewhere.example/log');
    const proof = partner.proof(held, held + 5);
    const cases: [string | Buffer, number][] = [
      ['old 0\n\nnot a checkpoint\n', 400],
      [stranger.request(0, 2), 404],
      [new ToyLog(partner.origin).request(held, held + 5), 403],
      [formatAddCheckpointRequest(held, proof.slice(1), partner.checkpoint(held + 5)), 422],
      [new ToyLog(partner.origin, 'forked', partner.keys).request(held, held), 409],
      [Buffer.alloc(70 * 1024, 0x41), 413],
    ];
    for (const [body, status] of cases) {
      const response = await post(apps[0], body);
      expect(response.status).toBe(status);
      if (status !== 409) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await sql(database.ownerUrl, 'SELECT tree_size, root_hash FROM witness_log')).rows).toEqual(before);
  });

  it('keeps the witness state moving forward only, whoever writes', async () => {
    await expect(sql(database.appUrl, 'UPDATE witness_log SET tree_size = 1')).rejects.toThrow(/only moves forward/);
    await expect(sql(database.appUrl, 'DELETE FROM witness_log')).rejects.toThrow();
  });
});
