import { Buffer } from 'node:buffer';

import { CheckpointError, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { emptyRoot } from './merkle.js';
import { generateNoteKeys, NoteError, parseSignerKey, parseVerifierKey, signNote } from './signed-note.js';

const ORIGIN = 'custos.example/ledger';
const ROOT_8 = Buffer.from('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328', 'hex');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof CheckpointError || error instanceof NoteError) return error.code;
    throw error;
  }
  return undefined;
}

describe('checkpoint body', () => {
  it('formats the tlog-checkpoint example', () => {
    const rootHash = Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64');
    expect(formatCheckpoint({ origin: 'example.com/behind-the-sofa', treeSize: 20852163, rootHash })).toBe(
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });

  it('round-trips, extension lines included, and the empty tree as size 0', () => {
    const checkpoint = { origin: ORIGIN, treeSize: 8, rootHash: ROOT_8, extensions: ['ext one', '— ext two'] };
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
    expect(parseCheckpoint(formatCheckpoint({ origin: ORIGIN, treeSize: 0, rootHash: emptyRoot() }))).toEqual({
      origin: ORIGIN,
      treeSize: 0,
      rootHash: emptyRoot(),
      extensions: [],
    });
  });

  const root = ROOT_8.toString('base64');
  it.each([
    ['no final newline', `${ORIGIN}\n8\n${root}`],
    ['two lines', `${ORIGIN}\n8\n`],
    ['an empty origin', `\n8\n${root}\n`],
    ['a leading zero', `${ORIGIN}\n08\n${root}\n`],
    ['a plus sign', `${ORIGIN}\n+8\n${root}\n`],
    ['a minus sign', `${ORIGIN}\n-8\n${root}\n`],
    ['a space', `${ORIGIN}\n 8\n${root}\n`],
    ['a decimal point', `${ORIGIN}\n8.0\n${root}\n`],
    ['hex', `${ORIGIN}\n0x8\n${root}\n`],
    ['a size beyond 2^53 - 1', `${ORIGIN}\n9007199254740992\n${root}\n`],
    ['an unpadded root', `${ORIGIN}\n8\n${root.replace(/=$/, '')}\n`],
    ['a base64url root', `${ORIGIN}\n8\n${ROOT_8.toString('base64url')}=\n`],
    ['a 31-byte root', `${ORIGIN}\n8\n${ROOT_8.subarray(1).toString('base64')}\n`],
    ['an empty extension line', `${ORIGIN}\n8\n${root}\n\nextension\n`],
    ['a trailing empty line', `${ORIGIN}\n8\n${root}\n\n`],
    ['a carriage return', `${ORIGIN}\r\n8\n${root}\n`],
  ])('refuses a body with %s', (_what, text) => {
    expect(code(() => parseCheckpoint(text))).toBe('MALFORMED_CHECKPOINT');
  });

  it.each([
    ['an empty origin', { origin: '', treeSize: 1, rootHash: ROOT_8 }],
    ['a newline in the origin', { origin: 'a\nb', treeSize: 1, rootHash: ROOT_8 }],
    ['a negative size', { origin: ORIGIN, treeSize: -1, rootHash: ROOT_8 }],
    ['a fractional size', { origin: ORIGIN, treeSize: 1.5, rootHash: ROOT_8 }],
    ['a short root', { origin: ORIGIN, treeSize: 1, rootHash: ROOT_8.subarray(1) }],
    ['an empty extension', { origin: ORIGIN, treeSize: 1, rootHash: ROOT_8, extensions: [''] }],
  ])('refuses to format %s', (_what, checkpoint) => {
    expect(code(() => formatCheckpoint(checkpoint))).toBe('MALFORMED_CHECKPOINT');
  });
});

describe('signed checkpoints', () => {
  const keys = generateNoteKeys(ORIGIN);
  const note = signCheckpoint({ origin: ORIGIN, treeSize: 8, rootHash: ROOT_8 }, keys.signerKey);

  it('signs as a signed note whose key name is the origin', () => {
    expect(note).toMatch(
      new RegExp(`^${ORIGIN}\\n8\\n${ROOT_8.toString('base64').replace(/[+/]/g, '\\$&')}\\n\\n— ${ORIGIN} \\S+\\n$`),
    );
  });

  it('opens with the verifier key (string or parsed, alone or in a list) and checks the origin', () => {
    for (const verifier of [keys.verifierKey, parseVerifierKey(keys.verifierKey), [keys.verifierKey]]) {
      const opened = openCheckpoint(note, verifier, { origin: ORIGIN });
      expect(opened.origin).toBe(ORIGIN);
      expect(opened.treeSize).toBe(8);
      expect(opened.rootHash).toEqual(ROOT_8);
      expect(opened.extensions).toEqual([]);
      expect(opened.signatures.map((s) => s.name)).toEqual([ORIGIN]);
    }
    expect(code(() => openCheckpoint(note, keys.verifierKey, { origin: 'other.example/ledger' }))).toBe(
      'ORIGIN_MISMATCH',
    );
  });

  it('rejects a changed tree size or root, and an untrusted key', () => {
    expect(code(() => openCheckpoint(note.replace('\n8\n', '\n9\n'), keys.verifierKey))).toBe('INVALID_SIGNATURE');
    const otherRoot = emptyRoot().toString('base64');
    expect(code(() => openCheckpoint(note.replace(ROOT_8.toString('base64'), otherRoot), keys.verifierKey))).toBe(
      'INVALID_SIGNATURE',
    );
    expect(code(() => openCheckpoint(note, generateNoteKeys(ORIGIN).verifierKey))).toBe('NO_KNOWN_SIGNATURE');
  });

  it('keeps extension lines, and rejects a validly signed note that is not a checkpoint', () => {
    const signer = parseSignerKey(keys.signerKey);
    const extended = signCheckpoint({ origin: ORIGIN, treeSize: 8, rootHash: ROOT_8, extensions: ['x'] }, signer);
    expect(openCheckpoint(extended, keys.verifierKey).extensions).toEqual(['x']);
    // Signed texts that are notes but not checkpoints: a blank line inside, a missing root line.
    for (const text of [`${ORIGIN}\n8\n${ROOT_8.toString('base64')}\n\nx\n`, `${ORIGIN}\n8\n`]) {
      expect(code(() => openCheckpoint(signNote(text, [signer]), keys.verifierKey))).toBe('MALFORMED_CHECKPOINT');
    }
  });

  it('accepts witness cosignatures by other keys next to the log signature', () => {
    const witness = generateNoteKeys('witness.example/w1');
    const cosigned = signCheckpoint({ origin: ORIGIN, treeSize: 8, rootHash: ROOT_8 }, [
      keys.signerKey,
      witness.signerKey,
    ]);
    expect(openCheckpoint(cosigned, keys.verifierKey).treeSize).toBe(8);
  });
});
