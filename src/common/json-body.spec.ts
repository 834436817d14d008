import {
  bodyLimitOf,
  inspectJson,
  MAX_BODY_BYTES,
  MAX_ENCODED_LENGTH,
  MAX_JSON_DEPTH,
  MAX_KEY_LENGTH,
  MAX_SEIZURE_BODY_BYTES,
  MAX_STRING_LENGTH,
} from './json-body.js';

// Deterministic bytes whose base64 uses the whole alphabet, `+` and `/` included.
const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 151 + 7) % 256));
const base64 = (length: number): string => bytes.toString('base64').slice(0, length);
const base64url = (length: number): string => bytes.toString('base64url').slice(0, length);
const wrap = (text: string, width: number, eol = '\n'): string =>
  (text.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol);

const SENTENCE = 'Black Samsung Galaxy S21, screen cracked (top-left); found under the driver’s seat, powered off. ';
const prose = (length: number): string => SENTENCE.repeat(Math.ceil(length / SENTENCE.length)).slice(0, length);
const sha512 =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

describe('inspectJson', () => {
  it('accepts ordinary bodies', () => {
    expect(inspectJson({ items: [{ imeis: ['490154203237518'], seal: { number: 'S-1' } }] })).toBeUndefined();
    expect(inspectJson('text')).toBeUndefined();
    expect(inspectJson(null)).toBeUndefined();
  });

  describe('structure', () => {
    it('names the path of a prototype-pollution key', () => {
      expect(inspectJson(JSON.parse('{"items":[{"a":1},{"__proto__":{"x":1}}]}'))).toEqual({
        code: 'forbidden_json_structure',
        detail: 'The request body was refused: the key "__proto__" is not allowed (at items[1].__proto__)',
      });
      expect(inspectJson({ prototype: 1 })?.detail).toContain('"prototype"');
      expect(inspectJson({ a: { constructor: {} } })?.code).toBe('forbidden_json_structure');
    });

    it('refuses nesting past the limit and accepts it up to the limit', () => {
      const nest = (depth: number): unknown => (depth === 0 ? 1 : { a: nest(depth - 1) });
      expect(inspectJson(nest(MAX_JSON_DEPTH))).toBeUndefined();
      expect(inspectJson(nest(MAX_JSON_DEPTH + 1))).toEqual({
        code: 'forbidden_json_structure',
        detail: expect.stringMatching(/nests deeper than 32 levels/),
      });
    });

    it(`refuses a key longer than ${MAX_KEY_LENGTH} characters without repeating it`, () => {
      expect(MAX_KEY_LENGTH).toBe(200);
      expect(inspectJson({ items: [{ ['k'.repeat(200)]: 1 }] })).toBeUndefined();
      const refusal = inspectJson({ items: [{ ['k'.repeat(201)]: 1 }] });
      expect(refusal).toEqual({
        code: 'forbidden_json_structure',
        detail: expect.stringContaining('longer than 200 characters (in items[0])'),
      });
      expect(refusal?.detail).not.toContain('kkkk');
      expect(inspectJson({ ['k'.repeat(201)]: 1 })?.detail).toContain('the top level');
    });
  });

  describe('text longer than a field', () => {
    it(`accepts ${MAX_STRING_LENGTH} characters and refuses ${MAX_STRING_LENGTH + 1}`, () => {
      expect(MAX_STRING_LENGTH).toBe(2000);
      expect(inspectJson({ description: prose(2000) })).toBeUndefined();
      expect(inspectJson({ description: prose(2001) })).toEqual({
        code: 'field_too_long',
        detail: 'The field description is longer than 2000 characters, the limit for any text',
      });
    });

    it('names the path, through objects and nested arrays', () => {
      const items = [0, 1, 2, 3].map((n) => ({ description: n === 3 ? prose(2001) : 'ok' }));
      expect(inspectJson({ items })?.detail).toContain('The field items[3].description is longer than 2000');
      expect(inspectJson({ grid: [['a'], ['b', prose(2001)]] })?.detail).toContain('The field grid[1][1] ');
      expect(inspectJson([[prose(2001)]])?.detail).toContain('The field [0][0] ');
      expect(inspectJson(prose(2001))?.detail).toMatch(/^The body is longer/);
    });

    it('counts Unicode code points, not UTF-16 units', () => {
      const seal = '🔒'; // two UTF-16 units, one character
      expect(inspectJson({ note: seal.repeat(2000) })).toBeUndefined();
      expect(inspectJson({ note: seal.repeat(2001) })?.code).toBe('field_too_long');
    });

    it('accepts ordinary long prose, with or without punctuation', () => {
      expect(inspectJson({ description: prose(1500) })).toBeUndefined();
      const plain = 'Samsung Galaxy S21 black case seized from the kitchen table at 0914 hours IMEI 490154203237518 ';
      expect(inspectJson({ description: plain.repeat(20).slice(0, 1900) })).toBeUndefined();
    });
  });

  describe('encoded content', () => {
    const CONTENT =
      /looks like encoded content .*Custos records descriptions, identifiers and hashes, never evidence content/;

    it(`accepts ${MAX_ENCODED_LENGTH} base64 characters and refuses ${MAX_ENCODED_LENGTH + 1}`, () => {
      expect(MAX_ENCODED_LENGTH).toBe(1024);
      expect(base64(1025)).toMatch(/[+/]/);
      expect(inspectJson({ note: base64(1024) })).toBeUndefined();
      const refusal = inspectJson({ items: [{}, { attachment: base64(1025) }] });
      expect(refusal?.code).toBe('content_not_accepted');
      expect(refusal?.detail).toMatch(CONTENT);
      expect(refusal?.detail).toContain('The field items[1].attachment ');
      expect(refusal?.detail).toContain('1024 characters');
    });

    it('refuses base64url and padded base64', () => {
      expect(base64url(1025)).toMatch(/[-_]/);
      expect(inspectJson({ note: base64url(1025) })?.code).toBe('content_not_accepted');
      const padded = bytes.subarray(0, 1000).toString('base64');
      expect(padded).toMatch(/=$/);
      expect(inspectJson({ note: padded })?.code).toBe('content_not_accepted');
    });

    it('counts characters after removing line breaks and whitespace', () => {
      expect(inspectJson({ note: wrap(base64(1024), 76, '\r\n') })).toBeUndefined();
      expect(inspectJson({ note: `  ${wrap(base64(1024), 64)}\n` })).toBeUndefined();
      expect(inspectJson({ note: wrap(base64(1025), 76, '\r\n') })?.code).toBe('content_not_accepted');
      expect(inspectJson({ note: wrap(base64(1025), 64) })?.code).toBe('content_not_accepted');
    });

    it('reports content, not length, for a base64 string longer than any field', () => {
      const refusal = inspectJson({ photo: base64(2048) });
      expect(refusal?.code).toBe('content_not_accepted');
      expect(inspectJson({ photo: wrap(base64(4096), 76) })?.code).toBe('content_not_accepted');
    });

    it('refuses a data: URI past the limit, whatever its encoding', () => {
      const uri = (payload: string): string => `data:image/jpeg;base64,${payload}`;
      expect(inspectJson({ photo: uri(base64(2000)) })?.code).toBe('content_not_accepted');
      expect(inspectJson({ photo: `DATA:text/plain,${'%41'.repeat(400)}` })?.code).toBe('content_not_accepted');
      expect(inspectJson({ photo: uri(base64(1000)) })).toBeUndefined();
    });

    it('accepts hashes: a SHA-512 is 128 hex characters', () => {
      expect(sha512).toHaveLength(128);
      expect(
        inspectJson({
          hashes: [
            { algorithm: 'sha512', value: sha512 },
            { algorithm: 'sha512', value: sha512.toUpperCase() },
          ],
        }),
      ).toBeUndefined();
    });

    it('refuses a long hex dump: hex is base64 alphabet too', () => {
      expect(inspectJson({ note: sha512.repeat(9) })?.code).toBe('content_not_accepted');
    });
  });
});

