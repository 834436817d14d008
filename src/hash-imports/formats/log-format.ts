/**
 * What every acquisition-log parser produces, and the helpers they share. Pure functions, no Nest:
 * the parsers run in the service, in the command line and in unit tests alike.
 */

export const LOG_FORMATS = [
  'ftk-imager',
  'guymager',
  'ewfacquire',
  'ewfverify',
  'ewfinfo',
  'dc3dd',
  'ufed',
  'checksum-list',
  'hashdeep',
] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogHashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';
const HEX_LENGTH: Readonly<Record<LogHashAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

export interface LogHash {
  readonly algorithm: LogHashAlgorithm;
  /** Lower-case hex of the exact length. */
  readonly value: string;
}

/** A wall-clock time as the log printed it; `offsetMinutes` null when the log gave no zone. */
export interface LogTime {
  /** `YYYY-MM-DDTHH:MM:SS` */
  readonly local: string;
  readonly offsetMinutes: number | null;
  readonly line: number;
}

/** One hashed object: the medium (name null) or a named file / dump. */
export interface LogObject {
  readonly name: string | null;
  readonly hashes: readonly LogHash[];
  readonly line: number;
}

/**
 * The verification result as the tool itself reported it: `verified` (every re-computed hash
 * matched), `failed` (a mismatch or an explicit failure), `not_reported` (the tool did not verify).
 */
export type ReportedResult = 'verified' | 'failed' | 'not_reported';

export interface ParsedLog {
  readonly format: LogFormat;
  readonly tool: string;
  readonly toolVersion: string | null;
  readonly examiner: string | null;
  readonly caseNumber: string | null;
  readonly evidenceNumber: string | null;
  readonly startedAt: LogTime | null;
  readonly endedAt: LogTime | null;
  readonly reportedResult: ReportedResult;
  /** Why the result is `failed`, in the tool's words (e.g. `MD5 ... [MISMATCH]`). */
  readonly resultDetail: string | null;
  readonly device: { readonly model: string | null; readonly serial: string | null } | null;
  readonly objects: readonly LogObject[];
}

/** A list of file hashes (sha256sum, hashdeep): values and nothing else of an acquisition log. */
export function hashListLog(format: LogFormat, tool: string, objects: readonly LogObject[]): ParsedLog {
  return {
    format,
    tool,
    toolVersion: null,
    examiner: null,
    caseNumber: null,
    evidenceNumber: null,
    startedAt: null,
    endedAt: null,
    reportedResult: 'not_reported',
    resultDetail: null,
    device: null,
    objects,
  };
}

/** A log that is not what it claims, or not understood: the message names the line where possible. */
export class LogNotUnderstoodError extends Error {
  constructor(
    message: string,
    readonly problems: ReadonlyArray<{ readonly line: number | null; readonly message: string }> = [
      { line: null, message },
    ],
  ) {
    super(message);
    this.name = 'LogNotUnderstoodError';
  }
}

export interface LogLine {
  /** 1-based, as an editor shows it. */
  readonly number: number;
  /** Without the line break and trailing white space. */
  readonly text: string;
}

/** Lines of a log: CRLF, CR or LF; a leading byte-order mark dropped. */
export function logLines(text: string): LogLine[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((line, index) => ({ number: index + 1, text: line.replace(/\s+$/, '') }));
}

