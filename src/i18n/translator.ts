/**
 * Messages of one language, formatted (ICU MessageFormat through FormatJS intl-messageformat, the
 * formatter react-intl uses on the web side), with the dates and numbers of that language.
 * Built from a language tag alone, so a renderer in another thread builds its own.
 */
import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';

import { CATALOGUES, type Language, type MessageId } from './languages.js';

export interface Translator {
  readonly language: Language;
  /** The message `id` with its arguments. */
  readonly t: (id: MessageId, values?: Record<string, PrimitiveType>) => string;
  /** An item kind as people of this language write it; an unknown kind reads as its code. */
  readonly kind: (kind: string) => string;
  /** A signature meaning ("released") in this language. */
  readonly meaning: (meaning: string) => string;
  /** A code of the vocabulary family `prefix` (`disposition`, `state`, `power` …); an unknown code reads as itself. */
  readonly word: (prefix: 'disposition' | 'state' | 'power', code: string) => string;
  /** An integer with this language's digit grouping. */
  readonly integer: (value: number | bigint) => string;
  /** A decimal with at most `digits` fraction digits. */
  readonly decimal: (value: number, digits: number) => string;
  /**
   * An RFC 3339 time as people of this language read it, keeping its own UTC offset (the wall clock
   * of the place where it was stated): `2026-11-20 09:14:00 +01:00` in English (ISO 8601, as courts
   * of many countries read English reports), `20/11/2026 09:14:00 +01:00` in Spanish and Portuguese.
   */
  readonly time: (text: string) => string;
}

const cache = new Map<Language, Translator>();

export function translator(language: Language): Translator {
  let found = cache.get(language);
  if (found === undefined) {
    found = build(language);
    cache.set(language, found);
  }
  return found;
}

/** The narrow no-break space some locales group digits with is not in the PDF fonts (WinAnsi): a no-break space. */
const printable = (text: string): string => text.replace(/\u202f/g, '\u00a0');

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function build(language: Language): Translator {
  const catalogue = CATALOGUES[language];
  const formats = new Map<MessageId, IntlMessageFormat>();
  const t = (id: MessageId, values?: Record<string, PrimitiveType>): string => {
    let format = formats.get(id);
    if (format === undefined) {
      format = new IntlMessageFormat(catalogue[id], language, undefined, { ignoreTag: true });
      formats.set(id, format);
    }
    return String(format.format(values));
  };
  const lookup = (prefix: string, code: string): string | undefined =>
    Object.hasOwn(catalogue, `${prefix}.${code}`) ? t(`${prefix}.${code}` as MessageId) : undefined;
  const integers = new Intl.NumberFormat(language, { maximumFractionDigits: 0 });
  const wallClock = new Intl.DateTimeFormat(language, {
    timeZone: 'UTC',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return {
    language,
    t,
    kind: (kind) => lookup('kind', kind) ?? kind.replace(/_/g, ' '),
    meaning: (meaning) => lookup('meaning', meaning) ?? meaning,
    word: (prefix, code) => lookup(prefix, code) ?? code.replace(/_/g, ' '),
    integer: (value) => printable(integers.format(value)),
    decimal: (value, digits) =>
      printable(new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value)),
    time: (text) => {
      const match = TIME.exec(text);
      if (match === null) return text;
      const [, year, month, day, clock, zone] = match;
      const offset = zone === 'Z' ? '+00:00' : zone;
      if (language === 'en') return `${year}-${month}-${day} ${clock} ${offset}`;
      // The wall clock as stated, never converted: formatted as if in UTC, then its own offset.
      const [hours, minutes, seconds] = clock.split(':').map(Number);
      const wall = Date.UTC(Number(year), Number(month) - 1, Number(day), hours, minutes, seconds);
      return `${wallClock.format(wall).replace(', ', ' ')} ${offset}`;
    },
  };
}
