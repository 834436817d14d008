/**
 * Transfers (issue 7, scenario 2): release + accept round trips per second, both signed (the
 * signer's password is checked with Argon2id on each), TRANSFER_LANES concurrent lanes, each
 * bouncing its own item between two officers of one agency for BENCH_SECONDS (default 20).
 * Argon2 is part of the product, so its cost is measured on its own in the same run: one verify
 * with the service's parameters, alone (latency) and from as many concurrent callers as the lanes
 * (the machine's Argon2 capacity). Baseline: the round trips per second Argon2 alone would allow
 * (two verifies per round trip); the ratio says how close the service comes to that ceiling.
 * Usage: npm run bench -- transfers
 */
import { ARGON2_PARAMETERS, hashPassword, verifyPassword } from '../src/identity/passwords/password-hasher.js';
import { caseWithItems } from './custody-fixtures.js';
import {
  BenchApi,
  benchDatabase,
  benchSeconds,
  closedLoop,
  postgresVersion,
  ratio,
  seedUsers,
  startService,
  throughput,
  type BenchUser,
  type SummaryRow,
} from './support.js';

const LANES = 8;

async function argon2Cost(
  seconds: number,
): Promise<{ singleMs: number; concurrentPerSecond: number; concurrency: number }> {
  const password = 'correct horse battery staple 42';
  const hash = await hashPassword(password);
  for (let i = 0; i < 3; i++) await verifyPassword(hash, password); // warm-up
  const single = throughput(
    await closedLoop(1, Math.min(seconds, 5) * 1000, async () => {
      if (!(await verifyPassword(hash, password))) throw new Error('argon2 verify failed');
    }),
  );
  const concurrent = throughput(
    await closedLoop(LANES, Math.min(seconds, 5) * 1000, async () => {
      if (!(await verifyPassword(hash, password))) throw new Error('argon2 verify failed');
    }),
  );
  return { singleMs: single.p50ms, concurrentPerSecond: concurrent.perSecond, concurrency: LANES };
}

export async function transfersBenchmark(): Promise<Record<string, unknown>> {
  const seconds = benchSeconds(20);
  const database = await benchDatabase();
  const service = await startService(database);
  try {
    const users = await seedUsers(database.appUrl, [
      {
        code: 'ES-PN',
        users: [
          { username: 'officer.one', displayName: 'Ana Morales Ruiz', role: 'officer' },
          { username: 'officer.two', displayName: 'David Serrano Vidal', role: 'officer' },
        ],
      },
    ]);
    const api = new BenchApi(service.url);
    const tokens = new Map<string, string>();
    for (const user of users) tokens.set(user.username, await api.login(user));
    const { items } = await caseWithItems(api, tokens.get(users[0].username)!, 'OP-BENCH-TRANSFERS', LANES);
    const holder: BenchUser[] = items.map(() => users[0]);

    /** One round trip: the holder of the lane's item releases it to the other officer, who accepts it. */
    const roundTrip = async (lane: number): Promise<void> => {
      const from = holder[lane];
      const to = from === users[0] ? users[1] : users[0];
      const transfer = await api.call<{ id: string }>(tokens.get(from.username)!, 'POST', '/api/v1/transfers', {
        itemIds: [items[lane].id],
        to: to.username,
        purpose: 'Forensic examination',
        signature: { password: from.password, meaning: 'released' },
      });
      await api.call(tokens.get(to.username)!, 'POST', `/api/v1/transfers/${transfer.id}/accept`, {
        items: [{ itemId: items[lane].id, sealIntact: true }],
        signature: { password: to.password, meaning: 'received' },
      });
      holder[lane] = to;
    };

    process.stderr.write('transfers: Argon2 verify cost…\n');
    const argon2 = await argon2Cost(seconds);
    process.stderr.write('transfers: one lane (latency of a round trip)…\n');
    const serial = throughput(await closedLoop(1, Math.min(seconds, 5) * 1000, roundTrip));
    process.stderr.write(`transfers: ${LANES} lanes for ${seconds} s…\n`);
    const loaded = throughput(await closedLoop(LANES, seconds * 1000, roundTrip));
    const argon2Ceiling = Math.round(argon2.concurrentPerSecond / 2);
    const argon2ShareOfRoundTrip = Number(((2 * argon2.singleMs) / serial.p50ms).toFixed(3));
    const argon2ShareUnderLoad = Number(((2 * loaded.perSecond) / argon2.concurrentPerSecond).toFixed(3));
    const [{ count }] = (
      await database.query<{ count: string }>(
        `SELECT count(*) AS count FROM ledger_entry WHERE type = 'transfer.accepted'`,
      )
    ).rows;

    const summary: SummaryRow[] = [
      {
        measure: `signed release + accept round trips, ${LANES} lanes`,
        custos: `${loaded.perSecond}/s, p50 ${loaded.p50ms} ms, p99 ${loaded.p99ms} ms`,
        baseline: `Argon2 alone allows ${argon2Ceiling}/s (${argon2.concurrentPerSecond} verifies/s, 2 per trip)`,
        ratio: ratio(loaded.perSecond, argon2Ceiling),
        target: 'report (Argon2 share)',
        met: null,
      },
      {
        measure: 'Argon2 share of a round trip',
        custos: `${Math.round(argon2ShareOfRoundTrip * 100)} % alone (2 × ${argon2.singleMs} ms of ${serial.p50ms} ms); ${Math.round(argon2ShareUnderLoad * 100)} % of capacity under load`,
        baseline: '—',
        ratio: null,
        target: 'report',
        met: null,
      },
    ];
    return {
      settings: {
        postgres: await postgresVersion(database.appUrl),
        connections: LANES,
        seconds,
        itemsPerTransfer: 1,
        service: service.settings,
        argon2: {
          ...ARGON2_PARAMETERS,
          type: 'argon2id',
          libuvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
        },
      },
      summary,
      argon2Verify: { ...argon2, roundTripsPerSecondCeiling: argon2Ceiling },
      roundTripOneLane: serial,
      roundTrips: { ...loaded, ratioToArgon2Ceiling: ratio(loaded.perSecond, argon2Ceiling) },
      argon2Share: { ofOneRoundTrip: argon2ShareOfRoundTrip, ofCapacityUnderLoad: argon2ShareUnderLoad },
      acceptedTransfers: Number(count),
    };
  } finally {
    await service.stop();
    await database.close();
  }
}
