/**
 * `npm run bench [-- <name>...]`: runs the benchmarks, writes bench/results/<name>.json (with the
 * machine and versions) and prints a summary table. Every figure has its baseline from the same run.
 */
import { ledgerBenchmark } from './ledger.bench.js';
import { writeResult } from './support.js';

const benchmarks: Record<string, () => Promise<Record<string, unknown>>> = {
  ledger: ledgerBenchmark,
};

function rows(prefix: string, value: unknown, out: Array<[string, string]>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) rows(prefix ? `${prefix}.${key}` : key, child, out);
  } else {
    out.push([prefix, String(value)]);
  }
}

const selected = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(benchmarks);
for (const name of selected) {
  const benchmark = benchmarks[name];
  if (!benchmark) throw new Error(`unknown benchmark "${name}" (known: ${Object.keys(benchmarks).join(', ')})`);
  const result = await benchmark();
  const file = writeResult(name, result);
  const table: Array<[string, string]> = [];
  rows('', result, table);
  const width = Math.max(...table.map(([k]) => k.length));
  process.stdout.write(`\n${name} (${file})\n${table.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}
