/**
 * `custos verify-report <file.pdf> [--url <service base url>] [--token <bearer token>] [--json]`:
 * is this file a court report Custos issued? Computes the file's SHA-256 and asks the service
 * (`GET /api/v1/reports/{sha256}`), which answers with the `report.issued` ledger entry that
 * registered exactly these bytes — when, to whom, about which item or case — or 404.
 *
 * Exit code: 0 issued by Custos, 1 not a report Custos issued (or not one the token's user may see),
 * 2 the service could not answer (unreachable, token refused, unexpected reply), 64 usage error.
 *
 * Loaded by src/cli.ts before anything else, like `verify`: node built-ins and fetch only, no
 * database, no Nest.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const VERIFY_REPORT_USAGE = `usage: custos verify-report <report.pdf> [--url <service base url>] [--token <bearer token>] [--json]

  Computes the SHA-256 of the file and asks the Custos service whether it issued exactly that file:
  every report is registered in the ledger (a report.issued entry) before it is delivered.
  --url    the service, e.g. https://custos.example.org (default: $CUSTOS_URL, else http://127.0.0.1:3000)
  --token  an access token of a user who may read the report's item or case (default: $CUSTOS_TOKEN)
  --json   print the service's answer as JSON
  Exit code: 0 issued by Custos, 1 not issued by Custos (or not visible to you), 2 the service could
  not answer, 64 usage error.
`;

export interface VerifyReportIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: VerifyReportIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

interface Args {
  file: string;
  url: string;
  token: string | undefined;
  json: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  let file: string | undefined;
  let url = env.CUSTOS_URL;
  let token = env.CUSTOS_TOKEN;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--url' || arg === '--token') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--url') url = value;
      else token = value;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`one report at a time (got ${file} and ${arg})`);
  }
  if (file === undefined) throw new UsageError('name the report file');
  return { file, url: (url ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''), token, json };
}

/** The lookup's answer (ReportsService.lookup). */
interface ReportRecord {
  sha256: string;
  issuedAt: string;
  issuedBy: { displayName: string; username: string; agency: string | null; role: string | null } | null;
  subject: { type: string; id: string; number: string | null };
  case: { id: string; number: string } | null;
  ledgerIndex: number;
  recordedAt: string;
  bundleSha256: string;
  checkpoint: { treeSize: number; rootHash: string };
  pages: number;
  /** Absent from services that predate translated reports (their reports are English). */
  language?: string;
}

function describe(file: string, sha256: string, record: ReportRecord): string {
  const subject = `${record.subject.type} ${record.subject.number ?? record.subject.id}`;
  const inCase = record.case !== null && record.subject.type !== 'case' ? ` (case ${record.case.number})` : '';
  const by =
    record.issuedBy === null
      ? 'the system'
      : `${record.issuedBy.displayName} (${record.issuedBy.username}, ${record.issuedBy.role ?? 'user'}, ${record.issuedBy.agency ?? 'no agency'})`;
  return [
    `${file}`,
    `  SHA-256      ${sha256}`,
    `ISSUED BY CUSTOS: this exact file is the court custody report of ${subject}${inCase}.`,
    `  issued       ${record.issuedAt} to ${by}`,
    `  ledger entry #${record.ledgerIndex} (report.issued), recorded ${record.recordedAt}`,
    `  pages        ${record.pages}`,
    `  language     ${record.language ?? 'en'}`,
    `  bundle       SHA-256 ${record.bundleSha256}`,
    `  checkpoint   tree size ${record.checkpoint.treeSize}, root ${record.checkpoint.rootHash}`,
    '',
  ].join('\n');
}

/** Runs the command; resolves with the exit code. */
export async function runReportVerify(
  argv: readonly string[],
  io: VerifyReportIo = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`custos verify-report: ${error.message}\n\n${VERIFY_REPORT_USAGE}`);
    return 64;
  }
  let sha256: string;
  try {
    sha256 = createHash('sha256').update(readFileSync(args.file)).digest('hex');
  } catch (error) {
    io.err(`custos verify-report: cannot read ${args.file}: ${(error as Error).message}\n`);
    return 2;
  }
  const url = `${args.url}/api/v1/reports/${sha256}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        accept: 'application/json',
        ...(args.token === undefined ? {} : { authorization: `Bearer ${args.token}` }),
      },
    });
  } catch (error) {
    const cause = ((error as Error).cause as { code?: string } | undefined)?.code;
    io.err(
      `custos verify-report: cannot reach ${args.url}: ${(error as Error).message}${cause ? ` (${cause})` : ''}\n`,
    );
    return 2;
  }
  const text = await response.text();
  if (response.status === 200) {
    const record = JSON.parse(text) as ReportRecord;
    if (record.sha256 !== sha256) {
      io.err(`custos verify-report: the service answered for another SHA-256 (${record.sha256})\n`);
      return 2;
    }
    io.out(
      args.json
        ? `${JSON.stringify({ issued: true, file: args.file, ...record }, null, 2)}\n`
        : describe(args.file, sha256, record),
    );
    return 0;
  }
  if (response.status === 404) {
    io.out(
      args.json
        ? `${JSON.stringify({ issued: false, file: args.file, sha256 }, null, 2)}\n`
        : [
            `${args.file}`,
            `  SHA-256      ${sha256}`,
            `NOT ISSUED BY CUSTOS: ${args.url} has no report with this SHA-256 in its ledger.`,
            '  The file is not a report this service issued, or it was changed after issue (one byte is enough),',
            '  or it is about an item or case your user may not see.',
            '',
          ].join('\n'),
    );
    return 1;
  }
  let detail = text.slice(0, 300);
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string };
    detail = `${problem.detail ?? ''}${problem.code ? ` (${problem.code})` : ''}`;
  } catch {
    // not a problem document: show the start of the body
  }
  const hint = response.status === 401 ? ' — give --token (or CUSTOS_TOKEN) with a valid access token' : '';
  io.err(`custos verify-report: ${args.url} answered ${response.status}: ${detail}${hint}\n`);
  return 2;
}
