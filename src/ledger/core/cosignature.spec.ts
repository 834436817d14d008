import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import {
  addSignatureLines,
  cosignatureMessage,
  cosigner,
  cosignerKeyId,
  formatCosignerKey,
  generateCosignerKeys,
  parseCosignerKey,
  parseCosignerVerifierKey,
  verifyCosignatures,
} from './cosignature.js';
import { generateNoteKeys, NoteError, signNote } from './signed-note.js';

interface PythonVector {
  vkey: string;
  skey: string;
  text: string;
  timestamp: number;
  line: string;
}

const vector = JSON.parse(
  readFileSync(path.resolve(process.cwd(), 'test/fixtures/cosignature/python-cosignature-vector.json'), 'utf8'),
) as PythonVector;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  return undefined;
}

describe('cosignature/v1', () => {
  const log = generateNoteKeys('example.com/behind-the-sofa');
  const logNote = (text: string): string => signNote(text, [log.signerKey]);

  it('signs exactly as an independent implementation does (Python cryptography vector)', () => {
    const signer = parseCosignerKey(vector.skey);
    expect(signer.verifierKey).toBe(vector.vkey);
    expect(signer.cosign(vector.text, vector.timestamp)).toBe(vector.line);
  });

  it('verifies the vector and reports its timestamp', () => {
    const note = addSignatureLines(logNote(vector.text), vector.line);
    const found = verifyCosignatures(note, [vector.vkey]);
    expect(found).toEqual([
      expect.objectContaining({ name: 'witness.example/w1', timestamp: vector.timestamp, line: vector.line }),
    ]);
  });

  it('uses key type 0x04 in the key ID, so a log key ID never matches', () => {
    const witness = parseCosignerVerifierKey(vector.vkey);
    expect(witness.keyId).toBe(cosignerKeyId(witness.name, witness.publicKey));
    expect(witness.keyId.toString(16).padStart(8, '0')).toBe(vector.vkey.split('+')[1]);
  });

  it('signs the header, the time line and the checkpoint text', () => {
    expect(cosignatureMessage('o\n1\nAA==\n', 12).toString()).toBe('cosignature/v1\ntime 12\no\n1\nAA==\n');
  });

  it('refuses a cosignature whose timestamp or text was altered', () => {
    const bytes = Buffer.from(vector.line.trim().split(' ')[2], 'base64');
    bytes.writeBigUInt64BE(BigInt(vector.timestamp + 1), 4);
    const moved = `— witness.example/w1 ${bytes.toString('base64')}\n`;
    expect(code(() => verifyCosignatures(addSignatureLines(logNote(vector.text), moved), [vector.vkey]))).toBe(
      'INVALID_SIGNATURE',
    );
    const otherText = vector.text.replace('20852163', '20852164');
    expect(code(() => verifyCosignatures(addSignatureLines(logNote(otherText), vector.line), [vector.vkey]))).toBe(
      'INVALID_SIGNATURE',
    );
  });

  it('ignores cosignatures by unknown witnesses and returns none', () => {
    const other = generateCosignerKeys('witness.example/w2');
    const note = addSignatureLines(logNote(vector.text), vector.line);
    expect(verifyCosignatures(note, [other.verifierKey])).toEqual([]);
    expect(verifyCosignatures(note, [])).toEqual([]);
  });

  it('round-trips generated keys and refuses log (type 0x01) keys as witness keys', () => {
    const keys = generateCosignerKeys('w.example/3');
    const signer = parseCosignerKey(keys.signerKey);
    expect(signer.verifierKey).toBe(keys.verifierKey);
    expect(formatCosignerKey('w.example/3', Buffer.alloc(32, 7))).toMatch(
      /^PRIVATE\+KEY\+w\.example\/3\+[0-9a-f]{8}\+BA/,
    );
    expect(code(() => parseCosignerVerifierKey(log.verifierKey))).toBe('MALFORMED_KEY');
    // name+id+key, where the base64 key may itself contain '+'.
    const [, name, key] = /^([^+]+)\+[0-9a-f]{8}\+(.+)$/.exec(keys.verifierKey)!;
    expect(code(() => parseCosignerVerifierKey(`${name}+00000000+${key}`))).toBe('KEY_ID_MISMATCH');
    expect(code(() => parseCosignerVerifierKey('no-plus-signs'))).toBe('MALFORMED_KEY');
    expect(code(() => cosigner('bad name', Buffer.alloc(32)))).toBe('INVALID_KEY_NAME');
  });

  it('adds witness lines to a note once', () => {
    const note = logNote(vector.text);
    const once = addSignatureLines(note, vector.line);
    expect(addSignatureLines(once, vector.line)).toBe(once);
    expect(once.endsWith(vector.line)).toBe(true);
  });
});
