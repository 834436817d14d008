import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';
import { call } from './support.js';

jest.setTimeout(180_000);

/** The service's own worker processes: children of the primary that run dist/src/main.js. */
function workersOf(primaryPid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primaryPid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('dist/src/main.js') && !line.includes('<defunct>'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * `CUSTOS_WORKERS=2` on the embedded PostgreSQL, as a newcomer would run it: one primary that owns
 * the database and the port, two workers that serve, a dead worker replaced, and a stop that leaves
 * no process behind.
 */
describe('CUSTOS_WORKERS: several service processes sharing one port', () => {
  let dir: string;
  let service: ServiceProcess;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-workers-'));
    service = startServiceProcess({ DATA_DIR: join(dir, 'data'), CUSTOS_WORKERS: '2' }, 120_000);
    url = await service.listening;
    // The first worker's line names the URL too; the primary announces once all of them listen.
    await until(
      'the start banner',
      () => (service.output().includes('Custos is listening') ? true : undefined),
      120_000,
    );
  });

  afterAll(async () => {
    // Stopped in order when a test failed before the last one: a SIGKILLed primary would leave its
    // embedded PostgreSQL running.
    if (service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      const killer = setTimeout(() => service.child.kill('SIGKILL'), 30_000);
      await service.exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves from both workers, one sign-in valid in each', async () => {
    const primary = service.child.pid!;
    expect(workersOf(primary)).toHaveLength(2);
    const password = readFileSync(join(dir, 'data', 'initial-admin-password'), 'utf8').trim();
    const login = await call(url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password } });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    // Concurrent requests open several connections, which the primary hands out in turn.
    const answers = await Promise.all(Array.from({ length: 24 }, () => call(url, 'GET', '/api/v1/auth/me', { token })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(24).fill(200));
    const servedBy = new Set(
      [...service.output().matchAll(/"pid":(\d+)[^\n]*"msg":"request completed"/g)].map((match) => Number(match[1])),
    );
    expect(servedBy.size).toBe(2);
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const primary = service.child.pid!;
    const [victim, survivor] = workersOf(primary);
    process.kill(victim, 'SIGKILL');
    // A connection that was open to the dead worker is reset; new ones reach the survivor.
    await until('an answer from the survivor', async () =>
      (await call(url, 'GET', '/health')).status === 200 ? true : undefined,
    );
    const replaced = await until('a new worker', () => {
      const now = workersOf(primary);
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    expect(replaced).toContain(survivor);
    expect(service.output()).toMatch(new RegExp(`service worker ${victim} died \\(SIGKILL\\)`));
    expect((await call(url, 'GET', '/health')).status).toBe(200);
  });

  it('stops every worker, then the embedded PostgreSQL, on SIGTERM', async () => {
    const primary = service.child.pid!;
    const workers = workersOf(primary);
    const postgresPort = Number(readFileSync(join(dir, 'data', 'postgres.port'), 'utf8').trim());
    expect(await accepts(postgresPort)).toBe(true);
    service.child.kill('SIGTERM');
    const { code } = await service.exited;
    expect(code).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(service.output()).toMatch(/told to stop by the primary/);
    expect(await accepts(postgresPort)).toBe(false);
  });
});
