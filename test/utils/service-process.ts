import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';

/** The built service (`npm test` builds first), run as a real process: signals, exit codes, logs. */
export const SERVICE_ENTRY = resolve(process.cwd(), 'dist/src/main.js');

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the base URL once the service logs that it listens; rejects if it exits first. */
  readonly listening: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startServiceProcess(env: Record<string, string>, timeoutMs = 45_000): ServiceProcess {
  const child = spawn(process.execPath, [SERVICE_ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      // The test run's temporary folder (global-setup.mjs), removed at its end.
      TMPDIR: tmpdir(),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const listening = new Promise<string>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`service did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`service exited (code ${code}, signal ${signal}) before listening:\n${output}`));
    });
  });
  listening.catch(() => undefined);
  return { child, output: () => output, listening, exited };
}
