/**
 * Witnessing off the write path (issue 15, "What it must show"): the built service on a fresh
 * database, 32 keep-alive clients recording unsigned hash verifications for BENCH_SECONDS (default
 * 20), once without witnesses and once with two `custos witness serve` processes configured
 * (LEDGER_WITNESSES, quorum 2), in the same run and on the same database and items. Throughput and
 * latency are compared; witnessing must stay within noise of the run without it. The witnessed
 * run also has a TSA (LEDGER_TSA_URL) stamping the published checkpoints. During the
 * witnessed run a probe writes one verification every 250 ms and measures the time from its
 * acknowledgement to the first published (quorum-cosigned) checkpoint that covers its entry: p50
 * and p99. Checkpoints are signed every second and witnessing asked every second in both runs
 * (LEDGER_CHECKPOINT_SECONDS=1, LEDGER_WITNESS_INTERVAL_MS=1000), so that the time measured is the
 * service's and the witnesses', not a default timer's.
 * Usage: npm run bench -- witnessing
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { loadOrCreateLedgerKey } from '../src/ledger/ledger-key.js';
import { startTestTsa } from '../test/utils/tsa.js';
import { caseWithItems, recordReferences, verificationBody } from './custody-fixtures.js';
import {
  BenchApi,
  benchDatabase,
  benchSeconds,
  fmt,
  httpLoad,
  percentile,
  postgresVersion,
  ratio,
  seedUsers,
  startService,
  type HttpLoad,
  type SummaryRow,
} from './support.js';

const CONNECTIONS = 32;
const WRITE_ITEMS = 320;
const ORIGIN = 'bench.custos.invalid/ledger';
const PROBE_EVERY_MS = 250;

interface OutsideCheck {
  /** What the service is configured with for this check. */
  readonly env: Record<string, string>;
  readonly describe: string;
  stop(): Promise<void>;
}

