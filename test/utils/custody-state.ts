import type request from 'supertest';
import type { DataSource } from 'typeorm';

/** Everything a custody request could write: the ledger's size and every custody table. */
export async function custodyState(db: DataSource): Promise<Record<string, unknown>> {
  return {
    treeSize: (await db.query<Array<{ tree_size: string }>>('SELECT tree_size FROM ledger_state'))[0].tree_size,
    cases: await db.query('SELECT id, status FROM case_file ORDER BY id'),
    items: await db.query('SELECT * FROM item ORDER BY id'),
    numbers: await db.query('SELECT agency_id, year, last_value FROM item_number_sequence ORDER BY agency_id, year'),
    transfers: await db.query('SELECT * FROM transfer ORDER BY id'),
    transferItems: await db.query('SELECT * FROM transfer_item ORDER BY transfer_id, item_id'),
    hashes: await db.query('SELECT * FROM hash_record ORDER BY id'),
    itemEvents: await db.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM item_event'),
    signatures: await db.query(
      `SELECT count(*)::int AS n FROM access_log WHERE event = 'signature.sign' AND outcome = 'success'`,
    ),
  };
}

/**
 * A refusal as users must see it: the status and stable code, a problem+json document, the failing
 * fields where given — and nothing changed anywhere in custody or the ledger.
 */
export async function expectRefused(
  db: DataSource,
  attempt: () => request.Test | Promise<request.Response>,
  status: number,
  code: string,
  fields?: string[],
): Promise<request.Response> {
  const before = await custodyState(db);
  const response = await attempt();
  expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (fields !== undefined)
    expect((response.body.errors as Array<{ field: string }>).map((error) => error.field)).toEqual(fields);
  expect(await custodyState(db)).toEqual(before);
  return response;
}
