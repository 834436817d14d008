import { readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * The service's configuration, read once from the environment at boot and validated before
 * anything starts. A wrong value stops the start with a message naming the variable: a chain of
 * custody service must not come up half-configured.
 */
export interface AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  /** Run-time connection (the service's least-privileged role). Absent: embedded PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** Migration connection (the owner role). Defaults to `databaseUrl`. */
  readonly databaseOwnerUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly databaseStatementTimeoutMs: number;
  /** Client side: how long the service waits for any answer from PostgreSQL before giving the connection up. */
  readonly databaseQueryTimeoutMs: number;
  readonly runMigrations: boolean;
  readonly dataDir: string;
  readonly embeddedPostgresPort: number | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  readonly trustProxy: boolean;
  readonly shutdownTimeoutMs: number;
  /** Service processes sharing the port (CUSTOS_WORKERS, docs/operations.md): 1 runs in this process. */
  readonly workers: number;
  /** Court reports rendered at once in worker threads (REPORT_RENDERS_MAX), and how many more may wait (REPORT_RENDERS_QUEUED); beyond: 503 service_busy. */
  readonly reportRendersMax: number;
  readonly reportRendersQueued: number;
  /** Where court reports are written before they are served (REPORT_TEMP_DIR; default the OS's temporary directory). */
  readonly reportTempDir: string;
  /** Origin line of the ledger's checkpoints (C2SP tlog-checkpoint), also the signing key's name. */
  readonly ledgerOrigin: string;
  /** Ed25519 signer key file (C2SP note format); generated in DATA_DIR when absent. */
  readonly ledgerKeyFile: string;
  /** The signer's record of the last head it signed (ADR 0025): beside the key unless LEDGER_SIGNED_HEAD_FILE. */
  readonly ledgerSignedHeadFile: string;
  /** The signing key in a PKCS#11 token instead of LEDGER_KEY_FILE (ADR 0026); undefined: the key file. */
  readonly ledgerPkcs11?: Pkcs11KeyConfig;
  readonly ledgerCheckpointSeconds: number;
  /** The ledger monitor (ADR 0028): how often it verifies new entries, and how many older ones it re-checks each time. */
  readonly ledgerMonitorSeconds: number;
  readonly ledgerMonitorSweepEntries: number;
  /** Identity and access (docs/identity.md, ADRs 0010–0013). */
  readonly auth: AuthConfig;
  /** How far in the future an event's `occurredAt` may lie (field devices' clocks drift). */
  readonly clockSkewSeconds: number;
  /** The in-service witness (docs/witness.md): other logs this service cosigns. */
  readonly witness: WitnessConfig;
  /** Witnesses of this ledger (docs/witness.md §5): LEDGER_WITNESSES, LEDGER_WITNESS_QUORUM, LEDGER_WITNESS_INTERVAL_MS. */
  readonly ledgerWitnesses: readonly LedgerWitnessConfig[];
  /** Cosignatures a checkpoint needs to be published; default all witnesses. */
  readonly ledgerWitnessQuorum: number;
  readonly ledgerWitnessIntervalMs: number;
  /** RFC 3161 timestamps of published checkpoints (ADR 0027): LEDGER_TSA_URL, LEDGER_TSA_CA_FILE; undefined: off. */
  readonly ledgerTsa?: LedgerTsaConfig;
}

export interface LedgerTsaConfig {
  /** The TSA's RFC 3161 HTTP endpoint (POST application/timestamp-query). */
  readonly url: string;
  /** PEM file of the certificates the TSA's certificate must chain to. */
  readonly caFile: string;
  /** How often the newest published checkpoint is looked at; failures back off from it (LEDGER_TSA_INTERVAL_MS). */
  readonly intervalMs: number;
}