/** One `custos witness serve` process of the built CLI, on a port of its own. */
async function startWitness(
  dir: string,
  name: string,
  ledgerVkey: string,
): Promise<OutsideCheck & { url: string; vkey: string }> {
  const child = spawn(
    process.execPath,
    [
      resolve('dist/src/cli.js'),
      'witness',
      'serve',
      '--data-dir',
      join(dir, name),
      '--port',
      '0',
      '--name',
      `bench.witness/${name}`,
      '--log',
      `${ORIGIN}=${ledgerVkey}`,
    ],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TMPDIR: tmpdir() },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  // A bench that dies must not leave witnesses behind.
  const kill = (): void => void child.kill('SIGTERM');
  process.once('exit', kill);
  let out = '';
  const { vkey, url } = await new Promise<{ vkey: string; url: string }>((done, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /^(\S+)\nlistening on (http:\/\/\S+)\n/.exec(out);
      if (match) done({ vkey: match[1], url: match[2] });
    });
    void exited.then(() => fail(new Error(`witness ${name} exited before listening:\n${out}`)));
  });
  child.stdout.resume();
  return {
    url,
    vkey,
    env: {},
    describe: `witness ${name} (${url})`,
    stop: async () => {
      process.off('exit', kill);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The outside checks of the measured run: two witnesses, quorum 2, and an RFC 3161 TSA (OpenSSL's
 * `openssl ts -reply` behind HTTP, as in the tests: test/utils/tsa.ts) stamping every published
 * checkpoint, so the throughput comparison and the append-to-witnessed figures include both.
 */
async function startOutsideChecks(dir: string, ledgerVkey: string): Promise<OutsideCheck[]> {
  const tsa = await startTestTsa(dir);
  const timestamping: OutsideCheck = {
    env: { LEDGER_TSA_URL: tsa.url, LEDGER_TSA_CA_FILE: tsa.caFile, LEDGER_TSA_INTERVAL_MS: '1000' },
    describe: `a TSA (openssl ts, ${tsa.url})`,
    stop: () => tsa.close(),
  };
  const witnesses = [await startWitness(dir, 'w1', ledgerVkey), await startWitness(dir, 'w2', ledgerVkey)];
  const witnessing: OutsideCheck = {
    env: {
      LEDGER_WITNESSES: witnesses.map((w) => `${w.url} ${w.vkey}`).join(','),
      LEDGER_WITNESS_QUORUM: '2',
    },
    describe: `2 witnesses, quorum 2: ${witnesses.map((w) => w.describe).join(', ')}`,
    stop: async () => {
      await Promise.all(witnesses.map((w) => w.stop()));
    },
  };
  return [witnessing, timestamping];
}

export async function witnessingBenchmark(): Promise<Record<string, unknown>> {
  const seconds = benchSeconds(20);
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-witnessing-'));
  const keyFile = join(dir, 'ledger.key');
  const ledgerVkey = loadOrCreateLedgerKey(keyFile, ORIGIN, { warn: () => undefined }).verifierKey;
  const database = await benchDatabase();
  const checks: OutsideCheck[] = [];
  try {
    const common = {
      LEDGER_KEY_FILE: keyFile,
      LEDGER_ORIGIN: ORIGIN,
      LEDGER_CHECKPOINT_SECONDS: '1',
      LEDGER_WITNESS_INTERVAL_MS: '1000',
    };
    // Seeding, then the run without witnesses.
    let service = await startService(database, common);
    const [officer] = await seedUsers(database.appUrl, [
      { code: 'ES-PN', users: [{ username: 'officer.bench', displayName: 'Ana Morales Ruiz', role: 'officer' }] },
    ]);
    let token: string;
    let without: HttpLoad;
    let n = 0;
    const bodies: Array<{ path: string; body: string }> = [];
    const requests = [
      {
        method: 'POST' as const,
        setupRequest: (request: object) => {
          const body = bodies[n++ % bodies.length];
          return { ...request, path: body.path, body: body.body };
        },
      },
    ];
    const headers = (): Record<string, string> => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });
    try {
      const api = new BenchApi(service.url);
      token = await api.login(officer);
      process.stderr.write(`witnessing: seizing ${WRITE_ITEMS} items and recording their signed references…\n`);
      const { items } = await caseWithItems(api, token, 'OP-BENCH-WITNESS', WRITE_ITEMS);
      await recordReferences(api, token, officer.password, items);
      bodies.push(
        ...items.map((item, k) => ({
          path: `/api/v1/items/${item.id}/hashes`,
          body: JSON.stringify(verificationBody(k)),
        })),
      );
      process.stderr.write('witnessing: warm-up, 2 s…\n');
      await httpLoad({ url: service.url, connections: CONNECTIONS, seconds: 2, requests, headers: headers() });
      process.stderr.write(`witnessing: without witnesses, ${seconds} s…\n`);
      without = await httpLoad({ url: service.url, connections: CONNECTIONS, seconds, requests, headers: headers() });
    } finally {
      await service.stop();
    }

    checks.push(...(await startOutsideChecks(dir, ledgerVkey)));
    service = await startService(
      database,
      Object.assign({}, common, ...checks.map((check) => check.env)) as Record<string, string>,
    );
    let witnessed: HttpLoad;
    const delays: number[] = [];
    let unwitnessed = 0;
    let failedProbes = 0;
    try {
      const api = new BenchApi(service.url);
      token = await api.login(officer);
      // The first publication covers everything written so far; the probes measure from there on.
      await waitPublished(
        api,
        (await api.call<{ treeSize: number }>(token, 'GET', '/api/v1/ledger/status')).treeSize,
        120_000,
      );
      process.stderr.write('witnessing: warm-up, 2 s…\n');
      await httpLoad({ url: service.url, connections: CONNECTIONS, seconds: 2, requests, headers: headers() });
      process.stderr.write(`witnessing: with ${checks.map((c) => c.describe).join('; ')}, ${seconds} s…\n`);
      const probes = new Probes(api, token, bodies);
      const probing = probes.run(PROBE_EVERY_MS);
      witnessed = await httpLoad({ url: service.url, connections: CONNECTIONS, seconds, requests, headers: headers() });
      probes.stop();
      const result = await probing;
      delays.push(...result.delays);
      unwitnessed = result.unwitnessed;
      failedProbes = result.failed;
    } finally {
      await service.stop();
    }

    const [{ stamped }] = (
      await database.query<{ stamped: string }>('SELECT count(*) AS stamped FROM ledger_checkpoint_timestamp')
    ).rows;
    delays.sort((a, b) => a - b);
    const p50 = Math.round(percentile(delays, 50));
    const p99 = Math.round(percentile(delays, 99));
    const throughputRatio = ratio(witnessed.perSecond, without.perSecond);
    const summary: SummaryRow[] = [
      {
        measure: 'hash verifications over HTTP, 32 clients, 2 witnesses (quorum 2) and a TSA',
        custos: fmt.rate(witnessed, ' events/s'),
        baseline: `without witnesses: ${fmt.rate(without, ' events/s')}`,
        ratio: throughputRatio,
        target: 'within noise (≥ 0.9)',
        met: throughputRatio >= 0.9,
      },
      {
        measure: 'append acknowledged → published witnessed checkpoint',
        custos: `p50 ${p50} ms, p99 ${p99} ms (${delays.length} probes${unwitnessed > 0 ? `, ${unwitnessed} never witnessed` : ''}${failedProbes > 0 ? `, ${failedProbes} refused` : ''})`,
        baseline: `checkpoint, witnessing and TSA timers: 1 s each; ${stamped} checkpoints time-stamped`,
        ratio: null,
        target: 'p99 ≤ 5 s with 1 s timers; every probe witnessed; checkpoints stamped',
        met: p99 <= 5_000 && unwitnessed === 0 && failedProbes === 0 && Number(stamped) > 0,
      },
    ];
    return {
      settings: {
        postgres: await postgresVersion(database.appUrl),
        connections: CONNECTIONS,
        seconds,
        items: WRITE_ITEMS,
        checkpointSeconds: 1,
        witnessIntervalMs: 1000,
        outsideChecks: checks.map((check) => check.describe),
        probeEveryMs: PROBE_EVERY_MS,
        loadGenerator: 'autocannon (in the bench process, same machine)',
      },
      summary,
      withoutWitnesses: without,
      withWitnesses: { ...witnessed, ratioToWithout: throughputRatio },
      timeStampedCheckpoints: Number(stamped),
      appendToWitnessedMs: { p50, p99, probes: delays.length, unwitnessed, failedProbes, max: delays.at(-1) ?? null },
    };
  } finally {
    for (const check of checks) await check.stop();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the published checkpoint covers `size` entries. */
async function waitPublished(api: BenchApi, size: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${api.baseUrl}/api/v1/ledger/checkpoint`);
    if (response.ok && ((await response.json()) as { treeSize: number }).treeSize >= size) return;
    if (!response.ok) await response.text();
    if (Date.now() > deadline) throw new Error(`no witnessed checkpoint of size ${size} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * One verification every `everyMs` while the load runs: the time from its acknowledgement (with its
 * ledger index) to the first published checkpoint whose size covers it, seen by polling the
 * published checkpoint every 50 ms.
 */
class Probes {
  private stopped = false;
  constructor(
    private readonly api: BenchApi,
    private readonly token: string,
    /** The load's requests: each matches its item's reference. */
    private readonly bodies: ReadonlyArray<{ path: string; body: string }>,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(everyMs: number): Promise<{ delays: number[]; unwitnessed: number; failed: number }> {
    const pending: Array<{ index: number; at: number }> = [];
    const delays: number[] = [];
    let k = 0;
    let failed = 0;
    // One probe in flight at a time; a failed one is counted, never left to reject unobserved.
    let writing: Promise<void> = Promise.resolve();
    let inFlight = false;
    const timer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      const { path, body } = this.bodies[k++ % this.bodies.length];
      writing = this.api
        .call<{ records: Array<{ ledgerIndex: number }> }>(this.token, 'POST', path, JSON.parse(body))
        .then(
          (answer) => void pending.push({ index: answer.records[0].ledgerIndex, at: performance.now() }),
          () => void failed++,
        )
        .finally(() => (inFlight = false));
    }, everyMs);
    let stoppedAt = Number.POSITIVE_INFINITY;
    for (;;) {
      if (this.stopped && stoppedAt === Number.POSITIVE_INFINITY) {
        clearInterval(timer);
        await writing;
        stoppedAt = performance.now();
      }
      if (this.stopped && (pending.length === 0 || performance.now() > stoppedAt + 30_000)) break;
      const response = await fetch(`${this.api.baseUrl}/api/v1/ledger/checkpoint`);
      const now = performance.now();
      if (response.ok) {
        const { treeSize } = (await response.json()) as { treeSize: number };
        for (let i = pending.length - 1; i >= 0; i--) {
          if (pending[i].index < treeSize) delays.push(now - pending.splice(i, 1)[0].at);
        }
      } else await response.text();
      await new Promise((done) => setTimeout(done, 50));
    }
    return { delays, unwitnessed: pending.length, failed };
  }
}
