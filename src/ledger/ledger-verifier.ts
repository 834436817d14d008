import pg from 'pg';
import { binaryCopyRows, int2, int8 } from './binary-copy.js';
import { entryProblem, type LedgerEntry } from './core/entry.js';
import { canonicalBytes } from './core/jcs.js';
import { CompactRange, leafHash, openCheckpoint, type TreeNode, type VerifierKey } from './core/index.js';

/**
 * `custos ledger verify`: recomputes the whole ledger from the canonical bytes stored in the
 * database and checks it against itself and against every signed checkpoint. No Nest: a database
 * connection string and the trusted verifier keys.
 *
 * What it proves: every stored leaf hash and tree node is what the entries imply; indexes are
 * gapless; every checkpoint is signed by a trusted key and commits to exactly the tree the entries
 * form at its size (so consecutive checkpoints are consistent with each other, and a rewritten
 * history cannot match an old signed checkpoint); with `deep`, every entry is canonical, states
 * its own index, and every signature is bound to it.
 *
 * How: three connections share one exported REPEATABLE READ snapshot (the service may go on
 * appending meanwhile). Entries and tree nodes arrive as two binary COPY streams, the nodes in the
 * order the entries complete them, so both are merged in one pass with constant memory;
 * checkpoints and the state row are read on the third.
 */
export interface VerifyOptions {
  /** Keys whose checkpoint signatures are trusted (from outside the database). */
  trustedKeys: readonly VerifierKey[];
  /** Signed checkpoints held outside the database (e.g. given to a court): checked too. */
  externalCheckpoints?: readonly string[];
  /**
   * Also check each entry's content: canonical RFC 8785 form, the index it states, and that every
   * signature is bound to it. Costs a JSON parse and re-serialisation per entry; the cryptographic
   * checks (leaves, tree, checkpoints) run either way.
   */
  deep?: boolean;
  /** Called about every `progressEvery` entries; the verification waits for a returned promise. */
  onProgress?: (verified: number, total: number) => void | Promise<void>;
  progressEvery?: number;
}

export type VerifyResult =
  | { ok: true; treeSize: number; rootHash: Buffer; checkpoints: number }
  | { ok: false; index: number | null; reason: string };

class Failure extends Error {
  constructor(
    readonly index: number | null,
    reason: string,
  ) {
    super(reason);
  }
}

function sameHash(a: Buffer, b: Buffer | null): boolean {
  return b !== null && a.length === b.length && a.equals(b);
}

