import { spawn, type ChildProcess } from 'node:child_process';

import { CLI_ENTRY } from './cli-process.js';

/** `custos witness serve` as a real process (the built CLI; `npm test` builds first). */
export interface WitnessProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the witness's vkey and base URL once it listens; rejects if it exits first. */
  readonly ready: Promise<{ vkey: string; url: string }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export function startWitnessProcess(args: readonly string[], timeoutMs = 30_000): WitnessProcess {
  const child = spawn(process.execPath, [CLI_ENTRY, 'witness', 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const ready = new Promise<{ vkey: string; url: string }>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`witness did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      output += chunk.toString('utf8');
      const match = /^(\S+)\nlistening on (http:\/\/\S+)\n/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        done({ vkey: match[1], url: match[2] });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`witness exited (code ${code}, signal ${signal}) before listening:\n${output}`));
    });
  });
  ready.catch(() => undefined);
  return {
    child,
    output: () => output,
    ready,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** POSTs an add-checkpoint body; the status, content type and text of the answer. */
export async function addCheckpoint(
  url: string,
  body: string | Uint8Array,
): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}
