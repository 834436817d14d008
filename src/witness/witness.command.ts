import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

import { isValidKeyName } from '../ledger/core/index.js';
import { loadOrCreateWitnessKey } from './witness-key.js';
import { createWitnessServer } from './witness-server.js';
import { FileWitnessStore } from './witness-store.js';
import { Witness, type WitnessedLog } from './witness.js';

export const WITNESS_USAGE = `  witness serve --data-dir <dir> --port <n> --log <origin>=<vkey> [--log …] [--name <name>] [--host <addr>]
                      run a C2SP tlog-witness: cosigns checkpoints of the given logs (POST
                      /add-checkpoint), keeping its key (0600) and its state in <dir>; prints its
                      verifier key on a line of its own. No database needed.
`;

interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  name: string;
  logs: WitnessedLog[];
}

function parseServeArgs(args: readonly string[]): ServeOptions {
  let dataDir: string | undefined;
  let port: number | undefined;
  let host = '127.0.0.1';
  let name = `${hostname()}/custos-witness`;
  const logs = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--data-dir':
        dataDir = resolve(value);
        break;
      case '--port':
        if (!/^[0-9]+$/.test(value) || Number(value) > 65535) throw new Error(`--port ${value} is not a port`);
        port = Number(value);
        break;
      case '--host':
        host = value;
        break;
      case '--name':
        name = value;
        break;
      case '--log': {
        const at = value.indexOf('=');
        if (at <= 0) throw new Error(`--log ${value}: expected <origin>=<vkey>`);
        const origin = value.slice(0, at);
        logs.set(origin, [...(logs.get(origin) ?? []), value.slice(at + 1)]);
        break;
      }
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (!dataDir) throw new Error('--data-dir is required');
  if (port === undefined) throw new Error('--port is required (0 picks a free one)');
  if (logs.size === 0) throw new Error('at least one --log <origin>=<vkey> is required');
  if (!isValidKeyName(name)) throw new Error(`--name ${JSON.stringify(name)} is not a valid key name`);
  return { dataDir, port, host, name, logs: [...logs].map(([origin, verifierKeys]) => ({ origin, verifierKeys })) };
}

/**
 * `custos witness serve`: a standalone witness. Its first stdout line is its vkey alone; then one
 * line `listening on <url>`; then one JSON line per answer on stderr. Stops on SIGINT/SIGTERM.
 */
export async function runWitnessCommand(args: readonly string[]): Promise<number> {
  if (args[0] !== 'serve') {
    process.stderr.write(`usage:\n${WITNESS_USAGE}`);
    return 64;
  }
  let options: ServeOptions;
  try {
    options = parseServeArgs(args.slice(1));
  } catch (error) {
    process.stderr.write(`custos witness serve: ${(error as Error).message}\n\nusage:\n${WITNESS_USAGE}`);
    return 64;
  }
  const warn = (message: string): void => {
    process.stderr.write(`${JSON.stringify({ level: 'warn', msg: message })}\n`);
  };
  const cosigner = loadOrCreateWitnessKey(join(options.dataDir, 'witness.key'), options.name, warn);
  const witness = new Witness(cosigner, new FileWitnessStore(options.dataDir), options.logs);
  const server = createWitnessServer(witness, (answer) => {
    const level = answer.status === 200 ? 'info' : 'warn';
    const { status, origin } = answer;
    const detail = answer.status === 200 ? { treeSize: answer.treeSize } : { code: answer.code, msg: answer.message };
    process.stderr.write(`${JSON.stringify({ level, event: 'witness.add_checkpoint', status, origin, ...detail })}\n`);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  process.stdout.write(`${cosigner.verifierKey}\nlistening on http://${options.host}:${port}\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      server.close(() => done());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
