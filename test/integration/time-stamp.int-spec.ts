import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateNoteKeys, parseSignerKey, signCheckpoint } from '../../src/ledger/core/index.js';
import {
  noteBody,
  parseTrustAnchors,
  requestTimeStamp,
  verifyTimeStampToken,
} from '../../src/ledger/timestamp/time-stamp.js';
import { startTestTsa, type TestTsa } from '../utils/tsa.js';

const ORIGIN = 'test.custos.invalid/ledger';

/**
 * RFC 3161 timestamps of checkpoints (issue #15 item 2, ADR 0027) against a real TSA: OpenSSL's
 * `openssl ts -reply` with a CA and a TSA certificate made for the test.
 */
describe('RFC 3161 time-stamp tokens over a checkpoint note body', () => {
  let dir: string;
  let tsa: TestTsa;
  let other: TestTsa;
  const signer = parseSignerKey(generateNoteKeys(ORIGIN).signerKey);
  const note = signCheckpoint({ origin: ORIGIN, treeSize: 42, rootHash: Buffer.alloc(32, 7) }, signer);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-tsa-'));
    tsa = await startTestTsa(dir);
    other = await startTestTsa(dir);
  });

  afterAll(async () => {
    await tsa?.close();
    await other?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('covers exactly the signed text, and verifies with the TSA CA (and with openssl ts -verify)', async () => {
    const body = noteBody(note);
    expect(body.toString()).toBe(`${ORIGIN}\n42\n${Buffer.alloc(32, 7).toString('base64')}\n`);
    const before = Date.now();
    const { token, verified } = await requestTimeStamp(tsa.url, body, parseTrustAnchors(tsa.caPem));
    expect(verified.tsa).toContain('CN=Custos Test TSA');
    expect(verified.genTime.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(verified.genTime.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    // An independent implementation agrees: OpenSSL verifies the same token over the same bytes.
    const tokenFile = join(dir, 'token.der');
    const bodyFile = join(dir, 'body.txt');
    writeFileSync(tokenFile, token);
    writeFileSync(bodyFile, body);
    const out = execFileSync(
      'openssl',
      ['ts', '-verify', '-in', tokenFile, '-token_in', '-data', bodyFile, '-CAfile', tsa.caFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString();
    expect(out).toContain('Verification: OK');
  });

  it('refuses a token over other data, from an untrusted TSA, or altered', async () => {
    const body = noteBody(note);
    const { token } = await requestTimeStamp(tsa.url, body, parseTrustAnchors(tsa.caPem));
    const anchors = parseTrustAnchors(tsa.caPem);
    expect(() => verifyTimeStampToken(token, Buffer.concat([body, Buffer.from('x')]), anchors)).toThrow(
      /imprint is not the checkpoint's note body/,
    );
    expect(() => verifyTimeStampToken(token, body, parseTrustAnchors(other.caPem))).toThrow(
      /does not chain to the given CA/,
    );
    // One byte of the signature changed (the last bytes of the token are the signature).
    const altered = Buffer.from(token);
    altered[altered.length - 3] ^= 0x01;
    expect(() => verifyTimeStampToken(altered, body, anchors)).toThrow(/time-stamp token/);
    await expect(requestTimeStamp(tsa.url, body, parseTrustAnchors(other.caPem))).rejects.toThrow(
      /does not chain to the given CA/,
    );
  });
});