function readTsa(read: EnvReader, env: Env, cwd: string): LedgerTsaConfig | undefined {
  const url = env.LEDGER_TSA_URL?.trim() || undefined;
  const caFile = env.LEDGER_TSA_CA_FILE?.trim() || undefined;
  const intervalMs = read.integer('LEDGER_TSA_INTERVAL_MS', 10_000, 100, 86_400_000);
  if (url === undefined) {
    if (caFile !== undefined)
      read.problems.push('LEDGER_TSA_CA_FILE needs LEDGER_TSA_URL (the time-stamping authority)');
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    read.problems.push(`LEDGER_TSA_URL must be an http(s) URL of an RFC 3161 time-stamping authority (got "${url}")`);
  }
  if (caFile === undefined) {
    // Without trust anchors any certificate could vouch for the time: no token would mean anything.
    read.problems.push("with LEDGER_TSA_URL, LEDGER_TSA_CA_FILE must name a PEM file of the TSA's CA certificate(s)");
    return undefined;
  }
  const path = resolve(cwd, caFile);
  let pem = '';
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    read.problems.push(`LEDGER_TSA_CA_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  if (pem !== '' && !pem.includes('-----BEGIN CERTIFICATE-----'))
    read.problems.push(`LEDGER_TSA_CA_FILE ${path} holds no PEM certificate`);
  return { url, caFile: path, intervalMs };
}

export interface LedgerWitnessConfig {
  /** The witness's submission prefix: `<url>/add-checkpoint` is posted to. */
  readonly url: string;
  /** Its cosignature/v1 verifier key. */
  readonly vkey: string;
}

function ledgerWitnesses(value: string | undefined, problems: string[]): LedgerWitnessConfig[] {
  const witnesses: LedgerWitnessConfig[] = [];
  for (const entry of (value ?? '').split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const [url, vkey, ...rest] = entry.split(/\s+/);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || vkey === undefined || rest.length > 0) {
      problems.push(`LEDGER_WITNESSES entries must be "<http(s) url> <witness vkey>" (got "${entry}")`);
      continue;
    }
    if (!/^[^+\s]+\+[0-9a-fA-F]{8}\+[A-Za-z0-9+/]+=*$/.test(vkey)) {
      problems.push(`LEDGER_WITNESSES: "${vkey}" is not a witness vkey (<name>+<hex8>+<base64>)`);
      continue;
    }
    if (witnesses.some((w) => w.vkey === vkey)) problems.push(`LEDGER_WITNESSES names ${vkey} twice`);
    witnesses.push({ url: url.replace(/\/+$/, ''), vkey });
  }
  return witnesses;
}

export interface WitnessConfig {
  /** WITNESS_LOGS: `<origin>=<vkey>` entries, comma-separated; empty means the witness API is off. */
  readonly logs: readonly { readonly origin: string; readonly verifierKeys: readonly string[] }[];
  /** WITNESS_KEY_FILE: the cosigning key, shared by every process; default DATA_DIR/witness.key (generated). */
  readonly keyFile: string;
  /** WITNESS_NAME: the key's name when it is generated; default `<LEDGER_ORIGIN>/witness`. */
  readonly name: string;
}

function witnessLogs(value: string | undefined, problems: string[]): WitnessConfig['logs'] {
  const logs = new Map<string, string[]>();
  for (const entry of (value ?? '').split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const at = entry.indexOf('=');
    if (at <= 0 || at === entry.length - 1) {
      problems.push(`WITNESS_LOGS entries must be <origin>=<vkey> (got "${entry}")`);
      continue;
    }
    const origin = entry.slice(0, at);
    logs.set(origin, [...(logs.get(origin) ?? []), entry.slice(at + 1)]);
  }
  return [...logs].map(([origin, verifierKeys]) => ({ origin, verifierKeys }));
}

export interface AuthConfig {
  /** HS256 key file shared by every process of a deployment; default DATA_DIR/jwt-secret (generated). */
  readonly jwtSecretFile: string;
  /** Whether JWT_SECRET_FILE was given (required with DATABASE_URL: see ADR 0010). */
  readonly jwtSecretFileConfigured: boolean;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly accessTokenTtlSeconds: number;
  /** Absolute lifetime of a login session (its refresh tokens rotate within it). */
  readonly refreshTokenTtlSeconds: number;
  /** Password of the administrator created on an empty database; random (logged once) when unset. */
  readonly bootstrapAdminPassword: string | undefined;
  /** Consecutive wrong passwords per (account, client) before delays begin (ADR 0016). */
  readonly throttleFreeFailures: number;
  readonly throttleFirstDelaySeconds: number;
  readonly throttleMaxDelaySeconds: number;
  /** A pair without a failure for this long starts counting again. */
  readonly throttleForgetSeconds: number;
  readonly loginRateWindowSeconds: number;
  readonly loginRateLimitPerIp: number;
  /**
   * How long a live session may be served from the process's cache (ADR 0064); 0 turns the cache
   * off. Changes end cached sessions at once through NOTIFY: this is only the bound should a
   * notice be missed unnoticed.
   */
  readonly sessionCacheSeconds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects every problem first, so one start tells the operator everything that is wrong. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.integer(name, min, min, max);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  /** A C2SP note key name / checkpoint origin: printable, no spaces, no '+'. */
  keyName(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    if (!/^[\x21-\x2a\x2c-\x7e]{1,200}$/.test(value)) {
      this.problems.push(
        `${name} must be printable ASCII without spaces or '+', like custos.example.org/ledger (got "${value}")`,
      );
    }
    return value;
  }

  postgresUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${name} must be a URL like postgres://user:password@host:5432/database`);
      return undefined;
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      this.problems.push(`${name} must use the postgres:// scheme (got "${url.protocol}")`);
      return undefined;
    }
    if (url.hostname === '' || url.pathname.length <= 1) {
      this.problems.push(`${name} must name a host and a database, like postgres://user@host:5432/custos`);
      return undefined;
    }
    return value;
  }
}

