import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { isProcessAlive } from '../../src/database/data-dir-lock.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';

jest.setTimeout(120_000);

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8').split('\n')[0], 10) : undefined;
}

// The service as a user runs it: `node dist/src/main.js` with nothing but environment variables.
describe('the service process on the embedded database', () => {
  let dataDir: string;
  let first: ServiceProcess | undefined;

  beforeAll(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'custos-process-')), 'data');
  });

  afterAll(async () => {
    if (first && first.child.exitCode === null) {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('starts with nothing configured but DATA_DIR and serves health and the API docs', async () => {
    first = startServiceProcess({ DATA_DIR: dataDir });
    const url = await first.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${url}/api/docs`)).status).toBe(200);
    // The generated database passwords are readable by this OS user only.
    expect(statSync(join(dataDir, 'postgres-credentials.json')).mode & 0o777).toBe(0o600);
    // Structured JSON logs, one object per line, with request ids.
    const lines = first.output().trim().split('\n');
    const requestLog = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.msg === 'request completed');
    expect(requestLog).toMatchObject({ req: { id: expect.any(String), url: '/health' } });
  });

  it('refuses a second process on the same DATA_DIR with a clear message, leaving the first intact', async () => {
    const second = startServiceProcess({ DATA_DIR: dataDir });
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toContain(
      `DATA_DIR ${dataDir} is in use by another Custos process (pid ${first!.child.pid})`,
    );
    const url = await first!.listening;
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  });

  it('shuts down cleanly on SIGTERM: exit 0, database stopped, DATA_DIR released', async () => {
    const postgresPid = postmasterPid(dataDir);
    expect(postgresPid).toBeDefined();
    first!.child.kill('SIGTERM');
    const { code } = await first!.exited;
    expect(code).toBe(0);
    expect(isProcessAlive(postgresPid!)).toBe(false);
    expect(existsSync(join(dataDir, 'custos.pid'))).toBe(false);
    expect(first!.output()).toContain('"msg":"stopped"');
  });

  it('restarts after a kill -9, stopping the PostgreSQL the dead process left behind', async () => {
    const crashed = startServiceProcess({ DATA_DIR: dataDir });
    await crashed.listening;
    const orphan = postmasterPid(dataDir)!;
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(isProcessAlive(orphan)).toBe(true);

    first = startServiceProcess({ DATA_DIR: dataDir });
    const url = await first.listening;
    expect(first.output()).toContain(`stopping PostgreSQL (pid ${orphan}) left running`);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  });

  it('refuses to start on invalid configuration, naming the variable', async () => {
    const wrong = startServiceProcess({ DATA_DIR: dataDir, PORT: 'eighty', LOG_LEVEL: 'chatty' });
    const { code } = await wrong.exited;
    expect(code).toBe(78);
    expect(wrong.output()).toContain('PORT must be an integer from 0 to 65535 (got "eighty")');
    expect(wrong.output()).toContain('LOG_LEVEL must be one of');
  });
});
