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

const FORMAT = 'Guymager';
const HASH_LINE = /^(md5|sha-?1|sha-?256|sha-?512)\s+hash(\s+verified\s+(source|image))?$/i;

export function looksLikeGuymager(lines: readonly LogLine[]): boolean {
  return lines.some((line) => /^guymager acquisition info file/i.test(line.text.trim()));
}

/**
 * Guymager's `.info` file: the device as `hdparm`/`smartctl` describe it, the image meta data the
 * examiner typed, one `<ALG> hash` line per algorithm with `verified source` / `verified image`
 * lines (`--` when that verification was off), `Image verification OK` or `FAILED`, and local times
 * in ISO form without a zone.
 */
export function parseGuymager(text: string): ParsedLog {
  const lines = logLines(text);
  if (!looksLikeGuymager(lines)) throw notUnderstood(FORMAT, 'no "GUYMAGER ACQUISITION INFO FILE" header', 1);
  const meta = new Map<string, string>();
  const hashes: LogHash[] = [];
  const verified: Array<{ hash: LogHash; of: string; line: number }> = [];
  const times: Record<string, LogTime> = {};
  let section = '';
  let version: string | null = null;
  let verdict: { ok: boolean; line: number; text: string } | undefined;
  let state: { text: string; line: number } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const trimmed = line.text.trim();
    if (trimmed === '') continue;
    // Section titles are underlined with === (Guymager, Device, Acquisition …).
    if (/^=+$/.test(lines[index + 1]?.text.trim() ?? '') && !trimmed.includes(':')) {
      section = trimmed.toLowerCase();
      index++;
      continue;
    }
    if (/^image verification ok/i.test(trimmed)) verdict = { ok: true, line: line.number, text: trimmed };
    else if (
      /^image verification (failed|error|mismatch)/i.test(trimmed) ||
      /^(?:source|image) verification failed/i.test(trimmed)
    )
      verdict = { ok: false, line: line.number, text: trimmed };
    const pair = splitKeyValue(trimmed);
    if (pair === undefined) continue;
    const hashKey = HASH_LINE.exec(pair.key);
    if (hashKey !== null) {
      const algorithm = algorithmOf(hashKey[1])!;
      if (field(pair.value) === null) continue;
      const hash = { algorithm, value: requireHex(algorithm, pair.value, line.number) };
      if (hashKey[3] === undefined) addHash(FORMAT, hashes, hash, line.number);
      else verified.push({ hash, of: hashKey[3].toLowerCase(), line: line.number });
      continue;
    }
    switch (pair.key) {
      case 'acquisition started':
      case 'verification started':
      case 'ended':
        times[pair.key] = requireTime(pair.value, line.number, pair.key);
        break;
      case 'state':
        state = { text: pair.value, line: line.number };
        break;
      case 'version':
        if (section === 'guymager' || version === null) version = field(pair.value);
        break;
      default:
        if (!meta.has(pair.key)) meta.set(pair.key, pair.value);
    }
  }
  const mismatches = verified.filter(({ hash }) =>
    hashes.some((h) => h.algorithm === hash.algorithm && h.value !== hash.value),
  );
  const aborted = state !== undefined && !/finished successfully/i.test(state.text);
  const failed = aborted || mismatches.length > 0 || verdict?.ok === false;
  const details = [
    ...(aborted ? [`line ${state!.line}: State: ${state!.text}`] : []),
    ...mismatches.map(
      ({ hash, of, line }) =>
        `line ${line}: ${hash.algorithm.toUpperCase()} of the ${of} differs from the acquisition hash`,
    ),
    ...(verdict?.ok === false ? [`line ${verdict.line}: ${verdict.text}`] : []),
  ];
  return {
    format: 'guymager',
    tool: 'Guymager',
    toolVersion: version,
    examiner: field(meta.get('examiner')),
    caseNumber: field(meta.get('case number')),
    evidenceNumber: field(meta.get('evidence number')),
    startedAt: times['acquisition started'] ?? null,
    endedAt: times.ended ?? null,
    reportedResult: failed ? 'failed' : verified.length > 0 || verdict?.ok === true ? 'verified' : 'not_reported',
    resultDetail: details.length === 0 ? null : details.join('; '),
    device: deviceOf(meta),
    objects: requireObjects(FORMAT, [{ name: null, hashes, line: 1 }]),
  };
}

function deviceOf(meta: ReadonlyMap<string, string>): ParsedLog['device'] {
  const model = field(meta.get('model number') ?? meta.get('device model') ?? meta.get('model'));
  const serial = field(meta.get('serial number') ?? meta.get('serial no'));
  return model === null && serial === null ? null : { model, serial };
}
