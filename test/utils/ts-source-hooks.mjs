/**
 * Module hooks that let a worker thread run the service's TypeScript sources, as Jest does with
 * SWC in the main thread: `./x.js` resolves to `./x.ts` beside it, and `.ts` files are compiled
 * with the repository's .swcrc. Registered only by workers started from the sources
 * (src/common/worker-module.ts); the built service's workers load `dist/` JavaScript.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import swc from '@swc/core';

const swcrc = JSON.parse(readFileSync(new URL('../../.swcrc', import.meta.url), 'utf8'));

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(ts)) return { url: ts.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const { code } = await swc.transform(readFileSync(filename, 'utf8'), { ...swcrc, swcrc: false, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
