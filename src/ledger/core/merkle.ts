/**
 * RFC 6962 / RFC 9162 Merkle tree over SHA-256: leaf and node hashing, the tree's compact range
 * ("frontier") for O(log n) appends, proof generation against a store of complete perfect subtrees,
 * and proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2, with transparency-dev/merkle's edge-case
 * rules).
 *
 * Dependency-free (node:crypto and node:buffer only) so that the offline verifier and anyone holding
 * a checkpoint can run exactly the code the service runs.
 *
 * Sizes and indexes are JavaScript numbers: every non-negative safe integer (< 2^53) is supported.
 * Bit operations are done on two 32-bit halves because JavaScript's bitwise operators truncate to
 * 32 bits.
 */
import { Buffer } from 'node:buffer';
import * as crypto from 'node:crypto';

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/** Stable reasons a proof or a tree operation is refused; `ProofError.code` carries one. */
export type ProofErrorCode =
  /** A size or index that is not a non-negative safe integer, or an inconsistent tree state. */
  | 'INVALID_ARGUMENT'
  /** Inclusion: the leaf index is not below the tree size. */
  | 'INDEX_OUT_OF_RANGE'
  /** Consistency: the second tree is smaller than the first. */
  | 'SIZE_ORDER'
  /** Consistency from the empty tree to a non-empty one: meaningless, so refused. */
  | 'EMPTY_TREE'
  /** The proof does not have the number of hashes the sizes and index require. */
  | 'WRONG_PROOF_SIZE'
  /** A leaf hash, proof hash or stored node that is not 32 bytes. */
  | 'INVALID_HASH_LENGTH'
  /** The root computed from the proof differs from the expected one. */
  | 'ROOT_MISMATCH';

/** A proof (or tree operation) was refused; `code` is stable, `message` says precisely why. */
export class ProofError extends Error {
  override readonly name = 'ProofError';

  constructor(
    readonly code: ProofErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A perfect subtree: level ℓ, index i covers leaves [i·2^ℓ, (i+1)·2^ℓ). Level 0 is a leaf. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A perfect subtree with its hash. */
export interface TreeNode extends NodeId {
  readonly hash: Buffer;
}

// ---------------------------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------------------------

const TWO_POW_32 = 2 ** 32;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// crypto.hash (one-shot, Node ≥ 20.12) is about 30% faster than createHash for small inputs; the
// fallback keeps the module usable on older runtimes.
const sha256: (data: Uint8Array) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

// Scratch buffers reused across calls: hashing is synchronous, so no caller can observe them.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;
const MAX_LEAF_SCRATCH = 64 * 1024;
const LEAF_PREFIX_BYTES = Buffer.from([LEAF_PREFIX]);
let leafInput = Buffer.alloc(4096);

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ entry bytes). */
export function leafHash(entryBytes: Uint8Array): Buffer {
  if (entryBytes.length >= MAX_LEAF_SCRATCH) {
    // Rare large entries: stream them rather than keep a large scratch buffer alive.
    return crypto.createHash('sha256').update(LEAF_PREFIX_BYTES).update(entryBytes).digest();
  }
  if (entryBytes.length + 1 > leafInput.length) {
    leafInput = Buffer.alloc(Math.min(MAX_LEAF_SCRATCH, Math.max(entryBytes.length + 1, leafInput.length * 2)));
  }
  leafInput[0] = LEAF_PREFIX;
  leafInput.set(entryBytes, 1);
  return sha256(leafInput.subarray(0, entryBytes.length + 1));
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right); both children must be 32 bytes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new ProofError(
      'INVALID_HASH_LENGTH',
      `child hashes must be ${HASH_SIZE} bytes, got ${left.length} and ${right.length}`,
    );
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

const EMPTY_ROOT = crypto.createHash('sha256').digest();

/** Root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Buffer {
  return Buffer.from(EMPTY_ROOT);
}

/** MTH over a list of leaf hashes (RFC 9162 §2.1.1); O(n), for tests and small trees. */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  if (leafHashes.length === 0) return emptyRoot();
  const range = new CompactRange();
  for (const hash of leafHashes) range.append(hash);
  return range.root();
}

