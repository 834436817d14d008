import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vite';

/**
 * The web app's build (ADR 0070): React through Vite's own JSX transform (oxc, automatic runtime),
 * no plugins, everything bundled into dist/web — no external fetches, no inline scripts (the
 * service's CSP is script-src 'self'). `npm run build` runs it after compiling the service with tsc.
 */
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Module preload polyfill would be an inline-free script too, but modern browsers need none.
    modulePreload: { polyfill: false },
  },
});
