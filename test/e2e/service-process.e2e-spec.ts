import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { isProcessAlive } from '../../src/database/data-dir-lock.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';

jest.setTimeout(120_000);

function bannerOf(output: string): Record<string, unknown> | undefined {
  return output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('Custos is listening on'));
}

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

  it('keeps the one-time admin password in DATA_DIR/initial-admin-password until the first change', async () => {
    const url = await first!.listening;
    const file = join(dataDir, 'initial-admin-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    // The log says where the password is, never what it is; the banner says it too.
    expect(first!.output()).toContain(`one-time password is in ${file}`);
    expect(first!.output()).not.toContain(password);
    expect(bannerOf(first!.output())).toMatchObject({ url, docs: `${url}/api/docs`, initialAdminPasswordFile: file });

    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    expect(existsSync(file)).toBe(true); // signing in is not changing it
    const change = await fetch(`${url}/api/v1/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ currentPassword: password, newPassword: 'Chosen at first login 2026' }),
    });
    expect(change.status).toBe(200);
    expect(existsSync(file)).toBe(false);
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
    // The administrator exists and changed its password: no new one-time password, no file.
    expect(existsSync(join(dataDir, 'initial-admin-password'))).toBe(false);
    expect(crashed.output() + first.output()).not.toContain('one-time password');
    expect(bannerOf(first.output())).not.toHaveProperty('initialAdminPasswordFile');
  });

  it('refuses a port in use before creating anything, naming PORT', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const { port } = blocker.address() as AddressInfo;
    const freshDir = join(dataDir, '..', 'never-created');
    try {
      const refused = startServiceProcess({ DATA_DIR: freshDir, PORT: String(port) });
      const { code } = await refused.exited;
      expect(code).toBe(1);
      expect(refused.output()).toContain(
        `cannot listen on 127.0.0.1:${port}: port ${port} is already in use by another program; set PORT to a free port`,
      );
      // Nothing was created: no data directory, so no database, administrator or keys.
      expect(existsSync(freshDir)).toBe(false);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });

  it('refuses to start on invalid configuration, naming the variable', async () => {
    const wrong = startServiceProcess({ DATA_DIR: dataDir, PORT: 'eighty', LOG_LEVEL: 'chatty' });
    const { code } = await wrong.exited;
    expect(code).toBe(78);
    expect(wrong.output()).toContain('PORT must be an integer from 0 to 65535 (got "eighty")');
    expect(wrong.output()).toContain('LOG_LEVEL must be one of');
  });
});
