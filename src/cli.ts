/**
 * The `custos` command line (`npm run custos -- <command>`, or `node dist/src/cli.js <command>`).
 *
 * `verify` checks a custody bundle offline: it is dispatched before anything else is imported, so
 * it loads neither Nest nor TypeORM nor pg (nor reads .env) and runs on a machine with no database
 * and no node_modules. Every other command (cli-commands.ts) works on the database with the
 * service's configuration.
 */
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv[0] === 'verify') {
  try {
    const { runBundleVerify } = await import('./bundles/bundle-verify.command.js');
    process.exitCode = await runBundleVerify(argv.slice(1));
  } catch (error) {
    process.stderr.write(`custos verify: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
} else if (argv[0] === 'witness') {
  // A standalone C2SP witness: no database, no Nest, no .env.
  const { runWitnessCommand } = await import('./witness/witness.command.js');
  process.exitCode = await runWitnessCommand(argv.slice(1));
} else if (argv[0] === 'verify-report') {
  // Asks the service over HTTP whether it issued a report file: no database, no Nest either.
  const { runReportVerify } = await import('./reports/report-verify.command.js');
  process.exitCode = await runReportVerify(argv.slice(1));
} else {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { runCommand } = await import('./cli-commands.js');
  process.exitCode = await runCommand(argv);
}
