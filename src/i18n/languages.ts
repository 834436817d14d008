/**
 * The languages Custos prints and shows, and their message catalogues (ADR 0073). Dependency-free:
 * the web app imports this module too; formatting (intl-messageformat) is in translator.ts.
 */
import { en, type MessageId } from './locales/en.js';
import { es } from './locales/es.js';
import { ptBR } from './locales/pt-BR.js';
import { ptPT } from './locales/pt-PT.js';

export type { MessageId };

/** BCP 47 tags, in the order they are offered. Adding one: docs/web-app.md, "How to add a language". */
export const LANGUAGES = ['en', 'es', 'pt-BR', 'pt-PT'] as const;
export type Language = (typeof LANGUAGES)[number];

export type Catalogue = Readonly<Record<MessageId, string>>;

export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, es, 'pt-BR': ptBR, 'pt-PT': ptPT };

export const isLanguage = (tag: string): tag is Language => (LANGUAGES as readonly string[]).includes(tag);

/** Countries whose courts work in Spanish (ISO 3166-1 alpha-2). */
const SPANISH = new Set('AR BO CL CO CR CU DO EC ES GQ GT HN MX NI PA PE PR PY SV UY VE'.split(' '));
/** Portuguese-speaking countries that follow the European norm (the 1990 agreement's Portugal usage). */
const EUROPEAN_PORTUGUESE = new Set('AO CV GW MZ PT ST TL'.split(' '));

/** The language an agency of `country` prints in unless it is set otherwise: its courts' language, else English. */
export function languageForCountry(country: string | null): Language {
  const code = country?.toUpperCase() ?? '';
  if (SPANISH.has(code)) return 'es';
  if (code === 'BR') return 'pt-BR';
  if (EUROPEAN_PORTUGUESE.has(code)) return 'pt-PT';
  return 'en';
}
