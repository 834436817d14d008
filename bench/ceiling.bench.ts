/**
 * Custos beside the framework's own ceiling (issue #19, item 2). In one run, on one fresh embedded
 * PostgreSQL, 32 keep-alive clients for BENCH_SECONDS (default 20) each:
 *   1. the bare NestJS app (bench/bare-app.ts): GET of one row by id (one SELECT);
 *   2. Custos: authenticated GET /api/v1/items/:id, round-robin over ITEMS items;
 *   3. the bare app: POST of one row (one durable INSERT);
 *   4. Custos: unsigned hash verifications, POST /api/v1/items/:id/hashes (as the write scenario);
 *   then 2 and 4 again with CUSTOS_WORKERS=2 (two service processes sharing the port).
 * Every Custos figure is reported as a ratio to its bare counterpart, with p50 and p99.
 * Usage: npm run bench -- ceiling
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

import { caseWithItems, recordReferences, verificationBody } from './custody-fixtures.js';
import {
  BenchApi,
  benchDatabase,
  benchSeconds,
  fmt,
  httpLoad,
  postgresVersion,
  ratio,
  sampleRss,
  seedUsers,
  startService,
  type HttpLoad,
  type SummaryRow,
} from './support.js';

const CONNECTIONS = 32;
/** Ten times the connections: no two requests in flight touch the same item (as in the write scenario). */
const ITEMS = 320;

