import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { DataSource } from 'typeorm';

import type { AppConfig } from '../../src/config/config.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { CheckpointService } from '../../src/ledger/checkpoint.service.js';
import { generateNoteKeys, parseVerifierKey, signCheckpoint } from '../../src/ledger/core/index.js';
import { loadOrCreateLedgerKey, type LedgerKey } from '../../src/ledger/ledger-key.js';
import { verifyLedger, type VerifyResult } from '../../src/ledger/ledger-verifier.js';
import { LedgerService } from '../../src/ledger/ledger.service.js';
import { TEST_CONTEXT, testEvent } from '../utils/ledger-fixtures.js';
import { createTestDatabase, withClient, type TestDatabase } from '../utils/test-database.js';

const ORIGIN = 'test.custos.invalid/ledger';
const run = promisify(execFile);
const keyDir = mkdtempSync(join(tmpdir(), 'custos-key-'));
const key: LedgerKey = loadOrCreateLedgerKey(join(keyDir, 'ledger.key'), ORIGIN, {
  warn: () => undefined,
});

interface Ledger {
  database: TestDatabase;
  checkpointNotes: string[];
  /** Runs SQL as a superuser with triggers off: what a rogue administrator can do. */
  tamper(sql: string, params?: unknown[]): Promise<void>;
  verify(options?: { externalCheckpoints?: string[]; keys?: string[]; deep?: boolean }): Promise<VerifyResult>;
  close(): Promise<void>;
}

/** A ledger of 50 entries with signed checkpoints at sizes 20 and 50. */
async function ledgerOf50(): Promise<Ledger> {
  const database = await createTestDatabase();
  const dataSource = new DataSource(dataSourceOptions({ url: database.appUrl, poolSize: 2 }));
  await dataSource.initialize();
  const ledger = new LedgerService(dataSource);
  const checkpoints = new CheckpointService(dataSource, ledger, key, {
    ledgerOrigin: ORIGIN,
    ledgerCheckpointSeconds: 3600,
    // One signer record per ledger: these ledgers are independent logs sharing a key.
    ledgerSignedHeadFile: join(keyDir, `ledger-signed-head-${database.name}.json`),
  } as AppConfig);
  const checkpointNotes: string[] = [];
  for (let n = 0; n < 50; n++) {
    await ledger.write((em) => ledger.append(em, TEST_CONTEXT, testEvent(n)));
    if (n === 19 || n === 49) checkpointNotes.push((await checkpoints.checkpointNow()).note);
  }
  await dataSource.destroy();
  return {
    database,
    checkpointNotes,
    tamper: (sql, params = []) =>
      withClient(database.adminUrl, async (client) => {
        await client.query('BEGIN');
        await client.query('SET LOCAL session_replication_role = replica'); // triggers off
        await client.query(sql, params);
        await client.query('COMMIT');
      }),
    verify: (options = {}) =>
      verifyLedger(database.appUrl, {
        trustedKeys: (options.keys ?? [key.verifierKey]).map((k) => parseVerifierKey(k)),
        externalCheckpoints: options.externalCheckpoints,
        deep: options.deep ?? true,
      }),
    close: () => database.drop(),
  };
}

