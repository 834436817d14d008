import { Buffer } from 'node:buffer';

import { canonicalBytes, CanonicalizationError, canonicalize, parseCanonical } from './jcs.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof CanonicalizationError) return error.message;
    throw error;
  }
  throw new Error('expected a CanonicalizationError');
}

describe('RFC 8785 examples', () => {
  it('canonicalises the §3.2.2 sample object', () => {
    // The RFC's input text, parsed as a JSON parser would.
    const input = JSON.parse(`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
      "literals": [null, true, false]
    }`) as unknown;
    const expected =
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    expect(canonicalize(input)).toBe(expected);
    // §3.2.4: the bytes are the UTF-8 of that text (€ is e2 82 ac).
    const bytes = canonicalBytes(input);
    expect(bytes).toEqual(Buffer.from(expected, 'utf8'));
    expect(bytes.subarray(0x5a, 0x61).toString('hex')).toBe('3a22e282ac245c');
  });

  it('sorts members by UTF-16 code units (§3.2.3)', () => {
    const input = JSON.parse(`{
      "\\u20ac": "Euro Sign",
      "\\r": "Carriage Return",
      "\\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\\ud83d\\ude00": "Emoji: Grinning Face",
      "\\u0080": "Control",
      "\\u00f6": "Latin Small Letter O With Diaeresis"
    }`) as Record<string, string>;
    const values = Object.values(JSON.parse(canonicalize(input)) as Record<string, string>);
    // Object.values would reorder integer-like keys, so read the order off the text instead.
    expect(values).toContain('One');
    const text = canonicalize(input);
    const order = [...text.matchAll(/":"([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    // U+1F600 (surrogates D83D DE00) sorts before U+FB33 by code units, not by code points.
    expect(text.indexOf('\ud83d\ude00')).toBeLessThan(text.indexOf('\ufb33'));
    expect(text.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  // Appendix B: IEEE 754 bit patterns and their canonical JSON numbers.
  const appendixB: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(appendixB)('serialises IEEE 754 %s as %s', (bits, expected) => {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    expect(canonicalize(value)).toBe(expected);
    expect(canonicalize([value])).toBe(`[${expected}]`);
  });

  it.each(['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000'])('refuses the non-finite %s', (bits) => {
    expect(reason(() => canonicalize({ n: Buffer.from(bits, 'hex').readDoubleBE(0) }))).toMatch(
      /^\$\.n: .* is not a JSON number$/,
    );
  });
});

describe('strings', () => {
  it('uses only the mandatory escapes, control characters as lower-case \\u00xx', () => {
    expect(canonicalize('\u0000\u0001\u0008\u0009\u000a\u000b\u000c\u000d\u001f')).toBe(
      '"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f"',
    );
    expect(canonicalize('"\\/\u007f\u2028\u2029é€😀')).toBe('"\\"\\\\/\u007f\u2028\u2029é€😀"');
  });

  it('refuses lone surrogates in values and in member names', () => {
    expect(reason(() => canonicalize({ a: ['ok', '\ud800'] }))).toBe('$.a[1]: string contains a lone UTF-16 surrogate');
    expect(reason(() => canonicalize({ '\udc00x': 1 }))).toMatch(/lone UTF-16 surrogate/);
  });

  it('keeps Unicode as is (no normalisation, §3.1)', () => {
    expect(canonicalBytes({ 'Unnormalized Unicode': 'A\u030a' }).toString('hex')).toBe(
      '7b22556e6e6f726d616c697a656420556e69636f6465223a2241cc8a227d',
    );
  });
});

describe('structures', () => {
  it('sorts nested members, keeps array order, emits no whitespace', () => {
    expect(canonicalize({ b: [3, { z: 1, a: null }], a: { d: true, c: 'x' } })).toBe(
      '{"a":{"c":"x","d":true},"b":[3,{"a":null,"z":1}]}',
    );
    expect(canonicalize({})).toBe('{}');
    expect(canonicalize([])).toBe('[]');
    expect(canonicalize(Object.create(null) as object)).toBe('{}');
  });

  it('omits undefined members like JSON.stringify', () => {
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('serialises -0 as 0 and integers without exponent below 1e21', () => {
    expect(canonicalize({ z: -0, big: 1e20, int: 42 })).toBe('{"big":100000000000000000000,"int":42,"z":0}');
  });

  it('uses toJSON like JSON.stringify (dates become ISO strings)', () => {
    expect(canonicalize({ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it('allows a shared (non-cyclic) reference twice', () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it.each<[string, () => unknown, RegExp]>([
    ['a function member', () => ({ f: () => 1 }), /^\$\.f: a function is not a JSON value$/],
    ['a symbol member', () => ({ s: Symbol('s') }), /^\$\.s: a symbol is not a JSON value$/],
    ['a bigint', () => ({ n: 10n }), /^\$\.n: bigint is not a JSON number/],
    ['undefined in an array', () => [1, undefined], /^\$\[1\]: undefined is not a JSON value$/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    ['a hole in an array', () => [1, , 3], /^\$\[1\]: undefined/],
    ['undefined at the top', () => undefined, /^\$: undefined/],
    ['a Map', () => ({ m: new Map([[1, 2]]) }), /^\$\.m: a Map is not a plain object/],
    ['a class instance', () => ({ c: new (class Custody {})() }), /a Custody is not a plain object/],
    ['a symbol key', () => ({ [Symbol('k')]: 1 }), /symbol-keyed/],
    ['a non-finite number deep down', () => ({ 'odd key': [{ x: NaN }] }), /^\$\["odd key"\]\[0\]\.x: NaN/],
  ])('refuses %s', (_what, make, message) => {
    expect(reason(() => canonicalize(make()))).toMatch(message);
  });

  it('refuses cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = { back: a };
    expect(reason(() => canonicalize(a))).toBe('$.self.back: cyclic structure');
    const list: unknown[] = [];
    list.push(list);
    expect(reason(() => canonicalize(list))).toBe('$[0]: cyclic structure');
  });
});

describe('parseCanonical', () => {
  it('accepts canonical bytes and returns the value', () => {
    const value = { b: [1, 'é'], a: { c: null } };
    expect(parseCanonical(canonicalBytes(value))).toEqual(value);
  });

  it.each([
    ['whitespace', '{ "a":1}'],
    ['unsorted members', '{"b":1,"a":2}'],
    ['duplicate members', '{"a":1,"a":1}'],
    ['a non-canonical number', '{"a":1.0}'],
    ['a non-canonical escape', '{"a":"\\u0041"}'],
    ['an escaped lone surrogate', '["\\ud800"]'],
    ['not JSON', '{"a":'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseCanonical(Buffer.from(text, 'utf8'))).toThrow(CanonicalizationError);
  });

  it('refuses invalid UTF-8 and a byte order mark', () => {
    expect(() => parseCanonical(Buffer.from([0x22, 0xc3, 0x22]))).toThrow(/not valid UTF-8/);
    expect(() => parseCanonical(Buffer.from('\ufeff{}', 'utf8'))).toThrow(CanonicalizationError);
  });
});
