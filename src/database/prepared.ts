import { createHash } from 'node:crypto';

import type { Queryable } from '../identity/users/user-records.js';

/**
 * A query the service runs on every request of its hot paths, as a named prepared statement.
 *
 * Planning, not execution, is what such queries cost: the item lookup joins seven relations and
 * the planner weighs every index of `item` (search indexes included) for 1–4 ms, to then execute
 * in 0.3 ms (docs/performance.md). A named statement is parsed and planned once per pooled
 * connection; PostgreSQL then reuses a generic plan (`plan_cache_mode = auto`: after five
 * executions, when it costs no more than the custom plans did — true of these key lookups).
 *
 * The name is derived from the text, so two statements can never share a name, and the same text
 * written twice shares one. Use it only for a fixed text (never one with values spliced in: each
 * text is kept by every connection for its life). Not for a pooler in transaction mode
 * (PgBouncer), where a connection's statements are not the session's (ADR 0062).
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function prepared(text: string): PreparedStatement {
  return { name: `custos_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`, text };
}

/**
 * Runs a prepared statement through TypeORM, in the caller's transaction when `db` is one's
 * manager. TypeORM hands its query argument to `pg` untouched, and `pg` takes `{ name, text }`:
 * it sends Parse once per connection and only Bind/Execute afterwards.
 */
export function queryPrepared<T>(
  db: Queryable,
  statement: PreparedStatement,
  parameters: readonly unknown[],
): Promise<T> {
  return db.query<T>(statement as unknown as string, parameters as unknown[]);
}