describe('custos ledger verify catches tampering that triggers cannot stop', () => {
  let ledger: Ledger;

  afterEach(async () => {
    await ledger?.close();
  });

  it('passes on an untouched ledger, checking every checkpoint, in both modes', async () => {
    ledger = await ledgerOf50();
    const result = await ledger.verify({ externalCheckpoints: ledger.checkpointNotes });
    expect(result).toMatchObject({ ok: true, treeSize: 50, checkpoints: 2 });
    expect(await ledger.verify({ deep: false })).toMatchObject({ ok: true, treeSize: 50, checkpoints: 2 });
  });

  it('an entry rewritten in non-canonical form with its hashes recomputed is caught by --deep', async () => {
    ledger = await ledgerOf50();
    // Same JSON value, other bytes (a space after the first brace): every hash above it changes too,
    // so the checkpoints catch it in any mode; --deep names the cause.
    await ledger.tamper(
      `UPDATE ledger_entry SET entry = convert_to('{ ' || substr(convert_from(entry, 'UTF8'), 2), 'UTF8') WHERE idx = 45`,
    );
    await ledger.tamper(`UPDATE ledger_entry SET leaf_hash = sha256('\\x00'::bytea || entry) WHERE idx = 45`);
    expect(await ledger.verify()).toEqual({
      ok: false,
      index: 45,
      reason: 'entry 45 is not in canonical (RFC 8785) form',
    });
  });

  it('one byte of one entry changed', async () => {
    ledger = await ledgerOf50();
    await ledger.tamper(
      `UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'Phone 7', 'Phone 8'), 'UTF8') WHERE idx = 7`,
    );
    expect(await ledger.verify()).toEqual({
      ok: false,
      index: 7,
      reason: 'entry 7: its bytes do not hash to its stored leaf hash',
    });
  });

  it('one entry changed with its leaf hash recomputed', async () => {
    ledger = await ledgerOf50();
    await ledger.tamper(`
      UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'SEAL-7"', 'SEAL-X"'), 'UTF8') WHERE idx = 7;
      UPDATE ledger_entry SET leaf_hash = sha256('\\x00'::bytea || entry) WHERE idx = 7`);
    const result = await ledger.verify();
    expect(result).toMatchObject({ ok: false, index: 7 });
    expect((result as { reason: string }).reason).toMatch(
      /tree node \(level 1, index 3\) does not match the entries below it/,
    );
  });

  it('an entry deleted', async () => {
    ledger = await ledgerOf50();
    await ledger.tamper('DELETE FROM ledger_entry WHERE idx = 12');
    expect(await ledger.verify()).toEqual({
      ok: false,
      index: 12,
      reason: 'entry 12 is missing (next stored index is 13)',
    });
  });

  it('two entries swapped', async () => {
    ledger = await ledgerOf50();
    await ledger.tamper(`
      UPDATE ledger_entry SET idx = 1000000 WHERE idx = 3;
      UPDATE ledger_entry SET idx = 3 WHERE idx = 4;
      UPDATE ledger_entry SET idx = 4 WHERE idx = 1000000`);
    expect(await ledger.verify()).toEqual({
      ok: false,
      index: 3,
      reason: 'entry stored at index 3 says its index is 4',
    });
    // Without --deep the tree itself gives the swap away at the same place.
    expect(await ledger.verify({ deep: false })).toMatchObject({ ok: false, index: 3 });
  });

  it('the tail truncated, state and checkpoints cut back with it: caught by the checkpoint held outside', async () => {
    ledger = await ledgerOf50();
    await ledger.tamper(`
      DELETE FROM ledger_entry WHERE idx >= 30;
      DELETE FROM ledger_node WHERE (idx + 1) * (1::bigint << level) > 30;
      DELETE FROM ledger_checkpoint WHERE tree_size > 30`);
    // Without the state row matching, the database alone already disagrees with itself.
    const inDatabase = await ledger.verify();
    expect(inDatabase).toMatchObject({ ok: false, index: 30 });
    expect((inDatabase as { reason: string }).reason).toMatch(
      /the ledger state says 50 entries but 30 consecutive entries are stored/,
    );
    // A careful attacker fixes the state row too (recomputed from the kept entries)...
    await withClient(ledger.database.adminUrl, async (client) => {
      const { rows } = await client.query('SELECT leaf_hash FROM ledger_entry ORDER BY idx');
      const { CompactRange } = await import('../../src/ledger/core/index.js');
      const range = new CompactRange();
      for (const row of rows) range.append(row.leaf_hash as Buffer);
      // The state may only advance (a trigger): a superuser turns triggers off to move it back.
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query('UPDATE ledger_state SET tree_size = 30, root_hash = $1, frontier = $2', [
        range.root(),
        range.frontier,
      ]);
      await client.query('COMMIT');
    });
    // ...and the database is then self-consistent, but the court's checkpoint of size 50 is not in it.
    const external = await ledger.verify({ externalCheckpoints: ledger.checkpointNotes });
    expect(external).toEqual({
      ok: false,
      index: 30,
      reason: 'external checkpoint #2 (size 50) is beyond the 30 stored entries: the ledger was truncated',
    });
  });

  it('the tail truncated but the signed checkpoint left in place', async () => {
    ledger = await ledgerOf50();
    await ledger.tamper(`DELETE FROM ledger_entry WHERE idx >= 40`);
    const result = await ledger.verify();
    expect(result).toMatchObject({ ok: false, index: 40 });
  });

  it('the whole table rewritten with a recomputed tree: caught by the checkpoint signatures', async () => {
    ledger = await ledgerOf50();
    // Rebuild every table from altered history, exactly as the service would have written it.
    await ledger.tamper('DELETE FROM ledger_entry; DELETE FROM ledger_node');
    await ledger.tamper(`UPDATE ledger_state SET tree_size = 0, root_hash = sha256(''::bytea), frontier = '{}'`);
    const dataSource = new DataSource(dataSourceOptions({ url: ledger.database.adminUrl, poolSize: 1 }));
    await dataSource.initialize();
    const forger = new LedgerService(dataSource);
    for (let n = 0; n < 50; n++) {
      const event =
        n === 10
          ? testEvent(n, { data: { kind: 'mobile_phone', description: 'Phone 10', seal: 'SEAL-FORGED' } })
          : testEvent(n);
      await forger.write((em) => forger.append(em, TEST_CONTEXT, event));
    }
    await dataSource.destroy();
    const result = await ledger.verify();
    expect(result).toMatchObject({ ok: false, index: 19 });
    expect((result as { reason: string }).reason).toMatch(
      /checkpoint at size 20 \(signed\) does not match the tree the entries form/,
    );

    // Re-signing the checkpoints needs the key; a key of the forger's own is not trusted.
    const forgerKeys = generateNoteKeys(ORIGIN);
    const head = await withClient(ledger.database.adminUrl, (c) => c.query('SELECT root_hash FROM ledger_state'));
    const forged = signCheckpoint(
      { origin: ORIGIN, treeSize: 50, rootHash: head.rows[0].root_hash as Buffer },
      forgerKeys.signerKey,
    );
    await ledger.tamper('DELETE FROM ledger_checkpoint');
    await ledger.tamper(
      `INSERT INTO ledger_checkpoint (tree_size, root_hash, origin, key_name, key_id, note) VALUES (50, $1, $2, $2, 'ffffffff', $3)`,
      [head.rows[0].root_hash, ORIGIN, forged],
    );
    const resigned = await ledger.verify();
    expect(resigned).toMatchObject({ ok: false });
    expect((resigned as { reason: string }).reason).toMatch(
      /checkpoint at size 50 is not validly signed by a trusted key/,
    );
    // And the checkpoints given to others before the rewrite expose it even with no checkpoint left.
    await ledger.tamper('DELETE FROM ledger_checkpoint');
    expect(await ledger.verify({ externalCheckpoints: ledger.checkpointNotes })).toMatchObject({
      ok: false,
      index: 19,
      reason:
        'external checkpoint #1 (size 20) is of another history: the entries here form another tree of size 20, so the histories diverge at or before index 19: history was rewritten',
    });
  });

  it('the command line exits 0 on a sound ledger and 1 naming the first bad index', async () => {
    ledger = await ledgerOf50();
    const cli = resolve(process.cwd(), 'dist/src/cli.js');
    const env = {
      ...process.env,
      DATABASE_URL: ledger.database.appUrl,
      LOG_LEVEL: 'silent',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'custos-cli-')),
    };
    const externalFile = join(env.DATA_DIR, 'checkpoint-50.txt');
    writeFileSync(externalFile, ledger.checkpointNotes[1]);
    const ok = await run(
      process.execPath,
      [cli, 'ledger', 'verify', '--deep', '--key', key.verifierKey, '--checkpoint', externalFile],
      { env },
    );
    expect(ok.stdout).toMatch(/^ledger OK: 50 entries, root [A-Za-z0-9+/=]{44}, 2 signed checkpoints verified/m);

    await ledger.tamper('DELETE FROM ledger_entry WHERE idx = 33');
    const failed = await run(process.execPath, [cli, 'ledger', 'verify', '--key', key.verifierKey], { env }).catch(
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stdout: string }).stdout).toContain(
      'ledger FAILED at index 33: entry 33 is missing (next stored index is 34)',
    );
  });
});
