import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { livePostmaster, OWNER_RECORD, RELOCATED_ROOT } from '../../src/database/embedded-clusters.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { runCli } from '../utils/cli-process.js';
import { startServiceProcess, type ServiceProcess } from '../utils/service-process.js';
import { stopService } from './support.js';

jest.setTimeout(300_000);

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** Starts and stops an embedded cluster for `dataDir`; returns the cluster's directory. */
async function initialise(dataDir: string): Promise<string> {
  const embedded = await startEmbeddedPostgres({ dataDir, logger: quiet });
  await embedded.stop();
  return embedded.clusterDir;
}

// Relocation happens only under root (PostgreSQL then runs as the `postgres` OS user, which cannot
// enter a private temporary directory); CI and the development machines run the suite as root.
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

/**
 * A DATA_DIR below a directory the postgres OS user cannot traverse keeps its cluster in
 * /var/lib/custos/embedded-clusters. Deleting the DATA_DIR must not leave the cluster behind
 * unnoticed, and a new DATA_DIR at the same path must not pick the old cluster up.
 */
asRoot('relocated clusters whose DATA_DIR is gone', () => {
  const root = mkdtempSync(join(tmpdir(), 'custos-orphans-'));
  const clusters: string[] = [];
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await stopService(service);
    for (const cluster of clusters) rmSync(cluster, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('are listed (dry run), warned about at start, removed with --remove, and `data remove` takes both', async () => {
    const first = join(root, 'first');
    const orphan = await initialise(first);
    clusters.push(orphan);
    expect(lstatSync(join(first, 'postgres')).isSymbolicLink()).toBe(true);
    expect(orphan.startsWith(`${RELOCATED_ROOT}/`)).toBe(true);
    expect(JSON.parse(readFileSync(join(orphan, OWNER_RECORD), 'utf8'))).toMatchObject({
      dataDir: realpathSync(first),
    });

    // A start that fails once PostgreSQL is up (credentials that do not match) stops it again.
    writeFileSync(
      join(first, 'postgres-credentials.json'),
      JSON.stringify({ superuserPassword: 'wrong', ownerPassword: 'wrong', appPassword: 'wrong' }),
    );
    await expect(startEmbeddedPostgres({ dataDir: first, logger: quiet })).rejects.toThrow(
      'password authentication failed',
    );
    expect(livePostmaster(orphan)).toBeUndefined();

    rmSync(first, { recursive: true });
    // A new DATA_DIR at the same path gets a cluster of its own, not the one left behind.
    const again = await initialise(first);
    clusters.push(again);
    expect(again).not.toBe(orphan);
    rmSync(first, { recursive: true });

    const dryRun = await runCli(['data', 'orphans'], {});
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain(`orphaned    ${orphan}`);
    expect(dryRun.stdout).toContain(`orphaned    ${again}`);
    expect(dryRun.stdout).toContain(`DATA_DIR ${realpathSync(root)}/first (gone)`);
    expect(dryRun.stdout).toContain('dry run: nothing removed');
    expect(existsSync(orphan) && existsSync(again)).toBe(true);

    // The service's start says so.
    const second = join(root, 'second');
    // initdb and every migration first: on a busy machine that takes longer than the usual 45 s.
    service = startServiceProcess(
      { DATA_DIR: second, LEDGER_ORIGIN: 'test.custos.invalid/orphans', NODE_ENV: 'test' },
      180_000,
    );
    await service.listening;
    const inUse = realpathSync(join(second, 'postgres'));
    clusters.push(inUse);
    expect(service.output()).toContain('belong to a DATA_DIR that is gone');
    expect(service.output()).toContain(orphan);

    // A DATA_DIR a running service holds is not removed.
    const refused = await runCli(['data', 'remove', second], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is in use by another Custos process');
    expect(existsSync(join(second, 'postgres-credentials.json')) && existsSync(inUse)).toBe(true);
    await stopService(service);

    const removed = await runCli(['data', 'orphans', '--remove'], {});
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`removed ${orphan}`);
    expect(removed.stdout).toContain(`removed ${again}`);
    expect(existsSync(orphan) || existsSync(again)).toBe(false);
    expect(existsSync(inUse)).toBe(true); // its DATA_DIR still links to it

    // What is not a DATA_DIR is refused; a DATA_DIR goes with its cluster.
    const notDataDir = await runCli(['data', 'remove', root], {});
    expect(notDataDir.code).toBe(1);
    expect(notDataDir.stderr).toContain('does not look like a Custos DATA_DIR');
    expect(existsSync(root)).toBe(true);
    const both = await runCli(['data', 'remove', second], {});
    expect(both.code).toBe(0);
    expect(both.stdout).toContain(`removed its cluster ${inUse}`);
    expect(existsSync(second) || existsSync(inUse)).toBe(false);
  });
});