/** `Key : value` / `Key: value` / `Key=value` with any spacing or tabs; key compared case- and space-insensitively. */
export function keyOf(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function splitKeyValue(text: string, separator: ':' | '=' = ':'): { key: string; value: string } | undefined {
  const at = text.indexOf(separator);
  if (at <= 0) return undefined;
  return { key: keyOf(text.slice(0, at)), value: text.slice(at + 1).trim() };
}

/** Algorithm names as tools spell them: MD5, SHA1, SHA-1, SHA256, sha-256, SHA512 … */
export function algorithmOf(name: string): LogHashAlgorithm | undefined {
  switch (
    name
      .trim()
      .toLowerCase()
      .replace(/[-_\s]/g, '')
  ) {
    case 'md5':
      return 'md5';
    case 'sha1':
      return 'sha1';
    case 'sha256':
      return 'sha256';
    case 'sha512':
      return 'sha512';
    default:
      return undefined;
  }
}

/** The value as lower-case hex, if it has exactly the algorithm's length; otherwise undefined. */
export function hexValue(algorithm: LogHashAlgorithm, text: string): string | undefined {
  const value = text.trim().toLowerCase();
  return value.length === HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(value) ? value : undefined;
}

/** The algorithm a bare hex value must be, by its length (sha256sum lines, hashdeep columns). */
export function algorithmByLength(value: string): LogHashAlgorithm | undefined {
  return (Object.entries(HEX_LENGTH) as Array<[LogHashAlgorithm, number]>).find(
    ([, length]) => length === value.length,
  )?.[0];
}

/** A hash value that must be valid: a refusal names the line. */
export function requireHex(algorithm: LogHashAlgorithm, text: string, line: number): string {
  const value = hexValue(algorithm, text);
  if (value === undefined) {
    throw new LogNotUnderstoodError(
      `line ${line}: "${clip(text)}" is not a ${algorithm.toUpperCase()} value (${HEX_LENGTH[algorithm]} hex digits)`,
      [{ line, message: `not a ${algorithm.toUpperCase()} value` }],
    );
  }
  return value;
}

export function clip(text: string, length = 60): string {
  return text.length <= length ? text : `${text.slice(0, length)}…`;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const pad = (n: number | string, width = 2): string => String(n).padStart(width, '0');

function validLocal(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `+0100`, `+01:00`, `-03`, `UTC`, `GMT`, `Z`, `UTC+01:00` → minutes; undefined when not a zone. */
export function offsetOf(text: string): number | undefined {
  const zone = text.trim().toUpperCase();
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') return 0;
  const match = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
  if (match === null) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  if (minutes > 14 * 60) return undefined;
  return match[1] === '-' ? -minutes : minutes;
}

/**
 * The date-times acquisition tools print, with or without a zone:
 * - `2026-03-10 09:14:02`, `2026-03-10T09:14:02+01:00`, `2026-03-10 09:14:02 +0100` (Guymager, dc3dd, ISO);
 * - `Tue Mar 10 09:14:02 2026` (C `ctime`: FTK Imager, ewfinfo), with an optional zone before the year;
 * - `Mar 10, 2026 09:14:02` and `Mar 10 2026 09:14:02` (libewf's tools);
 * - `10/03/2026 09:14:02` (UFED: day first, as its reports print dates) and `10.03.2026 09:14:02`.
 * Anything else is undefined (the parser then says which line it did not understand).
 */
export function parseLogTime(raw: string, line: number): LogTime | undefined {
  let text = raw.trim().replace(/\s+/g, ' ');
  // A trailing remark in parentheses: Guymager's "(ISO format …)", UFED's "(UTC+01:00)". A zone there counts.
  const remark = /\s*\(([^()]*)\)$/.exec(text);
  if (remark !== null)
    text = text.slice(0, remark.index) + (offsetOf(remark[1]) === undefined ? '' : ` ${remark[1].replace(/\s+/g, '')}`);
  let year: number, month: number, day: number, hour: number, minute: number, second: number;
  let zone = '';
  let match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(.*)$/i.exec(text);
  if (match !== null) {
    [year, month, day, hour, minute, second] = [match[1], match[2], match[3], match[4], match[5], match[6] ?? '0'].map(
      Number,
    );
    zone = match[7];
  } else if (
    (match = /^(?:[a-z]{3},? )?([a-z]{3}) (\d{1,2}),? (?:(\d{4}),? )?(\d{1,2}):(\d{2}):(\d{2})((?: \S+)*)$/i.exec(
      text,
    )) !== null
  ) {
    month = MONTHS.indexOf(match[1].toLowerCase()) + 1;
    day = Number(match[2]);
    [hour, minute, second] = [match[4], match[5], match[6]].map(Number);
    // After the time: the year (ctime puts it last) and perhaps a zone, in either order.
    const rest = match[7].trim().split(' ').filter(Boolean);
    let yearText = match[3];
    for (const token of rest) {
      if (yearText === undefined && /^\d{4}$/.test(token)) yearText = token;
      else zone = `${zone} ${token}`.trim();
    }
    if (yearText === undefined) return undefined;
    year = Number(yearText);
  } else if (
    (match = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?\s*(.*)$/.exec(text)) !== null
  ) {
    [day, month, year, hour, minute, second] = [match[1], match[2], match[3], match[4], match[5], match[6] ?? '0'].map(
      Number,
    );
    zone = match[7];
  } else {
    return undefined;
  }
  if (!validLocal(year, month, day, hour, minute, second)) return undefined;
  let offsetMinutes: number | null = null;
  if (zone.trim() !== '') {
    const offset = offsetOf(zone);
    // A zone abbreviation (CET, EST …) is ambiguous across the world: treated as no zone, never guessed.
    if (offset !== undefined) offsetMinutes = offset;
  }
  return {
    local: `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(Math.min(second, 59))}`,
    offsetMinutes,
    line,
  };
}

/** A time the parser must understand: a refusal names the line. */
export function requireTime(raw: string, line: number, what: string): LogTime {
  const time = parseLogTime(raw, line);
  if (time === undefined)
    throw new LogNotUnderstoodError(`line ${line}: the ${what} "${clip(raw)}" is not a date and time`, [
      { line, message: `${what} not understood` },
    ]);
  return time;
}

/** Empty, `--`, `N/A`, `none` → null. */
export function field(value: string | undefined): string | null {
  if (value === undefined) return null;
  const text = value.trim();
  return text === '' || /^(?:--|-|n\/a|none|unknown)$/i.test(text) ? null : text.slice(0, 200);
}

export function notUnderstood(format: string, reason: string, line: number | null = null): LogNotUnderstoodError {
  const where = line === null ? '' : `line ${line}: `;
  return new LogNotUnderstoodError(`${where}${reason} (as a ${format} log)`, [{ line, message: reason }]);
}

/** Every object must carry at least one value; a log with none is refused, not recorded empty. */
export function requireObjects(format: string, objects: LogObject[]): LogObject[] {
  if (objects.length === 0 || objects.some((object) => object.hashes.length === 0)) {
    throw notUnderstood(format, 'no hash values were found');
  }
  return objects;
}

/** Adds a hash unless that algorithm is already there with the same value; a different value is refused. */
export function addHash(format: string, hashes: LogHash[], hash: LogHash, line: number): void {
  const existing = hashes.find((h) => h.algorithm === hash.algorithm);
  if (existing === undefined) hashes.push(hash);
  else if (existing.value !== hash.value)
    throw notUnderstood(format, `a second, different ${hash.algorithm.toUpperCase()} value`, line);
}
