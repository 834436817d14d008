import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { addSignatureLines, formatAddCheckpointRequest, verifyCosignatures } from '../../src/ledger/core/index.js';
import { ToyLog } from '../utils/witness-fixtures.js';
import { addCheckpoint, startWitnessProcess, type WitnessProcess } from '../utils/witness-process.js';

jest.setTimeout(120_000);

/**
 * The standalone witness (`custos witness serve`) as a real process: its key, its durable state,
 * concurrent requests, hostile input and restarts (issue 15, "What it must show").
 */
describe('custos witness serve', () => {
  const log = new ToyLog('custos.example/ledger');
  let dataDir: string;
  let witness: WitnessProcess | undefined;
  let url: string;
  let vkey: string;

  const start = async (): Promise<void> => {
    witness = startWitnessProcess([
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--name',
      'witness.test/w1',
      '--log',
      `${log.origin}=${log.keys.verifierKey}`,
    ]);
    ({ url, vkey } = await witness.ready);
  };

  /** The bytes of the witness's state files: unchanged by anything it refuses. */
  const state = (): string =>
    readdirSync(join(dataDir, 'logs'))
      .sort()
      .map((file) => readFileSync(join(dataDir, 'logs', file), 'utf8'))
      .join('\n');

  /** The size the witness holds, asked the way a log asks it (old 0 → 409 with the size). */
  const heldSize = async (): Promise<number> => {
    const answer = await addCheckpoint(url, log.request(0, 1));
    if (answer.status === 200) return 1;
    expect(answer).toMatchObject({ status: 409, type: 'text/x.tlog.size' });
    return Number(answer.text);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'custos-witness-'));
    await start();
  });

  afterAll(async () => {
    await witness?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates its key (0600) on first start and prints its vkey on a line of its own', () => {
    expect(statSync(join(dataDir, 'witness.key')).mode & 0o777).toBe(0o600);
    expect(vkey).toMatch(/^witness\.test\/w1\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(vkey.split('+')[2], 'base64')[0]).toBe(0x04); // cosignature/v1 key type
    expect(witness!.output().split('\n')[0]).toBe(vkey);
  });

  it('cosigns the first checkpoint of a log with a cosignature/v1 that verifies', async () => {
    const answer = await addCheckpoint(url, log.request(0, 5));
    expect(answer.status).toBe(200);
    const found = verifyCosignatures(addSignatureLines(log.checkpoint(5), answer.text), [vkey]);
    expect(found).toHaveLength(1);
    expect(Math.abs(found[0].timestamp - Date.now() / 1000)).toBeLessThan(60);
  });

  it('keeps one consistent sequence under 20 concurrent add-checkpoint calls', async () => {
    const from = await heldSize();
    const fork = new ToyLog(log.origin, 'forked', log.keys);
    // All 20 claim the held size: at most one can be cosigned, the others must learn the new size
    // (409) or be refused for a bad proof (422, the forked ones); none may roll the state back.
    const bodies = Array.from({ length: 20 }, (_, i) =>
      i % 5 === 4 ? fork.request(from, from + 1 + i) : log.request(from, from + 1 + i),
    );
    const answers = await Promise.all(bodies.map((body) => addCheckpoint(url, body)));
    const accepted = answers.flatMap((answer, i) => (answer.status === 200 ? [i] : []));
    expect(answers.every((answer) => [200, 409, 422].includes(answer.status))).toBe(true);
    expect(accepted).toHaveLength(1);
    const winner = from + 1 + accepted[0];
    expect(accepted[0] % 5).not.toBe(4);
    for (const answer of answers.filter((a) => a.status === 409)) expect(answer.text).toBe(`${winner}\n`);
    for (const i of answers.flatMap((a, j) => (a.status === 422 ? [j] : []))) expect(i % 5).toBe(4);
    expect(await heldSize()).toBe(winner);

    // A second burst from the new size, each to its own size: again exactly one wins.
    const again = await Promise.all(
      Array.from({ length: 20 }, (_, i) => addCheckpoint(url, log.request(winner, winner + 1 + i))),
    );
    expect(again.filter((a) => a.status === 200)).toHaveLength(1);
    expect(again.every((a) => a.status === 200 || a.status === 409)).toBe(true);
  });

  it('answers bad input with a 4xx and leaves its state unchanged', async () => {
    const held = await heldSize();
    const before = state();
    const stranger = new ToyLog('elsewhere.example/log');
    const impostor = new ToyLog(log.origin);
    const proof = log.proof(held, held + 9);
    const bad: [string, string | Uint8Array, number][] = [
      ['a malformed note', `old ${held}\n\nnot a checkpoint\n`, 400],
      [
        'a note without signatures',
        `old ${held}\n\n${log.origin}\n${held + 9}\n${log.root(held + 9).toString('base64')}\n`,
        400,
      ],
      ['a log it does not witness', stranger.request(0, 3), 404],
      ['a checkpoint signed by an unknown key', impostor.request(held, held + 9), 403],
      ['a proof one hash short', formatAddCheckpointRequest(held, proof.slice(1), log.checkpoint(held + 9)), 422],
      ['a proof one hash long', formatAddCheckpointRequest(held, [...proof, proof[0]], log.checkpoint(held + 9)), 422],
      ['a size going backwards', log.request(held - 3, held - 1), 409],
      ['an old size past the checkpoint', formatAddCheckpointRequest(held, [], log.checkpoint(held - 1)), 400],
      ['a fork at the held size', new ToyLog(log.origin, 'forked', log.keys).request(held, held), 409],
      ['a body over 64 KiB', `old ${held}\n${'A'.repeat(70 * 1024)}\n\n${log.checkpoint(held + 9)}`, 413],
      ['bytes that are not UTF-8', Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a, 0x0a]), 400],
    ];
    for (const [why, body, status] of bad) {
      const answer = await addCheckpoint(url, body);
      expect({ why, status: answer.status }).toEqual({ why, status });
    }
    expect(state()).toBe(before);
    expect(await addCheckpoint(url, log.request(held, held + 9))).toMatchObject({ status: 200 });
  });

  it('keeps its key and its state across a restart', async () => {
    const held = await heldSize();
    const before = vkey;
    await witness!.stop();
    await start();
    expect(vkey).toBe(before);
    expect(await heldSize()).toBe(held);
    expect((await addCheckpoint(url, log.request(held, held + 2))).status).toBe(200);
  });
});
