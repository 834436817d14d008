import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { ed25519Verifier, formatVerifierKey, openCheckpoint } from '../../src/ledger/core/index.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';
import { createSoftHsmToken, SOFTHSM_MODULE, type SoftHsmToken } from '../utils/softhsm.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

jest.setTimeout(180_000);

const ORIGIN = 'test.custos.invalid/ledger';

/**
 * The ledger key in a PKCS#11 token (issue #15 item 4, ADR 0026), against SoftHSM2: a token is
 * created in a temporary directory with an Ed25519 key pair generated inside it, and the built
 * service runs as a real process with it (SoftHSM2 reads SOFTHSM2_CONF from the process's own
 * environment).
 */
describe('a ledger key in a PKCS#11 token (SoftHSM2)', () => {
  let dir: string;
  let token: SoftHsmToken;
  let database: TestDatabase;
  let service: ServiceProcess | undefined;
  let dataDir: string;

  const start = (env: Record<string, string>): ServiceProcess => {
    dataDir = mkdtempSync(join(dir, 'data-'));
    return startServiceProcess({
      NODE_ENV: 'test',
      DATABASE_URL: database.appUrl,
      DATABASE_OWNER_URL: database.ownerUrl,
      DATA_DIR: dataDir,
      JWT_SECRET_FILE: join(dir, 'jwt-secret'),
      LEDGER_ORIGIN: ORIGIN,
      SOFTHSM2_CONF: token.conf,
      LEDGER_PKCS11_MODULE: SOFTHSM_MODULE,
      LEDGER_PKCS11_TOKEN_LABEL: token.tokenLabel,
      LEDGER_PKCS11_KEY_LABEL: token.keyLabel,
      LEDGER_PKCS11_PIN_FILE: join(dir, 'pin'),
      ...env,
    });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-hsm-'));
    token = createSoftHsmToken(dir);
    writeFileSync(join(dir, 'pin'), `${token.pin}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'jwt-secret'), randomBytes(48).toString('base64'), { mode: 0o600 });
    database = await createTestDatabase();
  });

  afterEach(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    service = undefined;
  });

  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs checkpoints with the token key that verify with its public key, and writes no key file', async () => {
    service = start({});
    const url = await service.listening;
    const vkey = formatVerifierKey(ORIGIN, token.publicKey);
    const key = (await (await fetch(`${url}/api/v1/ledger/public-key`)).json()) as { vkey: string };
    expect(key.vkey).toBe(vkey);
    const response = await fetch(`${url}/api/v1/ledger/checkpoint`);
    expect(response.status).toBe(200);
    const { note } = (await response.json()) as { note: string };
    // Verified with the public key read from the token, independently of the service.
    expect(openCheckpoint(note, ed25519Verifier(ORIGIN, token.publicKey))).toMatchObject({ origin: ORIGIN });
    expect(existsSync(join(dataDir, 'ledger-signing.key'))).toBe(false);
    expect(service.output()).not.toContain('generated a new ledger signing key');
  });

  it('takes the slot by its ID and the PIN from the environment as well', async () => {
    service = start({
      LEDGER_PKCS11_TOKEN_LABEL: '',
      LEDGER_PKCS11_PIN_FILE: '',
      LEDGER_PKCS11_SLOT: String(token.slotId),
      LEDGER_PKCS11_PIN: token.pin,
    });
    const url = await service.listening;
    const key = (await (await fetch(`${url}/api/v1/ledger/public-key`)).json()) as { vkey: string };
    expect(key.vkey).toBe(formatVerifierKey(ORIGIN, token.publicKey));
  });

  it('refuses to start with a wrong PIN, an unknown key label or an unknown token, naming what is wrong', async () => {
    writeFileSync(join(dir, 'wrong-pin'), '000000\n');
    for (const [env, message] of [
      [{ LEDGER_PKCS11_PIN_FILE: join(dir, 'wrong-pin') }, 'cannot log in to the token with the configured PIN'],
      [{ LEDGER_PKCS11_KEY_LABEL: 'no-such-key' }, 'exactly one private and one public key labelled \\"no-such-key\\"'],
      [{ LEDGER_PKCS11_TOKEN_LABEL: 'no-such-token' }, 'no token labelled \\"no-such-token\\"'],
    ] as const) {
      const refused = start(env);
      service = refused;
      // A service that starts listening has failed this test: no need to wait for a timeout.
      const { code } = await Promise.race([
        refused.exited,
        refused.listening.then((url) => Promise.reject(new Error(`started at ${url} with ${JSON.stringify(env)}`))),
      ]);
      expect(code).not.toBe(0);
      expect(refused.output()).toContain(message);
    }
  });
});
