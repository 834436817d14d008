import { Buffer } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import {
  decodeBase64Strict,
  ed25519KeyId,
  ed25519Signer,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKeys,
  isValidKeyName,
  NoteError,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './signed-note.js';

interface GoVector {
  vkey: string;
  skey: string;
  text: string;
  note: string;
}

function fixture(relative: string): string {
  const file = path.resolve(process.cwd(), 'test/fixtures', relative);
  if (!existsSync(file)) throw new Error(`fixture ${relative} not found at ${file}`);
  return file;
}

const go = JSON.parse(readFileSync(fixture('signed-note/go-sumdb-note-vector.json'), 'utf8')) as GoVector;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  return undefined;
}

/** Rewrites the decoded signature (key ID ‖ signature) of the line signed by `name`. */
function withSignatureBytes(note: string, edit: (bytes: Buffer) => void, name = 'PeterNeumann'): string {
  const lines = note.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`\u2014 ${name} `));
  const b64 = lines[at].slice(`\u2014 ${name} `.length);
  const bytes = Buffer.from(b64, 'base64');
  edit(bytes);
  lines[at] = `\u2014 ${name} ${bytes.toString('base64')}`;
  return lines.join('\n');
}

describe('Go sumdb/note reference vector', () => {
  it('parses the verifier key and recomputes its key ID', () => {
    const verifier = parseVerifierKey(go.vkey);
    expect(verifier.name).toBe('PeterNeumann');
    expect(verifier.keyId).toBe(0xc74f20a3);
    expect(ed25519KeyId(verifier.name, verifier.publicKey)).toBe(0xc74f20a3);
    expect(formatVerifierKey(verifier.name, verifier.publicKey)).toBe(go.vkey);
  });

  it('parses the signer key to the same public key and formats it back', () => {
    const signer = parseSignerKey(go.skey);
    expect(signer.name).toBe('PeterNeumann');
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signer.publicKey).toEqual(parseVerifierKey(go.vkey).publicKey);
    const seed = Buffer.from(go.skey.split('+').slice(4).join('+'), 'base64').subarray(1);
    expect(formatSignerKey('PeterNeumann', seed)).toBe(go.skey);
  });

  it('opens the reference note', () => {
    const opened = openNote(go.note, [go.vkey]);
    expect(opened.text).toBe(go.text);
    expect(opened.verified).toHaveLength(1);
    expect(opened.verified[0]).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3 });
    expect(opened.unknown).toEqual([]);
    expect(openNote(Buffer.from(go.note, 'utf8'), [parseVerifierKey(go.vkey)]).text).toBe(go.text);
  });

  it('reproduces the reference note byte for byte (Ed25519 is deterministic)', () => {
    expect(signNote(go.text, [go.skey])).toBe(go.note);
    expect(signNote(go.text, [parseSignerKey(go.skey)])).toBe(go.note);
  });
});

