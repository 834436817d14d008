// One of several processes appending to one ledger at once (test/integration/ledger-concurrency).
// Runs the built service code (npm test builds first): LedgerService and CheckpointService exactly
// as the service uses them, each append in its own transaction.
// argv: <databaseUrl> <keyFile> <worker> <appends> <concurrency>
import { dirname, join } from 'node:path';

import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../dist/src/database/data-source.js';
import { CheckpointService } from '../../dist/src/ledger/checkpoint.service.js';
import { loadOrCreateLedgerKey } from '../../dist/src/ledger/ledger-key.js';
import { LedgerService } from '../../dist/src/ledger/ledger.service.js';

const [url, keyFile, worker, appends, concurrency] = process.argv.slice(2);
const origin = 'test.custos.invalid/ledger';
const dataSource = new DataSource(dataSourceOptions({ url, poolSize: Number(concurrency) + 1 }));
await dataSource.initialize();
const ledger = new LedgerService(dataSource);
const key = loadOrCreateLedgerKey(keyFile, origin, { warn: () => undefined });
const checkpoints = new CheckpointService(dataSource, ledger, key, {
  ledgerOrigin: origin,
  ledgerCheckpointSeconds: 3600,
  // Shared by every worker, as by processes sharing one DATA_DIR.
  ledgerSignedHeadFile: join(dirname(keyFile), 'ledger-signed-head.json'),
});
const ctx = { actor: null, requestId: `worker-${worker}`, ip: null };

let next = 0;
async function lane() {
  for (;;) {
    const n = next++;
    if (n >= Number(appends)) return;
    await ledger.write((em) =>
      ledger.append(em, ctx, {
        type: 'test.appended',
        actor: null,
        subject: { type: 'worker', id: String(worker), number: `W${worker}-${n}` },
        data: { worker: Number(worker), n },
      }),
    );
    if (n % 100 === 99) await checkpoints.checkpointNow();
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, lane));
await checkpoints.checkpointNow();
await dataSource.destroy();