/** Where the ledger's Ed25519 key lives in a PKCS#11 token (LEDGER_PKCS11_*). */
export interface Pkcs11KeyConfig {
  /** The token's PKCS#11 module (shared library), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly module: string;
  /** The slot by its ID, or the token by its label: exactly one. */
  readonly slot?: number;
  readonly tokenLabel?: string;
  /** CKA_LABEL of the private key (and of its public key). */
  readonly keyLabel: string;
  /** The user PIN: from LEDGER_PKCS11_PIN, or read from LEDGER_PKCS11_PIN_FILE at start. */
  readonly pin?: string;
  readonly pinFile?: string;
}

function readPkcs11(read: EnvReader, env: Env, cwd: string): Pkcs11KeyConfig | undefined {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const module = value('LEDGER_PKCS11_MODULE');
  const others = [
    'LEDGER_PKCS11_SLOT',
    'LEDGER_PKCS11_TOKEN_LABEL',
    'LEDGER_PKCS11_KEY_LABEL',
    'LEDGER_PKCS11_PIN_FILE',
  ];
  if (module === undefined) {
    const stray = others.filter((name) => value(name) !== undefined);
    if (stray.length > 0)
      read.problems.push(`${stray.join(', ')} need LEDGER_PKCS11_MODULE (the token's PKCS#11 module)`);
    return undefined;
  }
  const slot = read.optionalInteger('LEDGER_PKCS11_SLOT', 0, Number.MAX_SAFE_INTEGER);
  const tokenLabel = value('LEDGER_PKCS11_TOKEN_LABEL');
  if ((slot === undefined) === (tokenLabel === undefined)) {
    read.problems.push(
      'with LEDGER_PKCS11_MODULE, set exactly one of LEDGER_PKCS11_SLOT and LEDGER_PKCS11_TOKEN_LABEL',
    );
  }
  const keyLabel = value('LEDGER_PKCS11_KEY_LABEL');
  if (keyLabel === undefined) read.problems.push('with LEDGER_PKCS11_MODULE, LEDGER_PKCS11_KEY_LABEL names the key');
  const pin = env.LEDGER_PKCS11_PIN === '' ? undefined : env.LEDGER_PKCS11_PIN;
  const pinFile = value('LEDGER_PKCS11_PIN_FILE');
  if ((pin === undefined) === (pinFile === undefined)) {
    read.problems.push('with LEDGER_PKCS11_MODULE, set exactly one of LEDGER_PKCS11_PIN and LEDGER_PKCS11_PIN_FILE');
  }
  return {
    module: resolve(cwd, module),
    slot,
    tokenLabel,
    keyLabel: keyLabel ?? '',
    pin,
    pinFile: pinFile === undefined ? undefined : resolve(cwd, pinFile),
  };
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const databaseUrl = read.postgresUrl('DATABASE_URL');
  const databaseOwnerUrl = read.postgresUrl('DATABASE_OWNER_URL');
  if (databaseOwnerUrl !== undefined && env.DATABASE_URL === undefined) {
    read.problems.push('DATABASE_OWNER_URL is only used together with DATABASE_URL');
  }
  const dataDir = read.string('DATA_DIR', './data');
  const ledgerKeyFile = resolve(cwd, read.string('LEDGER_KEY_FILE', join(dataDir, 'ledger-signing.key')));
  const statementTimeoutMs = read.integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const ledgerOrigin = read.keyName('LEDGER_ORIGIN', `${hostname().toLowerCase()}/custos`);
  const config: AppConfig = {
    nodeEnv,
    host: read.string('HOST', '127.0.0.1'),
    port: read.integer('PORT', 3000, 0, 65535),
    databaseUrl,
    databaseOwnerUrl: databaseOwnerUrl ?? databaseUrl,
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 20, 1, 500),
    databaseStatementTimeoutMs: statementTimeoutMs,
    // A server that has not answered 5 s after its own statement timeout would have fired is not
    // busy but gone (hung, frozen, or cut off by a network that drops packets).
    databaseQueryTimeoutMs: read.integer('DATABASE_QUERY_TIMEOUT_MS', statementTimeoutMs + 5_000, 100, 3_700_000),
    runMigrations: read.boolean('RUN_MIGRATIONS', true),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    embeddedPostgresPort: read.optionalInteger('EMBEDDED_POSTGRES_PORT', 1024, 65535),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, process.stdout.isTTY ? 'pretty' : 'json'),
    trustProxy: read.boolean('TRUST_PROXY', false),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    workers: read.integer('CUSTOS_WORKERS', 1, 1, 64),
    reportRendersMax: read.integer('REPORT_RENDERS_MAX', 2, 1, 64),
    reportRendersQueued: read.integer('REPORT_RENDERS_QUEUED', 4, 0, 1000),
    reportTempDir: resolve(cwd, read.string('REPORT_TEMP_DIR', tmpdir())),
    ledgerOrigin,
    ledgerKeyFile,
    ledgerSignedHeadFile: resolve(
      cwd,
      read.string('LEDGER_SIGNED_HEAD_FILE', join(dirname(ledgerKeyFile), 'ledger-signed-head.json')),
    ),
    ledgerPkcs11: readPkcs11(read, env, cwd),
    ledgerTsa: readTsa(read, env, cwd),
    ledgerCheckpointSeconds: read.integer('LEDGER_CHECKPOINT_SECONDS', 10, 1, 86_400),
    ledgerMonitorSeconds: read.integer('LEDGER_MONITOR_SECONDS', 5, 1, 86_400),
    ledgerMonitorSweepEntries: read.integer('LEDGER_MONITOR_SWEEP_ENTRIES', 4096, 0, 1_000_000),
    clockSkewSeconds: read.integer('CLOCK_SKEW_SECONDS', 300, 0, 86_400),
    ledgerWitnesses: [],
    ledgerWitnessQuorum: 0,
    ledgerWitnessIntervalMs: read.integer('LEDGER_WITNESS_INTERVAL_MS', 10_000, 100, 86_400_000),
    witness: {
      logs: witnessLogs(env.WITNESS_LOGS, read.problems),
      keyFile: resolve(cwd, read.string('WITNESS_KEY_FILE', join(dataDir, 'witness.key'))),
      // Derived from LEDGER_ORIGIN unless set: a wrong origin is reported once, as LEDGER_ORIGIN.
      name: env.WITNESS_NAME === undefined ? `${ledgerOrigin}/witness` : read.keyName('WITNESS_NAME', ''),
    },
    auth: {
      jwtSecretFile: resolve(cwd, read.string('JWT_SECRET_FILE', join(dataDir, 'jwt-secret'))),
      jwtSecretFileConfigured: env.JWT_SECRET_FILE !== undefined && env.JWT_SECRET_FILE.trim() !== '',
      jwtIssuer: read.string('JWT_ISSUER', 'custos'),
      jwtAudience: read.string('JWT_AUDIENCE', 'custos-api'),
      accessTokenTtlSeconds: read.integer('JWT_ACCESS_TTL_SECONDS', 900, 30, 3_600),
      refreshTokenTtlSeconds: read.integer('JWT_REFRESH_TTL_SECONDS', 43_200, 300, 2_592_000),
      bootstrapAdminPassword:
        env.CUSTOS_BOOTSTRAP_ADMIN_PASSWORD === '' ? undefined : env.CUSTOS_BOOTSTRAP_ADMIN_PASSWORD,
      throttleFreeFailures: read.integer('PASSWORD_THROTTLE_FREE_FAILURES', 3, 1, 100),
      throttleFirstDelaySeconds: read.integer('PASSWORD_THROTTLE_FIRST_DELAY_SECONDS', 2, 1, 3_600),
      throttleMaxDelaySeconds: read.integer('PASSWORD_THROTTLE_MAX_DELAY_SECONDS', 900, 1, 86_400),
      throttleForgetSeconds: read.integer('PASSWORD_THROTTLE_FORGET_SECONDS', 86_400, 1, 2_592_000),
      loginRateWindowSeconds: read.integer('LOGIN_RATE_WINDOW_SECONDS', 60, 1, 3_600),
      loginRateLimitPerIp: read.integer('LOGIN_RATE_LIMIT_PER_IP', 20, 1, 100_000),
      sessionCacheSeconds: read.integer('SESSION_CACHE_SECONDS', 60, 0, 3_600),
    },
  };
  const witnesses = ledgerWitnesses(env.LEDGER_WITNESSES, read.problems);
  const quorum =
    witnesses.length === 0 ? 0 : read.integer('LEDGER_WITNESS_QUORUM', witnesses.length, 1, witnesses.length);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return { ...config, ledgerWitnesses: witnesses, ledgerWitnessQuorum: quorum };
}

/** The injection token under which Nest providers receive the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
