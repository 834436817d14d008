import { randomBytes } from 'node:crypto';

import argon2 from 'argon2';

/**
 * Argon2id with explicit parameters (OWASP Password Storage Cheat Sheet, second recommended
 * configuration: 19 MiB, 2 passes, 1 lane; docs/adr/0011). The parameters are stored in each PHC
 * string, so raising them later rehashes passwords at their next successful login.
 */
export const ARGON2_PARAMETERS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  hashLength: 32,
} as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password.normalize('NFC'), ARGON2_PARAMETERS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password.normalize('NFC'));
  } catch {
    // A malformed stored hash verifies nothing.
    return false;
  }
}

export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, ARGON2_PARAMETERS);
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password with the same parameters: verifying against it when the username
 * does not exist takes as long as a real verification, so timing does not reveal which names exist.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummyHash;
}

/** 24 characters from a 64-symbol alphabet: 144 bits, for bootstrap and generated passwords. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
