import { resolve } from 'node:path';

import {
  diskUsage,
  findOrphans,
  formatBytes,
  RELOCATED_ROOT,
  removeDataDir,
  removeOrphans,
  type RelocatedCluster,
} from './embedded-clusters.js';

export const DATA_USAGE = `  data orphans [--remove] [--unrecorded]
                      list the embedded clusters under ${RELOCATED_ROOT} whose DATA_DIR is gone
                      (dry run); --remove deletes them, --unrecorded also those that record no
                      DATA_DIR (made by an older Custos: be sure none is still in use).
  data remove <dir>   delete a DATA_DIR together with its relocated cluster (refused while a
                      Custos process holds it).
`;

interface CommandIo {
  out(message: string): void;
  err(message: string): void;
}

function describe(cluster: RelocatedCluster): string {
  const owner = cluster.dataDir === undefined ? 'no DATA_DIR recorded' : `DATA_DIR ${cluster.dataDir} (gone)`;
  const running =
    cluster.postmasterPid === undefined ? '' : `; PostgreSQL pid ${cluster.postmasterPid} still runs on it`;
  return `${cluster.path}  ${formatBytes(diskUsage(cluster.path))}  ${owner}${running}`;
}

/** `custos data orphans` and `custos data remove`. */
export function runDataCommand(argv: readonly string[], io: CommandIo): number {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'orphans') {
    const unknown = rest.filter((arg) => arg !== '--remove' && arg !== '--unrecorded');
    if (unknown.length > 0)
      throw new Error(`unknown argument "${unknown[0]}" (usage: custos data orphans [--remove] [--unrecorded])`);
    const remove = rest.includes('--remove');
    const unrecordedToo = rest.includes('--unrecorded');
    const { orphaned, unrecorded } = findOrphans();
    if (!remove) {
      if (orphaned.length === 0) io.out(`no orphaned clusters under ${RELOCATED_ROOT}`);
      for (const cluster of orphaned) io.out(`orphaned    ${describe(cluster)}`);
      for (const cluster of unrecorded) io.out(`unrecorded  ${describe(cluster)}`);
      if (orphaned.length + unrecorded.length > 0) {
        io.out(`dry run: nothing removed; add --remove${unrecorded.length > 0 ? ' (and --unrecorded)' : ''} to delete`);
      }
      return 0;
    }
    const removed = removeOrphans({ unrecorded: unrecordedToo });
    for (const { cluster, bytes } of removed) io.out(`removed ${cluster.path} (${formatBytes(bytes)})`);
    const kept = [...orphaned, ...(unrecordedToo ? unrecorded : [])].filter((c) => c.postmasterPid !== undefined);
    for (const cluster of kept) io.err(`kept ${describe(cluster)}: stop that PostgreSQL first`);
    const total = removed.reduce((sum, r) => sum + r.bytes, 0);
    io.out(`removed ${removed.length} cluster(s), ${formatBytes(total)}`);
    return kept.length > 0 ? 1 : 0;
  }
  if (subcommand === 'remove' && rest.length === 1) {
    const removed = removeDataDir(resolve(rest[0]));
    io.out(`removed DATA_DIR ${removed.dataDir}`);
    if (removed.cluster !== undefined) io.out(`removed its cluster ${removed.cluster}`);
    return 0;
  }
  throw new Error(`usage:\n${DATA_USAGE}`);
}
