import {
  addHash,
  algorithmByLength,
  algorithmOf,
  clip,
  hashListLog,
  logLines,
  LogNotUnderstoodError,
  notUnderstood,
  type LogHash,
  type LogLine,
  type LogObject,
  type ParsedLog,
} from './log-format.js';

const FORMAT = 'sha256sum/md5sum';
/** GNU: `<hex>  name` (text) or `<hex> *name` (binary); a leading `\` marks an escaped name. */
const GNU = /^\\?([0-9a-fA-F]{32,128}) [ *](.+)$/;
/** BSD / `--tag`: `SHA256 (name) = <hex>`. */
const BSD = /^(MD5|SHA1|SHA256|SHA512|SHA-1|SHA-256|SHA-512) ?\((.+)\) ?= ?([0-9a-fA-F]+)$/i;

function isListLine(text: string): boolean {
  return GNU.test(text) || BSD.test(text);
}

export function looksLikeChecksumList(lines: readonly LogLine[]): boolean {
  const content = lines.filter((line) => line.text.trim() !== '' && !line.text.trim().startsWith('#'));
  // Most lines: a list with a few mangled lines is still a list, refused naming those lines.
  const listLines = content.filter((line) => isListLine(line.text.trim())).length;
  return listLines > 0 && listLines * 2 >= content.length;
}

function unescapeGnu(name: string, escaped: boolean): string {
  return escaped ? name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\')) : name;
}

/**
 * `sha256sum`, `sha1sum`, `sha512sum`, `md5sum` output (GNU `<hex>  <file>` with `*` for binary
 * mode) and BSD-style `--tag` lines (`SHA256 (<file>) = <hex>`), mixed as a lab keeps them: one
 * object per file, the algorithm of a GNU line told by its length. No times, no examiner.
 */
export function parseChecksumList(text: string): ParsedLog {
  const lines = logLines(text);
  const byName = new Map<string, { name: string; hashes: LogHash[]; line: number }>();
  const problems: Array<{ line: number; message: string }> = [];
  for (const line of lines) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let algorithm: LogHash['algorithm'] | undefined;
    let name: string;
    let value: string;
    const gnu = GNU.exec(trimmed);
    const bsd = gnu === null ? BSD.exec(trimmed) : null;
    if (gnu !== null) {
      value = gnu[1].toLowerCase();
      algorithm = algorithmByLength(value);
      name = unescapeGnu(gnu[2], trimmed.startsWith('\\'));
      if (algorithm === undefined) {
        problems.push({
          line: line.number,
          message: `a ${value.length}-digit value is none of MD5, SHA-1, SHA-256, SHA-512`,
        });
        continue;
      }
    } else if (bsd !== null) {
      algorithm = algorithmOf(bsd[1])!;
      name = bsd[2];
      value = bsd[3].toLowerCase();
      if (algorithmByLength(value) !== algorithm) {
        problems.push({ line: line.number, message: `not a ${algorithm.toUpperCase()} value` });
        continue;
      }
    } else {
      problems.push({ line: line.number, message: `not a checksum line: "${clip(trimmed, 40)}"` });
      continue;
    }
    const object = byName.get(name) ?? { name, hashes: [], line: line.number };
    addHash(FORMAT, object.hashes, { algorithm, value }, line.number);
    byName.set(name, object);
  }
  if (problems.length > 0) {
    throw new LogNotUnderstoodError(
      `${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')} (as a ${FORMAT} list)`,
      problems,
    );
  }
  const objects: LogObject[] = [...byName.values()];
  if (objects.length === 0) throw notUnderstood(FORMAT, 'no checksum lines');
  const algorithms = [...new Set(objects.flatMap((object) => object.hashes.map((hash) => hash.algorithm)))];
  return hashListLog('checksum-list', algorithms.map((algorithm) => `${algorithm}sum`).join(', '), objects);
}