describe('opening notes', () => {
  const other = generateNoteKeys('witness.example/w1');

  it('rejects text changed by one byte', () => {
    const tampered = go.note.replace('cryptography', 'cryptographY');
    expect(code(() => openNote(tampered, [go.vkey]))).toBe('INVALID_SIGNATURE');
  });

  it('ignores a signature by another key with the same name, then finds no known signature', () => {
    const impostor = generateNoteKeys('PeterNeumann');
    const note = signNote(go.text, [impostor.signerKey]);
    expect(code(() => openNote(note, [go.vkey]))).toBe('NO_KNOWN_SIGNATURE');
  });

  it('ignores a signature whose key ID is wrong', () => {
    const note = withSignatureBytes(go.note, (bytes) => {
      bytes[3] ^= 1;
    });
    expect(code(() => openNote(note, [go.vkey]))).toBe('NO_KNOWN_SIGNATURE');
  });

  it('rejects a flipped signature bit and a truncated signature from a known key', () => {
    const flipped = withSignatureBytes(go.note, (bytes) => {
      bytes[10] ^= 0x80;
    });
    expect(code(() => openNote(flipped, [go.vkey]))).toBe('INVALID_SIGNATURE');
    const lines = go.note.split('\n');
    const at = lines.findIndex((l) => l.startsWith('\u2014 '));
    const [prefix, name, b64] = lines[at].split(' ');
    lines[at] = `${prefix} ${name} ${Buffer.from(b64, 'base64').subarray(0, 40).toString('base64')}`;
    expect(code(() => openNote(lines.join('\n'), [go.vkey]))).toBe('INVALID_SIGNATURE');
  });

  it.each<[string, (note: string) => string, string]>([
    ['missing final newline', (n) => n.slice(0, -1), 'MALFORMED_NOTE'],
    ['CRLF line ends', (n) => n.replace(/\n/g, '\r\n'), 'MALFORMED_NOTE'],
    ['a tab in the text', (n) => n.replace('If you', 'If\tyou'), 'MALFORMED_NOTE'],
    ['no blank line', (n) => n.replace('\n\n', '\n'), 'MALFORMED_NOTE'],
    ['a trailing blank line', (n) => `${n}\n`, 'MALFORMED_NOTE'],
    ['a hyphen instead of the em dash', (n) => n.replace('\u2014 ', '-- '), 'MALFORMED_SIGNATURE'],
    ['no space after the em dash', (n) => n.replace('\u2014 ', '\u2014'), 'MALFORMED_SIGNATURE'],
    ['no signature after the name', (n) => n.replace(/PeterNeumann .*\n$/, 'PeterNeumann\n'), 'MALFORMED_SIGNATURE'],
    ['an empty signature', (n) => n.replace(/PeterNeumann .*\n$/, 'PeterNeumann \n'), 'MALFORMED_SIGNATURE'],
    [
      'a signature of 4 bytes',
      (n) => n.replace(/PeterNeumann .*\n$/, 'PeterNeumann x08gow==\n'),
      'MALFORMED_SIGNATURE',
    ],
    ['unpadded base64', (n) => n.replace(/=\n$/, '\n'), 'MALFORMED_SIGNATURE'],
    ['base64 with a space', (n) => n.replace('x08go', 'x08 go'), 'MALFORMED_SIGNATURE'],
    ['base64url characters', (n) => n.replace('x08go/', 'x08go_'), 'MALFORMED_SIGNATURE'],
    ['a key name with +', (n) => n.replace('\u2014 PeterNeumann', '\u2014 Peter+Neumann'), 'MALFORMED_SIGNATURE'],
    ['a duplicated signature line', (n) => n + n.slice(n.lastIndexOf('\u2014')), 'DUPLICATE_SIGNATURE'],
  ])('rejects %s', (_what, tamper, expected) => {
    expect(code(() => openNote(tamper(go.note), [go.vkey]))).toBe(expected);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from(go.note, 'utf8').subarray(0, 10),
      Buffer.from([0xff]),
      Buffer.from(go.note, 'utf8').subarray(10),
    ]);
    expect(code(() => openNote(bytes, [go.vkey]))).toBe('MALFORMED_NOTE');
  });

  it('accepts unknown signatures next to a known valid one, and reports them', () => {
    const note = signNote(go.text, [other.signerKey, go.skey]);
    const opened = openNote(note, [go.vkey]);
    expect(opened.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(opened.unknown.map((s) => s.name)).toEqual(['witness.example/w1']);
    expect(openNote(note, [go.vkey, other.verifierKey]).verified).toHaveLength(2);
  });

  it('rejects the whole note when one known signature fails, even if another verifies', () => {
    const note = signNote(go.text, [go.skey, other.signerKey]);
    const broken = withSignatureBytes(
      note,
      (bytes) => {
        bytes[20] ^= 1;
      },
      'witness.example/w1',
    );
    expect(code(() => openNote(broken, [go.vkey]))).toBeUndefined();
    expect(code(() => openNote(broken, [go.vkey, other.verifierKey]))).toBe('INVALID_SIGNATURE');
  });

  it('rejects two different signatures by one known key', () => {
    const extra = withSignatureBytes(go.note, (bytes) => {
      bytes[20] ^= 1;
    });
    const twice = go.note + extra.slice(extra.lastIndexOf('\u2014'));
    expect(code(() => openNote(twice, [go.vkey]))).toBe('DUPLICATE_SIGNATURE');
  });

  it('refuses more than 100 signature lines', () => {
    const signers = Array.from({ length: 101 }, (_, i) => ed25519Signer(`k${i}`, Buffer.alloc(32, i)));
    const note = signNote(go.text, [...signers, go.skey]);
    expect(code(() => openNote(note, [go.vkey]))).toBe('TOO_MANY_SIGNATURES');
    expect(openNote(signNote(go.text, [...signers.slice(0, 99), go.skey]), [go.vkey]).unknown).toHaveLength(99);
  });

  it('needs at least one verifier that signed', () => {
    expect(code(() => openNote(go.note, []))).toBe('NO_KNOWN_SIGNATURE');
  });
});

