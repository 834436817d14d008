/**
 * Ledger benchmarks (issue: the tamper-evident ledger), each beside its baseline in the same run:
 *  1. appends with durable commits, 32 concurrent clients — vs plain single-row INSERTs of the same
 *     payload at the same concurrency; also appends batched 10 per transaction;
 *  2. inclusion proofs at tree size 1,000,000;
 *  3. `custos ledger verify` over 1,000,000 entries — vs a plain COPY of the same table to nowhere;
 *     with the process's peak RSS, sampled.
 * Usage: npm run bench -- ledger   (BENCH_SECONDS, BENCH_ENTRIES to shrink a run)
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../src/database/data-source.js';
import type { LedgerEvent } from '../src/ledger/core/entry.js';
import {
  canonicalBytes,
  formatVerifierKey,
  generateNoteKeys,
  leafHash,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
} from '../src/ledger/core/index.js';
import { verifyLedger } from '../src/ledger/ledger-verifier.js';
import { LedgerService } from '../src/ledger/ledger.service.js';
import { benchDatabase, closedLoop, fmt, percentile, postgresVersion, type SummaryRow } from './support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const LANES = 32;
const ctx = { actor: null, requestId: 'bench', ip: null };

function event(n: number): LedgerEvent {
  return {
    type: 'hash.verified',
    actor: {
      id: '6f1c2f9e-3f0a-4a57-9a43-0c1f4f1d2b11',
      username: 'examiner.lopez',
      displayName: 'Marta López',
      agency: 'ES-PN',
      role: 'examiner',
    },
    subject: {
      type: 'item',
      id: `00000000-0000-4000-8000-${String(n % 1e12).padStart(12, '0')}`,
      number: `ES-PN-2026-${String(n % 1e6).padStart(6, '0')}`,
    },
    case: { id: '0b7f6a52-7c8e-4f0e-9a57-2c4b8c1e9d10', number: 'OP-NEPTUNO-2026' },
    data: {
      target: 'image.E01',
      algorithm: 'sha256',
      value: 'a3f5c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6',
      tool: 'ewfverify 20140608',
      result: 'match',
    },
  };
}

function summary(latencies: number[], seconds: number, perOperation = 1): Record<string, number> {
  return {
    operations: latencies.length,
    perSecond: Math.round((latencies.length * perOperation) / seconds),
    p50ms: Number(percentile(latencies, 50).toFixed(2)),
    p99ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

async function appendThroughput(appUrl: string, ownerUrl: string): Promise<Record<string, unknown>> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query(`CREATE TABLE bench_plain_insert (id bigserial PRIMARY KEY, entry bytea NOT NULL, leaf_hash bytea NOT NULL,
                     type text NOT NULL, subject_type text NOT NULL, subject_id text NOT NULL, case_id uuid, recorded_at timestamptz NOT NULL)`);
  await owner.query(
    'GRANT SELECT, INSERT ON bench_plain_insert TO custos_service; GRANT USAGE ON SEQUENCE bench_plain_insert_id_seq TO custos_service',
  );
  await owner.end();

  const dataSource = new DataSource(dataSourceOptions({ url: appUrl, poolSize: LANES }));
  await dataSource.initialize();
  const ledger = new LedgerService(dataSource);
  let n = 0;
  const baseline = await closedLoop(LANES, SECONDS * 1000, async () => {
    const e = event(n++);
    const bytes = canonicalBytes({ v: 1, index: n, recordedAt: new Date().toISOString(), ...e, signatures: [] });
    await dataSource.query(
      'INSERT INTO bench_plain_insert (entry, leaf_hash, type, subject_type, subject_id, case_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, now())',
      [bytes, leafHash(bytes), e.type, e.subject.type, e.subject.id, e.case!.id],
    );
  });
  const single = await closedLoop(LANES, SECONDS * 1000, async () => {
    const e = event(n++);
    await ledger.write((em) => ledger.append(em, ctx, e));
  });
  const batched = await closedLoop(LANES, SECONDS * 1000, async () => {
    const events = Array.from({ length: 10 }, () => event(n++));
    await ledger.write((em) => ledger.appendMany(em, ctx, events));
  });
  await dataSource.destroy();
  const baselineSummary = summary(baseline.latencies, baseline.seconds);
  const singleSummary = summary(single.latencies, single.seconds);
  const batchedSummary = summary(batched.latencies, batched.seconds, 10);
  return {
    concurrency: LANES,
    seconds: SECONDS,
    baselinePlainInsert: baselineSummary,
    ledgerAppend: {
      ...singleSummary,
      ratioToBaseline: Number((singleSummary.perSecond / baselineSummary.perSecond).toFixed(3)),
    },
    ledgerAppendBatchedBy10: {
      ...batchedSummary,
      entriesPerSecond: batchedSummary.perSecond,
      ratioToBaseline: Number((batchedSummary.perSecond / baselineSummary.perSecond).toFixed(3)),
    },
  };
}

async function populate(
  appUrl: string,
  adminUrl: string,
  target: number,
): Promise<{ seconds: number; signerKey: string }> {
  const dataSource = new DataSource(dataSourceOptions({ url: appUrl, poolSize: 2 }));
  await dataSource.initialize();
  const ledger = new LedgerService(dataSource);
  const started = performance.now();
  let size = (await ledger.treeHead()).treeSize;
  while (size < target) {
    const count = Math.min(2000, target - size);
    const events = Array.from({ length: count }, (_, i) => event(size + i));
    await ledger.write((em) => ledger.appendMany(em, ctx, events));
    size += count;
    if (process.stderr.isTTY) process.stderr.write(`\rpopulating: ${size} / ${target}`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  const head = await ledger.treeHead();
  await dataSource.destroy();
  // One signed checkpoint at the full size, inserted directly (the bench has no service running).
  const { signerKey } = generateNoteKeys('bench.custos.invalid/ledger');
  const note = signCheckpoint(
    { origin: 'bench.custos.invalid/ledger', treeSize: head.treeSize, rootHash: head.rootHash },
    signerKey,
  );
  const admin = new pg.Client({ connectionString: adminUrl.replace(/\/postgres$/, '/custos') });
  await admin.connect();
  await admin.query(
    `INSERT INTO ledger_checkpoint (tree_size, root_hash, origin, key_name, key_id, note) VALUES ($1, $2, 'bench.custos.invalid/ledger', 'bench.custos.invalid/ledger', '00000000', $3)`,
    [head.treeSize, head.rootHash, note],
  );
  await admin.end();
  return { seconds: (performance.now() - started) / 1000, signerKey };
}

async function inclusionProofs(appUrl: string, treeSize: number): Promise<Record<string, unknown>> {
  const dataSource = new DataSource(dataSourceOptions({ url: appUrl, poolSize: 4 }));
  await dataSource.initialize();
  const ledger = new LedgerService(dataSource);
  const latencies: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const index = Math.floor(Math.random() * treeSize);
    const t = performance.now();
    await ledger.inclusionProof(index, treeSize);
    latencies.push(performance.now() - t);
  }
  await dataSource.destroy();
  latencies.sort((a, b) => a - b);
  return {
    treeSize,
    proofs: 1000,
    medianMs: Number(percentile(latencies, 50).toFixed(3)),
    p99ms: Number(percentile(latencies, 99).toFixed(3)),
  };
}

async function verification(appUrl: string, signerKey: string, treeSize: number): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: appUrl });
  await client.connect();
  // Baseline: a plain COPY of the same table, bytes thrown away.
  let copied = 0;
  const copyStarted = performance.now();
  await pipeline(
    client.query(copyTo('COPY ledger_entry TO STDOUT')),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        copied += chunk.length;
        done();
      },
    }),
  );
  const copySeconds = (performance.now() - copyStarted) / 1000;
  await client.end();

  const signer = parseSignerKey(signerKey);
  let peakRss = process.memoryUsage().rss;
  const rssAtStart = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const started = performance.now();
  const result = await verifyLedger(appUrl, {
    trustedKeys: [parseVerifierKey(formatVerifierKey(signer.name, signer.publicKey))],
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  return {
    treeSize,
    baselineCopy: {
      seconds: Number(copySeconds.toFixed(2)),
      entriesPerSecond: Math.round(treeSize / copySeconds),
      megabytes: Math.round(copied / 2 ** 20),
    },
    verify: { seconds: Number(seconds.toFixed(2)), entriesPerSecond: Math.round(treeSize / seconds) },
    ratioToCopy: Number((copySeconds / seconds).toFixed(3)),
    rssMiB: { atStart: Math.round(rssAtStart / 2 ** 20), peak: Math.round(peakRss / 2 ** 20) },
  };
}

export async function ledgerBenchmark(): Promise<Record<string, unknown>> {
  const database = await benchDatabase();
  try {
    const settings = {
      postgres: await postgresVersion(database.appUrl),
      connections: LANES,
      seconds: SECONDS,
      poolSize: LANES,
      synchronousCommit: 'on',
      fsync: 'on',
      entries: ENTRIES,
    };
    process.stderr.write('ledger: append throughput…\n');
    const appends = await appendThroughput(database.appUrl, database.ownerUrl);
    process.stderr.write(`ledger: populating ${ENTRIES} entries…\n`);
    const population = await populate(database.appUrl, database.adminUrl, ENTRIES);
    process.stderr.write('ledger: inclusion proofs…\n');
    const proofs = await inclusionProofs(database.appUrl, ENTRIES);
    process.stderr.write('ledger: full verification…\n');
    const verify = await verification(database.appUrl, population.signerKey, ENTRIES);
    const append = appends.ledgerAppend as { perSecond: number; p99ms: number; ratioToBaseline: number };
    const plain = appends.baselinePlainInsert as { perSecond: number; p50ms: number; p99ms: number };
    const verified = verify.verify as { entriesPerSecond: number; seconds: number };
    const copied = verify.baselineCopy as { entriesPerSecond: number; seconds: number };
    const summary: SummaryRow[] = [
      {
        measure: 'ledger appends, 32 clients, 1 entry per transaction',
        custos: fmt.rate(append, ' entries/s'),
        baseline: `plain INSERT: ${fmt.rate(plain)}`,
        ratio: append.ratioToBaseline,
        target: '≥ 3,000/s',
        met: append.perSecond >= 3000,
      },
      {
        measure: `inclusion proof at ${ENTRIES.toLocaleString('en-US')} entries`,
        custos: `median ${proofs.medianMs as number} ms, p99 ${proofs.p99ms as number} ms`,
        baseline: '—',
        ratio: null,
        target: 'median ≤ 5 ms',
        met: (proofs.medianMs as number) <= 5,
      },
      {
        measure: `ledger verify, ${ENTRIES.toLocaleString('en-US')} entries`,
        custos: `${verified.entriesPerSecond.toLocaleString('en-US')} entries/s (${verified.seconds} s)`,
        baseline: `COPY to /dev/null: ${copied.entriesPerSecond.toLocaleString('en-US')} entries/s (${copied.seconds} s)`,
        ratio: verify.ratioToCopy as number,
        target: '≥ 150,000/s',
        met: verified.entriesPerSecond >= 150_000,
      },
    ];
    return {
      settings,
      summary,
      appends,
      population: { seconds: Number(population.seconds.toFixed(1)) },
      inclusionProofs: proofs,
      verification: verify,
    };
  } finally {
    await database.close();
  }
}
