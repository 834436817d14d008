import { CursorInvalidError, decodeCursor, encodeCursor } from './cursor.js';

describe('pagination cursors', () => {
  it('round-trip the sort key', () => {
    const cursor = encodeCursor(['2026-01-02T03:04:05.000Z', 'a-b']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['string', 'string'] as const)).toEqual(['2026-01-02T03:04:05.000Z', 'a-b']);
    expect(decodeCursor(encodeCursor([42]), ['number'] as const)).toEqual([42]);
  });

  it('refuse anything else', () => {
    for (const bad of [
      '',
      'not-json',
      encodeCursor([1, 2]),
      encodeCursor(['x']),
      Buffer.from('{"a":1}').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad, ['number'] as const)).toThrow(CursorInvalidError);
    }
  });
});