describe('bodyLimitOf', () => {
  it('gives 64 KiB everywhere but a seizure batch, which may carry 256 KiB', () => {
    const id = '0b7a1f9e-4c1d-4a51-9a36-1c2d3e4f5a6b';
    expect(bodyLimitOf({ method: 'POST', url: `/api/v1/cases/${id}/items` })).toBe(MAX_SEIZURE_BODY_BYTES);
    expect(bodyLimitOf({ method: 'POST', url: `/api/v1/cases/${id}/items?x=1` })).toBe(MAX_SEIZURE_BODY_BYTES);
    for (const [method, url] of [
      ['POST', '/api/v1/cases'],
      ['POST', `/api/v1/cases/${id}/shares`],
      ['POST', `/api/v1/cases/${id}/items/extra`],
      ['PUT', `/api/v1/cases/${id}/items`],
      ['POST', '/api/v1/transfers'],
      ['POST', `/api/v1/cases/${id}/itemsx`],
    ]) {
      expect(bodyLimitOf({ method, url })).toBe(MAX_BODY_BYTES);
    }
  });
});

describe('the log import exemption (ADR 0004 amendment 2)', () => {
  const log = `dc3dd 7.2.646 started at 2026-11-20 09:14:02 +0100\n${'   [ok] 4a0ecd3d9b1ec7cd0fd7d5ab2e0b1c9d (md5)\n'.repeat(200)}`;

  it('gives the import route 256 KiB, and only POST', () => {
    expect(bodyLimitOf({ method: 'POST', url: '/api/v1/items/3f1c/hashes/import' })).toBe(MAX_SEIZURE_BODY_BYTES);
    expect(bodyLimitOf({ method: 'POST', url: '/api/v1/items/3f1c/hashes/import?x=1' })).toBe(MAX_SEIZURE_BODY_BYTES);
    expect(bodyLimitOf({ method: 'PUT', url: '/api/v1/items/3f1c/hashes/import' })).toBe(MAX_BODY_BYTES);
    expect(bodyLimitOf({ method: 'POST', url: '/api/v1/items/3f1c/hashes' })).toBe(MAX_BODY_BYTES);
    expect(bodyLimitOf({ method: 'POST', url: '/api/v1/items/3f1c/hashes/import/more' })).toBe(MAX_BODY_BYTES);
  });

  it('lets the named field hold a long text log, but checks it as one', () => {
    expect(log.length).toBeGreaterThan(MAX_STRING_LENGTH);
    expect(inspectJson({ text: log }, '', 0, 'text')).toBeUndefined();
    expect(inspectJson({ text: `${log}\u0000` }, '', 0, 'text')).toMatchObject({
      code: 'content_not_accepted',
      detail: expect.stringMatching(/^The field text is not a text log: line \d+: control character U\+0000/),
    });
    expect(inspectJson({ text: `Notes: ${'QUJD'.repeat(300)}` }, '', 0, 'text')).toMatchObject({
      code: 'content_not_accepted',
    });
  });

  it('keeps the ordinary guard for every other field, and for the field on other routes', () => {
    expect(inspectJson({ text: log }, '', 0, undefined)).toMatchObject({ code: 'field_too_long' });
    expect(inspectJson({ text: 'ok', notes: log }, '', 0, 'text')).toMatchObject({
      code: 'field_too_long',
      detail: expect.stringContaining('notes'),
    });
    expect(inspectJson({ nested: { text: log } }, '', 0, 'text')).toMatchObject({ code: 'field_too_long' });
  });
});

describe('text that is not text (ADR 0060)', () => {
  it.each([
    ['a NUL character', { sealNumber: 'SEAL\u0000-1' }, 'sealNumber'],
    ['a lone high surrogate', { items: [{ description: 'phone \uD800' }] }, 'items[0].description'],
    ['a lone low surrogate', { title: '\uDC00 case' }, 'title'],
  ])('refuses %s, naming the field', (_what, body, field) => {
    expect(inspectJson(body)).toEqual({
      code: 'invalid_text',
      detail: `The field ${field} is not valid text: it contains a NUL character or an unpaired UTF-16 surrogate`,
    });
  });

  it('refuses such a key without repeating it', () => {
    expect(inspectJson({ items: [{ ['a\u0000b']: 1 }] })).toEqual({
      code: 'invalid_text',
      detail: expect.stringContaining('A key in items[0] '),
    });
  });

  it('accepts what looks odd but is text: pairs, combining marks, bidi controls, non-NFC forms', () => {
    expect(inspectJson({ a: '𝕏🧪👩🏽‍🔬', b: 'e\u0301', c: '\u202Egpj.exe', d: 'A\u030A', e: '\uFEFF' })).toBeUndefined();
  });
});
