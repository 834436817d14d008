import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import pg from 'pg';

import { verifyPassword } from '../../src/identity/passwords/password-hasher.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('custos user create / agency create', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  function custos(args: string[], input = ''): Promise<Run> {
    const child = spawn(process.execPath, [resolve(process.cwd(), 'dist/src/cli.js'), ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        TMPDIR: tmpdir(),
        DATABASE_URL: database.appUrl,
        DATABASE_OWNER_URL: database.ownerUrl,
        DATA_DIR: mkdtempSync(join(tmpdir(), 'custos-cli-')),
        LOG_LEVEL: 'silent',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(input);
    return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
  }

  async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: database.appUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  it('creates an agency and a user with a generated one-time password', async () => {
    const agency = await custos([
      'agency',
      'create',
      '--code',
      'ES-PN',
      '--name',
      'Policía Nacional',
      '--country',
      'ES',
    ]);
    expect(agency).toMatchObject({ code: 0, stderr: '' });
    // Its reports are printed in its courts' language unless --language says otherwise.
    expect(agency.stdout).toMatch(/created agency ES-PN \(Policía Nacional, ES, es\)/);

    const user = await custos([
      'user',
      'create',
      '--username',
      'ana.garcia',
      '--display-name',
      'Ana García',
      '--agency',
      'ES-PN',
      '--roles',
      'officer,clerk',
    ]);
    expect(user.code).toBe(0);
    const password = /one-time password: (\S+)/.exec(user.stdout)![1];
    const [row] = await query<{ password_hash: string; must_change_password: boolean; roles: string[] }>(
      `SELECT password_hash, must_change_password, roles FROM user_account WHERE username = 'ana.garcia'`,
    );
    expect(row).toMatchObject({ must_change_password: true, roles: ['officer', 'clerk'] });
    expect(await verifyPassword(row.password_hash, password)).toBe(true);
    const logged = await query(
      `SELECT event, details->>'via' AS via FROM access_log WHERE subject_label IN ('ES-PN', 'ana.garcia') ORDER BY id`,
    );
    expect(logged).toEqual([
      { event: 'agency.create', via: 'command line' },
      { event: 'user.create', via: 'command line' },
    ]);
  });

  it('sets the language of an agency’s reports and labels, refusing one it does not print', async () => {
    const created = await custos([
      'agency',
      'create',
      '--code',
      'BR-PF',
      '--name',
      'Polícia Federal',
      '--country',
      'BR',
    ]);
    expect(created.stdout).toMatch(/created agency BR-PF \(Polícia Federal, BR, pt-BR\)/);
    const refused = await custos(['agency', 'set-language', '--code', 'BR-PF', '--language', 'pt']);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('use one of en, es, pt-BR, pt-PT');
    const changed = await custos(['agency', 'set-language', '--code', 'BR-PF', '--language', 'en']);
    expect(changed).toMatchObject({ code: 0, stdout: 'agency BR-PF now prints in en (was pt-BR)\n' });
    expect(await query(`SELECT language FROM agency WHERE code = 'BR-PF'`)).toEqual([{ language: 'en' }]);
    const logged = await query(
      `SELECT event, details->'language' AS language FROM access_log WHERE subject_label = 'BR-PF' ORDER BY id`,
    );
    expect(logged).toEqual([
      { event: 'agency.create', language: null },
      { event: 'agency.update', language: { from: 'pt-BR', to: 'en' } },
    ]);
    expect((await custos(['agency', 'set-language', '--code', 'BR-XX', '--language', 'en'])).code).toBe(1);
  });

  it('takes a password on standard input, and applies the password policy to it', async () => {
    const chosen = await custos(
      [
        'user',
        'create',
        '--username',
        'root2',
        '--display-name',
        'Second Root',
        '--platform-admin',
        '--password-stdin',
      ],
      'an operator chosen passphrase\n',
    );
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).not.toContain('one-time password');
    const [row] = await query<{ password_hash: string; must_change_password: boolean; platform_admin: boolean }>(
      `SELECT password_hash, must_change_password, platform_admin FROM user_account WHERE username = 'root2'`,
    );
    expect(row).toMatchObject({ must_change_password: false, platform_admin: true });
    expect(await verifyPassword(row.password_hash, 'an operator chosen passphrase')).toBe(true);

    const weak = await custos(
      [
        'user',
        'create',
        '--username',
        'weak.one',
        '--display-name',
        'Weak',
        '--agency',
        'ES-PN',
        '--roles',
        'clerk',
        '--password-stdin',
      ],
      'password\n',
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/at least 12 characters \(password_rejected\)/);
  });

  it('refuses unknown agencies and roles with a usage message', async () => {
    expect(
      (
        await custos([
          'user',
          'create',
          '--username',
          'x.y',
          '--display-name',
          'X',
          '--agency',
          'FR-GN',
          '--roles',
          'clerk',
        ])
      ).stderr,
    ).toMatch(/no agency FR-GN/);
    const badRole = await custos([
      'user',
      'create',
      '--username',
      'x.y',
      '--display-name',
      'X',
      '--agency',
      'ES-PN',
      '--roles',
      'janitor',
    ]);
    expect(badRole.code).toBe(64);
    expect(badRole.stderr).toMatch(/unknown role\(s\) janitor/);
  });
});
