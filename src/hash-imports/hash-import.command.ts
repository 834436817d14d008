import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { Logger } from 'pino';

import { createApp } from '../app.js';
import type { AppConfig } from '../config/config.js';
import { decodeLogBytes, MAX_LOG_BYTES } from './log-text.js';

export const HASH_IMPORT_USAGE = `  hashes import <item number or id> <log file> --user <username> [--dry-run] [--format <format>]
              [--target <target>] [--confirm <warning,warning>] [--time-zone <IANA zone>]
              [--occurred-at <RFC 3339>] [--password-stdin]
                      record the hashes in an acquisition tool's log as <username> (docs/hash-import.md):
                      the password is asked for (or read from stdin) and signs the record; warnings
                      are printed and must be confirmed with --confirm, as in the API
`;

interface Output {
  out(message: string): void;
  err(message: string): void;
}

interface Problem {
  code?: string;
  detail?: string;
  warnings?: Array<{ code: string; message: string }>;
  errors?: Array<{ field: string; messages: string[] }>;
}

interface Preview {
  format: string;
  formatLabel: string;
  target: string;
  role: 'reference' | 'verification';
  occurredAt: string;
  timeZoneAssumed: string | null;
  values: Array<{ algorithm: string; value: string; result?: string }>;
  warnings: Array<{ code: string; message: string }>;
  source: { tool: string; toolVersion: string | null; reportedResult: string; logSha256: string };
}

/** The password from stdin (--password-stdin, or piped), or asked for on the terminal without echo. */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += (chunk as Buffer).toString('utf8');
    return text.replace(/\r?\n$/, '');
  }
  process.stderr.write('Password (signs the record): ');
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve, reject) => {
    let password = '';
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(password);
          return;
        }
        if (char === '\u0003') {
          process.stdin.setRawMode(false);
          reject(new Error('interrupted'));
          return;
        }
        if (char === '\u007f') password = password.slice(0, -1);
        else password += char;
      }
    };
    process.stdin.on('data', onData);
  });
}

/**
 * Tokens of this private application never leave the process: with DATABASE_URL and no
 * JWT_SECRET_FILE, a throw-away key lets it start (ADR 0010), as `custos demo` does.
 */