describe('signing notes', () => {
  it('round-trips texts with blank lines, the separator being the last blank line', () => {
    const keys = generateNoteKeys('custos.example/ledger');
    for (const text of ['a\n\nb\n', 'a\n\n', '\n', 'é€😀\n']) {
      const note = signNote(text, [keys.signerKey]);
      expect(openNote(note, [keys.verifierKey]).text).toBe(text);
    }
  });

  it.each([
    ['no final newline', 'text'],
    ['an empty text', ''],
    ['a carriage return', 'a\r\n'],
    ['a lone surrogate', 'a\ud800\n'],
  ])('refuses text with %s', (_what, text) => {
    expect(code(() => signNote(text, [go.skey]))).toBe('INVALID_TEXT');
  });

  it('refuses no signers and the same signer twice', () => {
    expect(code(() => signNote(go.text, []))).toBe('INVALID_TEXT');
    expect(code(() => signNote(go.text, [go.skey, go.skey]))).toBe('DUPLICATE_SIGNATURE');
  });
});

describe('keys', () => {
  it.each([
    ['example.com/log42', true],
    ['PeterNeumann', true],
    ['é/ü', true],
    ['', false],
    ['a b', false],
    ['a+b', false],
    ['a\tb', false],
    ['a\u00a0b', false],
    ['a\u2003b', false],
    ['a\u3000b', false],
    ['a\u0085b', false],
    ['a\u0001b', false],
    ['\ud800', false],
  ])('key name %j valid: %s', (name, valid) => {
    expect(isValidKeyName(name)).toBe(valid);
  });

  it('generates keys whose strings parse back and sign verifiable notes', () => {
    const { signerKey, verifierKey } = generateNoteKeys('custos.example/ledger');
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+custos\.example\/ledger\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    expect(verifierKey).toMatch(/^custos\.example\/ledger\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    expect(parseSignerKey(signerKey).keyId).toBe(parseVerifierKey(verifierKey).keyId);
    expect(openNote(signNote('hello\n', [signerKey]), [verifierKey]).text).toBe('hello\n');
  });

  it.each<[string, string, string]>([
    ['a wrong key ID', go.vkey.replace('c74f20a3', 'c74f20a4'), 'KEY_ID_MISMATCH'],
    ['a short key ID', go.vkey.replace('c74f20a3', 'c74f20a'), 'MALFORMED_KEY'],
    ['another algorithm', go.vkey.replace('+AR', '+Ah'), 'MALFORMED_KEY'],
    ['a truncated key', go.vkey.slice(0, -4), 'MALFORMED_KEY'],
    ['not base64', go.vkey.replace('/LDE', '_LDE'), 'MALFORMED_KEY'],
    ['a bad name', go.vkey.replace('PeterNeumann', 'Peter Neumann'), 'INVALID_KEY_NAME'],
    ['no separators', 'PeterNeumann', 'MALFORMED_KEY'],
  ])('refuses a verifier key with %s', (_what, key, expected) => {
    expect(code(() => parseVerifierKey(key))).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['a wrong key ID', go.skey.replace('c74f20a3', '00000000'), 'KEY_ID_MISMATCH'],
    ['no PRIVATE+KEY prefix', go.skey.replace('PRIVATE+KEY+', ''), 'MALFORMED_KEY'],
    ['a verifier key', go.vkey, 'MALFORMED_KEY'],
    ['a short seed', go.skey.slice(0, -4), 'MALFORMED_KEY'],
  ])('refuses a signer key with %s', (_what, key, expected) => {
    expect(code(() => parseSignerKey(key))).toBe(expected);
  });

  it('decodes only canonical, padded standard base64', () => {
    expect(decodeBase64Strict('AAEC')).toEqual(Buffer.from([0, 1, 2]));
    expect(decodeBase64Strict('')).toEqual(Buffer.alloc(0));
    expect(decodeBase64Strict('AAE=')).toEqual(Buffer.from([0, 1]));
    expect(decodeBase64Strict('AAF=')).toBeUndefined();
    expect(decodeBase64Strict('AAE')).toBeUndefined();
    expect(decodeBase64Strict('AA-_')).toBeUndefined();
    expect(decodeBase64Strict('AA E')).toBeUndefined();
  });
});
