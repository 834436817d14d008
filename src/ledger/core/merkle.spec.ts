import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

import {
  appendLeaf,
  assembleProof,
  CompactRange,
  completedNodes,
  consistencyProof,
  consistencyProofAsync,
  consistencyProofPlan,
  emptyRoot,
  frontierNodeIds,
  inclusionProof,
  inclusionProofAsync,
  inclusionProofPlan,
  isValidConsistency,
  isValidInclusion,
  leafHash,
  nodeHash,
  ProofError,
  rootFromConsistencyProof,
  rootFromFrontier,
  rootFromInclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
} from './merkle.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
// Independent of the module under test.
const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// The RFC 6962 reference tree used by transparency-dev/merkle (and certificate-transparency-go).
const LEAF_DATA = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);
const LEAF_HASHES = LEAF_DATA.map((d) => leafHash(d));

/** A node store as the database keeps it: leaf hashes (level 0) and every completed node. */
class NodeStore {
  readonly nodes = new Map<string, Buffer>();
  readonly leaves: Buffer[] = [];
  frontier: Buffer[] = [];
  gets = 0;

  append(leaf: Buffer): void {
    this.nodes.set(`0:${this.leaves.length}`, leaf);
    for (const node of completedNodes(this.leaves.length, leaf, this.frontier)) {
      this.nodes.set(`${node.level}:${node.index}`, node.hash);
    }
    this.frontier = appendLeaf(this.frontier, this.leaves.length, leaf).frontier;
    this.leaves.push(leaf);
  }

  get = (level: number, index: number): Buffer => {
    this.gets++;
    const hash = this.nodes.get(`${level}:${index}`);
    if (!hash) throw new Error(`node ${level}:${index} is not stored`);
    return hash;
  };

  getMany = (ids: readonly NodeId[]): Promise<Buffer[]> =>
    Promise.resolve(ids.map((id) => this.get(id.level, id.index)));
}

function storeOf(leaves: readonly Buffer[]): NodeStore {
  const store = new NodeStore();
  for (const leaf of leaves) store.append(leaf);
  return store;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProofError) return error.code;
    throw error;
  }
  return undefined;
}

function flipBit(proof: readonly Buffer[], element: number, bit: number): Buffer[] {
  const copy = proof.map((h) => Buffer.from(h));
  copy[element][bit >> 3] ^= 1 << (bit & 7);
  return copy;
}

