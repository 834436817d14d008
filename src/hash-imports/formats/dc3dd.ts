import {
  addHash,
  algorithmOf,
  logLines,
  notUnderstood,
  requireHex,
  requireObjects,
  requireTime,
  type LogHash,
  type LogLine,
  type LogTime,
  type ParsedLog,
} from './log-format.js';

const FORMAT = 'dc3dd';
const STARTED = /^dc3dd\s+(\S+)\s+started at\s+(.+)$/i;
const ENDED = /^dc3dd\s+(?:completed|aborted)\s+at\s+(.+)$/i;
/** `   4a0e… (md5)` in the input results; `   [ok] 4a0e… (md5)` / `[MISMATCH] …` in the output results. */
const HASH = /^(?:\[(ok|mismatch)\]\s+)?([0-9a-f]{32,128})\s+\((md5|sha-?1|sha-?256|sha-?512)\)/i;

export function looksLikeDc3dd(lines: readonly LogLine[]): boolean {
  return lines.some((line) => STARTED.test(line.text.trim()));
}

/**
 * dc3dd's log (`log=`): `dc3dd <version> started at <date> <±hhmm>`, the command line, then per
 * input the hashes it computed (`<hex> (md5)`) and per output `[ok]` or `[MISMATCH]` for each
 * hash of what was written (`hof=`/`vf=`). The only tool here that prints its zone.
 */
export function parseDc3dd(text: string): ParsedLog {
  const lines = logLines(text);
  let version: string | null = null;
  let startedAt: LogTime | null = null;
  let endedAt: LogTime | null = null;
  let aborted: number | undefined;
  let block: 'input' | 'output' | 'none' = 'none';
  const input: LogHash[] = [];
  const checks: Array<{ hash: LogHash; ok: boolean; line: number }> = [];
  for (const line of lines) {
    const trimmed = line.text.trim();
    if (trimmed === '') continue;
    const started = STARTED.exec(trimmed);
    if (started !== null) {
      version = started[1];
      startedAt = requireTime(started[2], line.number, 'start time');
      continue;
    }
    const ended = ENDED.exec(trimmed);
    if (ended !== null) {
      endedAt = requireTime(ended[1], line.number, 'end time');
      if (/aborted/i.test(trimmed)) aborted = line.number;
      continue;
    }
    if (/^input results for/i.test(trimmed)) block = 'input';
    else if (/^output results for/i.test(trimmed)) block = 'output';
    const hashLine = HASH.exec(trimmed);
    if (hashLine === null) continue;
    const algorithm = algorithmOf(hashLine[3])!;
    const hash = { algorithm, value: requireHex(algorithm, hashLine[2], line.number) };
    if (hashLine[1] !== undefined) checks.push({ hash, ok: hashLine[1].toLowerCase() === 'ok', line: line.number });
    else if (block === 'input') addHash(FORMAT, input, hash, line.number);
    else throw notUnderstood(FORMAT, 'a hash outside the input and output results', line.number);
  }
  if (version === null) throw notUnderstood(FORMAT, 'no "dc3dd <version> started at" line', 1);
  // Without input hashes (a verification with vf= only) the checked values are what was hashed.
  const hashes = input.length > 0 ? input : [];
  if (input.length === 0) for (const { hash, line } of checks) addHash(FORMAT, hashes, hash, line);
  const failures = checks.filter((check) => !check.ok);
  const details = [
    ...failures.map(({ hash, line }) => `line ${line}: [MISMATCH] ${hash.algorithm.toUpperCase()}`),
    ...(aborted === undefined ? [] : [`line ${aborted}: dc3dd aborted`]),
  ];
  return {
    format: 'dc3dd',
    tool: 'dc3dd',
    toolVersion: version,
    examiner: null,
    caseNumber: null,
    evidenceNumber: null,
    startedAt,
    endedAt,
    reportedResult: details.length > 0 ? 'failed' : checks.length > 0 ? 'verified' : 'not_reported',
    resultDetail: details.length === 0 ? null : details.join('; '),
    device: null,
    objects: requireObjects(FORMAT, [{ name: null, hashes, line: 1 }]),
  };
}