interface Checkpoint {
  treeSize: number;
  rootHash: Buffer;
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

export async function verifyLedger(connection: string | pg.ClientConfig, options: VerifyOptions): Promise<VerifyResult> {
  const config = typeof connection === 'string' ? { connectionString: connection } : connection;
  const clients = [0, 1, 2].map(() => new pg.Client({ ...config, application_name: 'custos-ledger-verify' }));
  try {
    await Promise.all(clients.map((client) => client.connect()));
    const [meta, entries, nodes] = clients as [pg.Client, pg.Client, pg.Client];
    await meta.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await meta.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    for (const client of [entries, nodes]) {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT ${client.escapeLiteral(rows[0].snapshot)}`);
    }
    return await run(meta, entries, nodes, options);
  } catch (error) {
    if (error instanceof Failure) return { ok: false, index: error.index, reason: error.message };
    throw error;
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

async function run(meta: pg.Client, entryClient: pg.Client, nodeClient: pg.Client, options: VerifyOptions): Promise<VerifyResult> {
  const state = (
    await meta.query<{ tree_size: string; root_hash: Buffer; frontier: Buffer[] }>('SELECT tree_size, root_hash, frontier FROM ledger_state WHERE id = 1')
  ).rows[0];
  if (!state) throw new Failure(null, 'the ledger state row is missing');
  const stateSize = Number(state.tree_size);

  const external: Checkpoint[] = (options.externalCheckpoints ?? []).map((note, i) => {
    const opened = openTrusted(note, options.trustedKeys, `external checkpoint #${i + 1}`);
    return { ...opened, note, source: `external checkpoint #${i + 1} (size ${opened.treeSize})` };
  });
  const externalSizes = new Set(external.map((checkpoint) => checkpoint.treeSize));

  // Stored checkpoints, read page by page in tree-size order as the entries reach their sizes.
  let stored: Checkpoint[] = [];
  let storedCursor = -1;
  let storedChecked = 0;
  const loadCheckpoints = async (): Promise<void> => {
    const page = await meta.query<{ tree_size: string; root_hash: Buffer; note: string }>(
      'SELECT tree_size, root_hash, note FROM ledger_checkpoint WHERE tree_size > $1 ORDER BY tree_size LIMIT 1000',
      [storedCursor],
    );
    stored = page.rows.map((row) => ({
      treeSize: Number(row.tree_size),
      rootHash: row.root_hash,
      note: row.note,
      source: `checkpoint at size ${row.tree_size}`,
    }));
    if (stored.length > 0) storedCursor = stored[stored.length - 1].treeSize;
  };
  await loadCheckpoints();

  const range = new CompactRange();
  const checkCheckpointsAt = async (size: number): Promise<void> => {
    while (stored.length > 0 && stored[0].treeSize === size) {
      const checkpoint = stored.shift()!;
      const signed = openTrusted(checkpoint.note, options.trustedKeys, checkpoint.source);
      if (signed.treeSize !== checkpoint.treeSize || !sameHash(signed.rootHash, checkpoint.rootHash)) {
        throw new Failure(null, `${checkpoint.source}: its signed note says size ${signed.treeSize}, not what the row says`);
      }
      if (!sameHash(signed.rootHash, range.root())) {
        throw new Failure(
          size - 1,
          `${checkpoint.source} (signed) does not match the tree the entries form: an entry at or before index ${size - 1} was changed, removed, reordered or inserted`,
        );
      }
      storedChecked++;
      if (stored.length === 0) await loadCheckpoints();
    }
    if (externalSizes.has(size)) {
      const root = range.root();
      for (const checkpoint of external) {
        if (checkpoint.treeSize === size && !sameHash(checkpoint.rootHash, root)) {
          throw new Failure(size - 1, `${checkpoint.source} does not match the tree the entries form: history was rewritten`);
        }
      }
    }
  };
  await checkCheckpointsAt(0);

  // Tree nodes in the order appends complete them: by the last leaf they cover, lowest level first.
  const storedNodes = binaryCopyRows(
    nodeClient,
    'COPY (SELECT level, idx, hash FROM ledger_node ORDER BY (idx + 1) * (1::bigint << level::int), level) TO STDOUT (FORMAT binary)',
  );
  let nodeBatch: Array<Array<Buffer | null>> = [];
  let nodePosition = 0;
  const nextStoredNode = async (): Promise<Array<Buffer | null> | undefined> => {
    if (nodePosition >= nodeBatch.length) {
      const next = await storedNodes.next();
      if (next.done) return undefined;
      nodeBatch = next.value;
      nodePosition = 0;
    }
    return nodeBatch[nodePosition++];
  };
  const completed: TreeNode[] = [];
  const compareNode = (node: TreeNode, row: Array<Buffer | null> | undefined, leafIndex: number): void => {
    if (row === undefined || int2(row[0]) !== node.level || int8(row[1]) !== node.index) {
      throw new Failure(leafIndex, `tree node (level ${node.level}, index ${node.index}) is missing or out of place`);
    }
    if (!sameHash(node.hash, row[2])) {
      throw new Failure(leafIndex, `tree node (level ${node.level}, index ${node.index}) does not match the entries below it`);
    }
  };
  const checkCompleted = async (leafIndex: number): Promise<void> => {
    for (const node of completed) compareNode(node, await nextStoredNode(), leafIndex);
    completed.length = 0;
  };
  // Most of the time the stored nodes are already at hand: no promise per entry then.
  const checkCompletedNow = (leafIndex: number): boolean => {
    if (nodeBatch.length - nodePosition < completed.length) return false;
    for (const node of completed) compareNode(node, nodeBatch[nodePosition++], leafIndex);
    completed.length = 0;
    return true;
  };

  const progressEvery = options.progressEvery ?? 10_000;
  let expected = 0;
  const onCompleted = (node: TreeNode): void => {
    completed.push(node);
  };
  for await (const batch of binaryCopyRows(entryClient, 'COPY (SELECT idx, entry, leaf_hash FROM ledger_entry ORDER BY idx) TO STDOUT (FORMAT binary)')) {
    for (const [idxField, entry, storedLeaf] of batch) {
      const index = int8(idxField);
      if (index !== expected) throw new Failure(expected, `entry ${expected} is missing (next stored index is ${index})`);
      const leaf = leafHash(entry!);
      if (!sameHash(leaf, storedLeaf)) throw new Failure(index, `entry ${index}: its bytes do not hash to its stored leaf hash`);
      if (options.deep) checkContent(entry!, index);
      range.append(leaf, onCompleted);
      if (completed.length > 0 && !checkCompletedNow(index)) await checkCompleted(index);
      expected++;
      if (stored.length > 0 && stored[0].treeSize === expected) await checkCheckpointsAt(expected);
      else if (externalSizes.has(expected)) await checkCheckpointsAt(expected);
      if (expected % progressEvery === 0) await options.onProgress?.(expected, stateSize);
    }
  }
  await options.onProgress?.(expected, stateSize);

  if (expected !== stateSize) {
    throw new Failure(Math.min(expected, stateSize), `the ledger state says ${stateSize} entries but ${expected} consecutive entries are stored`);
  }
  const extra = await nextStoredNode();
  if (extra !== undefined) {
    throw new Failure(null, `the tree has a stored node (level ${int2(extra[0])}, index ${int8(extra[1])}) that no entry completes`);
  }
  const root = range.root();
  if (!sameHash(root, state.root_hash)) throw new Failure(null, 'the ledger state root differs from the root of the stored entries');
  const frontier = range.frontier;
  if (frontier.length !== state.frontier.length || frontier.some((hash, i) => !sameHash(hash, state.frontier[i]))) {
    throw new Failure(null, 'the ledger state frontier differs from the stored entries');
  }
  if (stored.length > 0) {
    throw new Failure(expected, `a signed checkpoint exists at size ${stored[0].treeSize} but only ${expected} entries are stored: the ledger was truncated`);
  }
  for (const checkpoint of external) {
    if (checkpoint.treeSize > expected) {
      throw new Failure(expected, `${checkpoint.source} is beyond the ${expected} stored entries: the ledger was truncated`);
    }
  }
  return { ok: true, treeSize: expected, rootHash: root, checkpoints: storedChecked };
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
