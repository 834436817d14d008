/**
 * Reads (issue 7, scenario 3), 32 concurrent readers each, BENCH_SECONDS (default 20) per phase:
 *  1. search, GET /api/v1/items?q=… in a database of BENCH_ITEMS (default 1,000,000) items — beside
 *     the very SELECT the service sends (captured from ItemsService.list), run through `pg`;
 *  2. custody history of one item with 200 events, GET /api/v1/items/:id/history (each read also
 *     writes its access-log row) — beside GET /health (the HTTP floor) and the history's own SELECT
 *     of the 200 ledger entries through `pg`.
 * The 1,000,000 items are bulk-loaded with SQL generate_series straight into case_file and item
 * (10 agencies, 100 items per case, no ledger entries: search reads only the item table and this
 * scenario does not verify the ledger), then ANALYZEd. The history item is made through the API.
 * Usage: npm run bench -- reads
 */
import { createHash } from 'node:crypto';

import pg from 'pg';
import type { DataSource } from 'typeorm';

import type { AccessLogService } from '../src/access-log/access-log.service.js';
import { CaseAccessService } from '../src/cases/case-access.service.js';
import type { RequestContext } from '../src/common/request-context.js';
import type { CustodyRecords } from '../src/custody/custody-records.service.js';
import { ItemsService } from '../src/custody/items.service.js';
import { caseWithItems, recordReferences, verificationBody } from './custody-fixtures.js';
import {
  BenchApi,
  benchDatabase,
  benchSeconds,
  closedLoop,
  fmt,
  httpLoad,
  postgresVersion,
  ratio,
  seedUsers,
  startService,
  throughput,
  type BenchUser,
  type SummaryRow,
} from './support.js';

const CONNECTIONS = 32;
export const AGENCIES = ['ES-PN', 'ES-GC', 'ES-ME', 'PT-PJ', 'AR-PFA', 'DE-BKA', 'FR-PN', 'IT-PS', 'NL-NP', 'BE-FP'];
const ITEMS_PER_CASE = 100;
const HISTORY_EVENTS = 200;

