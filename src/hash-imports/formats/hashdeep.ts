import {
  addHash,
  algorithmOf,
  hashListLog,
  hexValue,
  logLines,
  LogNotUnderstoodError,
  notUnderstood,
  type LogHash,
  type LogLine,
  type LogObject,
  type ParsedLog,
} from './log-format.js';

const FORMAT = 'hashdeep';

export function looksLikeHashdeep(lines: readonly LogLine[]): boolean {
  return lines.some((line) => /^%%%% HASHDEEP-1\.\d/i.test(line.text.trim()));
}

/**
 * A hashdeep (or md5deep `-d`-less audit) file: `%%%% HASHDEEP-1.0`, `%%%% size,md5,sha256,filename`
 * naming the columns, `## ` comments (the invocation), then one comma-separated line per file.
 * Columns of algorithms Custos does not record (tiger, whirlpool) are read and set aside; a file
 * name may itself contain commas.
 */
export function parseHashdeep(text: string): ParsedLog {
  const lines = logLines(text);
  if (!looksLikeHashdeep(lines)) throw notUnderstood(FORMAT, 'no "%%%% HASHDEEP-1.0" header', 1);
  let columns: string[] | undefined;
  const objects: Array<LogObject & { hashes: LogHash[] }> = [];
  const problems: Array<{ line: number; message: string }> = [];
  for (const line of lines) {
    const trimmed = line.text.trim();
    if (trimmed === '' || /^%%%% HASHDEEP/i.test(trimmed)) continue;
    if (trimmed.startsWith('%%%%')) {
      columns = trimmed
        .slice(4)
        .trim()
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      if (columns[columns.length - 1] !== 'filename' || !columns.some((c) => algorithmOf(c) !== undefined)) {
        throw notUnderstood(FORMAT, 'the column line must list hash algorithms and end with filename', line.number);
      }
      continue;
    }
    if (trimmed.startsWith('##')) continue; // the invocation and its directory
    if (columns === undefined) throw notUnderstood(FORMAT, 'a file line before the %%%% column line', line.number);
    const cells = trimmed.split(',');
    if (cells.length < columns.length) {
      problems.push({ line: line.number, message: `${cells.length} columns where ${columns.length} were announced` });
      continue;
    }
    const name = cells.slice(columns.length - 1).join(',');
    const hashes: LogHash[] = [];
    columns.slice(0, -1).forEach((column, index) => {
      const algorithm = algorithmOf(column);
      if (column === 'size' && !/^\d+$/.test(cells[index]))
        problems.push({ line: line.number, message: 'the size is not a number' });
      if (algorithm === undefined) return;
      const value = hexValue(algorithm, cells[index]);
      if (value === undefined)
        problems.push({ line: line.number, message: `not a ${algorithm.toUpperCase()} value in the ${column} column` });
      else addHash(FORMAT, hashes, { algorithm, value }, line.number);
    });
    objects.push({ name, hashes, line: line.number });
  }
  if (problems.length > 0)
    throw new LogNotUnderstoodError(
      `${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')} (as a ${FORMAT} file)`,
      problems,
    );
  if (objects.length === 0) throw notUnderstood(FORMAT, 'no file lines');
  return hashListLog('hashdeep', 'hashdeep', objects);
}
