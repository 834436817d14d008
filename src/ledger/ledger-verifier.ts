import pg from 'pg';

import { CustodyChainError, CustodyReplay, isCustodyEvent, type ItemCustody } from '../custody/custody-chain.js';
import { binaryCopyRows, int2, int8 } from './binary-copy.js';
import { entryProblem, type LedgerEntry } from './core/entry.js';
import {
  CompactRange,
  leafHash,
  openCheckpoint,
  verifyCosignatures,
  type TreeNode,
  type VerifierKey,
} from './core/index.js';
import { canonicalBytes } from './core/jcs.js';
import {
  changesState,
  Differences,
  ITEM_FIELDS_SQL,
  nameRegisteredDifference,
  quoted,
  registeredDifference,
  registeredFieldsOfEntry,
  registeredFieldsOfRow,
  registrationFingerprint,
  StateTables,
  type RegisteredFields,
  type StateDifference,
} from './state-tables.js';

/**
 * `custos ledger verify`: recomputes the whole ledger from the canonical bytes stored in the
 * database and checks it against itself and against every signed checkpoint. No Nest: a database
 * connection string and the trusted verifier keys.
 *
 * What it proves: every stored leaf hash and tree node is what the entries imply; indexes are
 * gapless; every checkpoint is signed by a trusted key and commits to exactly the tree the entries
 * form at its size (so consecutive checkpoints are consistent with each other, and a rewritten
 * history cannot match an old signed checkpoint); with `deep`, every entry is canonical, states
 * its own index, and every signature is bound to it. And the custody events, replayed in index
 * order (custody-chain.ts), form an unbroken chain whose end is exactly the `item` table: the same
 * items, each with the custodian, state, integrity, location, disposition, latest entry and every
 * registered (and corrected) field the ledger gives it. And every other state table is what the
 * entries make it (state-tables.ts): hash records with their values, results and references, the
 * history index, transfers and their items, cases and their shares. Differences there do not stop
 * the run: each is reported with its table, row and ledger index.
 *
 * How: three connections share one exported REPEATABLE READ snapshot (the service may go on
 * appending meanwhile). Entries and tree nodes arrive as two binary COPY streams, the nodes in the
 * order the entries complete them, so both are merged in one pass with constant memory;
 * checkpoints, the state row and finally the `item` table are read on the third.
 *
 * Only custody entries are parsed without `deep`, found by the `type` column. That column is not
 * covered by the leaf hash, so it is checked against the type the entry's bytes state (the last
 * `"type":"…"` of a canonical entry, a backward search of a few bytes): a custody entry cannot be
 * hidden from the replay by relabelling it.
 */