interface BareApp {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts bench/bare-app.ts (built to dist/bench/bare-app.js) against the service's database role. */
async function startBareApp(databaseUrl: string): Promise<BareApp> {
  const child = spawn(process.execPath, [resolve('dist/bench/bare-app.js')], {
    env: { PATH: process.env.PATH ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp', DATABASE_URL: databaseUrl, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /"url":"([^"]+)"/.exec(out);
      if (match) done(match[1].replace('[::1]', '127.0.0.1'));
    });
    child.once('exit', (code) => fail(new Error(`the bare app exited (code ${code}) before listening: ${out}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function ceilingBenchmark(): Promise<Record<string, unknown>> {
  const seconds = benchSeconds(20);
  const database = await benchDatabase();
  await database.query(
    'CREATE TABLE bench_bare_thing (id bigserial PRIMARY KEY, item_id uuid NOT NULL, body jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())',
  );
  await database.query(
    'GRANT SELECT, INSERT ON bench_bare_thing TO custos_service; GRANT USAGE ON SEQUENCE bench_bare_thing_id_seq TO custos_service',
  );
  const bare = await startBareApp(database.appUrl);
  const service = await startService(database);
  let stopTwoWorkers: (() => Promise<void>) | undefined;
  try {
    const [officer] = await seedUsers(database.appUrl, [
      { code: 'ES-PN', users: [{ username: 'officer.bench', displayName: 'Ana Morales Ruiz', role: 'officer' }] },
    ]);
    const api = new BenchApi(service.url);
    let token = await api.login(officer);
    process.stderr.write(`ceiling: seizing ${ITEMS} items and recording their signed references…\n`);
    const { items } = await caseWithItems(api, token, 'OP-BENCH-CEILING', ITEMS);
    await recordReferences(api, token, officer.password, items);
    const bodies = items.map((item, n) => ({ itemId: item.id, ...verificationBody(n) }));
    // The bare app's rows: the same JSON the verifications carry, one per item.
    const { rows } = await database.query<{ id: string }>(
      "INSERT INTO bench_bare_thing (item_id, body) SELECT (b->>'itemId')::uuid, b FROM jsonb_array_elements($1::jsonb) AS b RETURNING id",
      [JSON.stringify(bodies)],
    );
    await database.query('ANALYZE bench_bare_thing');
    const thingIds = rows.map((row) => row.id);

    const roundRobin = (paths: string[], method: 'GET' | 'POST', payloads?: string[]) => {
      let next = 0;
      return [
        {
          method,
          setupRequest: (request: object) => {
            const k = next++ % paths.length;
            return { ...request, path: paths[k], ...(payloads ? { body: payloads[k] } : {}) };
          },
        },
      ];
    };
    const load = async (label: string, url: string, requests: ReturnType<typeof roundRobin>, auth: boolean) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth) headers.authorization = `Bearer ${token}`;
      process.stderr.write(`ceiling: ${label}: warm-up 2 s, then ${seconds} s…\n`);
      await httpLoad({ url, connections: CONNECTIONS, seconds: 2, requests, headers });
      return httpLoad({ url, connections: CONNECTIONS, seconds, requests, headers });
    };

    const bareGet = await load(
      'bare GET',
      bare.url,
      roundRobin(
        thingIds.map((id) => `/things/${id}`),
        'GET',
      ),
      false,
    );
    const stopGetRss = sampleRss(service.pid);
    const custosGet = await load(
      'GET /api/v1/items/:id',
      service.url,
      roundRobin(
        items.map((item) => `/api/v1/items/${item.id}`),
        'GET',
      ),
      true,
    );
    const getRss = stopGetRss();
    const barePost = await load(
      'bare POST',
      bare.url,
      roundRobin(
        bodies.map(() => '/things'),
        'POST',
        bodies.map((body) => JSON.stringify(body)),
      ),
      false,
    );
    const stopPostRss = sampleRss(service.pid);
    const custosPost = await load(
      'POST /api/v1/items/:id/hashes (unsigned verification)',
      service.url,
      roundRobin(
        items.map((item) => `/api/v1/items/${item.id}/hashes`),
        'POST',
        items.map((_, n) => JSON.stringify(verificationBody(n))),
      ),
      true,
    );
    const postRss = stopPostRss();

    // The same two loads with two service processes sharing the port (CUSTOS_WORKERS=2).
    await service.stop();
    const twoWorkers = await startService(database, { CUSTOS_WORKERS: '2' });
    stopTwoWorkers = () => twoWorkers.stop();
    // Its own DATA_DIR, its own token key: sign in again.
    token = await new BenchApi(twoWorkers.url).login(officer);
    const custosGet2 = await load(
      'GET /api/v1/items/:id, 2 workers',
      twoWorkers.url,
      roundRobin(
        items.map((item) => `/api/v1/items/${item.id}`),
        'GET',
      ),
      true,
    );
    const custosPost2 = await load(
      'unsigned verifications, 2 workers',
      twoWorkers.url,
      roundRobin(
        items.map((item) => `/api/v1/items/${item.id}/hashes`),
        'POST',
        items.map((_, n) => JSON.stringify(verificationBody(n))),
      ),
      true,
    );

    const getRatio = ratio(custosGet.perSecond, bareGet.perSecond);
    const postRatio = ratio(custosPost.perSecond, barePost.perSecond);
    const summary: SummaryRow[] = [
      {
        measure: 'GET /api/v1/items/:id (authenticated), 32 clients',
        custos: fmt.rate(custosGet, ' req/s'),
        baseline: `bare NestJS GET, one SELECT: ${fmt.rate(bareGet, ' req/s')}`,
        ratio: getRatio,
        target: '≥ 0.7 of the bare GET',
        met: getRatio >= 0.7,
      },
      {
        measure: 'unsigned hash verifications, 32 clients',
        custos: fmt.rate(custosPost, ' events/s'),
        baseline: `bare NestJS POST, one INSERT: ${fmt.rate(barePost, ' req/s')}`,
        ratio: postRatio,
        target: '≥ 0.6 of the bare POST, p99 ≤ 2 × its p99',
        met: postRatio >= 0.6 && custosPost.p99ms <= 2 * barePost.p99ms,
      },
      {
        measure: 'the same GET, CUSTOS_WORKERS=2',
        custos: fmt.rate(custosGet2, ' req/s'),
        baseline: `bare NestJS GET (one process): ${fmt.rate(bareGet, ' req/s')}`,
        ratio: ratio(custosGet2.perSecond, bareGet.perSecond),
        target: 'report (1 worker: above)',
        met: null,
      },
      {
        measure: 'the same verifications, CUSTOS_WORKERS=2',
        custos: fmt.rate(custosPost2, ' events/s'),
        baseline: `bare NestJS POST (one process): ${fmt.rate(barePost, ' req/s')}`,
        ratio: ratio(custosPost2.perSecond, barePost.perSecond),
        target: 'report (1 worker: above)',
        met: null,
      },
    ];
    const withRatios = (custos: HttpLoad, baseline: HttpLoad) => ({
      ...custos,
      ratioToBaseline: ratio(custos.perSecond, baseline.perSecond),
      p99RatioToBaseline: Number((custos.p99ms / baseline.p99ms).toFixed(2)),
    });
    return {
      settings: {
        postgres: await postgresVersion(database.appUrl),
        connections: CONNECTIONS,
        seconds,
        items: ITEMS,
        service: service.settings,
        bareApp: 'bench/bare-app.ts: NestJS 12, Express, pg pool of 20, no auth, no logging',
        loadGenerator: 'autocannon (in the bench process, same machine)',
      },
      summary,
      bareGet,
      itemGet: withRatios(custosGet, bareGet),
      barePost,
      hashVerification: withRatios(custosPost, barePost),
      serviceRss: { duringGets: getRss, duringPosts: postRss },
      twoWorkers: { itemGet: withRatios(custosGet2, bareGet), hashVerification: withRatios(custosPost2, barePost) },
    };
  } finally {
    await service.stop();
    await stopTwoWorkers?.();
    await bare.stop();
    await database.close();
  }
}
