import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import type { AppConfig } from '../../config/config.js';

/** HS256 needs a key at least as long as the hash: 256 bits (RFC 7518 §3.2). */
export const MIN_KEY_BYTES = 32;

export interface KeyLogger {
  warn(message: string): void;
}

/**
 * The access-token key. Read from JWT_SECRET_FILE; without it, generated once into
 * DATA_DIR/jwt-secret (mode 0600). With DATABASE_URL several processes serve one deployment and a
 * per-process key would make tokens fail at random, so the file must then be given (ADR 0010).
 */
export function loadOrCreateTokenKey(config: Pick<AppConfig, 'auth' | 'databaseUrl'>, logger: KeyLogger): Buffer {
  const { jwtSecretFile: file, jwtSecretFileConfigured: configured } = config.auth;
  if (!configured && config.databaseUrl !== undefined) {
    throw new Error(
      'JWT_SECRET_FILE is required with DATABASE_URL: every process of a deployment must share the access-token key ' +
        '(create one with `openssl rand -base64 48 > /etc/custos/jwt-secret && chmod 600 /etc/custos/jwt-secret`)',
    );
  }
  if (!existsSync(file)) {
    if (configured) throw new Error(`JWT_SECRET_FILE ${file} does not exist`);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn(`generated the access-token key ${file}; back it up with DATA_DIR (losing it only ends every session)`);
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    logger.warn(`the access-token key ${file} is readable by other OS users; chmod 600 it`);
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
  if (key.length < MIN_KEY_BYTES) {
    throw new Error(`the access-token key in ${file} is shorter than ${MIN_KEY_BYTES} bytes`);
  }
  return key;
}
