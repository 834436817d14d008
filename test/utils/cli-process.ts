import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';

/** The built command line (`npm test` builds first), run as a real process. */
export const CLI_ENTRY = resolve(process.cwd(), 'dist/src/cli.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `custos <args>` with exactly `env` (plus PATH and HOME); never rejects on a non-zero exit. */
export function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          TMPDIR: tmpdir(),
          LOG_FORMAT: 'json',
          ...env,
        },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          fail(new Error(`custos ${args.join(' ')} did not run: ${error.message}\n${stderr}`));
          return;
        }
        done({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}
