import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/**
 * Recognises "the database cannot be reached right now" among the errors pg and TypeORM raise,
 * so clients get 503 with Retry-After (try again) rather than 500 (something is broken).
 */
// ERR_STREAM_*: Node's own codes for a write to a socket already closed (the server went away
// between two statements of a transaction).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);
// SQLSTATE: class 08 connection exception; 57P01-57P03 shutdown / cannot connect now; 53300 too many
// connections; 57014 statement timeout and 55P03 lock timeout — the database did not get to the
// statement in time (e.g. a lock still held by the transaction of a connection lost in a hang):
// try again, not a bug.
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300|57014|55P03)$/;
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
  'the database system is',
  // pg's query_timeout: the server did not answer at all (DropTimedOutConnections closes the connection).
  'Query read timeout',
];

/**
 * TypeORM releases a query runner by itself when its connection emits an error (the server went
 * away mid-transaction); the caller's next statement on it then fails with this error rather than
 * the connection's. Our code never queries a runner it released itself (a bug tests would show),
 * so here it means the connection was lost: found by the database outage test
 * (test/resilience/database-outage.res-spec.ts), where it used to answer 500. A statement sent
 * through the EntityManager of such a runner (the ledger's group insert) fails with the provider
 * variant instead: the same outage, seen in CI as a 500 during the same test.
 */
const RELEASED_RUNNERS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

export function isDatabaseUnavailableError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 3) return false;
  if (
    error instanceof QueryRunnerAlreadyReleasedError ||
    error instanceof QueryRunnerProviderAlreadyReleasedError ||
    RELEASED_RUNNERS.has(String((error as { name?: unknown }).name))
  )
    return true;
  const candidate = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof candidate.code === 'string') {
    if (NETWORK_CODES.has(candidate.code) || UNAVAILABLE_SQLSTATES.test(candidate.code)) return true;
  }
  if (
    typeof candidate.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((m) => (candidate.message as string).includes(m))
  ) {
    return true;
  }
  if (error instanceof AggregateError && error.errors.some((e) => isDatabaseUnavailableError(e, depth + 1)))
    return true;
  return (
    isDatabaseUnavailableError(candidate.driverError, depth + 1) ||
    isDatabaseUnavailableError(candidate.cause, depth + 1)
  );
}
