import { inspectJson, MAX_JSON_DEPTH } from './json-body.js';

describe('inspectJson', () => {
  it('accepts ordinary bodies', () => {
    expect(inspectJson({ items: [{ imeis: ['490154203237518'], seal: { number: 'S-1' } }] })).toBeUndefined();
    expect(inspectJson('text')).toBeUndefined();
    expect(inspectJson(null)).toBeUndefined();
  });

  it('names the path of a prototype-pollution key', () => {
    expect(inspectJson(JSON.parse('{"items":[{"a":1},{"__proto__":{"x":1}}]}'))).toBe(
      'the key "__proto__" is not allowed (at items[1].__proto__)',
    );
    expect(inspectJson({ prototype: 1 })).toContain('"prototype"');
  });

  it('refuses nesting past the limit and accepts it up to the limit', () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : { a: nest(depth - 1) });
    expect(inspectJson(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(inspectJson(nest(MAX_JSON_DEPTH + 1))).toMatch(/nests deeper than 32 levels/);
  });
});
