import pg from 'pg';
import { entryProblem, type LedgerEntry } from './core/entry.js';
import { canonicalBytes } from './core/jcs.js';
import { CompactRange, leafHash, type TreeNode } from './core/merkle.js';
import { openCheckpoint, type VerifierKey } from './core/index.js';

/**
 * `custos ledger verify`: recomputes the whole ledger from the canonical bytes stored in the
 * database and checks it against itself and against every signed checkpoint. Streams in pages
 * (constant memory) and needs no Nest: a pg connection and the trusted verifier keys.
 *
 * What it proves: every stored leaf hash and tree node is what the entries imply; indexes are
 * gapless; every signature is bound to its entry; every checkpoint is signed by a trusted key and
 * commits to exactly the tree the entries form at its size (so consecutive checkpoints are
 * consistent with each other, and a rewritten history cannot match an old signed checkpoint).
 */
export interface VerifyOptions {
  /** Keys whose checkpoint signatures are trusted (from outside the database). */
  trustedKeys: readonly VerifierKey[];
  /** Signed checkpoints held outside the database (e.g. given to a court): checked too. */
  externalCheckpoints?: readonly string[];
  pageSize?: number;
  /**
   * Also check each entry's content: canonical RFC 8785 form, the index it states, and that every
   * signature is bound to it. Costs a JSON parse and re-serialisation per entry (about 3× slower);
   * the cryptographic checks (leaves, tree, checkpoints) run either way.
   */
  deep?: boolean;
  /** Called after each page; the verification waits for a returned promise. */
  onProgress?: (verified: number, total: number) => void | Promise<void>;
}

export type VerifyResult =
  | { ok: true; treeSize: number; rootHash: Buffer; checkpoints: number }
  | { ok: false; index: number | null; reason: string };

interface EntryRow {
  idx: string;
  entry: Buffer;
  leaf_hash: Buffer;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  note: string;
}

class Failure extends Error {
  constructor(
    readonly index: number | null,
    reason: string,
  ) {
    super(reason);
  }
}

function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

export async function verifyLedger(client: pg.ClientBase, options: VerifyOptions): Promise<VerifyResult> {
  // One snapshot for the whole run: the service may keep appending while a live ledger is verified,
  // and entries, nodes, checkpoints and the state row must all be read as of the same moment.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await run(client, options);
  } catch (error) {
    if (error instanceof Failure) return { ok: false, index: error.index, reason: error.message };
    throw error;
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}

interface PendingCheckpoint {
  treeSize: number;
  rootHash: Buffer | undefined;
  note: string;
  source: string;
}

function openTrusted(note: string, keys: readonly VerifierKey[], source: string): { treeSize: number; rootHash: Buffer } {
  try {
    const checkpoint = openCheckpoint(note, keys);
    return { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash };
  } catch (error) {
    throw new Failure(null, `${source} is not validly signed by a trusted key: ${(error as Error).message}`);
  }
}

