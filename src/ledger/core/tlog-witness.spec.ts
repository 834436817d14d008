import { Buffer } from 'node:buffer';

import { ToyLog } from '../../../test/utils/witness-fixtures.js';
import { parseVerifierKey } from './signed-note.js';
import {
  checkAddCheckpoint,
  formatAddCheckpointRequest,
  MAX_ADD_CHECKPOINT_BODY,
  parseAddCheckpointRequest,
  parseTlogSize,
  WitnessRefusalError,
  type HeldCheckpoint,
  type WitnessRefusal,
} from './tlog-witness.js';

function refusal(fn: () => unknown): Pick<WitnessRefusal, 'status' | 'code' | 'size'> | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof WitnessRefusalError) {
      const { status, code, size } = error.refusal;
      return size === undefined ? { status, code } : { status, code, size };
    }
    throw error;
  }
  return undefined;
}

describe('tlog-witness add-checkpoint', () => {
  const log = new ToyLog('custos.example/ledger');
  const logs = new Map([[log.origin, [parseVerifierKey(log.keys.verifierKey)]]]);
  const held = (size: number): HeldCheckpoint => ({ treeSize: size, rootHash: log.root(size) });
  const check = (body: string, at?: HeldCheckpoint) => checkAddCheckpoint(parseAddCheckpointRequest(body), logs, at);

  it('parses the body the spec describes', () => {
    const request = parseAddCheckpointRequest(log.request(5, 13));
    expect(request.oldSize).toBe(5);
    expect(request.proof).toHaveLength(log.proof(5, 13).length);
    expect(request.note).toBe(log.checkpoint(13));
    expect(formatAddCheckpointRequest(0, [], log.checkpoint(1))).toBe(`old 0\n\n${log.checkpoint(1)}`);
  });

  it('accepts the first checkpoint from size 0 and a consistent one from the held size', () => {
    expect(check(log.request(0, 7), undefined).treeSize).toBe(7);
    expect(check(log.request(7, 20), held(7)).treeSize).toBe(20);
    expect(check(log.request(20, 20), held(20)).treeSize).toBe(20);
  });

  it('answers 409 with its size when the old size is not the one it holds', () => {
    expect(refusal(() => check(log.request(5, 20), held(7)))).toEqual({
      status: 409,
      code: 'OLD_SIZE_MISMATCH',
      size: 7,
    });
    expect(refusal(() => check(log.request(0, 20), held(7)))).toMatchObject({ status: 409, size: 7 });
  });

  it('refuses a fork: another root at the held size, or a proof from another history', () => {
    const fork = new ToyLog(log.origin, 'forged', log.keys);
    expect(refusal(() => check(fork.request(7, 7), held(7)))).toEqual({ status: 409, code: 'ROOT_MISMATCH', size: 7 });
    expect(refusal(() => check(fork.request(7, 20), held(7)))).toEqual({ status: 422, code: 'INVALID_PROOF' });
  });

  it('refuses proofs of the wrong length or content with 422', () => {
    const proof = log.proof(7, 20);
    const note = log.checkpoint(20);
    expect(refusal(() => check(formatAddCheckpointRequest(7, proof.slice(1), note), held(7)))).toEqual({
      status: 422,
      code: 'INVALID_PROOF',
    });
    expect(refusal(() => check(formatAddCheckpointRequest(7, [...proof, proof[0]], note), held(7)))).toMatchObject({
      status: 422,
    });
    const flipped = proof.map((hash, i) => (i === 0 ? Buffer.from(hash.map((b) => b ^ 1)) : hash));
    expect(refusal(() => check(formatAddCheckpointRequest(7, flipped, note), held(7)))).toMatchObject({ status: 422 });
  });

  it('refuses unknown logs (404) and bad log signatures (403)', () => {
    const stranger = new ToyLog('elsewhere.example/log');
    expect(refusal(() => check(stranger.request(0, 3)))).toEqual({ status: 404, code: 'UNKNOWN_LOG' });
    const impostor = new ToyLog(log.origin, 'leaf');
    expect(refusal(() => check(impostor.request(0, 3)))).toEqual({ status: 403, code: 'BAD_LOG_SIGNATURE' });
  });

  it('refuses an old size past the checkpoint (400), sizes going backwards (409)', () => {
    expect(refusal(() => check(formatAddCheckpointRequest(9, [], log.checkpoint(7)), held(9)))).toEqual({
      status: 400,
      code: 'OLD_SIZE_BEYOND_CHECKPOINT',
    });
    expect(refusal(() => check(log.request(3, 5), held(7)))).toMatchObject({ status: 409, size: 7 });
  });

  it.each([
    ['no old line', `\n\n${'x'}`],
    ['a signed sign', 'old +3\n\nx'],
    ['a leading zero', 'old 03\n\nx'],
    ['no empty line', 'old 0\nabc'],
    ['a proof line that is not a hash', 'old 3\nAAAA\n\nx'],
    ['64 proof lines', `old 3\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\nx`],
    ['nothing after the empty line', 'old 0\n\n'],
  ])('refuses a body with %s (400)', (_why, body) => {
    expect(refusal(() => parseAddCheckpointRequest(body))).toEqual({ status: 400, code: 'MALFORMED_REQUEST' });
  });

  it('refuses a proof when the old size is 0, and a checkpoint that is not a signed note', () => {
    expect(refusal(() => check(formatAddCheckpointRequest(0, log.proof(3, 7), log.checkpoint(7))))).toEqual({
      status: 400,
      code: 'MALFORMED_REQUEST',
    });
    expect(refusal(() => check('old 0\n\nnot a note\n'))).toEqual({ status: 400, code: 'MALFORMED_REQUEST' });
  });

  it('refuses bodies over 64 KiB (413) and non-UTF-8 bodies (400)', () => {
    expect(refusal(() => parseAddCheckpointRequest(Buffer.alloc(MAX_ADD_CHECKPOINT_BODY + 1, 0x41)))).toEqual({
      status: 413,
      code: 'BODY_TOO_LARGE',
    });
    expect(refusal(() => parseAddCheckpointRequest(Buffer.from([0x6f, 0x6c, 0x64, 0xff])))).toMatchObject({
      status: 400,
    });
  });

  it('reads the size of a 409 answer', () => {
    expect(parseTlogSize('42\n')).toBe(42);
    expect(parseTlogSize('042\n')).toBeUndefined();
    expect(parseTlogSize('42')).toBeUndefined();
  });
});