function privateConfig(config: AppConfig): { config: AppConfig; cleanup: () => void } {
  if (config.databaseUrl === undefined || config.auth.jwtSecretFileConfigured)
    return { config, cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'custos-import-'));
  const jwtSecretFile = join(dir, 'jwt-secret');
  writeFileSync(jwtSecretFile, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  return {
    config: { ...config, auth: { ...config.auth, jwtSecretFile, jwtSecretFileConfigured: true } },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function describe(preview: Preview, io: Output): void {
  io.out(
    `${preview.formatLabel}: ${preview.source.tool}${preview.source.toolVersion === null ? '' : ` ${preview.source.toolVersion}`}, its own verification: ${preview.source.reportedResult}`,
  );
  io.out(
    `target ${preview.target} (${preview.role}), computed ${preview.occurredAt}${preview.timeZoneAssumed === null ? '' : ` (time zone assumed: ${preview.timeZoneAssumed})`}`,
  );
  for (const value of preview.values)
    io.out(`  ${value.algorithm.padEnd(6)} ${value.value}${value.result === undefined ? '' : `  ${value.result}`}`);
  io.out(`log SHA-256 ${preview.source.logSha256}`);
  for (const warning of preview.warnings) io.out(`warning ${warning.code}: ${warning.message}`);
}

function printProblem(problem: Problem, io: Output): void {
  io.err(
    `custos hashes import: ${problem.detail ?? 'refused'}${problem.code === undefined ? '' : ` (${problem.code})`}`,
  );
  for (const warning of problem.warnings ?? []) io.err(`  ${warning.code}: ${warning.message}`);
  for (const error of problem.errors ?? [])
    for (const message of error.messages) io.err(`  ${error.field}: ${message}`);
  if (problem.code === 'import_confirmation_required')
    io.err(`confirm with --confirm ${(problem.warnings ?? []).map((w) => w.code).join(',')}`);
}

/**
 * `custos hashes import`: the same import as POST /items/:id/hashes/import, by the same code. The
 * command acts as a user, so it goes through the API of an in-process application listening on
 * 127.0.0.1 only: it logs in with the user's password (throttling, lockout, access log, the
 * must-change-password rule all apply), signs with the same password, and logs out.
 */
export async function runHashImport(
  args: string[],
  appUrl: string,
  config: AppConfig,
  logger: Logger,
  io: Output,
  password?: () => Promise<string>,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        format: { type: 'string' },
        target: { type: 'string' },
        confirm: { type: 'string' },
        'time-zone': { type: 'string' },
        'occurred-at': { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    io.err(`custos hashes import: ${(error as Error).message}\n\nusage:\n${HASH_IMPORT_USAGE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 2 || values.user === undefined) {
    io.err(`custos hashes import: give the item, the log file and --user\n\nusage:\n${HASH_IMPORT_USAGE}`);
    return 64;
  }
  const [itemRef, file] = positionals;
  let text: string;
  try {
    // Checked before reading: the file given by mistake may be the image itself, gigabytes long.
    const size = statSync(file).size;
    if (size > MAX_LOG_BYTES) {
      io.err(
        `custos hashes import: ${file} is ${size} bytes; a log is at most ${MAX_LOG_BYTES} (is this the image rather than its log?)`,
      );
      return 65; // EX_DATAERR
    }
    const decoded = decodeLogBytes(readFileSync(file));
    text = decoded.text;
    if (decoded.encoding !== 'utf-8') io.out(`${file}: not UTF-8, read as Windows-1252`);
  } catch (error) {
    io.err(`custos hashes import: cannot read ${file}: ${(error as Error).message}`);
    return 66; // EX_NOINPUT
  }
  const secret = await (password ?? (() => readPassword(values['password-stdin'] === true)))();

  const app = privateConfig(config);
  const service = await createApp({ config: app.config, databaseUrl: appUrl, logger });
  try {
    await service.listen(0, '127.0.0.1');
    const { port } = service.getHttpServer().address() as AddressInfo;
    const call = async <T>(
      token: string | null,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: T }> => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'custos-cli hashes import',
      };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
    };
    const login = await call<{ accessToken?: string; user?: { mustChangePassword?: boolean } } & Problem>(
      null,
      'POST',
      '/auth/login',
      { username: values.user, password: secret },
    );
    if (login.status !== 200 || login.body.accessToken === undefined) {
      printProblem(login.body, io);
      return 1;
    }
    const token = login.body.accessToken;
    try {
      let itemId = itemRef;
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(itemRef)) {
        const found = await call<{ items?: Array<{ id: string; itemNumber: string }> } & Problem>(
          token,
          'GET',
          `/items?q=${encodeURIComponent(itemRef)}&limit=100`,
        );
        const match = found.body.items?.find((item) => item.itemNumber.toLowerCase() === itemRef.toLowerCase());
        if (match === undefined) {
          io.err(`custos hashes import: no item ${itemRef} that ${values.user} may see`);
          return 1;
        }
        itemId = match.id;
      }
      const request = {
        text,
        ...(values.format === undefined ? {} : { format: values.format }),
        ...(values.target === undefined ? {} : { target: values.target }),
        ...(values['time-zone'] === undefined ? {} : { timeZone: values['time-zone'] }),
        ...(values['occurred-at'] === undefined ? {} : { occurredAt: values['occurred-at'] }),
        ...(values.confirm === undefined
          ? {}
          : {
              confirm: values.confirm
                .split(',')
                .map((code) => code.trim())
                .filter(Boolean),
            }),
      };
      const dry = await call<{ import?: Preview } & Problem>(token, 'POST', `/items/${itemId}/hashes/import`, {
        ...request,
        dryRun: true,
      });
      if (dry.status !== 200 || dry.body.import === undefined) {
        printProblem(dry.body, io);
        return 1;
      }
      describe(dry.body.import, io);
      if (values['dry-run'] === true) {
        io.out('dry run: nothing recorded');
        return 0;
      }
      const meaning = dry.body.import.role === 'reference' ? 'acquired' : 'verified';
      const done = await call<
        {
          records?: Array<{ algorithm: string; result: string | null; ledgerIndex: number }>;
          item?: { itemNumber: string; integrity: string };
        } & Problem
      >(token, 'POST', `/items/${itemId}/hashes/import`, { ...request, signature: { password: secret, meaning } });
      if (done.status !== 201 || done.body.records === undefined) {
        printProblem(done.body, io);
        return 1;
      }
      io.out(
        `recorded as ledger entry ${done.body.records[0].ledgerIndex}, signed ${meaning}; ${done.body.item!.itemNumber} integrity: ${done.body.item!.integrity}`,
      );
      return 0;
    } finally {
      await call(token, 'POST', '/auth/logout');
    }
  } finally {
    await service.close();
    app.cleanup();
  }
}
