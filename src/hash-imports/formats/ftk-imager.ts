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

const FORMAT = 'FTK Imager';

/** `Created By AccessData® FTK® Imager 4.7.1.2` (the ® may be lost to an encoding: any characters between). */
const CREATED_BY = /^created by\s+accessdata.{0,4}\s*ftk.{0,4}\s*imager\s+(\S+)/i;
const CHECKSUM = /^(md5|sha-?1|sha-?256|sha-?512)\s+checksum\s*:\s*([0-9a-f]+)\s*(?::\s*(.*))?$/i;

export function looksLikeFtkImager(lines: readonly LogLine[]): boolean {
  return (
    lines.some((line) => CREATED_BY.test(line.text.trim())) ||
    (lines.some((line) => /^\s*\[computed hashes\]/i.test(line.text)) &&
      lines.some((line) => CHECKSUM.test(line.text.trim())))
  );
}

/**
 * FTK Imager's text log (`<image>.txt` beside the image): the case information, the source drive,
 * `[Computed Hashes]` of the acquisition, and — when the examiner let it verify — an
 * `Image Verification Results` block whose lines end `: verified` (anything else is a failure).
 * Times are the workstation's local time without a zone.
 */
export function parseFtkImager(text: string): ParsedLog {
  const lines = logLines(text);
  let version: string | null = null;
  const meta = new Map<string, string>();
  const computed: LogHash[] = [];
  const verification: Array<{ hash: LogHash; status: string; line: number }> = [];
  let section: 'header' | 'verification' = 'header';
  const times: Record<string, LogTime> = {};
  for (const line of lines) {
    const trimmed = line.text.trim();
    if (trimmed === '') continue;
    const created = CREATED_BY.exec(trimmed);
    if (created !== null) {
      version = created[1];
      continue;
    }
    if (/^image verification results\s*:?$/i.test(trimmed)) {
      section = 'verification';
      continue;
    }
    const checksum = CHECKSUM.exec(trimmed);
    if (checksum !== null) {
      const algorithm = algorithmOf(checksum[1])!;
      const hash = { algorithm, value: requireHex(algorithm, checksum[2], line.number) };
      if (section === 'verification')
        verification.push({ hash, status: (checksum[3] ?? '').trim().toLowerCase(), line: line.number });
      else addHash(FORMAT, computed, hash, line.number);
      continue;
    }
    const pair = splitKeyValue(trimmed);
    if (pair === undefined) continue;
    switch (pair.key) {
      case 'acquisition started':
      case 'acquisition finished':
      case 'verification started':
      case 'verification finished':
        if (pair.value !== '') times[pair.key] = requireTime(pair.value, line.number, pair.key);
        break;
      default:
        if (!meta.has(pair.key)) meta.set(pair.key, pair.value);
    }
  }
  if (version === null && !lines.some((line) => /ftk.{0,4}\s*imager/i.test(line.text)))
    throw notUnderstood(FORMAT, 'no "Created By AccessData FTK Imager" line');
  // A logical image has no [Computed Hashes]: its values are those of the verification block.
  const hashes = computed.length > 0 ? computed : [];
  if (computed.length === 0) for (const { hash, line } of verification) addHash(FORMAT, hashes, hash, line);
  const failures = verification.filter(({ hash, status }) => {
    const acquired = computed.find((h) => h.algorithm === hash.algorithm);
    return status !== 'verified' || (acquired !== undefined && acquired.value !== hash.value);
  });
  return {
    format: 'ftk-imager',
    tool: 'FTK Imager',
    toolVersion: version,
    examiner: field(meta.get('examiner')),
    caseNumber: field(meta.get('case number')),
    evidenceNumber: field(meta.get('evidence number')),
    startedAt: times['acquisition started'] ?? times['verification started'] ?? null,
    endedAt: times['acquisition finished'] ?? times['verification finished'] ?? null,
    reportedResult: verification.length === 0 ? 'not_reported' : failures.length === 0 ? 'verified' : 'failed',
    resultDetail:
      failures.length === 0
        ? null
        : failures
            .map(
              ({ hash, status, line }) =>
                `line ${line}: ${hash.algorithm.toUpperCase()} ${status === '' ? 'not verified' : status}`,
            )
            .join('; '),
    device: deviceOf(meta),
    objects: requireObjects(FORMAT, [{ name: null, hashes, line: 1 }]),
  };
}

function deviceOf(meta: ReadonlyMap<string, string>): ParsedLog['device'] {
  const model = field(meta.get('drive model'));
  const serial = field(meta.get('drive serial number'));
  return model === null && serial === null ? null : { model, serial };
}
