/**
 * `npm run bench [-- [--quick] <name>...]`: runs the benchmarks (all, or those named), writes
 * bench/results/<name>.json (with the machine and versions) and prints one table: every measure
 * beside its baseline from the same run, the ratio and the target.
 *   --quick   a smoke run: BENCH_SECONDS=3, BENCH_ENTRIES=20000, BENCH_ITEMS=20000 unless set
 *             (figures of a quick run say nothing; it checks that every scenario runs).
 */
import type { SummaryRow } from './support.js';

const args = process.argv.slice(2);
if (args.includes('--quick')) {
  process.env.BENCH_SECONDS ??= '3';
  process.env.BENCH_ENTRIES ??= '20000';
  process.env.BENCH_ITEMS ??= '20000';
}

// Imported after the flags are read: the modules read BENCH_* when they load.
const { writeResult } = await import('./support.js');
const benchmarks: Record<string, () => Promise<Record<string, unknown>>> = {
  ceiling: async () => (await import('./ceiling.bench.js')).ceilingBenchmark(),
  write: async () => (await import('./write.bench.js')).writeBenchmark(),
  transfers: async () => (await import('./transfers.bench.js')).transfersBenchmark(),
  reads: async () => (await import('./reads.bench.js')).readsBenchmark(),
  ledger: async () => (await import('./ledger.bench.js')).ledgerBenchmark(),
  'large-case': async () => (await import('./large-case.bench.js')).largeCaseBenchmark(),
  witnessing: async () => (await import('./witnessing.bench.js')).witnessingBenchmark(),
};

const named = args.filter((arg) => !arg.startsWith('--'));
for (const name of named) {
  if (!benchmarks[name])
    throw new Error(`unknown benchmark "${name}" (known: ${Object.keys(benchmarks).join(', ')}; flag: --quick)`);
}
const selected = named.length > 0 ? named : Object.keys(benchmarks);
const table: Array<SummaryRow & { scenario: string }> = [];
const started = performance.now();
for (const name of selected) {
  const result = await benchmarks[name]();
  const file = writeResult(name, result);
  process.stderr.write(`${name}: written ${file}\n`);
  for (const row of (result.summary as SummaryRow[] | undefined) ?? []) table.push({ scenario: name, ...row });
}

const head = ['scenario', 'measure', 'Custos', 'baseline (same run)', 'ratio', 'target', 'met'];
const lines = [
  head,
  ...table.map((row) => [
    row.scenario,
    row.measure,
    row.custos,
    row.baseline,
    row.ratio === null ? '—' : row.ratio.toFixed(2),
    row.target,
    row.met === null ? '—' : row.met ? 'yes' : 'NO',
  ]),
];
const widths = head.map((_, column) => Math.max(...lines.map((line) => [...line[column]].length)));
const render = (line: string[]): string =>
  line
    .map((cell, column) => cell + ' '.repeat(widths[column] - [...cell].length))
    .join(' | ')
    .trimEnd();
process.stdout.write(
  `\n${render(lines[0])}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${lines.slice(1).map(render).join('\n')}\n`,
);
process.stdout.write(
  `\n${selected.length} scenario(s) in ${Math.round((performance.now() - started) / 1000)} s; details in bench/results/<scenario>.json\n`,
);
