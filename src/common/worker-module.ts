import { fileURLToPath } from 'node:url';

/** How to start a worker thread on a module of the service (piscina's `filename` and `execArgv`). */
export interface WorkerModule {
  readonly filename: string;
  readonly execArgv: string[];
}

/**
 * The worker module `name` beside the module `from` (its `import.meta.url`). The built service
 * loads `dist/…/name.js`. Run from its TypeScript sources (Jest compiles them with SWC in the main
 * thread only), the worker loads `name.ts` through test/utils/ts-source-hooks.mjs, which compiles
 * it the same way — so tests exercise the worker code they see, not a stale build (ADR 0063).
 */
export function workerModule(from: string, name: string): WorkerModule {
  if (!from.endsWith('.ts')) return { filename: fileURLToPath(new URL(`./${name}.js`, from)), execArgv: [] };
  const hooks = new URL('../../test/utils/ts-source-hooks.mjs', new URL('.', import.meta.url));
  const register = `import { register } from 'node:module'; register(${JSON.stringify(hooks.href)});`;
  return {
    filename: fileURLToPath(new URL(`./${name}.ts`, from)),
    execArgv: ['--import', `data:text/javascript,${encodeURIComponent(register)}`],
  };
}