describe('hashing', () => {
  it('hashes leaves and nodes with the RFC 6962 domain-separation prefixes', () => {
    expect(emptyRoot().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(nodeHash(LEAF_HASHES[0], LEAF_HASHES[1])).toEqual(ROOTS[1]);
  });

  it('hashes large entries and entries after large ones the same way as small ones', () => {
    const big = Buffer.alloc(200_000, 7);
    expect(leafHash(big)).toEqual(hex(sha256Hex(Buffer.concat([Buffer.from([0]), big]))));
    expect(leafHash(big.subarray(0, 5000))).toEqual(
      hex(sha256Hex(Buffer.concat([Buffer.from([0]), big.subarray(0, 5000)]))),
    );
    expect(leafHash(Buffer.from('a'))).toEqual(hex(sha256Hex(Buffer.from('\x00a', 'latin1'))));
  });

  it('refuses node children that are not 32 bytes', () => {
    expect(errorCode(() => nodeHash(Buffer.alloc(31), Buffer.alloc(32)))).toBe('INVALID_HASH_LENGTH');
  });
});

describe('reference tree of 8 leaves', () => {
  it('has the known root at every size, by MTH, by frontier and by compact range', () => {
    const range = new CompactRange();
    let frontier: Buffer[] = [];
    for (let size = 1; size <= 8; size++) {
      expect(rootFromLeafHashes(LEAF_HASHES.slice(0, size)).toString('hex')).toBe(ROOTS[size - 1].toString('hex'));
      frontier = appendLeaf(frontier, size - 1, LEAF_HASHES[size - 1]).frontier;
      expect(rootFromFrontier(frontier)).toEqual(ROOTS[size - 1]);
      range.append(LEAF_HASHES[size - 1]);
      expect(range.root()).toEqual(ROOTS[size - 1]);
      expect(range.size).toBe(size);
      expect(range.frontier).toEqual(frontier);
    }
    expect(rootFromLeafHashes([])).toEqual(emptyRoot());
    expect(new CompactRange().root()).toEqual(emptyRoot());
  });

  it('reports completed nodes with their level and index', () => {
    const store = storeOf(LEAF_HASHES);
    expect(store.get(3, 0)).toEqual(ROOTS[7]);
    expect(store.get(2, 0)).toEqual(ROOTS[3]);
    expect(store.get(1, 0)).toEqual(ROOTS[1]);
    expect(store.nodes.size).toBe(8 + 4 + 2 + 1);
    const before = storeOf(LEAF_HASHES.slice(0, 7));
    expect(completedNodes(7, LEAF_HASHES[7], before.frontier)).toEqual([
      { level: 1, index: 3, hash: store.get(1, 3) },
      { level: 2, index: 1, hash: store.get(2, 1) },
      { level: 3, index: 0, hash: ROOTS[7] },
    ]);
  });

  // Inclusion vectors from transparency-dev/merkle proof/verify_test.go (leaf is 1-based there).
  const inclusionVectors: Array<[number, number, string[]]> = [
    [
      0,
      8,
      [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    ],
    [
      5,
      8,
      [
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
    [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
    [
      1,
      5,
      [
        '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ],
    ],
    [0, 1, []],
  ];

  it.each(inclusionVectors)(
    'generates and verifies the inclusion proof of leaf %i in size %i',
    (index, size, expected) => {
      const store = storeOf(LEAF_HASHES.slice(0, size));
      const proof = inclusionProof(index, size, store.get);
      expect(proof.map((h) => h.toString('hex'))).toEqual(expected);
      expect(() => verifyInclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size - 1])).not.toThrow();
      expect(rootFromInclusionProof(LEAF_HASHES[index], index, size, proof)).toEqual(ROOTS[size - 1]);
    },
  );

  const consistencyVectors: Array<[number, number, string[]]> = [
    [1, 1, []],
    [
      1,
      8,
      [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    ],
    [
      6,
      8,
      [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
    [
      2,
      5,
      [
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ],
    ],
    [
      6,
      7,
      [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
  ];

  it.each(consistencyVectors)('generates and verifies the consistency proof from %i to %i', (m, n, expected) => {
    const store = storeOf(LEAF_HASHES.slice(0, n));
    const proof = consistencyProof(m, n, store.get);
    expect(proof.map((h) => h.toString('hex'))).toEqual(expected);
    expect(() => verifyConsistency(m, n, proof, ROOTS[m - 1], ROOTS[n - 1])).not.toThrow();
    expect(rootFromConsistencyProof(m, n, proof, ROOTS[m - 1])).toEqual(ROOTS[n - 1]);
  });

  it('gives precise, stable error codes', () => {
    const store = storeOf(LEAF_HASHES);
    const proof = inclusionProof(5, 8, store.get);
    expect(errorCode(() => verifyInclusion(LEAF_HASHES[5], 8, 8, proof, ROOTS[7]))).toBe('INDEX_OUT_OF_RANGE');
    expect(errorCode(() => verifyInclusion(LEAF_HASHES[5], 5, 8, proof.slice(1), ROOTS[7]))).toBe('WRONG_PROOF_SIZE');
    expect(errorCode(() => verifyInclusion(LEAF_HASHES[5], 5, 8, proof, ROOTS[6]))).toBe('ROOT_MISMATCH');
    expect(errorCode(() => verifyInclusion(Buffer.from('WrongLeaf'), 5, 8, proof, ROOTS[7]))).toBe(
      'INVALID_HASH_LENGTH',
    );
    expect(errorCode(() => verifyInclusion(LEAF_HASHES[5], -1, 8, proof, ROOTS[7]))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => verifyInclusion(LEAF_HASHES[5], 1.5, 8, proof, ROOTS[7]))).toBe('INVALID_ARGUMENT');
    const cproof = consistencyProof(6, 8, store.get);
    expect(errorCode(() => verifyConsistency(8, 6, cproof, ROOTS[7], ROOTS[5]))).toBe('SIZE_ORDER');
    expect(errorCode(() => verifyConsistency(0, 8, [], emptyRoot(), ROOTS[7]))).toBe('EMPTY_TREE');
    expect(errorCode(() => verifyConsistency(6, 8, [], ROOTS[5], ROOTS[7]))).toBe('WRONG_PROOF_SIZE');
    expect(errorCode(() => verifyConsistency(8, 8, cproof, ROOTS[7], ROOTS[7]))).toBe('WRONG_PROOF_SIZE');
    expect(errorCode(() => verifyConsistency(6, 8, cproof, ROOTS[4], ROOTS[7]))).toBe('ROOT_MISMATCH');
    expect(errorCode(() => verifyConsistency(6, 8, cproof, ROOTS[5], ROOTS[6]))).toBe('ROOT_MISMATCH');
    expect(errorCode(() => verifyConsistency(0, 0, [], emptyRoot(), emptyRoot()))).toBeUndefined();
    expect(errorCode(() => verifyConsistency(0, 0, [], ROOTS[0], ROOTS[0]))).toBe('ROOT_MISMATCH');
    expect(isValidInclusion(LEAF_HASHES[5], 5, 8, proof, ROOTS[7])).toBe(true);
    expect(isValidInclusion(LEAF_HASHES[4], 5, 8, proof, ROOTS[7])).toBe(false);
    expect(isValidConsistency(6, 8, cproof, ROOTS[5], ROOTS[7])).toBe(true);
    expect(isValidConsistency(6, 8, cproof, ROOTS[7], ROOTS[5])).toBe(false);
  });

  it('refuses a frontier that does not match the tree size', () => {
    expect(errorCode(() => appendLeaf([], 1, LEAF_HASHES[0]))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => new CompactRange([ROOTS[0]], 3))).toBe('INVALID_ARGUMENT');
  });

  it('refuses a stored node of the wrong length instead of building a bad proof', () => {
    const plan = inclusionProofPlan(5, 8);
    const hashes = plan.nodes.map(() => Buffer.alloc(32));
    hashes[1] = Buffer.alloc(31);
    expect(errorCode(() => assembleProof(plan, hashes))).toBe('INVALID_HASH_LENGTH');
    expect(errorCode(() => assembleProof(plan, hashes.slice(1)))).toBe('INVALID_ARGUMENT');
  });
});

// ---------------------------------------------------------------------------------------------

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function fixturesDir(): string {
  // transparency-dev/merkle's testdata, copied with its licence (test/fixtures/merkle-proofs/NOTICE).
  const dir = path.resolve(process.cwd(), 'test/fixtures/merkle-proofs');
  // A missing fixture set must fail loudly, not pass with zero cases.
  if (!existsSync(path.join(dir, 'inclusion'))) throw new Error(`merkle-proofs fixtures not found in ${dir}`);
  return dir;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return jsonFiles(full);
      return name.endsWith('.json') ? [full] : [];
    });
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

describe('transparency-dev/merkle fixtures', () => {
  const dir = fixturesDir();
  const inclusionFiles = jsonFiles(path.join(dir, 'inclusion'));
  const consistencyFiles = jsonFiles(path.join(dir, 'consistency'));
  const relative = (file: string): string => path.relative(dir, file);

  it('are all present', () => {
    expect(inclusionFiles.length).toBeGreaterThan(50);
    expect(consistencyFiles.length).toBeGreaterThan(50);
    expect(inclusionFiles.length + consistencyFiles.length).toBe(jsonFiles(dir).length);
  });

  it.each(inclusionFiles.map((f) => [relative(f), f]))('inclusion %s', (_name, file) => {
    const c = JSON.parse(readFileSync(file, 'utf8')) as InclusionCase;
    const proof = (c.proof ?? []).map(b64);
    const ok = isValidInclusion(b64(c.leafHash), c.leafIdx, c.treeSize, proof, b64(c.root));
    expect({ desc: c.desc, verified: ok }).toEqual({ desc: c.desc, verified: !c.wantErr });
  });

  it.each(consistencyFiles.map((f) => [relative(f), f]))('consistency %s', (_name, file) => {
    const c = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyCase;
    const proof = (c.proof ?? []).map(b64);
    const ok = isValidConsistency(c.size1, c.size2, proof, b64(c.root1), b64(c.root2));
    expect({ desc: c.desc, verified: ok }).toEqual({ desc: c.desc, verified: !c.wantErr });
  });
});

// ---------------------------------------------------------------------------------------------

describe('every tree up to 70 leaves (brute force)', () => {
  const MAX = 70;
  const leaves = Array.from({ length: MAX }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
  const store = new NodeStore();
  const roots: Buffer[] = [emptyRoot()];
  for (let n = 1; n <= MAX; n++) {
    store.append(leaves[n - 1]);
    roots.push(rootFromFrontier(store.frontier));
  }

  /** Sizes near n, and across the power-of-two boundaries around it (all sizes would be O(n³)). */
  const otherSizes = (n: number): number[] => {
    const below = 2 ** Math.floor(Math.log2(n));
    const candidates = [
      n - 3,
      n - 2,
      n - 1,
      n + 1,
      n + 2,
      n + 3,
      n * 2,
      Math.floor(n / 2),
      below,
      below - 1,
      below * 2,
      below * 2 + 1,
    ];
    return [...new Set(candidates)].filter((m) => m >= 1 && m <= MAX && m !== n);
  };

  // Jest's expect() costs ~80 µs a call: the loops collect what went wrong and assert once.
  it('has the MTH root at every size, and the frontier is made of stored nodes', () => {
    const wrong: number[] = [];
    for (let n = 1; n <= MAX; n++) {
      const frontier = frontierNodeIds(n).map((id) => store.get(id.level, id.index));
      if (!roots[n].equals(rootFromLeafHashes(leaves.slice(0, n))) || !rootFromFrontier(frontier).equals(roots[n]))
        wrong.push(n);
    }
    expect(wrong).toEqual([]);
  });

  it('proves and verifies every inclusion; corrupted proofs, indexes and sizes fail', () => {
    const accepted: string[] = [];
    const accept = (what: string, valid: boolean): void => {
      if (valid) accepted.push(what);
    };
    for (let n = 1; n <= MAX; n++) {
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, store.get);
        verifyInclusion(leaves[i], i, n, proof, roots[n]); // throws if the proof is bad
        const at = `leaf ${i} of ${n}`;
        for (let e = 0; e < proof.length; e++) {
          accept(
            `${at}, hash ${e} flipped`,
            isValidInclusion(leaves[i], i, n, flipBit(proof, e, (i * 31 + n * 7 + e) % 256), roots[n]),
          );
        }
        for (let j = 0; j < n; j++) {
          if (j !== i) accept(`${at} as index ${j}`, isValidInclusion(leaves[i], j, n, proof, roots[n]));
        }
        // Claimed in another tree: its real root never matches this proof.
        for (const m of otherSizes(n)) {
          if (m > i) accept(`${at} in tree ${m}`, isValidInclusion(leaves[i], i, m, proof, roots[m]));
        }
        // transparency-dev's probes: size doubled or halved, root unchanged.
        for (const m of [n * 2, Math.floor(n / 2)]) {
          if (m > i && m !== n)
            accept(`${at} claimed at size ${m}`, isValidInclusion(leaves[i], i, m, proof, roots[n]));
        }
        accept(`${at} with another leaf`, isValidInclusion(leaves[(i + 1) % MAX], i, n, proof, roots[n]));
        if (proof.length > 0) {
          accept(`${at} truncated`, isValidInclusion(leaves[i], i, n, proof.slice(1), roots[n]));
          accept(`${at} extended`, isValidInclusion(leaves[i], i, n, [...proof, roots[n]], roots[n]));
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('flips every bit of every hash of one proof', () => {
    const accepted: string[] = [];
    const proof = inclusionProof(37, 70, store.get);
    const cproof = consistencyProof(37, 70, store.get);
    for (let bit = 0; bit < 256; bit++) {
      for (let e = 0; e < proof.length; e++) {
        if (isValidInclusion(leaves[37], 37, 70, flipBit(proof, e, bit), roots[70]))
          accepted.push(`inclusion ${e}:${bit}`);
      }
      for (let e = 0; e < cproof.length; e++) {
        if (isValidConsistency(37, 70, flipBit(cproof, e, bit), roots[37], roots[70]))
          accepted.push(`consistency ${e}:${bit}`);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('proves and verifies every consistency m ≤ n; corrupted proofs, roots and sizes fail', () => {
    const accepted: string[] = [];
    const accept = (what: string, valid: boolean): void => {
      if (valid) accepted.push(what);
    };
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(m, n, store.get);
        verifyConsistency(m, n, proof, roots[m], roots[n]); // throws if the proof is bad
        if (!rootFromConsistencyProof(m, n, proof, roots[m]).equals(roots[n])) accepted.push(`root ${m}→${n}`);
        const at = `${m}→${n}`;
        if (m === n) {
          if (proof.length !== 0) accepted.push(`${at} not empty`);
          continue;
        }
        for (let e = 0; e < proof.length; e++) {
          accept(
            `${at} hash ${e} flipped`,
            isValidConsistency(m, n, flipBit(proof, e, (m * 13 + n + e * 5) % 256), roots[m], roots[n]),
          );
        }
        accept(`${at} root1 flipped`, isValidConsistency(m, n, proof, flipBit([roots[m]], 0, n % 256)[0], roots[n]));
        accept(`${at} root2 flipped`, isValidConsistency(m, n, proof, roots[m], flipBit([roots[n]], 0, m % 256)[0]));
        accept(`${at} roots swapped`, isValidConsistency(m, n, proof, roots[n], roots[m]));
        // Other sizes with their real roots: this proof never links them.
        for (const m2 of [0, ...otherSizes(m)]) {
          if (m2 <= n) accept(`${at} as ${m2}→${n}`, isValidConsistency(m2, n, proof, roots[m2], roots[n]));
        }
        for (const n2 of otherSizes(n)) {
          if (n2 >= m) accept(`${at} as ${m}→${n2}`, isValidConsistency(m, n2, proof, roots[m], roots[n2]));
        }
        accept(`${at} truncated`, isValidConsistency(m, n, proof.slice(0, -1), roots[m], roots[n]));
        accept(`${at} extended`, isValidConsistency(m, n, [...proof, roots[m]], roots[m], roots[n]));
        accept(`${at} first hash repeated`, isValidConsistency(m, n, [proof[0], ...proof], roots[m], roots[n]));
      }
    }
    expect(accepted).toEqual([]);
  });

  it('generates the same proofs through the batched async store in one round trip', async () => {
    let calls = 0;
    const getNodes = (ids: readonly NodeId[]): Promise<Buffer[]> => {
      calls++;
      return store.getMany(ids);
    };
    for (const [i, n] of [
      [0, 1],
      [5, 8],
      [37, 70],
      [69, 70],
      [64, 65],
    ]) {
      calls = 0;
      expect(await inclusionProofAsync(i, n, getNodes)).toEqual(inclusionProof(i, n, store.get));
      expect(calls).toBe(n === 1 ? 0 : 1);
    }
    for (const [m, n] of [
      [1, 1],
      [6, 8],
      [37, 70],
      [64, 70],
      [63, 64],
    ]) {
      calls = 0;
      expect(await consistencyProofAsync(m, n, getNodes)).toEqual(consistencyProof(m, n, store.get));
      expect(calls).toBe(m === n ? 0 : 1);
    }
  });

  it('needs O(log n) distinct nodes per proof', () => {
    const tooMany: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      const limit = 2 * Math.ceil(Math.log2(n + 1)) + 1;
      for (let i = 0; i < n; i++) {
        const ids = inclusionProofPlan(i, n).nodes;
        const distinct = new Set(ids.map((id) => `${id.level}:${id.index}`)).size;
        if (ids.length > limit || distinct !== ids.length) tooMany.push(`inclusion ${i} of ${n}`);
      }
      for (let m = 0; m <= n; m++) {
        if (consistencyProofPlan(m, n).nodes.length > limit) tooMany.push(`consistency ${m}→${n}`);
      }
    }
    expect(tooMany).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('trees beyond 32-bit sizes', () => {
  // In a tree whose leaves are all equal, every perfect subtree of a level has the same hash, so
  // giant trees can be "stored" in 54 hashes and the 53-bit index arithmetic checked end to end.
  const levelHash: Buffer[] = [leafHash(Buffer.from('same'))];
  for (let level = 1; level <= 53; level++) levelHash.push(nodeHash(levelHash[level - 1], levelHash[level - 1]));
  const get = (level: number, index: number): Buffer => {
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`bad index ${index}`);
    return levelHash[level];
  };
  const rootOf = (size: number): Buffer => rootFromFrontier(frontierNodeIds(size).map((id) => levelHash[id.level]));

  // Reference proof lengths with BigInt, straight from the RFC 9162 recursion.
  function pathLength(m: bigint, n: bigint): number {
    if (n <= 1n) return 0;
    let k = 1n;
    while (k * 2n < n) k *= 2n;
    return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k));
  }

  const cases: Array<[number, number]> = [
    [2 ** 32, 2 ** 32 + 1],
    [2 ** 32 - 1, 2 ** 33 + 3],
    [2 ** 52 + 12345, 2 ** 53 - 1],
    [0, 2 ** 53 - 1],
    [2 ** 53 - 2, 2 ** 53 - 1],
    [3 * 2 ** 40 + 7, 3 * 2 ** 40 + 8],
  ];

  it.each(cases)('inclusion of %i in %i', (index, size) => {
    const proof = inclusionProof(index, size, get);
    expect(proof.length).toBe(pathLength(BigInt(index), BigInt(size)));
    verifyInclusion(levelHash[0], index, size, proof, rootOf(size));
  });

  it.each(cases.filter(([m]) => m > 0))('consistency from %i to %i', (m, n) => {
    const proof = consistencyProof(m, n, get);
    verifyConsistency(m, n, proof, rootOf(m), rootOf(n));
    expect(isValidConsistency(m, n, proof, rootOf(m + 1), rootOf(n))).toBe(false);
  });

  it('refuses sizes beyond Number.MAX_SAFE_INTEGER', () => {
    expect(errorCode(() => inclusionProofPlan(0, 2 ** 53))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => frontierNodeIds(2 ** 53))).toBe('INVALID_ARGUMENT');
  });
});
