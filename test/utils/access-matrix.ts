import { readFileSync } from 'node:fs';

/**
 * Reads the executable access matrix of docs/access-control.md: every table row between the
 * `access-matrix:begin` and `access-matrix:end` markers becomes one expectation per caller column.
 */
export const MATRIX_CALLERS = [
  'officer',
  'clerk',
  'examiner',
  'prosecutor',
  'auditor',
  'admin',
  'platform admin',
  'no token',
] as const;
export type MatrixCaller = (typeof MATRIX_CALLERS)[number];

export const MATRIX_RELATIONS = [
  '—',
  'own',
  'agency-contribute',
  'agency-read',
  'user-contribute',
  'user-read',
  'foreign',
  'revoked',
] as const;
export type MatrixRelation = (typeof MATRIX_RELATIONS)[number];

export interface MatrixExpectation {
  readonly status: number;
  /** For list routes: whether the case must appear in the answer. */
  readonly listed?: boolean;
}

export interface MatrixRow {
  readonly method: string;
  readonly path: string;
  readonly relation: MatrixRelation;
  readonly expected: Readonly<Record<MatrixCaller, MatrixExpectation>>;
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}

export function parseExpectation(text: string): MatrixExpectation {
  const match = /^(\d{3})(?: (listed|hidden))?$/.exec(text);
  if (!match) throw new Error(`matrix cell "${text}" is not a status (e.g. 200, 404, "200 listed")`);
  return { status: Number(match[1]), ...(match[2] ? { listed: match[2] === 'listed' } : {}) };
}

export function parseAccessMatrix(markdown: string): MatrixRow[] {
  const begin = markdown.indexOf('<!-- access-matrix:begin -->');
  const end = markdown.indexOf('<!-- access-matrix:end -->');
  if (begin < 0 || end < begin) throw new Error('access-matrix markers not found');
  const rows: MatrixRow[] = [];
  let header: string[] | undefined;
  for (const line of markdown.slice(begin, end).split('\n')) {
    if (!line.trim().startsWith('|')) {
      header = undefined;
      continue;
    }
    const row = cells(line);
    if (header === undefined) {
      header = row;
      const callers = header.slice(2);
      if (header[0] !== 'route' || header[1] !== 'relation' || callers.join() !== MATRIX_CALLERS.join()) {
        throw new Error(`matrix header must be: route | relation | ${MATRIX_CALLERS.join(' | ')}`);
      }
      continue;
    }
    if (row.every((cell) => /^-+$/.test(cell))) continue;
    if (row.length !== header.length)
      throw new Error(`matrix row has ${row.length} cells, expected ${header.length}: ${line}`);
    const route = /^`(GET|POST|PATCH|PUT|DELETE) (\/\S+)`$/.exec(row[0]);
    if (!route) throw new Error(`matrix route must look like \`GET /api/v1/cases\`: ${row[0]}`);
    const relation = row[1] as MatrixRelation;
    if (!MATRIX_RELATIONS.includes(relation)) throw new Error(`unknown relation "${row[1]}"`);
    const expected = Object.fromEntries(
      MATRIX_CALLERS.map((caller, i) => [caller, parseExpectation(row[i + 2])]),
    ) as Record<MatrixCaller, MatrixExpectation>;
    rows.push({ method: route[1], path: route[2], relation, expected });
  }
  return rows;
}

export function loadAccessMatrix(file = 'docs/access-control.md'): MatrixRow[] {
  return parseAccessMatrix(readFileSync(file, 'utf8'));
}
