// Jest runs in ESM mode (`node --experimental-vm-modules`): NestJS 12 ships ESM only.
// TypeScript is compiled by SWC with legacy decorators and decorator metadata, as tsc does for the build.
import { readFileSync } from 'node:fs';

const swcrc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  // Sources import siblings as `./x.js` (NodeNext); map those back to the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  globalSetup: '<rootDir>/test/utils/global-setup.mjs',
  globalTeardown: '<rootDir>/test/utils/global-teardown.mjs',
  testTimeout: 30_000,
  // Two workers: most of a test's time is PostgreSQL, Argon2 or a child service process, so two
  // suites at once use the two cores of our machines better than one (9.4 → 7.5 min measured).
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // Crashes, database outages, several processes, hostile input (docs/resilience.md).
    { ...shared, displayName: 'resilience', testMatch: ['<rootDir>/test/resilience/**/*.res-spec.ts'] },
    // The web app in Debian's Chromium through Playwright: the issue #8 story end to end (docs/web-app.md).
    { ...shared, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};
