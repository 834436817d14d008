import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { parseVerifierKey, verifyConsistency } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey } from '../../src/ledger/ledger-key.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const run = promisify(execFile);
const WORKER = resolve(process.cwd(), 'test/utils/ledger-append-worker.mjs');

// Four service processes appending to one database at once, each with several connections.
describe('ledger under concurrent appends from several processes', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('4 processes × 500 appends → 2,000 gapless entries, one tree, every checkpoint consistent with the next', async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'custos-key-')), 'ledger.key');
    const key = loadOrCreateLedgerKey(keyFile, 'test.custos.invalid/ledger', { warn: () => undefined });
    await Promise.all(
      [0, 1, 2, 3].map((worker) =>
        run(process.execPath, [WORKER, database.appUrl, keyFile, String(worker), '500', '4']),
      ),
    );

    const client = new pg.Client({ connectionString: database.appUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number; min: number; max: number; workers: number }>(
        `SELECT count(*)::int AS n, min(idx)::int AS min, max(idx)::int AS max, count(DISTINCT subject_id)::int AS workers FROM ledger_entry`,
      );
      expect(rows[0]).toEqual({ n: 2000, min: 0, max: 1999, workers: 4 });
      // Every worker's appends are all there, each exactly once.
      const perWorker = await client.query<{ subject_id: string; n: number; distinct_n: number }>(
        `SELECT subject_id, count(*)::int AS n, count(DISTINCT convert_from(entry, 'UTF8')::jsonb -> 'data' ->> 'n')::int AS distinct_n
           FROM ledger_entry GROUP BY subject_id ORDER BY subject_id`,
      );
      expect(perWorker.rows).toEqual(['0', '1', '2', '3'].map((w) => ({ subject_id: w, n: 500, distinct_n: 500 })));

      const result = await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(key.verifierKey)] });
      expect(result).toMatchObject({ ok: true, treeSize: 2000 });

      const checkpoints = await client.query<{ tree_size: string; root_hash: Buffer }>(
        'SELECT tree_size, root_hash FROM ledger_checkpoint ORDER BY tree_size',
      );
      expect(checkpoints.rows.length).toBeGreaterThanOrEqual(5);
      expect(Number(checkpoints.rows[checkpoints.rows.length - 1].tree_size)).toBe(2000);
      for (let i = 1; i < checkpoints.rows.length; i++) {
        const [a, b] = [checkpoints.rows[i - 1], checkpoints.rows[i]];
        const proof = await consistencyProofFromDatabase(client, Number(a.tree_size), Number(b.tree_size));
        expect(() =>
          verifyConsistency(Number(a.tree_size), Number(b.tree_size), proof, a.root_hash, b.root_hash),
        ).not.toThrow();
      }
    } finally {
      await client.end();
    }
  }, 120_000);
});

async function consistencyProofFromDatabase(client: pg.Client, from: number, to: number): Promise<Buffer[]> {
  const { consistencyProofAsync } = await import('../../src/ledger/core/index.js');
  return consistencyProofAsync(from, to, async (ids) => {
    const hashes: Buffer[] = [];
    for (const { level, index } of ids) {
      const { rows } =
        level === 0
          ? await client.query<{ hash: Buffer }>('SELECT leaf_hash AS hash FROM ledger_entry WHERE idx = $1', [index])
          : await client.query<{ hash: Buffer }>('SELECT hash FROM ledger_node WHERE level = $1 AND idx = $2', [
              level,
              index,
            ]);
      hashes.push(rows[0].hash);
    }
    return hashes;
  });
}

describe('verifying a live ledger', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('verifies a consistent snapshot while another process appends in the middle of the run', async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'custos-key-')), 'ledger.key');
    const key = loadOrCreateLedgerKey(keyFile, 'test.custos.invalid/ledger', { warn: () => undefined });
    await run(process.execPath, [WORKER, database.appUrl, keyFile, '0', '300', '2']);
    const client = new pg.Client({ connectionString: database.appUrl });
    await client.connect();
    try {
      let appendedDuringRun = false;
      const during = await verifyLedger(database.appUrl, {
        trustedKeys: [parseVerifierKey(key.verifierKey)],
        progressEvery: 50,
        onProgress: async () => {
          if (appendedDuringRun) return;
          appendedDuringRun = true;
          await run(process.execPath, [WORKER, database.appUrl, keyFile, '1', '200', '2']);
        },
      });
      expect(appendedDuringRun).toBe(true);
      expect(during).toMatchObject({ ok: true, treeSize: 300 });
      expect(await verifyLedger(database.appUrl, { trustedKeys: [parseVerifierKey(key.verifierKey)] })).toMatchObject({
        ok: true,
        treeSize: 500,
      });
    } finally {
      await client.end();
    }
  }, 120_000);
});
