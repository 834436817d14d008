import { COMMON_PASSWORDS } from './common-passwords.data.js';

/**
 * What a password must be (NIST SP 800-63B §5.1.1.2, docs/adr/0011): long rather than complex,
 * not one of the passwords attackers try first, not the user's own name. No composition rules and
 * no expiry: they push people towards predictable patterns.
 */
export const PASSWORD_MIN_LENGTH = 12;
/** Generous for passphrases, bounded so a request cannot make Argon2 hash megabytes. */
export const PASSWORD_MAX_LENGTH = 256;

let commonPasswords: ReadonlySet<string> | undefined;

function common(): ReadonlySet<string> {
  commonPasswords ??= new Set(COMMON_PASSWORDS.split('\n'));
  return commonPasswords;
}

export function isCommonPassword(password: string): boolean {
  return common().has(password.toLowerCase());
}

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_username' | 'repetitive';

export interface PasswordContext {
  readonly username?: string;
  readonly displayName?: string;
}

/** Counts characters as people see them (code points), not UTF-16 units. */
function lengthOf(password: string): number {
  return [...password.normalize('NFC')].length;
}

/** The first rule a candidate password breaks, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext = {}): PasswordProblem | undefined {
  const length = lengthOf(password);
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (isCommonPassword(password)) return 'common';
  if (new Set(password.toLowerCase()).size <= 2) return 'repetitive';
  const lower = password.toLowerCase();
  const names = [context.username, ...(context.displayName?.split(/\s+/) ?? [])]
    .filter((name): name is string => name !== undefined && name.length >= 4)
    .map((name) => name.toLowerCase());
  if (names.some((name) => lower.includes(name))) return 'contains_username';
  return undefined;
}

export const PASSWORD_PROBLEM_MESSAGES: Readonly<Record<PasswordProblem, string>> = {
  too_short: `The password must have at least ${PASSWORD_MIN_LENGTH} characters`,
  too_long: `The password must have at most ${PASSWORD_MAX_LENGTH} characters`,
  common: 'The password is one of the most commonly used passwords; choose another',
  contains_username: 'The password must not contain the username or the name of the user',
  repetitive: 'The password repeats the same one or two characters',
};