/** The bulk load: 10 agencies, each with items/10 items in cases of 100. Returns the seconds it took. */
export async function bulkLoadItems(ownerUrl: string, officers: readonly BenchUser[], total: number): Promise<number> {
  const perAgency = Math.floor(total / AGENCIES.length);
  const started = performance.now();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // The item table's secondary indexes are dropped for the load and built again after it, from their
    // own definitions (pg_get_indexdef): the same indexes as the migrations made, several times faster
    // to build at once than to maintain row by row. Constraint indexes (primary key, unique) stay.
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT c.relname AS name, pg_get_indexdef(c.oid) AS definition
         FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
        WHERE x.indrelid = 'item'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`,
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
    const agencies = `unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS a(agency_id, user_id, code, ord)`;
    const params = [officers.map((o) => o.agencyId), officers.map((o) => o.id), officers.map((o) => o.agencyCode)];
    await client.query(
      `INSERT INTO case_file (agency_id, case_number, title, created_by)
       SELECT a.agency_id, 'OP-' || lpad(c::text, 5, '0'), 'Bulk-loaded case ' || c, a.user_id
         FROM ${agencies} CROSS JOIN generate_series(1, $4::int) c`,
      [...params, Math.ceil(perAgency / ITEMS_PER_CASE)],
    );
    await client.query(
      `INSERT INTO item (case_id, agency_id, item_number, kind, description, make, model, serial, imeis, seal_number, occurred_at,
                         occurred_offset, place, registered_by, custodian_id, location, last_event_idx)
       SELECT c.id, a.agency_id, a.code || '-2026-' || lpad(n::text, 6, '0'),
              (ARRAY['mobile_phone', 'laptop', 'hard_drive', 'usb_drive', 'sim_card'])[1 + n % 5],
              'Bulk-loaded item ' || n, 'Samsung', 'Galaxy S21', upper(substr(md5(a.code || n), 1, 12)),
              CASE WHEN n % 5 = 0 THEN ARRAY[(350000000000000 + a.ord * 100000000 + n)::text] ELSE '{}' END,
              'SEAL-' || a.ord || '-' || n, now() - interval '30 days', 60, 'Calle Mayor 12, Madrid', a.user_id, a.user_id,
              'Madrid/HQ/Room ' || (n % 10), 0
         FROM ${agencies}
        CROSS JOIN generate_series(1, $4::int) n
         JOIN case_file c ON c.agency_id = a.agency_id AND c.case_number = 'OP-' || lpad(((n - 1) / ${ITEMS_PER_CASE} + 1)::text, 5, '0')`,
      [...params, perAgency],
    );
    for (const index of indexes) await client.query(index.definition);
    // What autovacuum does for a database that grew gradually: statistics, visibility map, GIN pending list merged.
    await client.query('VACUUM (ANALYZE) case_file');
    await client.query('VACUUM (ANALYZE) item');
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}

/** Searches an officer of the first agency (ord 1) makes: scan-to-find, number prefix, serial, seal, IMEI. */
export function searchQueries(perAgency: number, count: number): string[] {
  const code = AGENCIES[0];
  const pick = (): number => 1 + Math.floor(Math.random() * perAgency);
  return Array.from({ length: count }, (_, i) => {
    const n = pick();
    switch (i % 5) {
      case 0:
        return `${code}-2026-${String(n).padStart(6, '0')}`; // a label scanned: one item
      case 1:
        return `${code}-2026-${String(n).padStart(6, '0').slice(0, 5)}`; // a number typed half-way: ten
      case 2:
        return createHash('md5').update(`${code}${n}`).digest('hex').slice(0, 8); // a serial's beginning, lower case
      case 3:
        return `SEAL-1-${n}`; // a seal number
      default:
        return String(350000000000000 + 100000000 + Math.max(5, n - (n % 5))); // an IMEI
    }
  });
}

/** The exact SQL and parameters ItemsService.list sends for each query (captured, not rewritten). */
export async function capturedSearchSql(
  officer: BenchUser,
  queries: readonly string[],
): Promise<Array<{ sql: string; params: unknown[] }>> {
  const captured: Array<{ sql: string; params: unknown[] }> = [];
  const capture = {
    query: (sql: string, params: unknown[]) => {
      captured.push({ sql, params });
      return Promise.resolve([]);
    },
  } as unknown as DataSource;
  const service = new ItemsService(capture, {} as CustodyRecords, new CaseAccessService({} as AccessLogService));
  const ctx: RequestContext = {
    actor: {
      id: officer.id,
      username: officer.username,
      displayName: officer.username,
      agencyId: officer.agencyId,
      agencyCode: officer.agencyCode,
      roles: ['officer'],
    },
    requestId: 'bench',
    ip: null,
  };
  for (const q of queries) await service.list(ctx, { q, limit: 100 });
  return captured;
}

async function pgLoop(
  url: string,
  seconds: number,
  statement: (n: number) => { sql: string; params: unknown[] },
): Promise<ReturnType<typeof throughput>> {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  let n = 0;
  try {
    return throughput(
      await closedLoop(CONNECTIONS, seconds * 1000, async () => {
        const { sql, params } = statement(n++);
        await pool.query(sql, params);
      }),
    );
  } finally {
    await pool.end();
  }
}

export async function readsBenchmark(): Promise<Record<string, unknown>> {
  const seconds = benchSeconds(20);
  const totalItems = Number(process.env.BENCH_ITEMS ?? 1_000_000);
  const perAgency = Math.floor(totalItems / AGENCIES.length);
  const database = await benchDatabase();
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    const officers = await seedUsers(
      database.appUrl,
      [...AGENCIES, 'ES-LAB'].map((code, i) => ({
        code,
        users: [{ username: `officer.${i}`, displayName: `Bench Officer ${i}`, role: 'officer' as const }],
      })),
    );
    const searcher = officers[0];
    const historian = officers[AGENCIES.length];
    process.stderr.write(`reads: bulk-loading ${(perAgency * AGENCIES.length).toLocaleString('en-US')} items…\n`);
    const loadSeconds = await bulkLoadItems(database.ownerUrl, officers.slice(0, AGENCIES.length), totalItems);
    service = await startService(database);
    const api = new BenchApi(service.url);

    // 1. Search.
    const searcherToken = await api.login(searcher);
    const queries = searchQueries(perAgency, 5000);
    const statements = await capturedSearchSql(searcher, queries);
    const sample = await api.call<{ items: unknown[] }>(
      searcherToken,
      'GET',
      `/api/v1/items?q=${encodeURIComponent(queries[0])}`,
    );
    if (sample.items.length !== 1)
      throw new Error(`search for ${queries[0]} found ${sample.items.length} items, expected 1`);
    let nextQuery = 0;
    const searchRequests = [
      {
        method: 'GET' as const,
        setupRequest: (request: object) => ({
          ...request,
          path: `/api/v1/items?q=${encodeURIComponent(queries[nextQuery++ % queries.length])}`,
        }),
      },
    ];
    const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
    process.stderr.write(`reads: search SELECT through pg for ${seconds} s…\n`);
    const searchBaseline = await pgLoop(database.appUrl, seconds, (n) => statements[n % statements.length]);
    await httpLoad({
      url: service.url,
      connections: CONNECTIONS,
      seconds: 2,
      requests: searchRequests,
      headers: auth(searcherToken),
    });
    process.stderr.write(`reads: search over HTTP for ${seconds} s…\n`);
    const search = await httpLoad({
      url: service.url,
      connections: CONNECTIONS,
      seconds,
      requests: searchRequests,
      headers: auth(searcherToken),
    });

    // 2. History of an item with 200 events: seizure, signed reference, 198 verifications.
    const token = await api.login(historian);
    const { items } = await caseWithItems(api, token, 'OP-BENCH-HISTORY', 1);
    const item = items[0];
    await recordReferences(api, token, historian.password, items);
    for (let i = 2; i < HISTORY_EVENTS; i++)
      await api.call(token, 'POST', `/api/v1/items/${item.id}/hashes`, verificationBody(0));
    const history = await api.call<{ events: unknown[] }>(token, 'GET', `/api/v1/items/${item.id}/history`);
    if (history.events.length !== HISTORY_EVENTS)
      throw new Error(`the history has ${history.events.length} events, expected ${HISTORY_EVENTS}`);
    const historyBytes = JSON.stringify(history).length;
    const historyPath = `/api/v1/items/${item.id}/history`;
    process.stderr.write(`reads: history baselines (/health, the entries' SELECT) for ${seconds} s each…\n`);
    const health = await httpLoad({
      url: service.url,
      connections: CONNECTIONS,
      seconds,
      requests: [{ method: 'GET', path: '/health' }],
    });
    const historySelect = await pgLoop(database.appUrl, seconds, () => ({
      sql: 'SELECT le.entry, le.leaf_hash FROM item_event ie JOIN ledger_entry le ON le.idx = ie.ledger_idx WHERE ie.item_id = $1 ORDER BY ie.ledger_idx',
      params: [item.id],
    }));
    await httpLoad({
      url: service.url,
      connections: CONNECTIONS,
      seconds: 2,
      requests: [{ method: 'GET', path: historyPath }],
      headers: auth(token),
    });
    process.stderr.write(`reads: history over HTTP for ${seconds} s…\n`);
    const historyLoad = await httpLoad({
      url: service.url,
      connections: CONNECTIONS,
      seconds,
      requests: [{ method: 'GET', path: historyPath }],
      headers: auth(token),
    });

    const summary: SummaryRow[] = [
      {
        measure: `item history (${HISTORY_EVENTS} events, ${Math.round(historyBytes / 1024)} KiB), 32 readers`,
        custos: fmt.rate(historyLoad, ' req/s'),
        baseline: `GET /health: ${fmt.rate(health)}; its SELECT via pg: ${fmt.rate(historySelect)}`,
        ratio: ratio(historyLoad.perSecond, health.perSecond),
        target: 'p99 ≤ 20 ms',
        met: historyLoad.p99ms <= 20,
      },
      {
        measure: `item search in ${(perAgency * AGENCIES.length).toLocaleString('en-US')} items, 32 readers`,
        custos: fmt.rate(search, ' req/s'),
        baseline: `same SELECT via pg: ${fmt.rate(searchBaseline)}`,
        ratio: ratio(search.perSecond, searchBaseline.perSecond),
        target: 'p99 ≤ 50 ms',
        met: search.p99ms <= 50,
      },
    ];
    return {
      settings: {
        postgres: await postgresVersion(database.appUrl),
        connections: CONNECTIONS,
        seconds,
        service: service.settings,
        baselinePool: CONNECTIONS,
        loadGenerator: 'autocannon (in the bench process, same machine)',
        items: perAgency * AGENCIES.length,
        itemsLoadedWith:
          'SQL generate_series into case_file and item (no ledger entries), secondary indexes rebuilt, VACUUM (ANALYZE)',
        searcherSees: `${perAgency} items (own agency of ${AGENCIES.length})`,
      },
      summary,
      bulkLoad: { items: perAgency * AGENCIES.length, seconds: Number(loadSeconds.toFixed(1)) },
      search: {
        ...search,
        ratioToBaseline: ratio(search.perSecond, searchBaseline.perSecond),
        queries: 'round robin: exact number, number prefix (10 hits), serial prefix, seal number, IMEI',
      },
      searchSelectBaseline: searchBaseline,
      history: {
        events: HISTORY_EVENTS,
        responseBytes: historyBytes,
        ...historyLoad,
        ratioToHealth: ratio(historyLoad.perSecond, health.perSecond),
      },
      healthBaseline: health,
      historySelectBaseline: historySelect,
    };
  } finally {
    await service?.stop();
    await database.close();
  }
}
