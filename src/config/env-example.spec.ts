import { readFileSync } from 'node:fs';

/**
 * The README promises that `.env.example` documents every variable: the variables the configuration
 * reads and those it lists must be the same set, so an added setting cannot go undocumented and a
 * removed one cannot linger in the example.
 */
describe('.env.example', () => {
  const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
  const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

  const read = new Set(
    [
      ...source.matchAll(
        /\bread\.[a-zA-Z]+\(\s*'([A-Z][A-Z0-9_]+)'|\benv\.([A-Z][A-Z0-9_]+)|'(LEDGER_PKCS11_[A-Z_]+)'/g,
      ),
    ].map((match) => match[1] ?? match[2] ?? match[3]),
  );
  const listed = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));

  it('finds the variables on both sides', () => {
    expect(read.size).toBeGreaterThan(40);
    expect(read).toContain('CUSTOS_WORKERS');
    expect(listed).toContain('PORT');
  });

  it('lists every variable the configuration reads', () => {
    expect([...read].filter((name) => !listed.has(name)).sort()).toEqual([]);
  });

  it('lists no variable the configuration does not read', () => {
    expect([...listed].filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
