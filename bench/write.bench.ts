/**
 * Write path over HTTP (issue 7, scenarios 1 and 5): the built service as a child process on a
 * fresh database; 32 keep-alive clients record unsigned hash verifications
 * (POST /api/v1/items/:id/hashes, a match against a signed reference recorded first) for
 * BENCH_SECONDS (default 20), spread round-robin over WRITE_ITEMS items so that no two requests in
 * flight touch the same item. Beside it, in the same run: raw single-row INSERTs of the same JSON
 * body through `pg` at the same concurrency. The service's RSS is sampled from /proc during the run.
 * Usage: npm run bench -- write
 */
import pg from 'pg';

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
  sampleDatabaseActivity,
  sampleRss,
  seedUsers,
  startService,
  throughput,
  type SummaryRow,
} from './support.js';

const CONNECTIONS = 32;
/** Ten times the connections: round-robin keeps the 32 requests in flight on 32 different items. */
const WRITE_ITEMS = 320;

export async function writeBenchmark(): Promise<Record<string, unknown>> {
  const seconds = benchSeconds(20);
  const database = await benchDatabase();
  const service = await startService(database);
  try {
    const [officer] = await seedUsers(database.appUrl, [
      { code: 'ES-PN', users: [{ username: 'officer.bench', displayName: 'Ana Morales Ruiz', role: 'officer' }] },
    ]);
    const api = new BenchApi(service.url);
    const token = await api.login(officer);
    process.stderr.write(`write: seizing ${WRITE_ITEMS} items and recording their signed references…\n`);
    const { items } = await caseWithItems(api, token, 'OP-BENCH-WRITE', WRITE_ITEMS);
    await recordReferences(api, token, officer.password, items);
    const bodies = items.map((item, n) => ({
      path: `/api/v1/items/${item.id}/hashes`,
      body: JSON.stringify(verificationBody(n)),
    }));

    // Baseline: the same JSON body, one INSERT per request, 32 concurrent connections, durable commits.
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    await owner.query(
      'CREATE TABLE bench_plain_event (id bigserial PRIMARY KEY, item_id uuid NOT NULL, body jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())',
    );
    await owner.query(
      'GRANT SELECT, INSERT ON bench_plain_event TO custos_service; GRANT USAGE ON SEQUENCE bench_plain_event_id_seq TO custos_service',
    );
    await owner.end();
    const pool = new pg.Pool({ connectionString: database.appUrl, max: CONNECTIONS });
    let n = 0;
    process.stderr.write(`write: baseline, plain INSERTs for ${seconds} s…\n`);
    const baseline = throughput(
      await closedLoop(CONNECTIONS, seconds * 1000, async () => {
        const k = n++ % WRITE_ITEMS;
        await pool.query('INSERT INTO bench_plain_event (item_id, body) VALUES ($1, $2)', [
          items[k].id,
          bodies[k].body,
        ]);
      }),
    );
    await pool.end();

    let next = 0;
    const requests = [
      {
        method: 'POST' as const,
        setupRequest: (request: object) => {
          const body = bodies[next++ % WRITE_ITEMS];
          return { ...request, path: body.path, body: body.body };
        },
      },
    ];
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    process.stderr.write('write: warm-up, 2 s…\n');
    await httpLoad({ url: service.url, connections: CONNECTIONS, seconds: 2, requests, headers });
    process.stderr.write(`write: hash verifications over HTTP for ${seconds} s…\n`);
    const stopSampling = sampleRss(service.pid);
    const stopActivity = sampleDatabaseActivity(database.adminUrl);
    const custos = await httpLoad({ url: service.url, connections: CONNECTIONS, seconds, requests, headers });
    const memory = stopSampling();
    const databaseActivity = await stopActivity();

    // Second baseline: the service's own read of the same items over HTTP (authentication, the
    // item and case lookups and the hash list that a verification also makes, without the ledger's
    // serial section): what the write path could reach if its unit of work cost nothing.
    let nextRead = 0;
    const reads = [
      {
        method: 'GET' as const,
        setupRequest: (request: object) => ({ ...request, path: bodies[nextRead++ % WRITE_ITEMS].path }),
      },
    ];
    process.stderr.write(`write: the same items' hash lists over HTTP (GET) for ${seconds} s…\n`);
    const readCeiling = await httpLoad({
      url: service.url,
      connections: CONNECTIONS,
      seconds,
      requests: reads,
      headers: { authorization: `Bearer ${token}` },
    });

    const [{ count }] = (
      await database.query<{ count: string }>(`SELECT count(*) AS count FROM ledger_entry WHERE type = 'hash.recorded'`)
    ).rows;
    const summary: SummaryRow[] = [
      {
        measure: 'hash verifications over HTTP, 32 clients',
        custos: fmt.rate(custos, ' events/s'),
        baseline: `plain INSERT via pg: ${fmt.rate(baseline)}; GET of the same item's hashes over HTTP: ${fmt.rate(readCeiling)}`,
        ratio: ratio(custos.perSecond, baseline.perSecond),
        target: '≥ 1,500 events/s, p99 ≤ 50 ms',
        met: custos.perSecond >= 1500 && custos.p99ms <= 50,
      },
      {
        measure: 'service RSS under that load (max)',
        custos: `${memory.peakMiB} MiB (idle ${memory.atStartMiB} MiB)`,
        baseline: '—',
        ratio: null,
        target: '≤ 300 MB',
        met: memory.peakMiB * 2 ** 20 <= 300e6,
      },
    ];
    return {
      settings: {
        postgres: await postgresVersion(database.appUrl),
        connections: CONNECTIONS,
        seconds,
        items: WRITE_ITEMS,
        service: service.settings,
        baselinePool: CONNECTIONS,
        loadGenerator: 'autocannon (in the bench process, same machine)',
        synchronousCommit: 'on',
        fsync: 'on',
      },
      summary,
      baselinePlainInsert: baseline,
      baselineReadSameItemHttp: { ...readCeiling, ratioOfWrites: ratio(custos.perSecond, readCeiling.perSecond) },
      hashVerificationsHttp: { ...custos, ratioToBaseline: ratio(custos.perSecond, baseline.perSecond) },
      serviceRss: memory,
      ledgerEntriesWritten: Number(count),
      ...(databaseActivity ? { databaseActivity } : {}),
    };
  } finally {
    await service.stop();
    await database.close();
  }
}
