import type { AfterQueryEvent, EntitySubscriberInterface } from 'typeorm';

/** The error `pg` raises when a query's `query_timeout` passes with no answer from the server. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

interface PgClientHandle {
  connection?: { stream?: { destroy(): void } };
}

/**
 * A database that stops answering (hung, frozen, or behind a network that drops packets) must not
 * hang the service: clients get 503 and the service recovers by itself (docs/resilience.md).
 *
 * `pg`'s client-side `query_timeout` fails the caller's query, but leaves the connection waiting
 * for the server's answer with every later query queued behind it — the rollback that follows,
 * and the next request the pool lends the connection to. So a connection whose query timed out is
 * closed at once: its queued queries fail as "Connection terminated" (503), TypeORM releases the
 * query runner, the pool forgets the connection and opens fresh ones when the server answers again.
 * The server ends its side of the transaction when it notices the closed socket.
 */
export class DropTimedOutConnections implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent): void {
    if (event.success || (event.error as { message?: unknown } | undefined)?.message !== QUERY_READ_TIMEOUT) return;
    const client = (event.queryRunner as { databaseConnection?: PgClientHandle } | undefined)?.databaseConnection;
    client?.connection?.stream?.destroy();
  }
}
