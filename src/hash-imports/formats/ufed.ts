import {
  addHash,
  algorithmOf,
  field,
  logLines,
  notUnderstood,
  requireHex,
  requireTime,
  type LogHash,
  type LogLine,
  type LogObject,
  type LogTime,
  type ParsedLog,
} from './log-format.js';

const FORMAT = 'Cellebrite UFED';
const SECTION = /^\[([^\]]+)\]$/;

export function looksLikeUfed(lines: readonly LogLine[]): boolean {
  const sections = new Set(
    lines.map((line) => SECTION.exec(line.text.trim())?.[1].trim().toLowerCase()).filter((name) => name !== undefined),
  );
  const hashSection = [...sections].some((name) => algorithmOf(name) !== undefined);
  return (
    hashSection &&
    (sections.has('general') ||
      sections.has('deviceinfo') ||
      sections.has('dumps') ||
      sections.has('crime case') ||
      sections.has('caseinfo'))
  );
}

/**
 * Cellebrite UFED's `.ufd` file (INI): `[General]` (tool, version, start and end), `[DeviceInfo]`,
 * case fields (`[Crime Case]`: `Case Identifier`, `Device Name / Evidence Number`), `[Dumps]` naming each extracted file, and one section per algorithm
 * (`[SHA256]`, `[MD5]`) with `<dump>=<hex>` per dump. Times are the examiner machine's local time,
 * day first (`10/03/2026 09:14:02`), sometimes with a `(UTC+01:00)` remark.
 */
export function parseUfed(text: string): ParsedLog {
  const lines = logLines(text);
  if (!looksLikeUfed(lines))
    throw notUnderstood(FORMAT, 'no [SHA256]/[MD5] section beside [General] or [DeviceInfo]', 1);
  const values = new Map<string, Map<string, string>>();
  const dumps = new Map<string, { hashes: LogHash[]; line: number }>();
  let section = '';
  for (const line of lines) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    const header = SECTION.exec(trimmed);
    if (header !== null) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    const at = trimmed.indexOf('=');
    if (at <= 0)
      throw notUnderstood(FORMAT, `"${trimmed.slice(0, 40)}" is neither a [section] nor a key=value line`, line.number);
    const key = trimmed.slice(0, at).trim();
    const value = trimmed.slice(at + 1).trim();
    const algorithm = algorithmOf(section);
    if (algorithm !== undefined) {
      if (field(value) === null) continue;
      const dump = dumps.get(key.toLowerCase()) ?? { hashes: [], line: line.number };
      addHash(FORMAT, dump.hashes, { algorithm, value: requireHex(algorithm, value, line.number) }, line.number);
      dumps.set(key.toLowerCase(), dump);
      continue;
    }
    const keyName = key.toLowerCase().replace(/[\s_]+/g, '');
    const sectionValues = values.get(section) ?? new Map<string, string>();
    sectionValues.set(keyName, `${value}\u0000${line.number}`);
    values.set(section, sectionValues);
  }
  const get = (...keys: string[]): { value: string; line: number } | undefined => {
    for (const key of keys) {
      for (const sectionValues of values.values()) {
        const found = sectionValues.get(key);
        if (found !== undefined) {
          const [value, line] = found.split('\u0000');
          return { value, line: Number(line) };
        }
      }
    }
    return undefined;
  };
  const time = (...keys: string[]): LogTime | null => {
    const found = get(...keys);
    return found === undefined || field(found.value) === null ? null : requireTime(found.value, found.line, keys[0]);
  };
  // Dump names are keys of [Dumps] when present (their value is the file name); otherwise the keys themselves.
  const dumpNames = values.get('dumps');
  const objects: LogObject[] = [...dumps.entries()].map(([key, dump]) => {
    const named = dumpNames?.get(key.replace(/[\s_]+/g, ''))?.split('\u0000')[0];
    return { name: field(named) ?? key, hashes: dump.hashes, line: dump.line };
  });
  if (objects.length === 0) throw notUnderstood(FORMAT, 'no hash values in its hash sections');
  const tool = field(get('acquisitiontool', 'tool')?.value) ?? 'UFED';
  const status = get('extractionstatus', 'status');
  const failed = status !== undefined && !/^(success|succeeded|completed|ok)/i.test(status.value);
  const model = field(get('model', 'devicemodel')?.value);
  const serial = field(get('serialnumber', 'serial', 'deviceserial')?.value);
  return {
    format: 'ufed',
    tool: /cellebrite|ufed/i.test(tool) ? tool : `Cellebrite ${tool}`,
    toolVersion: field(get('version', 'ufedversion', 'softwareversion')?.value),
    examiner: field(get('examinername', 'examiner')?.value),
    // UFED 4PC and Physical Analyzer write `Case Identifier=` and `Device Name / Evidence Number=`
    // in [Crime Case]; older exports and hand-edited files use the shorter keys.
    caseNumber: field(get('caseidentifier', 'casenumber', 'caseno')?.value),
    evidenceNumber: field(get('devicename/evidencenumber', 'evidencenumber', 'evidenceno', 'exhibitnumber')?.value),
    startedAt: time('starttime', 'date'),
    endedAt: time('endtime'),
    reportedResult: failed ? 'failed' : 'not_reported',
    resultDetail: failed ? `line ${status.line}: extraction status ${status.value}` : null,
    device: model === null && serial === null ? null : { model, serial },
    objects,
  };
}