export interface VerifyOptions {
  /** Keys whose checkpoint signatures are trusted (from outside the database). */
  trustedKeys: readonly VerifierKey[];
  /** Signed checkpoints held outside the database (e.g. given to a court): checked too. */
  externalCheckpoints?: readonly string[];
  /**
   * Witness vkeys (`--witness`). When a checkpoint held outside does not match the entries, a
   * checkpoint of this ledger cosigned by the same witness bounds where the two histories diverge:
   * a witness cosigns only checkpoints consistent with each other.
   */
  witnesses?: readonly string[];
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
  | {
      ok: true;
      treeSize: number;
      rootHash: Buffer;
      checkpoints: number;
      /** Rows of the `item` table checked against the custody replay. */
      items: number;
    }
  | {
      ok: false;
      index: number | null;
      reason: string;
      /**
       * When the ledger itself is sound but state tables differ from it: every difference (up to
       * 100, lowest ledger index first); `index` and `reason` are the first.
       */
      differences?: StateDifference[];
    };

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

function openTrusted(
  note: string,
  keys: readonly VerifierKey[],
  source: string,
): { treeSize: number; rootHash: Buffer } {
  try {
    const checkpoint = openCheckpoint(note, keys);
    return { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash };
  } catch (error) {
    throw new Failure(null, `${source} is not validly signed by a trusted key: ${(error as Error).message}`);
  }
}

/** The cosigners of `note` among `witnesses` (none when its lines do not verify). */
function cosigners(note: string, witnesses: readonly string[]): Set<string> {
  try {
    return new Set(verifyCosignatures(note, witnesses).map((c) => c.verifierKey));
  } catch {
    return new Set();
  }
}

/**
 * Why a checkpoint held outside does not match this ledger, and where the two histories part. The
 * entries form another tree at its size, so they differ at some index below it. A stored witnessed
 * checkpoint of this ledger (already verified against the entries: stored checkpoints are checked
 * in size order) cosigned by a witness that also cosigned the outside one is on both histories, as
 * long as that witness is honest: the fork lies after it.
 */
async function divergence(meta: pg.Client, outside: Checkpoint, options: VerifyOptions): Promise<string> {
  const size = outside.treeSize;
  const prefix = `${outside.source} is of another history: the entries here form another tree of size ${size}`;
  const witnesses = options.witnesses ?? [];
  const theirs = cosigners(outside.note, witnesses);
  if (theirs.size > 0) {
    const { rows } = await meta.query<{ tree_size: string; note: string; root_hash: Buffer }>(
      `SELECT w.tree_size, w.note, c.root_hash FROM ledger_witnessed_checkpoint w JOIN ledger_checkpoint c USING (tree_size)
        WHERE w.tree_size < $1 ORDER BY w.tree_size DESC LIMIT 1000`,
      [size],
    );
    for (const row of rows) {
      let opened: { treeSize: number; rootHash: Buffer };
      try {
        opened = openCheckpoint(row.note, options.trustedKeys);
      } catch {
        continue;
      }
      if (opened.treeSize !== Number(row.tree_size) || !sameHash(opened.rootHash, row.root_hash)) continue;
      const shared = verifyCosignatures(row.note, [...theirs]);
      if (shared.length === 0) continue;
      return (
        `${prefix}, so the histories diverge at an index from ${opened.treeSize} to ${size - 1}: up to size ` +
        `${opened.treeSize} they agree (${shared.map((c) => c.name).join(', ')} cosigned this ledger's checkpoint ` +
        `of that size and that one, and a witness cosigns only consistent checkpoints)`
      );
    }
  }
  return `${prefix}, so the histories diverge at or before index ${size - 1}: history was rewritten`;
}

export async function verifyLedger(
  connection: string | pg.ClientConfig,
  options: VerifyOptions,
): Promise<VerifyResult> {
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

async function run(
  meta: pg.Client,
  entryClient: pg.Client,
  nodeClient: pg.Client,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const state = (
    await meta.query<{ tree_size: string; root_hash: Buffer; frontier: Buffer[] }>(
      'SELECT tree_size, root_hash, frontier FROM ledger_state WHERE id = 1',
    )
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
        throw new Failure(
          null,
          `${checkpoint.source}: its signed note says size ${signed.treeSize}, not what the row says`,
        );
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
          throw new Failure(size - 1, await divergence(meta, checkpoint, options));
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
      throw new Failure(
        leafIndex,
        `tree node (level ${node.level}, index ${node.index}) does not match the entries below it`,
      );
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
  const custody = new CustodyReplay({
    fingerprint: (entry) => registrationFingerprint(registeredFieldsOfEntry(entry)),
  });
  const differences = new Differences();
  const tables = new StateTables(meta, differences);
  await tables.open();
  for await (const batch of binaryCopyRows(
    entryClient,
    'COPY (SELECT idx, entry, leaf_hash, type FROM ledger_entry ORDER BY idx) TO STDOUT (FORMAT binary)',
  )) {
    for (const [idxField, entry, storedLeaf, typeField] of batch) {
      const index = int8(idxField);
      if (index !== expected)
        throw new Failure(expected, `entry ${expected} is missing (next stored index is ${index})`);
      const leaf = leafHash(entry!);
      if (!sameHash(leaf, storedLeaf))
        throw new Failure(index, `entry ${index}: its bytes do not hash to its stored leaf hash`);
      const parsed = options.deep ? checkContent(entry!, index) : undefined;
      const replayed = replayState(custody, tables, entry!, index, typeField, parsed);
      if (replayed !== undefined) await replayed;
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
    throw new Failure(
      Math.min(expected, stateSize),
      `the ledger state says ${stateSize} entries but ${expected} consecutive entries are stored`,
    );
  }
  const extra = await nextStoredNode();
  if (extra !== undefined) {
    throw new Failure(
      null,
      `the tree has a stored node (level ${int2(extra[0])}, index ${int8(extra[1])}) that no entry completes`,
    );
  }
  const root = range.root();
  if (!sameHash(root, state.root_hash))
    throw new Failure(null, 'the ledger state root differs from the root of the stored entries');
  const frontier = range.frontier;
  if (frontier.length !== state.frontier.length || frontier.some((hash, i) => !sameHash(hash, state.frontier[i]))) {
    throw new Failure(null, 'the ledger state frontier differs from the stored entries');
  }
  if (stored.length > 0) {
    throw new Failure(
      expected,
      `a signed checkpoint exists at size ${stored[0].treeSize} but only ${expected} entries are stored: the ledger was truncated`,
    );
  }
  for (const checkpoint of external) {
    if (checkpoint.treeSize > expected) {
      throw new Failure(
        expected,
        `${checkpoint.source} is beyond the ${expected} stored entries: the ledger was truncated`,
      );
    }
  }
  await tables.finish();
  const items = await checkCustodyTables(meta, custody, differences);
  if (differences.any) {
    const list = differences.sorted();
    return { ok: false, index: list[0].index, reason: list[0].reason, differences: list };
  }
  return { ok: true, treeSize: expected, rootHash: root, checkpoints: storedChecked, items };
}

function parseEntry(bytes: Buffer, index: number): LedgerEntry {
  let entry: unknown;
  try {
    entry = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Failure(index, `entry ${index} is not valid JSON`);
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new Failure(index, `entry ${index} is not a JSON object`);
  return entry as LedgerEntry;
}

function checkContent(bytes: Buffer, index: number): LedgerEntry {
  const entry = parseEntry(bytes, index);
  if (!canonicalBytes(entry).equals(bytes))
    throw new Failure(index, `entry ${index} is not in canonical (RFC 8785) form`);
  const problem = entryProblem(entry, index);
  if (problem !== undefined) throw new Failure(index, problem);
  return entry;
}

const TYPE_MEMBER = Buffer.from('"type":"');
const QUOTE = 0x22;

/**
 * Whether the entry's bytes state `type`. The members of a canonical entry are sorted, and `type`
 * is followed only by `v`: its value is the one after the last `"type":"`. (Any `"` inside a type is
 * escaped, so the search cannot stop early.)
 */
function statesType(bytes: Buffer, type: Buffer): boolean {
  const at = bytes.lastIndexOf(TYPE_MEMBER);
  if (at < 0) return false;
  const start = at + TYPE_MEMBER.length;
  const end = start + type.length;
  return end < bytes.length && bytes[end] === QUOTE && bytes.subarray(start, end).equals(type);
}

/**
 * Feeds an entry that changes state to the custody replay (a break in the chain fails at that
 * entry's index) and to the state tables' comparison. Parses only custody and case entries (those
 * the `type` column names, or whose bytes disagree with it) unless `deep` parsed every entry already.
 * Returns a promise only when the comparison must wait for rows.
 */
function replayState(
  custody: CustodyReplay,
  tables: StateTables,
  bytes: Buffer,
  index: number,
  typeField: Buffer | null,
  parsed: LedgerEntry | undefined,
): Promise<void> | undefined {
  const type = typeField === null ? '' : typeField.toString('utf8');
  const custodyType = isCustodyEvent(type);
  const stateType = changesState(type, custodyType);
  if (parsed === undefined) {
    if (!stateType && typeField !== null && statesType(bytes, typeField)) return undefined;
    parsed = parseEntry(bytes, index);
  }
  if (parsed.type !== type) {
    throw new Failure(
      index,
      `entry ${index}: its type column says "${type}" but the entry's type is "${String(parsed.type)}"`,
    );
  }
  if (!stateType) return undefined;
  // The replay reports the stored index; without `deep` nothing else checked the one the entry states.
  if (parsed.index !== index)
    throw new Failure(index, `entry stored at index ${index} says its index is ${String(parsed.index)}`);
  try {
    custody.apply(parsed);
  } catch (error) {
    if (error instanceof CustodyChainError) throw new Failure(error.index, error.message);
    throw error;
  }
  return tables.entry(parsed);
}

interface ItemRow {
  id: string;
  itemNumber: string;
  custodianId: string | null;
  state: string | null;
  integrity: string | null;
  location: string | null;
  disposition: string | null;
  disposedAtMs: number | null;
  lastEventIndex: number;
  fields: RegisteredFields;
}

const text = (field: Buffer | null): string | null => (field === null ? null : field.toString('utf8'));
const instant = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** The first custody column of `row` whose value is not the replay's, as a failure reason. */
function custodyDifference(row: ItemRow, item: ItemCustody): string | undefined {
  const fields: Array<[column: string, stored: string | null, replayed: string | null]> = [
    ['item_number', row.itemNumber, item.number],
    ['custodian_id', row.custodianId, item.custodianId],
    ['state', row.state, item.state],
    ['integrity', row.integrity, item.integrity],
    ['location', row.location, item.location],
    ['disposition', row.disposition, item.disposition],
    [
      'disposed_at',
      row.disposedAtMs === null ? null : new Date(row.disposedAtMs).toISOString(),
      instant(item.disposedAt),
    ],
    ['last_event_idx', String(row.lastEventIndex), String(item.lastIndex)],
  ];
  for (const [column, stored, replayed] of fields) {
    if (stored !== replayed) {
      return `item ${item.number}: the item table has ${column} ${quoted(stored)} but the ledger's custody events give ${quoted(replayed)}`;
    }
  }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_NAMED = 100;

/**
 * Compares the `item` table, streamed in the verification's snapshot, with the end of the replay:
 * every row is an item the ledger registered, with its custodian, state, integrity, location,
 * disposition and latest entry, and its registered fields as registered and corrected; and every
 * registered item has a row. Each difference is reported at the item's latest entry (a registered
 * field at its registration; no index for a row the ledger never registered). Returns the rows checked.
 */
async function checkCustodyTables(
  client: pg.Client,
  custody: CustodyReplay,
  differences: Differences,
): Promise<number> {
  const found = (index: number | null, reason: string, row: string): void =>
    differences.add({ table: 'item', row, index, reason });
  // A registered field differs: which one is named from the registration entry, read after the stream.
  const toName: Array<{ item: ItemCustody; fields: RegisteredFields }> = [];
  let rows = 0;
  let matched = 0;
  for await (const batch of binaryCopyRows(
    client,
    `COPY (SELECT i.id::text, i.item_number, i.custodian_id::text, i.state, i.integrity, i.location, i.disposition,
                  (extract(epoch FROM i.disposed_at) * 1000)::bigint::text, i.last_event_idx::text, ${ITEM_FIELDS_SQL},
                  (extract(epoch FROM i.occurred_at) * 1000)::bigint::text, i.occurred_offset::text
             FROM item i LEFT JOIN agency a ON a.id = i.agency_id) TO STDOUT (FORMAT binary)`,
  )) {
    for (const fields of batch) {
      rows++;
      const disposedAt = text(fields[7]);
      const row: ItemRow = {
        id: text(fields[0])!,
        itemNumber: text(fields[1])!,
        custodianId: text(fields[2]),
        state: text(fields[3]),
        integrity: text(fields[4]),
        location: text(fields[5]),
        disposition: text(fields[6]),
        disposedAtMs: disposedAt === null ? null : Number(disposedAt),
        lastEventIndex: Number(text(fields[8])),
        fields: registeredFieldsOfRow(text(fields[9])!, Number(text(fields[10])), Number(text(fields[11]))),
      };
      const item = custody.items.get(row.id);
      if (item === undefined) {
        found(
          null,
          `item ${row.itemNumber} (${row.id}) is in the item table but no ledger entry registers it`,
          row.itemNumber,
        );
        continue;
      }
      matched++;
      const difference = custodyDifference(row, item);
      if (difference !== undefined) found(item.lastIndex, difference, item.number);
      const registered = registeredDifference(item, row.fields);
      if (registered !== undefined) {
        if (registered.unnamed && toName.length < MAX_NAMED) toName.push({ item, fields: row.fields });
        else found(item.registeredIndex, registered.reason, item.number);
      }
    }
  }
  if (toName.length > 0) {
    const { rows: entries } = await client.query<{ idx: string; entry: Buffer }>(
      'SELECT idx::text AS idx, entry FROM ledger_entry WHERE idx = ANY($1::bigint[])',
      [toName.map(({ item }) => item.registeredIndex)],
    );
    const byIndex = new Map(entries.map((row) => [Number(row.idx), row.entry]));
    for (const { item, fields } of toName) {
      const bytes = byIndex.get(item.registeredIndex);
      const named =
        bytes === undefined
          ? undefined
          : nameRegisteredDifference(item, fields, parseEntry(bytes, item.registeredIndex));
      found(
        item.registeredIndex,
        named ??
          `item ${item.number}: the item table's registered fields differ from its registration at entry ${item.registeredIndex}`,
        item.number,
      );
    }
  }
  if (matched !== custody.items.size) {
    // Some registered item has no row: find which, a page of ids at a time (only when failing).
    const page: ItemCustody[] = [];
    const checkPage = async (): Promise<void> => {
      const ids = page.filter((item) => UUID.test(item.id)).map((item) => item.id);
      const present = new Set(
        (
          await client.query<{ id: string }>('SELECT id::text AS id FROM item WHERE id = ANY($1::uuid[])', [ids])
        ).rows.map((row) => row.id),
      );
      for (const item of page) {
        if (!present.has(item.id)) {
          found(
            item.lastIndex,
            `item ${item.number} (${item.id}) is registered in the ledger but missing from the item table`,
            item.number,
          );
        }
      }
      page.length = 0;
    };
    for (const item of custody.items.values()) {
      page.push(item);
      if (page.length === 10_000) await checkPage();
    }
    if (page.length > 0) await checkPage();
  }
  return rows;
}
