import { join } from 'node:path';

import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/custos');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('has working defaults for a newcomer: embedded database in ./data, port 3000, loopback only', () => {
    const config = loadConfig({}, '/srv/custos');
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '/srv/custos/data',
      runMigrations: true,
      logLevel: 'info',
      ledgerKeyFile: '/srv/custos/data/ledger-signing.key',
      ledgerSignedHeadFile: '/srv/custos/data/ledger-signed-head.json',
      ledgerCheckpointSeconds: 10,
      clockSkewSeconds: 300,
      databaseStatementTimeoutMs: 30_000,
      databaseQueryTimeoutMs: 35_000,
    });
    expect(config.ledgerOrigin).toMatch(/^[^\s+]+\/custos$/);
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        PORT: '8080',
        DATABASE_URL: 'postgres://custos_app:pw@db.internal:5432/custos',
        DATABASE_OWNER_URL: 'postgresql://custos_owner:pw@db.internal:5432/custos',
        DATABASE_POOL_SIZE: '40',
        DATABASE_STATEMENT_TIMEOUT_MS: '5000',
        DATABASE_QUERY_TIMEOUT_MS: '7000',
        RUN_MIGRATIONS: 'false',
        DATA_DIR: '/var/lib/custos',
        EMBEDDED_POSTGRES_PORT: '55432',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        TRUST_PROXY: 'true',
        SHUTDOWN_TIMEOUT_MS: '20000',
        CUSTOS_WORKERS: '2',
        LEDGER_ORIGIN: 'ledger.policia.example.es/custos',
        LEDGER_KEY_FILE: '/etc/custos/ledger.key',
        LEDGER_CHECKPOINT_SECONDS: '30',
        CLOCK_SKEW_SECONDS: '120',
        JWT_SECRET_FILE: '/etc/custos/jwt-secret',
        JWT_ISSUER: 'custos.policia.example.es',
        JWT_AUDIENCE: 'custos-api-es',
        JWT_ACCESS_TTL_SECONDS: '300',
        JWT_REFRESH_TTL_SECONDS: '28800',
        CUSTOS_BOOTSTRAP_ADMIN_PASSWORD: 'a long bootstrap passphrase',
        PASSWORD_THROTTLE_FREE_FAILURES: '4',
        PASSWORD_THROTTLE_FIRST_DELAY_SECONDS: '5',
        PASSWORD_THROTTLE_MAX_DELAY_SECONDS: '600',
        PASSWORD_THROTTLE_FORGET_SECONDS: '3600',
        LOGIN_RATE_WINDOW_SECONDS: '120',
        LOGIN_RATE_LIMIT_PER_IP: '50',
        SESSION_CACHE_SECONDS: '0',
        REPORT_RENDERS_MAX: '3',
        REPORT_RENDERS_QUEUED: '0',
        REPORT_TEMP_DIR: '/var/tmp/custos-reports',
      },
      '/srv/custos',
    );
    expect(config).toEqual({
      nodeEnv: 'production',
      host: '0.0.0.0',
      port: 8080,
      databaseUrl: 'postgres://custos_app:pw@db.internal:5432/custos',
      databaseOwnerUrl: 'postgresql://custos_owner:pw@db.internal:5432/custos',
      databasePoolSize: 40,
      databaseStatementTimeoutMs: 5000,
      databaseQueryTimeoutMs: 7000,
      runMigrations: false,
      dataDir: '/var/lib/custos',
      embeddedPostgresPort: 55432,
      logLevel: 'debug',
      logFormat: 'json',
      trustProxy: true,
      shutdownTimeoutMs: 20000,
      workers: 2,
      reportRendersMax: 3,
      reportRendersQueued: 0,
      reportTempDir: '/var/tmp/custos-reports',
      ledgerOrigin: 'ledger.policia.example.es/custos',
      ledgerKeyFile: '/etc/custos/ledger.key',
      ledgerSignedHeadFile: '/etc/custos/ledger-signed-head.json',
      ledgerCheckpointSeconds: 30,
      ledgerMonitorSeconds: 5,
      ledgerMonitorSweepEntries: 4096,
      ledgerWitnesses: [],
      ledgerWitnessQuorum: 0,
      ledgerWitnessIntervalMs: 10000,
      witness: { logs: [], keyFile: '/var/lib/custos/witness.key', name: 'ledger.policia.example.es/custos/witness' },
      clockSkewSeconds: 120,
      auth: {
        jwtSecretFile: '/etc/custos/jwt-secret',
        jwtSecretFileConfigured: true,
        jwtIssuer: 'custos.policia.example.es',
        jwtAudience: 'custos-api-es',
        accessTokenTtlSeconds: 300,
        refreshTokenTtlSeconds: 28800,
        bootstrapAdminPassword: 'a long bootstrap passphrase',
        throttleFreeFailures: 4,
        throttleFirstDelaySeconds: 5,
        throttleMaxDelaySeconds: 600,
        throttleForgetSeconds: 3600,
        loginRateWindowSeconds: 120,
        loginRateLimitPerIp: 50,
        sessionCacheSeconds: 0,
      },
    });
  });

  it('has identity defaults: 15-minute access tokens, 12-hour sessions, delays after 3 failures up to 15 minutes', () => {
    expect(loadConfig({}, '/srv/custos').auth).toEqual({
      jwtSecretFile: '/srv/custos/data/jwt-secret',
      jwtSecretFileConfigured: false,
      jwtIssuer: 'custos',
      jwtAudience: 'custos-api',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 43200,
      bootstrapAdminPassword: undefined,
      throttleFreeFailures: 3,
      throttleFirstDelaySeconds: 2,
      throttleMaxDelaySeconds: 900,
      throttleForgetSeconds: 86400,
      loginRateWindowSeconds: 60,
      loginRateLimitPerIp: 20,
      sessionCacheSeconds: 60,
    });
  });

  it('uses DATABASE_URL for migrations when no owner URL is given', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h/custos' });
    expect(config.databaseOwnerUrl).toBe('postgres://u@h/custos');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535 (got "70000")'],
    [{ PORT: '-1' }, 'PORT must be an integer from 0 to 65535 (got "-1")'],
    [{ PORT: '80.5' }, 'PORT must be an integer from 0 to 65535 (got "80.5")'],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be one of json, pretty (got "xml")'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV must be one of development, production, test (got "staging")'],
    [{ RUN_MIGRATIONS: 'maybe' }, 'RUN_MIGRATIONS must be true or false (got "maybe")'],
    [{ DATABASE_URL: 'mysql://root@localhost/custos' }, 'DATABASE_URL must use the postgres:// scheme (got "mysql:")'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL must be a URL like postgres://user:password@host:5432/database'],
    [
      { DATABASE_URL: 'postgres://user@host' },
      'DATABASE_URL must name a host and a database, like postgres://user@host:5432/custos',
    ],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE must be an integer from 1 to 500 (got "0")'],
    [{ REPORT_RENDERS_MAX: '0' }, 'REPORT_RENDERS_MAX must be an integer from 1 to 64 (got "0")'],
    [{ EMBEDDED_POSTGRES_PORT: '80' }, 'EMBEDDED_POSTGRES_PORT must be an integer from 1024 to 65535 (got "80")'],
    [{ DATABASE_OWNER_URL: 'postgres://o@h/custos' }, 'DATABASE_OWNER_URL is only used together with DATABASE_URL'],
    [
      { LEDGER_ORIGIN: 'my ledger' },
      `LEDGER_ORIGIN must be printable ASCII without spaces or '+', like custos.example.org/ledger (got "my ledger")`,
    ],
    [
      { LEDGER_ORIGIN: 'a+b' },
      `LEDGER_ORIGIN must be printable ASCII without spaces or '+', like custos.example.org/ledger (got "a+b")`,
    ],
    [{ LEDGER_CHECKPOINT_SECONDS: '0' }, 'LEDGER_CHECKPOINT_SECONDS must be an integer from 1 to 86400 (got "0")'],
    [{ JWT_ACCESS_TTL_SECONDS: '5' }, 'JWT_ACCESS_TTL_SECONDS must be an integer from 30 to 3600 (got "5")'],
    [
      { JWT_REFRESH_TTL_SECONDS: 'long' },
      'JWT_REFRESH_TTL_SECONDS must be an integer from 300 to 2592000 (got "long")',
    ],
    [
      { PASSWORD_THROTTLE_FREE_FAILURES: '0' },
      'PASSWORD_THROTTLE_FREE_FAILURES must be an integer from 1 to 100 (got "0")',
    ],
    [
      { PASSWORD_THROTTLE_MAX_DELAY_SECONDS: '0' },
      'PASSWORD_THROTTLE_MAX_DELAY_SECONDS must be an integer from 1 to 86400 (got "0")',
    ],
    [{ LOGIN_RATE_WINDOW_SECONDS: '0' }, 'LOGIN_RATE_WINDOW_SECONDS must be an integer from 1 to 3600 (got "0")'],
    [{ LOGIN_RATE_LIMIT_PER_IP: '0' }, 'LOGIN_RATE_LIMIT_PER_IP must be an integer from 1 to 100000 (got "0")'],
    [
      { PASSWORD_THROTTLE_FORGET_SECONDS: 'x' },
      'PASSWORD_THROTTLE_FORGET_SECONDS must be an integer from 1 to 2592000 (got "x")',
    ],
  ])('refuses %j naming the variable', (env, message) => {
    expect(problemsOf(env)).toEqual([message]);
  });

  it('reports every wrong variable at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', TRUST_PROXY: 'perhaps' })).toEqual([
      'PORT must be an integer from 0 to 65535 (got "x")',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'TRUST_PROXY must be true or false (got "perhaps")',
    ]);
  });

  it('puts the variable names in the error message shown at boot', () => {
    expect(() => loadConfig({ PORT: 'x' })).toThrow(/Invalid configuration:\n {2}- PORT must be/);
  });

  it('requires LEDGER_TSA_CA_FILE with LEDGER_TSA_URL, readable and holding a certificate', () => {
    expect(problemsOf({ LEDGER_TSA_URL: 'http://tsa.example/tsr' })).toEqual([
      "with LEDGER_TSA_URL, LEDGER_TSA_CA_FILE must name a PEM file of the TSA's CA certificate(s)",
    ]);
    expect(problemsOf({ LEDGER_TSA_CA_FILE: 'ca.pem' })).toEqual([
      'LEDGER_TSA_CA_FILE needs LEDGER_TSA_URL (the time-stamping authority)',
    ]);
    expect(problemsOf({ LEDGER_TSA_URL: 'ftp://tsa.example', LEDGER_TSA_CA_FILE: '/nonexistent/ca.pem' })).toEqual([
      'LEDGER_TSA_URL must be an http(s) URL of an RFC 3161 time-stamping authority (got "ftp://tsa.example")',
      "LEDGER_TSA_CA_FILE /nonexistent/ca.pem cannot be read: ENOENT: no such file or directory, open '/nonexistent/ca.pem'",
    ]);
    const notPem = join(process.cwd(), 'package.json');
    expect(problemsOf({ LEDGER_TSA_URL: 'http://tsa.example', LEDGER_TSA_CA_FILE: notPem })).toEqual([
      `LEDGER_TSA_CA_FILE ${notPem} holds no PEM certificate`,
    ]);
    expect(loadConfig({}).ledgerTsa).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '  ' }).port).toBe(3000);
  });
});
