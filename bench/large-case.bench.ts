/**
 * A large case (issue 19, item 1): BENCH_CASE_ITEMS (default 4,000) phones seized in batches of
 * 200, a signed transfer of 500 of them and its signed acceptance, then the case's heavy reads one
 * after another — bundle, court report, CASE export, custody CSV, label sheet — each timed, with
 * the service's peak RSS and the worst `GET /health` latency while it ran (a probe sends one
 * /health at a time, back to back with a 20 ms pause, from its own connection). The question is
 * whether one big request freezes the others: the target is /health p99 ≤ 100 ms during the
 * report, RSS ≤ 300 MB, and the report in at most 13 s at 4,000 items.
 * Usage: npm run bench -- large-case
 */
import { caseWithItems } from './custody-fixtures.js';
import {
  BenchApi,
  benchDatabase,
  percentile,
  postgresVersion,
  rssMiB,
  sampleRss,
  seedUsers,
  startService,
  type SummaryRow,
} from './support.js';

const TRANSFERRED = 500;

interface HeavyRead {
  readonly name: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly rss: { atStartMiB: number; peakMiB: number };
  readonly health: { probes: number; failures: number; worstMs: number; p99ms: number };
}

/**
 * `GET /health` back to back (20 ms apart) until stopped: the latencies seen meanwhile. A probe
 * that fails (a frozen service's keep-alive socket reset) counts with the time it took to fail.
 */
function healthProbe(baseUrl: string): () => Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${baseUrl}/health`);
        await response.arrayBuffer();
        if (!response.ok) failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - started);
      await new Promise((done) => setTimeout(done, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return { latencies: latencies.sort((a, b) => a - b), failures };
  };
}

async function timedRead(baseUrl: string, pid: number, token: string, name: string, path: string): Promise<HeavyRead> {
  const stopRss = sampleRss(pid, 100);
  const stopHealth = healthProbe(baseUrl);
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.arrayBuffer();
  const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  const { latencies: health, failures } = await stopHealth();
  const rss = stopRss();
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${Buffer.from(body).toString().slice(0, 500)}`);
  return {
    name,
    path,
    status: response.status,
    bytes: body.byteLength,
    seconds,
    rss: { atStartMiB: rss.atStartMiB, peakMiB: rss.peakMiB },
    health: {
      probes: health.length,
      failures,
      worstMs: Math.round(health.at(-1) ?? Number.NaN),
      p99ms: Math.round(percentile(health, 99)),
    },
  };
}

export async function largeCaseBenchmark(): Promise<Record<string, unknown>> {
  const count = Number(process.env.BENCH_CASE_ITEMS ?? 4000);
  const database = await benchDatabase();
  const service = await startService(database);
  try {
    const [officer, examiner] = await seedUsers(database.appUrl, [
      {
        code: 'ES-PN',
        users: [
          { username: 'officer.one', displayName: 'Ana Morales Ruiz', role: 'officer' },
          { username: 'examiner.one', displayName: 'Lucía Fernández Gil', role: 'examiner' },
        ],
      },
    ]);
    const api = new BenchApi(service.url);
    const officerToken = await api.login(officer);
    const examinerToken = await api.login(examiner);
    process.stderr.write(`large-case: seizing ${count} items…\n`);
    const seizeStarted = performance.now();
    const { caseId, items } = await caseWithItems(api, officerToken, 'OP-BENCH-LARGE', count);
    const seizeSeconds = Number(((performance.now() - seizeStarted) / 1000).toFixed(1));
    process.stderr.write(
      `large-case: a signed transfer of ${Math.min(TRANSFERRED, count)} items and its acceptance…\n`,
    );
    const moved = items.slice(0, TRANSFERRED);
    const transferStarted = performance.now();
    const transfer = await api.call<{ id: string }>(officerToken, 'POST', '/api/v1/transfers', {
      itemIds: moved.map((item) => item.id),
      to: examiner.username,
      purpose: 'Forensic examination',
      signature: { password: officer.password, meaning: 'released' },
    });
    await api.call(examinerToken, 'POST', `/api/v1/transfers/${transfer.id}/accept`, {
      items: moved.map((item) => ({ itemId: item.id, sealIntact: true })),
      location: 'Madrid/Lab/Intake',
      signature: { password: examiner.password, meaning: 'received' },
    });
    const transferSeconds = Number(((performance.now() - transferStarted) / 1000).toFixed(1));
    const idleRss = rssMiB(service.pid);

    const reads: HeavyRead[] = [];
    for (const [name, path] of [
      ['bundle', `/api/v1/cases/${caseId}/bundle`],
      ['court report (PDF)', `/api/v1/cases/${caseId}/report.pdf`],
      ['CASE export', `/api/v1/cases/${caseId}/export`],
      ['custody CSV', `/api/v1/cases/${caseId}/custody.csv`],
      ['label sheet (200 items)', `/api/v1/cases/${caseId}/labels.pdf`],
    ] as const) {
      process.stderr.write(`large-case: ${name}…\n`);
      reads.push(await timedRead(service.url, service.pid, officerToken, name, path));
    }
    const report = reads.find((read) => read.name.startsWith('court report'))!;
    const summary: SummaryRow[] = [
      ...reads.map((read): SummaryRow => ({
        measure: `${count}-item case: ${read.name}`,
        custos: `${read.seconds} s, ${(read.bytes / 2 ** 20).toFixed(1)} MiB; /health worst ${read.health.worstMs} ms; peak RSS ${read.rss.peakMiB} MiB`,
        baseline: '—',
        ratio: null,
        target: 'report',
        met: null,
      })),
      {
        measure: `${count}-item court report: /health p99 meanwhile`,
        custos: `${report.health.p99ms} ms (${report.health.probes} probes)`,
        baseline: '—',
        ratio: null,
        target: '≤ 100 ms',
        met: report.health.p99ms <= 100,
      },
      {
        measure: `${count}-item court report: time`,
        custos: `${report.seconds} s`,
        baseline: '26 s before issue 19',
        ratio: null,
        target: '≤ 13 s',
        met: report.seconds <= 13,
      },
      {
        measure: `${count}-item case: peak service RSS over the heavy reads`,
        custos: `${Math.max(...reads.map((read) => read.rss.peakMiB))} MiB (idle ${idleRss} MiB)`,
        baseline: '—',
        ratio: null,
        target: '≤ 300 MB',
        met: Math.max(...reads.map((read) => read.rss.peakMiB)) <= 300,
      },
    ];
    return {
      settings: {
        postgres: await postgresVersion(database.appUrl),
        items: count,
        transferred: moved.length,
        service: service.settings,
        healthProbe: 'one GET /health at a time, 20 ms apart, own connection',
      },
      summary,
      setup: { seizeSeconds, transferSeconds, idleRssMiB: idleRss },
      reads,
    };
  } finally {
    await service.stop();
    await database.close();
  }
}
