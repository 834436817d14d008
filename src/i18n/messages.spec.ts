import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { IntlMessageFormat } from 'intl-messageformat';

import { DISPOSITIONS, ITEM_KINDS, ITEM_STATES, POWER_STATES } from '../custody/custody-events.js';
import { SIGNATURE_MEANINGS } from '../identity/signing/signature.js';
import { CATALOGUES, languageForCountry, LANGUAGES, type Language } from './languages.js';
import { translator } from './translator.js';

const SRC = join(import.meta.dirname, '..');

/** Every source file that may name a message id: the service, the web app, not the catalogues nor tests. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return relative(SRC, path) === join('i18n', 'locales') ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !/\.(spec|int-spec|e2e-spec)\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/**
 * Families whose ids the code builds from a domain code (`kind.${kind}`): each id of the family is
 * used when its code is one the domain has, and each code the domain has needs its id.
 */
const FAMILIES: Record<string, readonly string[]> = {
  kind: ITEM_KINDS,
  meaning: SIGNATURE_MEANINGS,
  state: ITEM_STATES,
  disposition: DISPOSITIONS,
  power: POWER_STATES,
};

/** Literals shaped like message ids that name other things: ledger entry types, access-log events, files. */
const NOT_MESSAGES = new Set(['report.issued', 'report.read', 'hash.recorded', 'labels.pdf', 'custody.csv']);

/** The argument names a message uses (`{name}`, `{n, plural, …}`), through its nested branches. */
function argumentsOf(message: string, language: Language): string[] {
  const names = new Set<string>();
  const walk = (elements: ReturnType<IntlMessageFormat['getAst']>): void => {
    for (const element of elements) {
      // Type 0 is literal text; every other element with a string `value` names an argument.
      if ('value' in element && typeof element.value === 'string' && Number(element.type) !== 0)
        names.add(element.value);
      if ('options' in element)
        for (const option of Object.values(element.options) as Array<{ value: typeof elements }>) walk(option.value);
    }
  };
  walk(new IntlMessageFormat(message, language, undefined, { ignoreTag: true }).getAst());
  return [...names].sort();
}

describe('message catalogues', () => {
  const english = Object.keys(CATALOGUES.en).sort();

  it.each(LANGUAGES.filter((language) => language !== 'en'))(
    '%s has exactly the ids English has: none missing, none extra',
    (language) => {
      const ids = Object.keys(CATALOGUES[language]).sort();
      expect({
        missing: english.filter((id) => !ids.includes(id)),
        extra: ids.filter((id) => !english.includes(id)),
      }).toEqual({ missing: [], extra: [] });
    },
  );

  it.each(LANGUAGES)('every %s message parses and takes the same arguments as the English one', (language) => {
    const differing = english.filter(
      (id) =>
        JSON.stringify(argumentsOf(CATALOGUES[language][id as keyof typeof CATALOGUES.en], language)) !==
        JSON.stringify(argumentsOf(CATALOGUES.en[id as keyof typeof CATALOGUES.en], 'en')),
    );
    expect(differing).toEqual([]);
  });

  it('has no id that no code uses, and no code uses an id it lacks', () => {
    const text = sources(SRC)
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const literal = new Set([...text.matchAll(/'([a-z_]+\.[a-z0-9_.]+)'/g)].map((match) => match[1]));
    const unused = english.filter((id) => {
      const [family, ...rest] = id.split('.');
      if (family in FAMILIES) return !FAMILIES[family].includes(rest.join('.'));
      return !literal.has(id);
    });
    expect(unused).toEqual([]);
    const familyIds = Object.entries(FAMILIES).flatMap(([family, codes]) => codes.map((code) => `${family}.${code}`));
    expect(familyIds.filter((id) => !english.includes(id))).toEqual([]);
    // An id-shaped literal under a catalogue's prefix that it lacks is a typo (but for the ledger and access-log names).
    const prefixes = new Set(english.map((id) => id.split('.')[0]));
    const unknown = [...literal].filter((id) => prefixes.has(id.split('.')[0]) && !english.includes(id));
    expect(unknown.filter((id) => !NOT_MESSAGES.has(id))).toEqual([]);
  });

  it('writes dates in the reader’s order and keeps the offset stated at the place', () => {
    expect(translator('en').time('2026-11-20T09:14:05+01:00')).toBe('2026-11-20 09:14:05 +01:00');
    expect(translator('es').time('2026-11-20T09:14:05+01:00')).toBe('20/11/2026 09:14:05 +01:00');
    expect(translator('pt-BR').time('2026-11-20T23:59:00.123Z')).toBe('20/11/2026 23:59:00 +00:00');
    // Portugal groups with a narrow no-break space, which the PDF fonts lack: a no-break space instead.
    expect(translator('pt-PT').integer(64023257088)).toBe('64\u00a0023\u00a0257\u00a0088');
    expect(translator('es').integer(64023257088)).toBe('64.023.257.088');
  });

  it('prints an agency’s reports in its courts’ language by default, English elsewhere', () => {
    expect(['ES', 'AR', 'BO', 'CR', 'SV', 'HN', 'PY'].map(languageForCountry)).toEqual(Array(7).fill('es'));
    expect(languageForCountry('BR')).toBe('pt-BR');
    expect(languageForCountry('PT')).toBe('pt-PT');
    expect(['US', 'IT', 'BG', null].map(languageForCountry)).toEqual(['en', 'en', 'en', 'en']);
  });
});
