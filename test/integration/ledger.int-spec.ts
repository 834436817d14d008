import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DataSource, type EntityManager } from 'typeorm';

import type { AppConfig } from '../../src/config/config.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { CheckpointService } from '../../src/ledger/checkpoint.service.js';
import { eventHash, type LedgerEntry } from '../../src/ledger/core/entry.js';
import {
  canonicalBytes,
  leafHash,
  openCheckpoint,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey, type LedgerKey } from '../../src/ledger/ledger-key.js';
import { LedgerService, type BatchKind } from '../../src/ledger/ledger.service.js';
import { appendEntries, TEST_CONTEXT, testEvent } from '../utils/ledger-fixtures.js';
import { createTestDatabase, sql, type TestDatabase } from '../utils/test-database.js';

const ORIGIN = 'test.custos.invalid/ledger';

describe('ledger: append, tree state, proofs and checkpoints on PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let ledger: LedgerService;
  let checkpoints: CheckpointService;
  let key: LedgerKey;
  let keyDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions({ url: database.appUrl, poolSize: 4 }));
    await dataSource.initialize();
    ledger = new LedgerService(dataSource);
    keyDir = mkdtempSync(join(tmpdir(), 'custos-key-'));
    key = loadOrCreateLedgerKey(join(keyDir, 'ledger.key'), ORIGIN, {
      warn: () => undefined,
    });
    checkpoints = new CheckpointService(dataSource, ledger, key, {
      ledgerOrigin: ORIGIN,
      ledgerCheckpointSeconds: 3600,
      ledgerSignedHeadFile: join(keyDir, 'ledger-signed-head.json'),
    } as AppConfig);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('starts empty, with the RFC 6962 empty root', async () => {
    const head = await ledger.treeHead();
    expect(head.treeSize).toBe(0);
    expect(head.rootHash.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('refuses to append outside LedgerService.write (no transaction, or one without the durability barrier)', async () => {
    await expect(ledger.append(dataSource.manager, TEST_CONTEXT, testEvent(0))).rejects.toThrow(
      /inside LedgerService.write/,
    );
    await expect(dataSource.transaction((em) => ledger.append(em, TEST_CONTEXT, testEvent(0)))).rejects.toThrow(
      /inside LedgerService.write/,
    );
    expect((await ledger.treeHead()).treeSize).toBe(0);
  });

  it('writes nothing when the transaction that appended rolls back', async () => {
    await expect(
      ledger.write(async (em) => {
        await ledger.append(em, TEST_CONTEXT, testEvent(0));
        throw new Error('custody rule failed after the append');
      }),
    ).rejects.toThrow('custody rule failed');
    expect((await ledger.treeHead()).treeSize).toBe(0);
    expect((await sql(database.appUrl, 'SELECT count(*)::int AS n FROM ledger_entry')).rows[0].n).toBe(0);
  });

  it('assigns gapless indexes, stores canonical bytes exactly as hashed, and keeps the root current', async () => {
    const appended = await appendEntries(dataSource, ledger, 37);
    expect(appended.map((a) => a.index)).toEqual([...Array(37).keys()]);
    const stored = await ledger.entries(0, 37);
    for (const [i, row] of stored.entries()) {
      expect(row.index).toBe(i);
      const entry = JSON.parse(row.bytes.toString('utf8'));
      expect(entry).toMatchObject({ v: 1, index: i, type: 'test.recorded', subject: { type: 'item' }, signatures: [] });
      expect(canonicalBytes(entry).equals(row.bytes)).toBe(true);
      expect(leafHash(row.bytes).equals(row.leafHash)).toBe(true);
    }
    const head = await ledger.treeHead();
    expect(head.treeSize).toBe(37);
    expect(head.rootHash.equals(rootFromLeafHashes(stored.map((s) => s.leafHash)))).toBe(true);
    const times = stored.map((s) => JSON.parse(s.bytes.toString('utf8')).recordedAt as string);
    expect([...times].sort()).toEqual(times);
  });

  it('appends a batch under one lock, all or nothing', async () => {
    const before = (await ledger.treeHead()).treeSize;
    const batch = await ledger.write((em) =>
      ledger.appendMany(
        em,
        TEST_CONTEXT,
        Array.from({ length: 200 }, (_, i) => testEvent(1000 + i)),
      ),
    );
    expect(batch.map((a) => a.index)).toEqual(Array.from({ length: 200 }, (_, i) => before + i));
    expect((await ledger.treeHead()).treeSize).toBe(before + 200);
  });

  it('keeps signatures bound to the entry they sign', async () => {
    const event = testEvent(5000, { type: 'transfer.released' });
    const signature = {
      signerId: 'u-1',
      username: 'officer.garcia',
      printedName: 'Ana García',
      agency: 'ES-PN',
      role: 'officer',
      meaning: 'released',
      signedAt: new Date().toISOString(),
      eventHash: eventHash(event),
    };
    const appended = await ledger.write((em) => ledger.append(em, TEST_CONTEXT, { ...event, signatures: [signature] }));
    expect(appended.entry.signatures).toEqual([signature]);
    expect(eventHash(appended.entry)).toBe(signature.eventHash);
  });

  it('proves inclusion of every entry and consistency between any two sizes, from stored nodes', async () => {
    const { treeSize } = await ledger.treeHead();
    const leaves = (await ledger.entries(0, treeSize)).map((e) => e.leafHash);
    for (const size of [1, 2, 3, 7, 8, 31, 32, 33, 100, treeSize]) {
      const root = rootFromLeafHashes(leaves.slice(0, size));
      expect((await ledger.rootAt(size)).equals(root)).toBe(true);
      for (const index of new Set([0, Math.floor(size / 2), size - 1])) {
        const proof = await ledger.inclusionProof(index, size);
        expect(() => verifyInclusion(leaves[index], index, size, proof, root)).not.toThrow();
      }
      for (const from of [1, 2, 5, 16, size]) {
        if (from > size) continue;
        const proof = await ledger.consistencyProof(from, size);
        expect(() =>
          verifyConsistency(from, size, proof, rootFromLeafHashes(leaves.slice(0, from)), root),
        ).not.toThrow();
      }
    }
    await expect(ledger.inclusionProof(0, treeSize + 1)).rejects.toThrow(/beyond the ledger's current size/);
    await expect(ledger.inclusionProof(treeSize, treeSize)).rejects.toThrow(/not below tree size/);
  });

  it('signs C2SP checkpoints verifiable with the published vkey, once per tree size', async () => {
    const first = await checkpoints.checkpointNow();
    const head = await ledger.treeHead();
    expect(first.treeSize).toBe(head.treeSize);
    const opened = openCheckpoint(first.note, [key.verifierKey], { origin: ORIGIN });
    expect(opened.treeSize).toBe(head.treeSize);
    expect(opened.rootHash.equals(head.rootHash)).toBe(true);
    expect(first.note).toMatch(
      new RegExp(`^${ORIGIN}\\n${head.treeSize}\\n[A-Za-z0-9+/=]{44}\\n\\n— ${ORIGIN} [A-Za-z0-9+/=]+\\n$`),
    );
    expect(await checkpoints.checkpointIfGrown()).toBeUndefined();
    expect((await checkpoints.checkpointNow()).note).toBe(first.note);

    await appendEntries(dataSource, ledger, 3, 9000);
    const second = await checkpoints.checkpointIfGrown();
    expect(second?.treeSize).toBe(head.treeSize + 3);
    const proof = await ledger.consistencyProof(first.treeSize, second!.treeSize);
    expect(() =>
      verifyConsistency(first.treeSize, second!.treeSize, proof, first.rootHash, second!.rootHash),
    ).not.toThrow();
    expect((await sql(database.appUrl, 'SELECT count(*)::int AS n FROM ledger_checkpoint')).rows[0].n).toBe(2);
  });

  it('runs concurrent writes as one group: a failing unit is rolled back alone, the others keep gapless indexes', async () => {
    const before = (await ledger.treeHead()).treeSize;
    const outcomes = await Promise.allSettled([
      ledger.write((em) => ledger.append(em, TEST_CONTEXT, testEvent(7001))),
      ledger.write(async (em) => {
        await ledger.append(em, TEST_CONTEXT, testEvent(7002));
        await em.query('SELECT 1/0'); // a database error after the append
      }),
      ledger.write(async (em) => {
        await ledger.append(em, TEST_CONTEXT, testEvent(7003));
        throw new Error('custody rule refused after the append');
      }),
      ledger.write((em) => ledger.appendMany(em, TEST_CONTEXT, [testEvent(7004), testEvent(7005)])),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    const first = (outcomes[0] as PromiseFulfilledResult<{ index: number }>).value;
    const last = (outcomes[3] as PromiseFulfilledResult<Array<{ index: number }>>).value;
    expect([first.index, ...last.map((a) => a.index)]).toEqual([before, before + 1, before + 2]);
    expect((await ledger.treeHead()).treeSize).toBe(before + 3);
    const subjects = (await ledger.entries(before, before + 3)).map(
      (e) => (JSON.parse(e.bytes.toString('utf8')) as LedgerEntry).subject.number,
    );
    expect(subjects).toEqual(['ES-PN-2026-007001', 'ES-PN-2026-007004', 'ES-PN-2026-007005']);
  });

  describe('batched changes (writeBatched)', () => {
    interface Plan {
      readonly n: number;
      readonly holds: boolean;
      readonly breaksWrite?: boolean;
    }
    const checked: number[][] = [];
    const written: number[][] = [];
    const kind: BatchKind<Plan> = {
      check: async (em, plans) => {
        await em.query('SELECT 1'); // in the group's transaction, like a real check's locks
        checked.push(plans.map((plan) => plan.n));
        return plans.map((plan) => plan.holds);
      },
      events: (plan) => [testEvent(plan.n)],
      write: async (em, batch) => {
        written.push(batch.map(({ plan }) => plan.n));
        if (batch.some(({ plan }) => plan.breaksWrite)) await em.query('SELECT 1/0');
      },
    };
    const subjectsFrom = async (from: number): Promise<Array<string | undefined>> => {
      const { treeSize } = await ledger.treeHead();
      return (await ledger.entries(from, treeSize)).map(
        (e) => (JSON.parse(e.bytes.toString('utf8')) as LedgerEntry).subject.number,
      );
    };
    const batched = (plan: Plan, fallback: (em: EntityManager) => Promise<string>): Promise<string> =>
      ledger.writeBatched(kind, plan, (entries) => `batch #${entries[0].index}`, fallback);
    const unitOfWork =
      (n: number) =>
      async (em: EntityManager): Promise<string> =>
        `unit #${(await ledger.append(em, TEST_CONTEXT, testEvent(n))).index}`;

    beforeEach(() => {
      checked.length = 0;
      written.length = 0;
    });

    it('checks every plan of a group with one call after its ordinary units, writes those that hold together, and runs the others’ units of work', async () => {
      const before = (await ledger.treeHead()).treeSize;
      const results = await Promise.all([
        ledger.write(unitOfWork(8001)), // alone in the first group: the queue is flushed at once
        batched({ n: 8002, holds: true }, unitOfWork(9002)),
        batched({ n: 8003, holds: false }, unitOfWork(9003)),
        batched({ n: 8004, holds: true }, unitOfWork(9004)),
        ledger.write(unitOfWork(8005)),
      ]);
      expect(checked).toEqual([[8002, 8003, 8004]]);
      expect(written).toEqual([[8002, 8004]]);
      // Order in the ledger: the first group; then the second group's ordinary unit, its batch, and
      // the unit of work of the plan that no longer held.
      expect(await subjectsFrom(before)).toEqual([
        'ES-PN-2026-008001',
        'ES-PN-2026-008005',
        'ES-PN-2026-008002',
        'ES-PN-2026-008004',
        'ES-PN-2026-009003',
      ]);
      expect(results).toEqual([
        `unit #${before}`,
        `batch #${before + 2}`,
        `unit #${before + 4}`,
        `batch #${before + 3}`,
        `unit #${before + 1}`,
      ]);
    });

    it('when writing a batch fails, writes none of it and runs each caller’s unit of work alone, gaplessly', async () => {
      const before = (await ledger.treeHead()).treeSize;
      const outcomes = await Promise.allSettled([
        ledger.write(unitOfWork(8101)),
        batched({ n: 8102, holds: true }, unitOfWork(9102)),
        batched({ n: 8103, holds: true, breaksWrite: true }, () => Promise.reject(new Error('refused on its own'))),
        batched({ n: 8104, holds: true }, unitOfWork(9104)),
      ]);
      expect(written).toEqual([[8102, 8103, 8104]]);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
        `unit #${before}`,
        `unit #${before + 1}`,
        'refused on its own',
        `unit #${before + 2}`,
      ]);
      expect(await subjectsFrom(before)).toEqual(['ES-PN-2026-008101', 'ES-PN-2026-009102', 'ES-PN-2026-009104']);
      expect((await sql(database.appUrl, 'SELECT count(*)::int AS n FROM ledger_entry')).rows[0].n).toBe(
        (await ledger.treeHead()).treeSize,
      );
    });
  });

  it('commits the appending transaction asynchronously and acknowledges only after the barrier', async () => {
    const seen: string[] = [];
    await ledger.write(async (em) => {
      await ledger.append(em, TEST_CONTEXT, testEvent(0));
      seen.push((await em.query<Array<{ s: string }>>("SELECT current_setting('synchronous_commit') AS s"))[0].s);
    });
    expect(seen).toEqual(['off']);
    // The setting was local to that transaction.
    expect(
      (await dataSource.query<Array<{ s: string }>>("SELECT current_setting('synchronous_commit') AS s"))[0].s,
    ).toBe('on');
  });

  it('signs a checkpoint by itself every LEDGER_CHECKPOINT_SECONDS while entries arrive, and none when idle', async () => {
    const scheduled = new CheckpointService(dataSource, ledger, key, {
      ledgerOrigin: ORIGIN,
      ledgerCheckpointSeconds: 1,
      ledgerSignedHeadFile: join(keyDir, 'ledger-signed-head.json'),
    } as AppConfig);
    scheduled.onApplicationBootstrap();
    try {
      await appendEntries(dataSource, ledger, 2, 8000);
      const { treeSize } = await ledger.treeHead();
      const deadline = Date.now() + 5_000;
      let latest = await checkpoints.latest();
      while (latest.treeSize < treeSize && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        latest = await checkpoints.latest();
      }
      expect(latest.treeSize).toBe(treeSize);
      const count = async (): Promise<number> =>
        (await sql(database.appUrl, 'SELECT count(*)::int AS n FROM ledger_checkpoint')).rows[0].n as number;
      const before = await count();
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      expect(await count()).toBe(before);
    } finally {
      await scheduled.onApplicationShutdown();
    }
  });

  describe('immutability in the database', () => {
    const tables = ['ledger_entry', 'ledger_node', 'ledger_checkpoint'];

    it.each(tables)('the service role may not UPDATE, DELETE or TRUNCATE %s', async (table) => {
      const column = table === 'ledger_node' ? 'hash' : table === 'ledger_entry' ? 'entry' : 'note';
      await expect(sql(database.appUrl, `UPDATE ${table} SET ${column} = ${column}`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(sql(database.appUrl, `DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
      await expect(sql(database.appUrl, `TRUNCATE ${table}`)).rejects.toThrow(/permission denied/);
    });

    it.each(tables)(
      'triggers refuse UPDATE, DELETE and TRUNCATE on %s even to the owner and a superuser',
      async (table) => {
        for (const url of [database.ownerUrl, database.adminUrl]) {
          const column = table === 'ledger_node' ? 'hash' : table === 'ledger_entry' ? 'entry' : 'note';
          await expect(sql(url, `UPDATE ${table} SET ${column} = ${column}`)).rejects.toThrow(
            /refused: the ledger is append-only/,
          );
          await expect(sql(url, `DELETE FROM ${table}`)).rejects.toThrow(/refused: the ledger is append-only/);
          // CASCADE: the strongest form (item_event refers to ledger_entry), refused all the same.
          await expect(sql(url, `TRUNCATE ${table} CASCADE`)).rejects.toThrow(/refused: the ledger is append-only/);
        }
      },
    );

    it('the service role may only advance the tree state, never insert or delete it', async () => {
      await expect(sql(database.appUrl, 'DELETE FROM ledger_state')).rejects.toThrow(/permission denied/);
      await expect(
        sql(database.appUrl, `INSERT INTO ledger_state VALUES (2, 0, sha256(''::bytea), '{}', now())`),
      ).rejects.toThrow(/permission denied/);
      await expect(sql(database.appUrl, 'UPDATE ledger_state SET id = 2')).rejects.toThrow(/permission denied/);
    });

    it('the tree state only advances: the service role cannot move it back or change the root of its size', async () => {
      await appendEntries(dataSource, ledger, 3, 800);
      const state = 'SELECT tree_size::int AS size, root_hash, frontier, updated_at FROM ledger_state';
      const before = (await sql(database.appUrl, state)).rows[0] as { size: number; updated_at: Date };
      expect(before.size).toBeGreaterThan(1);
      const attempts = [
        'UPDATE ledger_state SET tree_size = tree_size - 1',
        "UPDATE ledger_state SET tree_size = 0, root_hash = sha256(''::bytea), frontier = '{}'",
        "UPDATE ledger_state SET root_hash = sha256('forged'::bytea)",
        'UPDATE ledger_state SET frontier = frontier[1:1]',
        "UPDATE ledger_state SET updated_at = updated_at - interval '1 day'",
      ];
      for (const attempt of attempts) {
        await expect(sql(database.appUrl, attempt)).rejects.toThrow(/ledger_state may only advance/);
      }
      // The owner cannot do it by mistake either, nor delete the row.
      await expect(sql(database.ownerUrl, attempts[0])).rejects.toThrow(/ledger_state may only advance/);
      await expect(sql(database.ownerUrl, 'DELETE FROM ledger_state')).rejects.toThrow(/append-only/);
      expect((await sql(database.appUrl, state)).rows[0]).toEqual(before);
      // Appending still works, and advances it.
      const appended = await ledger.write((em) => ledger.append(em, TEST_CONTEXT, testEvent(900)));
      expect(appended.index).toBe(before.size);
      expect((await sql(database.appUrl, state)).rows[0]).toMatchObject({ size: before.size + 1 });
    });
  });
});