// ---------------------------------------------------------------------------------------------
// Bit helpers on safe integers (JavaScript bitwise operators only see 32 bits)
// ---------------------------------------------------------------------------------------------

function bitLength32(x: number): number {
  return 32 - Math.clz32(x);
}

/** Number of bits needed to write n (0 for 0). */
function bitLength(n: number): number {
  return n < TWO_POW_32 ? bitLength32(n) : 32 + bitLength32(Math.floor(n / TWO_POW_32));
}

function popCount32(x: number): number {
  let v = x >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function popCount(n: number): number {
  return popCount32(n >>> 0) + popCount32(Math.floor(n / TWO_POW_32));
}

function trailingZeros(n: number): number {
  const low = n >>> 0;
  if (low !== 0) return 31 - Math.clz32(low & -low);
  return 32 + 31 - Math.clz32(Math.floor(n / TWO_POW_32) & -Math.floor(n / TWO_POW_32));
}

function xor(a: number, b: number): number {
  const high = (Math.floor(a / TWO_POW_32) ^ Math.floor(b / TWO_POW_32)) >>> 0;
  const low = ((a >>> 0) ^ (b >>> 0)) >>> 0;
  return high * TWO_POW_32 + low;
}

function shiftRight(n: number, bits: number): number {
  return Math.floor(n / 2 ** bits);
}

function bitAt(n: number, bit: number): number {
  return Math.floor(n / 2 ** bit) % 2;
}

function checkSize(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProofError('INVALID_ARGUMENT', `${what} must be a non-negative safe integer, got ${String(value)}`);
  }
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) {
    throw new ProofError('INVALID_HASH_LENGTH', `${what} must be ${HASH_SIZE} bytes, got ${hash.length}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

// ---------------------------------------------------------------------------------------------
// Compact range: the frontier of perfect-subtree roots
// ---------------------------------------------------------------------------------------------

/**
 * The perfect subtrees that make up [start, end), largest (leftmost) first. `start` must be aligned
 * to the largest of them, which holds for every range the RFC 9162 recursions produce.
 */
function perfectSubtrees(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let position = start;
  for (let level = bitLength(end - start) - 1; level >= 0; level--) {
    const width = 2 ** level;
    if (end - position >= width) {
      nodes.push({ level, index: position / width });
      position += width;
    }
  }
  return nodes;
}

/**
 * The nodes whose hashes form the frontier of a tree of `size` leaves: one perfect subtree per set
 * bit of `size`, largest first. Lets the database rebuild or check its stored frontier.
 */
export function frontierNodeIds(size: number): NodeId[] {
  checkSize(size, 'tree size');
  return perfectSubtrees(0, size);
}

/** Root hash from a frontier (perfect-subtree roots, largest first): folded from the right. */
export function rootFromFrontier(frontier: readonly Uint8Array[]): Buffer {
  if (frontier.length === 0) return emptyRoot();
  let hash: Buffer = Buffer.from(frontier[frontier.length - 1]);
  checkHash(hash, 'frontier hash');
  for (let i = frontier.length - 2; i >= 0; i--) hash = nodeHash(frontier[i], hash);
  return hash;
}

function checkFrontier(frontier: readonly Uint8Array[], size: number): void {
  checkSize(size, 'tree size');
  if (frontier.length !== popCount(size)) {
    throw new ProofError(
      'INVALID_ARGUMENT',
      `a tree of size ${size} has ${popCount(size)} frontier hashes, got ${frontier.length}`,
    );
  }
}

/**
 * Appends one leaf: returns the new frontier and size, and every perfect subtree of level ≥ 1 that
 * the leaf completes (lowest first). The leaf itself (level 0) is not listed: the caller has it.
 * O(log n) hashes; the input frontier is not modified.
 */
export function appendLeaf(
  frontier: readonly Uint8Array[],
  size: number,
  leaf: Uint8Array,
): { frontier: Buffer[]; size: number; completed: TreeNode[] } {
  checkFrontier(frontier, size);
  checkHash(leaf, 'leaf hash');
  const completed: TreeNode[] = [];
  let hash: Buffer = Buffer.from(leaf);
  let index = size;
  let level = 0;
  let kept = frontier.length;
  // Each trailing 1 bit of `size` is a left sibling waiting on the frontier for this leaf.
  while (index % 2 === 1) {
    kept--;
    hash = nodeHash(frontier[kept], hash);
    index = (index - 1) / 2;
    level++;
    completed.push({ level, index, hash });
  }
  const next: Buffer[] = frontier.slice(0, kept).map((h) => Buffer.from(h));
  next.push(hash);
  return { frontier: next, size: size + 1, completed };
}

/**
 * The perfect subtrees (level ≥ 1) completed by appending `leaf` at index `size` to the tree whose
 * frontier is given; the database stores each so proofs need only O(log n) lookups.
 */
export function completedNodes(size: number, leaf: Uint8Array, frontier: readonly Uint8Array[]): TreeNode[] {
  return appendLeaf(frontier, size, leaf).completed;
}

/**
 * Mutable frontier for long runs of appends (building or re-verifying the whole tree): no copy of
 * the frontier per append, unlike `appendLeaf`.
 */
export class CompactRange {
  private readonly hashes: Buffer[];
  private count: number;

  constructor(frontier: readonly Uint8Array[] = [], size = 0) {
    checkFrontier(frontier, size);
    this.hashes = frontier.map((h) => {
      checkHash(h, 'frontier hash');
      return Buffer.from(h);
    });
    this.count = size;
  }

  get size(): number {
    return this.count;
  }

  /** A copy of the frontier: perfect-subtree roots, largest first. */
  get frontier(): Buffer[] {
    return this.hashes.map((h) => Buffer.from(h));
  }

  /**
   * Appends a leaf hash; `onCompleted` sees every perfect subtree of level ≥ 1 it completes, lowest
   * first.
   */
  append(leaf: Uint8Array, onCompleted?: (node: TreeNode) => void): void {
    checkHash(leaf, 'leaf hash');
    if (this.count >= Number.MAX_SAFE_INTEGER) {
      throw new ProofError('INVALID_ARGUMENT', 'tree size would exceed Number.MAX_SAFE_INTEGER');
    }
    let index = this.count;
    if (index % 2 === 0) {
      this.hashes.push(Buffer.from(leaf)); // copied: the caller may reuse its buffer
    } else {
      let hash = nodeHash(this.hashes.pop() as Buffer, leaf);
      index = (index - 1) / 2;
      let level = 1;
      onCompleted?.({ level, index, hash });
      while (index % 2 === 1) {
        hash = nodeHash(this.hashes.pop() as Buffer, hash);
        index = (index - 1) / 2;
        level++;
        onCompleted?.({ level, index, hash });
      }
      this.hashes.push(hash);
    }
    this.count++;
  }

  root(): Buffer {
    return rootFromFrontier(this.hashes);
  }
}

// ---------------------------------------------------------------------------------------------
// Proof generation from a store of complete perfect subtrees
// ---------------------------------------------------------------------------------------------

/**
 * What a proof needs from the node store. Each proof hash is one perfect subtree, or, at the right
 * edge of the tree, the MTH of a non-perfect range, folded from the perfect subtrees that make it up.
 */
export interface ProofPlan {
  /** Every node to fetch, in the order `assembleProof` expects their hashes; no duplicates. */
  readonly nodes: readonly NodeId[];
  /** Per proof hash (in proof order), the perfect subtrees it folds, largest (leftmost) first. */
  readonly elements: readonly (readonly NodeId[])[];
}

function plan(elements: NodeId[][]): ProofPlan {
  return { nodes: elements.flat(), elements };
}

/** Nodes needed for the inclusion proof of leaf `index` in a tree of `treeSize` (RFC 9162 PATH). */
export function inclusionProofPlan(index: number, treeSize: number): ProofPlan {
  checkSize(index, 'leaf index');
  checkSize(treeSize, 'tree size');
  if (index >= treeSize) {
    throw new ProofError('INDEX_OUT_OF_RANGE', `leaf index ${index} is not below tree size ${treeSize}`);
  }
  // PATH(m, D[lo:hi]) descends to the leaf; each level contributes the MTH of the other side.
  const elements: NodeId[][] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = 2 ** (bitLength(hi - lo - 1) - 1); // largest power of two < hi - lo
    if (index < lo + k) {
      elements.push(perfectSubtrees(lo + k, hi));
      hi = lo + k;
    } else {
      elements.push(perfectSubtrees(lo, lo + k));
      lo += k;
    }
  }
  return plan(elements.reverse());
}

/**
 * Nodes needed for the consistency proof from `size1` to `size2` (RFC 9162 SUBPROOF). Empty when
 * size1 = size2 or size1 = 0 (no proof is needed or possible).
 */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 > size2) throw new ProofError('SIZE_ORDER', `size1 (${size1}) is greater than size2 (${size2})`);
  if (size1 === 0 || size1 === size2) return plan([]);
  const elements: NodeId[][] = [];
  let lo = 0;
  let hi = size2;
  let wholeOldTree = true; // SUBPROOF's b: the old tree's root is known to the verifier
  for (;;) {
    if (size1 === hi) {
      if (!wholeOldTree) elements.push(perfectSubtrees(lo, hi));
      break;
    }
    const k = 2 ** (bitLength(hi - lo - 1) - 1);
    if (size1 <= lo + k) {
      elements.push(perfectSubtrees(lo + k, hi));
      hi = lo + k;
    } else {
      elements.push(perfectSubtrees(lo, lo + k));
      lo += k;
      wholeOldTree = false;
    }
  }
  return plan(elements.reverse());
}

/** Builds the proof from a plan and the hashes of `plan.nodes`, in the same order. */
export function assembleProof(proofPlan: ProofPlan, hashes: readonly Uint8Array[]): Buffer[] {
  if (hashes.length !== proofPlan.nodes.length) {
    throw new ProofError('INVALID_ARGUMENT', `expected ${proofPlan.nodes.length} node hashes, got ${hashes.length}`);
  }
  hashes.forEach((hash, i) => {
    const { level, index } = proofPlan.nodes[i];
    checkHash(hash, `stored node (level ${level}, index ${index})`);
  });
  const proof: Buffer[] = [];
  let next = 0;
  for (const element of proofPlan.elements) {
    const first = next;
    next += element.length;
    let hash: Buffer = Buffer.from(hashes[next - 1]);
    for (let i = next - 2; i >= first; i--) hash = nodeHash(hashes[i], hash);
    proof.push(hash);
  }
  return proof;
}

/** Returns the hash of a complete perfect subtree (level 0: the leaf hash). */
export type GetNode = (level: number, index: number) => Uint8Array;
/** Returns the hashes of complete perfect subtrees, in the order asked (one database round trip). */
export type GetNodes = (ids: readonly NodeId[]) => Promise<readonly Uint8Array[]>;

/** Inclusion proof of leaf `index` in the tree of `treeSize`, bottom-up, from a synchronous store. */
export function inclusionProof(index: number, treeSize: number, getNode: GetNode): Buffer[] {
  const proofPlan = inclusionProofPlan(index, treeSize);
  return assembleProof(
    proofPlan,
    proofPlan.nodes.map((n) => getNode(n.level, n.index)),
  );
}

/** Inclusion proof with one batched fetch of the nodes it needs. */
export async function inclusionProofAsync(index: number, treeSize: number, getNodes: GetNodes): Promise<Buffer[]> {
  const proofPlan = inclusionProofPlan(index, treeSize);
  const hashes = proofPlan.nodes.length === 0 ? [] : await getNodes(proofPlan.nodes);
  return assembleProof(proofPlan, hashes);
}

/** Consistency proof between tree sizes m ≤ n, from a synchronous store. */
export function consistencyProof(m: number, n: number, getNode: GetNode): Buffer[] {
  const proofPlan = consistencyProofPlan(m, n);
  return assembleProof(
    proofPlan,
    proofPlan.nodes.map((node) => getNode(node.level, node.index)),
  );
}

/** Consistency proof with one batched fetch of the nodes it needs. */
export async function consistencyProofAsync(m: number, n: number, getNodes: GetNodes): Promise<Buffer[]> {
  const proofPlan = consistencyProofPlan(m, n);
  const hashes = proofPlan.nodes.length === 0 ? [] : await getNodes(proofPlan.nodes);
  return assembleProof(proofPlan, hashes);
}

// ---------------------------------------------------------------------------------------------
// Proof verification (RFC 9162 §2.1.3.2, §2.1.4.2, in transparency-dev/merkle's formulation)
// ---------------------------------------------------------------------------------------------

function checkProofHashes(proof: readonly Uint8Array[]): void {
  proof.forEach((hash, i) => checkHash(hash, `proof hash ${i}`));
}

/**
 * Root of the tree of `treeSize` implied by an inclusion proof for `leaf` at `index`. Throws
 * ProofError if the inputs cannot describe such a tree (index ≥ size, wrong proof length, bad hash
 * length).
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Buffer {
  checkSize(index, 'leaf index');
  checkSize(treeSize, 'tree size');
  if (index >= treeSize) {
    throw new ProofError('INDEX_OUT_OF_RANGE', `leaf index ${index} is not below tree size ${treeSize}`);
  }
  checkHash(leaf, 'leaf hash');
  // Below level `inner` the paths to `index` and to the last leaf differ (siblings on both sides);
  // above it the path runs along the right border, where every sibling is on the left.
  const inner = bitLength(xor(index, treeSize - 1));
  const border = popCount(shiftRight(index, inner));
  if (proof.length !== inner + border) {
    throw new ProofError(
      'WRONG_PROOF_SIZE',
      `inclusion proof of index ${index} in tree size ${treeSize} has ${inner + border} hashes, got ${proof.length}`,
    );
  }
  checkProofHashes(proof);
  let hash: Buffer = Buffer.from(leaf);
  for (let i = 0; i < inner; i++) {
    hash = bitAt(index, i) === 0 ? nodeHash(hash, proof[i]) : nodeHash(proof[i], hash);
  }
  for (let i = inner; i < proof.length; i++) hash = nodeHash(proof[i], hash);
  return hash;
}

/** Verifies that `leaf` is at `index` in the tree of `treeSize` with `root`; throws ProofError if not. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const computed = rootFromInclusionProof(leaf, index, treeSize, proof);
  if (!sameBytes(computed, root)) {
    throw new ProofError(
      'ROOT_MISMATCH',
      `inclusion proof of index ${index} yields root ${computed.toString('hex')}, expected ${Buffer.from(root).toString('hex')}`,
    );
  }
}

/**
 * Root of the tree of `size2` implied by a consistency proof from the tree of `size1` with `root1`;
 * checks `root1` against the proof on the way. size1 = size2 needs an empty proof and returns root1
 * (for size 0 it must be the empty-tree root); size1 = 0 < size2 is refused (EMPTY_TREE).
 */
export function rootFromConsistencyProof(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): Buffer {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size2 < size1) throw new ProofError('SIZE_ORDER', `size1 (${size1}) is greater than size2 (${size2})`);
  if (size1 === size2) {
    if (proof.length !== 0) {
      throw new ProofError('WRONG_PROOF_SIZE', `sizes are equal (${size1}) but the proof has ${proof.length} hashes`);
    }
    // MTH({}) is SHA-256 of nothing; any other "root" of an empty tree is false.
    if (size1 === 0 && !sameBytes(root1, EMPTY_ROOT)) {
      throw new ProofError('ROOT_MISMATCH', 'root1 of the empty tree is not SHA-256("")');
    }
    return Buffer.from(root1);
  }
  if (size1 === 0) {
    throw new ProofError('EMPTY_TREE', 'a consistency proof from the empty tree is meaningless; every tree extends it');
  }
  if (proof.length === 0) {
    throw new ProofError('WRONG_PROOF_SIZE', `consistency proof from ${size1} to ${size2} is empty`);
  }
  // The proof is a suffix of the inclusion proof of leaf size1-1 in tree size2, starting at level
  // `shift` (the largest perfect subtree ending at size1), prefixed with that subtree's hash unless
  // size1 is a power of two (then it is root1 itself: RFC 9162 "prepend first_hash").
  const shift = trailingZeros(size1);
  const inner = bitLength(xor(size1 - 1, size2 - 1)) - shift;
  const border = popCount(shiftRight(size1 - 1, inner + shift));
  const seedFromRoot1 = size1 === 2 ** shift;
  const start = seedFromRoot1 ? 0 : 1;
  if (proof.length !== start + inner + border) {
    throw new ProofError(
      'WRONG_PROOF_SIZE',
      `consistency proof from ${size1} to ${size2} has ${start + inner + border} hashes, got ${proof.length}`,
    );
  }
  checkProofHashes(proof);
  if (seedFromRoot1) checkHash(root1, 'root1');
  const seed: Buffer = Buffer.from(seedFromRoot1 ? root1 : proof[0]);
  const mask = shiftRight(size1 - 1, shift);

  // Old root: only the left siblings count (they are all the old tree had).
  let hash1 = seed;
  for (let i = 0; i < inner; i++) {
    if (bitAt(mask, i) === 1) hash1 = nodeHash(proof[start + i], hash1);
  }
  for (let i = start + inner; i < proof.length; i++) hash1 = nodeHash(proof[i], hash1);
  if (!sameBytes(hash1, root1)) {
    throw new ProofError(
      'ROOT_MISMATCH',
      `consistency proof yields root ${hash1.toString('hex')} for size ${size1}, expected ${Buffer.from(root1).toString('hex')}`,
    );
  }

  // New root: every sibling, on either side.
  let hash2 = seed;
  for (let i = 0; i < inner; i++) {
    const sibling = proof[start + i];
    hash2 = bitAt(mask, i) === 0 ? nodeHash(hash2, sibling) : nodeHash(sibling, hash2);
  }
  for (let i = start + inner; i < proof.length; i++) hash2 = nodeHash(proof[i], hash2);
  return hash2;
}

/**
 * Verifies that the tree of `size2` with `root2` extends the tree of `size1` with `root1`; throws
 * ProofError if not.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const computed = rootFromConsistencyProof(size1, size2, proof, root1);
  if (!sameBytes(computed, root2)) {
    throw new ProofError(
      'ROOT_MISMATCH',
      `consistency proof yields root ${computed.toString('hex')} for size ${size2}, expected ${Buffer.from(root2).toString('hex')}`,
    );
  }
}

function holds(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof ProofError) return false;
    throw error;
  }
}

/** `verifyInclusion` as a boolean; only ProofErrors become false. */
export function isValidInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  return holds(() => verifyInclusion(leaf, index, treeSize, proof, root));
}

/** `verifyConsistency` as a boolean; only ProofErrors become false. */
export function isValidConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  return holds(() => verifyConsistency(size1, size2, proof, root1, root2));
}
