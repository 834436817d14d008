import { DomainError } from './domain-error.js';

/** PostgreSQL's unique_violation (23505), as TypeORM's QueryFailedError carries it. */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: unknown }; code?: unknown } | null) ?? {};
  return driverError.driverError?.code === '23505' || driverError.code === '23505';
}

/**
 * Runs an INSERT that a concurrent request may beat to a unique key: the loser gets the same 409
 * as a request that found the row first, not a 500.
 */
export async function insertOrConflict<T>(insert: () => Promise<T>, conflict: () => DomainError): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict();
    throw error;
  }
}
