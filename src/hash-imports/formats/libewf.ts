import {
  addHash,
  algorithmOf,
  field,
  logLines,
  notUnderstood,
  requireHex,
  requireObjects,
  requireTime,
  splitKeyValue,
  type LogHash,
  type LogLine,
  type LogTime,
  type ParsedLog,
} from './log-format.js';

export type LibewfTool = 'ewfacquire' | 'ewfverify' | 'ewfinfo';

/** The first line libewf's tools print: `ewfverify 20140608`. */
const BANNER = /^(ewfacquire|ewfacquirestream|ewfverify|ewfinfo)\s+(\d{8}|\d+(?:\.\d+)+)\s*$/i;

export function libewfToolOf(lines: readonly LogLine[]): LibewfTool | undefined {
  for (const line of lines) {
    const banner = BANNER.exec(line.text.trim());
    if (banner === null) continue;
    const tool = banner[1].toLowerCase();
    return tool === 'ewfacquirestream' ? 'ewfacquire' : (tool as LibewfTool);
  }
  // Output captured with -q, or from a log file (-l) without the banner.
  if (lines.some((line) => /^ewfverify:\s*(success|failure)/i.test(line.text.trim()))) return 'ewfverify';
  if (lines.some((line) => /^ewfacquire:\s*(success|failure)/i.test(line.text.trim()))) return 'ewfacquire';
  if (
    lines.some((line) => /^digest hash information$/i.test(line.text.trim())) &&
    lines.some((line) => /^acquiry information$/i.test(line.text.trim()))
  )
    return 'ewfinfo';
  return undefined;
}

/** `MD5 hash calculated over data:` / `SHA1 hash stored in file:` */
const HASH_KEY = /^(md5|sha-?1|sha-?256|sha-?512) hash (calculated over data|stored in file)$/;

/**
 * libewf's `ewfacquire` (the acquisition: parameters, `Acquiry started at`, `… hash calculated over
 * data`), `ewfverify` (`… hash stored in file` against `… calculated over data`, then
 * `ewfverify: SUCCESS` or `FAILURE`) and `ewfinfo` (the acquiry information and the stored
 * `Digest hash information` of an image). Tab-aligned, times local without a zone.
 */
export function parseLibewf(text: string, expected?: LibewfTool): ParsedLog {
  const lines = logLines(text);
  const tool = libewfToolOf(lines);
  const name = expected ?? tool ?? 'libewf';
  if (tool === undefined || (expected !== undefined && tool !== expected))
    throw notUnderstood(name, `no "${name}" banner or result line`, 1);
  let version: string | null = null;
  const meta = new Map<string, string>();
  const calculated: LogHash[] = [];
  const stored: Array<{ hash: LogHash; line: number }> = [];
  const digest: LogHash[] = [];
  const times: Record<string, LogTime> = {};
  let verdict: { ok: boolean; line: number } | undefined;
  let section = '';
  for (const line of lines) {
    const trimmed = line.text.trim();
    if (trimmed === '') continue;
    const banner = BANNER.exec(trimmed);
    if (banner !== null) {
      version = banner[2];
      continue;
    }
    const result = /^(ewfacquire|ewfverify|ewfacquirestream):\s*(success|failure)/i.exec(trimmed);
    if (result !== null) {
      verdict = { ok: result[2].toLowerCase() === 'success', line: line.number };
      continue;
    }
    // ewfinfo's section titles stand alone, their fields are indented below.
    if (!/^\s/.test(line.text) && !trimmed.includes(':')) {
      section = trimmed.toLowerCase();
      continue;
    }
    const pair = splitKeyValue(trimmed);
    if (pair === undefined) continue;
    const hashKey = HASH_KEY.exec(pair.key);
    if (hashKey !== null) {
      const algorithm = algorithmOf(hashKey[1])!;
      if (field(pair.value) === null) continue;
      const hash = { algorithm, value: requireHex(algorithm, pair.value, line.number) };
      if (hashKey[2] === 'stored in file') stored.push({ hash, line: line.number });
      else addHash(name, calculated, hash, line.number);
      continue;
    }
    if (section === 'digest hash information') {
      const algorithm = algorithmOf(pair.key);
      if (algorithm !== undefined && field(pair.value) !== null)
        addHash(name, digest, { algorithm, value: requireHex(algorithm, pair.value, line.number) }, line.number);
      continue;
    }
    switch (pair.key) {
      case 'acquiry started at':
      case 'acquiry completed at':
      case 'verify started at':
      case 'verify completed at':
      case 'acquisition date':
        times[pair.key] = requireTime(pair.value, line.number, pair.key);
        break;
      default:
        // The summary ewfacquire prints after the prompts repeats the answers: the last one counts.
        meta.set(pair.key, pair.value);
    }
  }
  const hashes = tool === 'ewfinfo' ? digest : calculated;
  const mismatches = stored.filter(({ hash }) =>
    calculated.some((h) => h.algorithm === hash.algorithm && h.value !== hash.value),
  );
  const failed = verdict?.ok === false || mismatches.length > 0;
  const details = [
    ...mismatches.map(
      ({ hash, line }) =>
        `line ${line}: the ${hash.algorithm.toUpperCase()} stored in the image differs from the one calculated over its data`,
    ),
    ...(verdict?.ok === false ? [`line ${verdict.line}: ${tool}: FAILURE`] : []),
  ];
  const started =
    tool === 'ewfverify' ? times['verify started at'] : (times['acquiry started at'] ?? times['acquisition date']);
  const ended = tool === 'ewfverify' ? times['verify completed at'] : times['acquiry completed at'];
  const model = field(meta.get('model'));
  const serial = field(meta.get('serial') ?? meta.get('serial number'));
  return {
    format: tool,
    tool,
    toolVersion: version,
    examiner: field(meta.get('examiner name') ?? meta.get('examiner')),
    caseNumber: field(meta.get('case number')),
    evidenceNumber: field(meta.get('evidence number')),
    startedAt: started ?? null,
    endedAt: ended ?? null,
    reportedResult: failed
      ? 'failed'
      : tool === 'ewfverify' && (verdict?.ok === true || stored.length > 0)
        ? 'verified'
        : 'not_reported',
    resultDetail: details.length === 0 ? null : details.join('; '),
    device: model === null && serial === null ? null : { model, serial },
    objects: requireObjects(name, [{ name: null, hashes, line: 1 }]),
  };
}
