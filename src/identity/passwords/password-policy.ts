import { commonPasswords, SHORTEST_CORE } from './common-passwords.js';

/**
 * What a password must be (NIST SP 800-63B §5.1.1.2, docs/adr/0017): long rather than complex, not
 * a common or breached password — also not one dressed up with capitals, leetspeak or a few digits
 * and symbols around it — not a repeated pattern, and not built from the user's or the service's
 * own names. No composition rules and no expiry: they push people towards predictable patterns.
 */
export const PASSWORD_MIN_LENGTH = 12;
/** Generous for passphrases, bounded so a request cannot make Argon2 hash megabytes. */
export const PASSWORD_MAX_LENGTH = 256;
/** Decoration around a common core (`Password` + `123456`, `!` + `sunshine` + `2026`) at most this long is refused. */
export const MAX_DECORATION = 6;

export type PasswordProblem =
  | 'too_short'
  | 'too_long'
  | 'common'
  | 'common_decorated'
  | 'repetitive'
  | 'contains_username'
  | 'contains_agency'
  | 'contains_service_name';

export interface PasswordContext {
  readonly username?: string;
  readonly displayName?: string;
  readonly agencyCode?: string | null;
  readonly agencyName?: string | null;
}

const SERVICE_NAME = 'custos';

/** The usual substitutions; `1` and `!` stand for `i` or `l`, so both readings are tried. */
const LEET: Readonly<Record<string, string>> = {
  '@': 'a',
  '4': 'a',
  '8': 'b',
  '(': 'c',
  '3': 'e',
  '6': 'g',
  '9': 'g',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
  '+': 't',
  '2': 'z',
};

/** Counts characters as people see them (code points), not UTF-16 units. */
function lengthOf(password: string): number {
  return [...password.normalize('NFC')].length;
}

/** Lower case, compatibility forms folded, accents dropped: `Ｐａｓｓ` and `Pàss` read `pass`. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function unleet(text: string, one: 'i' | 'l'): string {
  return [...text].map((c) => (c === '1' || c === '!' || c === '|' ? one : (LEET[c] ?? c))).join('');
}

/** Letters and digits only: what remains of a word whatever separates or decorates it. */
function squash(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, '');
}

/** The readings of a password an attacker's rules would try: as typed, and with leetspeak undone. */
function readings(folded: string): string[] {
  return [...new Set([folded, unleet(folded, 'i'), unleet(folded, 'l')])];
}

/**
 * The password without the digits and symbols around it (`password123456` → `password`,
 * `p@ssw0rd1234` → `p@ssw0rd`), when they are at most MAX_DECORATION characters: a common core
 * with a little decoration is what guessing rules try right after the list itself.
 */
function decoratedCore(folded: string): string | undefined {
  const inner = folded.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  const decoration = [...folded].length - [...inner].length;
  if (decoration === 0 || decoration > MAX_DECORATION || [...inner].length < SHORTEST_CORE) return undefined;
  return inner;
}

/** A password that is one short unit typed again and again (`abcabcabcabc`, `ExExExEx`). */
function isRepetitive(text: string): boolean {
  if (new Set(text).size <= 2) return true;
  return /^(.{1,6}?)\1+$/su.test(text);
}

/** The first rule a candidate password breaks, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext = {}): PasswordProblem | undefined {
  const length = lengthOf(password);
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  const folded = fold(password);
  const common = commonPasswords();
  const forms = readings(folded);
  if (forms.some((form) => common.has(form) || common.has(squash(form)))) return 'common';
  if (forms.some((form) => isRepetitive(form) || isRepetitive(squash(form)))) return 'repetitive';
  const inner = decoratedCore(folded);
  if (inner !== undefined && readings(inner).some((form) => common.has(form) || isRepetitive(form)))
    return 'common_decorated';
  const squashed = forms.map(squash);
  const contains = (word: string | null | undefined, shortest = 4): boolean => {
    if (word === null || word === undefined) return false;
    const needle = squash(fold(word));
    return needle.length >= shortest && squashed.some((form) => form.includes(needle));
  };
  const nameParts = [context.username, ...(context.displayName?.split(/\s+/) ?? [])];
  if (nameParts.some((part) => contains(part)) || contains(context.displayName)) return 'contains_username';
  if (contains(context.agencyCode) || contains(context.agencyName)) return 'contains_agency';
  if (contains(SERVICE_NAME)) return 'contains_service_name';
  return undefined;
}

export const PASSWORD_PROBLEM_MESSAGES: Readonly<Record<PasswordProblem, string>> = {
  too_short: `The password must have at least ${PASSWORD_MIN_LENGTH} characters`,
  too_long: `The password must have at most ${PASSWORD_MAX_LENGTH} characters`,
  common: 'The password is on a list of common or breached passwords (capitals and leetspeak do not change that)',
  common_decorated:
    'The password is a common or breached password with a few digits or symbols around it; choose another, ' +
    'for example a few unrelated words',
  repetitive: 'The password repeats a short pattern (like "abcabc" or "xxxx")',
  contains_username: 'The password must not contain the username or the name of the user',
  contains_agency: 'The password must not contain the code or the name of the agency',
  contains_service_name: 'The password must not contain the name of this service (Custos)',
};