async function run(client: pg.ClientBase, options: VerifyOptions): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 10_000;
  const state = (await client.query<{ tree_size: string; root_hash: Buffer; frontier: Buffer[] }>(
    'SELECT tree_size, root_hash, frontier FROM ledger_state WHERE id = 1',
  )).rows[0];
  if (!state) throw new Failure(null, 'the ledger state row is missing');
  const stateSize = Number(state.tree_size);
  const { rows: countRows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM ledger_entry');
  const total = Math.max(stateSize, Number(countRows[0].n));

  // Checkpoints are read page by page in tree-size order, merged with the entry stream.
  const external: PendingCheckpoint[] = (options.externalCheckpoints ?? []).map((note, i) => {
    const opened = openTrusted(note, options.trustedKeys, `external checkpoint #${i + 1}`);
    return { ...opened, note, source: `external checkpoint #${i + 1} (size ${opened.treeSize})` };
  });
  let checkpointCursor = -1;
  let checkpointsChecked = 0;
  let pending: PendingCheckpoint[] = [];
  const nextCheckpoints = async (): Promise<void> => {
    const { rows } = await client.query<CheckpointRow>(
      'SELECT tree_size, root_hash, note FROM ledger_checkpoint WHERE tree_size > $1 ORDER BY tree_size LIMIT 1000',
      [checkpointCursor],
    );
    pending = rows.map((row) => ({
      treeSize: Number(row.tree_size),
      rootHash: row.root_hash,
      note: row.note,
      source: `checkpoint at size ${row.tree_size}`,
    }));
    if (rows.length > 0) checkpointCursor = Number(rows[rows.length - 1].tree_size);
  };
  await nextCheckpoints();

  const range = new CompactRange();
  const externalSizes = new Set(external.map((ext) => ext.treeSize));
  const checkExternal = (size: number): void => {
    const root = range.root();
    for (const ext of external) {
      if (ext.treeSize === size && !sameHash(ext.rootHash!, root)) {
        throw new Failure(size - 1, `${ext.source} does not match the tree the entries form: history was rewritten`);
      }
    }
  };
  const checkStored = async (size: number): Promise<void> => {
    while (pending.length > 0 && pending[0].treeSize <= size) {
      const checkpoint = pending.shift()!;
      if (checkpoint.treeSize < size) continue; // handled when its size was reached (see below)
      const root = range.root();
      const signed = openTrusted(checkpoint.note, options.trustedKeys, checkpoint.source);
      if (signed.treeSize !== checkpoint.treeSize || !sameHash(signed.rootHash, checkpoint.rootHash!)) {
        throw new Failure(null, `${checkpoint.source}: its signed note says size ${signed.treeSize}, not what the row says`);
      }
      if (!sameHash(signed.rootHash, root)) {
        throw new Failure(
          size - 1,
          `${checkpoint.source} (signed) does not match the tree the entries form: an entry at or before index ${size - 1} was changed, removed, reordered or inserted`,
        );
      }
      checkpointsChecked++;
      if (pending.length === 0) await nextCheckpoints();
    }
  };
  if (pending[0]?.treeSize === 0) {
    await checkStored(0);
  }

  // The next page is fetched while this one is hashed: PostgreSQL and the verifier use both cores.
  const fetchPage = (from: number): Promise<pg.QueryResult<EntryRow>> => {
    const query = client.query<EntryRow>('SELECT idx, entry, leaf_hash FROM ledger_entry WHERE idx >= $1 ORDER BY idx LIMIT $2', [
      from,
      pageSize,
    ]);
    // A failure found in this page may end the connection before the prefetch returns.
    query.catch(() => undefined);
    return query;
  };
  let expected = 0;
  let page = fetchPage(0);
  for (;;) {
    const { rows } = await page;
    if (rows.length === 0) break;
    const lastIndex = Number(rows[rows.length - 1].idx);
    page = fetchPage(lastIndex + 1);
    const completed: TreeNode[] = [];
    for (const row of rows) {
      const index = Number(row.idx);
      if (index !== expected) throw new Failure(expected, `entry ${expected} is missing (next stored index is ${index})`);
      const leaf = leafHash(row.entry);
      if (!sameHash(leaf, row.leaf_hash)) throw new Failure(index, `entry ${index}: its bytes do not hash to its stored leaf hash`);
      if (options.deep) checkContent(row.entry, index);
      range.append(leaf, (node) => completed.push(node));
      expected++;
      // A checkpoint may fall inside the page: check it at exactly its size.
      if (pending.length > 0 && pending[0].treeSize === expected) await checkStored(expected);
      if (externalSizes.has(expected)) checkExternal(expected);
    }
    await compareStoredNodes(client, completed);
    await options.onProgress?.(expected, total);
  }
  if (expected !== stateSize) {
    throw new Failure(
      Math.min(expected, stateSize),
      `the ledger state says ${stateSize} entries but ${expected} consecutive entries are stored`,
    );
  }
  const root = range.root();
  if (!sameHash(root, state.root_hash)) throw new Failure(null, 'the ledger state root differs from the root of the stored entries');
  const frontier = range.frontier;
  if (frontier.length !== state.frontier.length || frontier.some((hash, i) => !sameHash(hash, state.frontier[i]))) {
    throw new Failure(null, 'the ledger state frontier differs from the stored entries');
  }
  if (pending.length > 0) {
    throw new Failure(
      expected,
      `a signed checkpoint exists at size ${pending[0].treeSize} but only ${expected} entries are stored: the ledger was truncated`,
    );
  }
  for (const ext of external) {
    if (ext.treeSize > expected) {
      throw new Failure(expected, `${ext.source} is beyond the ${expected} stored entries: the ledger was truncated`);
    }
  }
  const { rows: nodeCount } = await client.query<{ n: string }>('SELECT count(*) AS n FROM ledger_node');
  const expectedNodes = expectedNodeCount(expected);
  if (Number(nodeCount[0].n) !== expectedNodes) {
    throw new Failure(null, `the tree has ${nodeCount[0].n} stored nodes where ${expectedNodes} are expected`);
  }
  return { ok: true, treeSize: expected, rootHash: root, checkpoints: checkpointsChecked };
}

function checkContent(bytes: Buffer, index: number): void {
  let entry: LedgerEntry;
  try {
    entry = JSON.parse(bytes.toString('utf8')) as LedgerEntry;
  } catch {
    throw new Failure(index, `entry ${index} is not valid JSON`);
  }
  if (!canonicalBytes(entry).equals(bytes)) throw new Failure(index, `entry ${index} is not in canonical (RFC 8785) form`);
  const problem = entryProblem(entry, index);
  if (problem !== undefined) throw new Failure(index, problem);
}

/** Complete perfect subtrees of level ≥ 1 in a tree of `size` leaves. */
function expectedNodeCount(size: number): number {
  let count = 0;
  for (let width = 2; width <= size; width *= 2) count += Math.floor(size / width);
  return count;
}

/** Every node completed by a page of leaves must be stored, with the hash the entries imply. */
async function compareStoredNodes(client: pg.ClientBase, completed: TreeNode[]): Promise<void> {
  if (completed.length === 0) return;
  const { rows } = await client.query<{ level: number; idx: string; hash: Buffer }>(
    `SELECT level, idx, hash FROM ledger_node
      WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))`,
    [completed.map((n) => n.level), completed.map((n) => n.index)],
  );
  const stored = new Map(rows.map((row) => [`${row.level}:${row.idx}`, row.hash]));
  for (const node of completed) {
    const hash = stored.get(`${node.level}:${node.index}`);
    const lastLeaf = (node.index + 1) * 2 ** node.level - 1;
    if (!hash) throw new Failure(lastLeaf, `tree node (level ${node.level}, index ${node.index}) is missing`);
    if (!sameHash(hash, node.hash)) {
      throw new Failure(lastLeaf, `tree node (level ${node.level}, index ${node.index}) does not match the entries below it`);
    }
  }
}
