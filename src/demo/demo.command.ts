import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { createApp } from '../app.js';
import type { CaseView } from '../cases/cases.service.js';
import { createRootLogger } from '../common/logging.js';
import { systemContext } from '../common/request-context.js';
import type { AppConfig } from '../config/config.js';
import type { ItemView } from '../custody/item-records.js';
import type { TransferView } from '../custody/transfers.service.js';
import { dataSourceOptions } from '../database/data-source.js';
import { runMigrations } from '../database/migrate.js';
import { findAgencyByCode, insertAgency } from '../identity/agencies/agencies.service.js';
import { generatePassword } from '../identity/passwords/password-hasher.js';
import { passwordProblem } from '../identity/passwords/password-policy.js';
import { insertUser, userSubject } from '../identity/users/users.service.js';
import {
  DEMO_AGENCIES,
  DEMO_USERS,
  demoDigest,
  demoHashes,
  LAB,
  localTime,
  madridSearch,
  mareAltaCase,
  PLATFORM_ADMIN,
  portoSearch,
  seizurePayload,
  telaranaCase,
  U,
  whatTheySee,
  ZONES,
  type DemoFacts,
  type DemoSearch,
  type DemoUser,
} from './demo-scenario.js';

export const DEMO_USAGE = `  demo                fill an EMPTY database with a multi-country demo operation (agencies, users of
                      every role, cases, seizures, signed transfers, hashes) and print the logins
`;

export interface DemoOutput {
  out(message: string): void;
  err(message: string): void;
}

export interface DemoDatabase {
  readonly ownerUrl: string;
  readonly appUrl: string;
}

/** A demo user and the password it was given (null: an existing platform administrator, left alone). */
interface Account extends DemoUser {
  readonly password: string | null;
}

// ---------------------------------------------------------------------------------------------
// Agencies and users: written directly, as `custos agency create` / `user create` do

const DEMO_LOCK = 'custos:demo';

type Seeded = { refused: string } | { accounts: Account[]; reusedAgencies: string[] };

function demoPassword(user: DemoUser): string {
  for (;;) {
    const password = generatePassword();
    if (passwordProblem(password, { username: user.username, displayName: user.displayName }) === undefined)
      return password;
  }
}

async function seedIdentities(appUrl: string): Promise<Seeded> {
  const dataSource = new DataSource(dataSourceOptions({ url: appUrl, poolSize: 1, applicationName: 'custos-demo' }));
  await dataSource.initialize();
  try {
    const accessLog = new AccessLogService(dataSource);
    const ctx = systemContext('demo');
    return await dataSource.transaction(async (em: EntityManager): Promise<Seeded> => {
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DEMO_LOCK]);
      const [{ cases, workers }] = await em.query<Array<{ cases: number; workers: number }>>(
        `SELECT (SELECT count(*)::int FROM case_file) AS cases,
                (SELECT count(*)::int FROM user_account WHERE roles <> ARRAY['admin']::text[]) AS workers`,
      );
      if (cases > 0 || workers > 0) {
        return {
          refused:
            `the database already has ${cases} case(s) and ${workers} user(s) other than administrators: ` +
            'the demo fills an empty database only, and has changed nothing. ' +
            'Run it on a fresh one, e.g. `DATA_DIR=$(mktemp -d) npm run custos -- demo`.',
        };
      }
      const agencies = new Map<string, string>();
      const reusedAgencies: string[] = [];
      for (const spec of DEMO_AGENCIES) {
        const existing = await findAgencyByCode(em, spec.code);
        if (existing !== undefined) {
          agencies.set(spec.code, existing.id);
          reusedAgencies.push(spec.code);
          continue;
        }
        const agency = await insertAgency(em, spec);
        agencies.set(spec.code, agency.id);
        await accessLog.record(
          ctx,
          {
            event: 'agency.create',
            outcome: 'success',
            subject: { type: 'agency', id: agency.id, label: agency.code, agencyId: agency.id },
            details: { via: 'custos demo' },
          },
          em,
        );
      }
      const [{ exists: adminExists }] = await em.query<Array<{ exists: boolean }>>(
        `SELECT EXISTS (SELECT 1 FROM user_account WHERE platform_admin OR lower(username) = $1) AS exists`,
        [PLATFORM_ADMIN.username],
      );
      const accounts: Account[] = [];
      for (const spec of adminExists ? DEMO_USERS : [...DEMO_USERS, PLATFORM_ADMIN]) {
        const password = demoPassword(spec);
        const platformAdmin = spec.agency === null;
        const user = await insertUser(em, {
          username: spec.username,
          displayName: spec.displayName,
          agencyId: spec.agency === null ? null : agencies.get(spec.agency)!,
          roles: [spec.role],
          platformAdmin,
          password,
          // Demo users sign from their first login (docs/design.md §3 refuses signatures with a password set by someone else).
          mustChangePassword: false,
        });
        await accessLog.record(
          ctx,
          {
            event: 'user.create',
            outcome: 'success',
            subject: userSubject(user),
            details: { via: 'custos demo', roles: [spec.role], platformAdmin },
          },
          em,
        );
        accounts.push({ ...spec, password });
      }
      if (adminExists) accounts.push({ ...PLATFORM_ADMIN, password: null });
      return { accounts, reusedAgencies };
    });
  } finally {
    await dataSource.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The HTTP API, as any client drives it

/** The API refused a step of the story: the problem document says why. */
export class DemoStepRefusedError extends Error {
  constructor(
    readonly request: string,
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(
      `${request} was refused with HTTP ${status}:\n${typeof problem === 'string' ? problem : JSON.stringify(problem, null, 2)}`,
    );
    this.name = 'DemoStepRefusedError';
  }
}

interface Session {
  readonly username: string;
  readonly password: string;
  readonly accessToken: string;
}

class DemoApi {
  constructor(private readonly baseUrl: string) {}

  async login(account: Account): Promise<Session> {
    const body = await this.call<{ accessToken: string }>(null, 'POST', '/auth/login', {
      username: account.username,
      password: account.password,
    });
    return { username: account.username, password: account.password!, accessToken: body.accessToken };
  }

  async call<T>(as: Session | null, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (as !== null) headers.authorization = `Bearer ${as.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: reported as text.
    }
    if (!response.ok)
      throw new DemoStepRefusedError(
        `${method} /api/v1${path}${as === null ? '' : ` as ${as.username}`}`,
        response.status,
        parsed,
      );
    return parsed as T;
  }
}

const sign = (session: Session, meaning: string): { password: string; meaning: string } => ({
  password: session.password,
  meaning,
});

// ---------------------------------------------------------------------------------------------
// The story

interface Seizure {
  readonly items: ItemView[];
  /** By the device's key in the scenario. */
  readonly byKey: ReadonlyMap<string, ItemView>;
}

class DemoStory {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly api: DemoApi,
    private readonly io: DemoOutput,
    private readonly now: Date,
  ) {}

  private as(username: string): Session {
    const session = this.sessions.get(username);
    if (session === undefined) throw new Error(`demo: ${username} is not logged in`);
    return session;
  }

  private done(message: string): void {
    this.io.out(`  ✓ ${message}`);
  }

  /** Every printed password is tried once: a login that does not work is not printed. */
  async logIn(accounts: readonly Account[]): Promise<void> {
    for (const account of accounts) {
      if (account.password === null) continue;
      this.sessions.set(account.username, await this.api.login(account));
    }
    this.done(`logged in as each of the ${this.sessions.size} new users`);
  }

  async logOut(): Promise<void> {
    for (const session of this.sessions.values()) await this.api.call(session, 'POST', '/auth/logout');
  }

  private async openCase(
    officer: string,
    spec: { caseNumber: string; title: string; legalAuthority: readonly string[] },
    shares: ReadonlyArray<[string, 'read' | 'contribute']>,
  ): Promise<CaseView> {
    const opened = await this.api.call<CaseView>(this.as(officer), 'POST', '/cases', spec);
    for (const [agencyCode, access] of shares)
      await this.api.call(this.as(officer), 'POST', `/cases/${opened.id}/shares`, { agencyCode, access });
    this.done(
      `${officer} opened ${opened.caseNumber} and shared it with ${shares.map(([agency, access]) => `${agency} (${access})`).join(', ')}`,
    );
    return opened;
  }

  private async seize(officer: string, caseView: CaseView, search: DemoSearch): Promise<Seizure> {
    const payload = search.devices.map((device, n) => seizurePayload(search, device, n, this.now));
    const { items } = await this.api.call<{ items: ItemView[] }>(
      this.as(officer),
      'POST',
      `/cases/${caseView.id}/items`,
      { items: payload },
    );
    // Numbers are given in the order of the batch (docs/custody.md), and the answer is in number order.
    if (
      items.length !== search.devices.length ||
      items.some((item, n) => item.description !== search.devices[n].description)
    ) {
      throw new Error('demo: the registered items do not come back in the order they were sent');
    }
    const byKey = new Map(search.devices.map((device, n) => [device.key, items[n]]));
    this.done(
      `${officer} registered ${items.length} items seized at ${search.address} (${items[0].itemNumber} … ${items[items.length - 1].itemNumber})`,
    );
    return { items, byKey };
  }

  private async release(
    from: string,
    items: readonly ItemView[],
    to: string,
    purpose: string,
    occurredAt: string,
  ): Promise<TransferView> {
    return this.api.call<TransferView>(this.as(from), 'POST', '/transfers', {
      itemIds: items.map((item) => item.id),
      to,
      purpose,
      occurredAt,
      signature: sign(this.as(from), 'released'),
    });
  }

  private async accept(
    receiver: string,
    transfer: TransferView,
    location: string,
    occurredAt: string,
    statements: ReadonlyMap<
      string,
      { sealIntact?: boolean; sealNote?: string; hashes?: Array<{ target: string; algorithm: string; value: string }> }
    > = new Map(),
  ): Promise<TransferView> {
    return this.api.call<TransferView>(this.as(receiver), 'POST', `/transfers/${transfer.id}/accept`, {
      items: transfer.items.map((item) => ({ itemId: item.id, sealIntact: true, ...(statements.get(item.id) ?? {}) })),
      location,
      occurredAt,
      signature: sign(this.as(receiver), 'received'),
    });
  }

  /** A hand-over entered after the fact: released at `times.released`, received at `times.received`. */
  private async handOver(
    from: string,
    items: readonly ItemView[],
    to: string,
    purpose: string,
    location: string,
    times: { released: string; received: string },
    statements?: Parameters<DemoStory['accept']>[4],
  ): Promise<TransferView> {
    const released = await this.release(from, items, to, purpose, times.released);
    const accepted = await this.accept(to, released, location, times.received, statements);
    this.done(
      `${from} → ${to}: ${items.length} items, released ${times.released} and received ${times.received} (both signed), now at ${location}`,
    );
    return accepted;
  }

  private async recordHashes(
    examiner: string,
    item: ItemView,
    body: {
      target: string;
      hashes: Array<{ algorithm: string; value: string }>;
      tool: string;
      toolVersion: string;
      occurredAt: string;
      meaning: 'acquired' | 'verified';
    },
  ): Promise<{ item: ItemView; records: Array<{ role: string; result: string | null }> }> {
    const { meaning, ...fields } = body;
    return this.api.call(this.as(examiner), 'POST', `/items/${item.id}/hashes`, {
      ...fields,
      signature: sign(this.as(examiner), meaning),
    });
  }

  private async verifyExpecting(
    examiner: string,
    item: ItemView,
    expected: 'match' | 'mismatch',
    body: Omit<Parameters<DemoStory['recordHashes']>[2], 'meaning'>,
  ): Promise<ItemView> {
    const recorded = await this.recordHashes(examiner, item, { ...body, meaning: 'verified' });
    const results = recorded.records.map((record) => record.result);
    if (!results.every((result) => result === expected))
      throw new Error(`demo: re-verifying ${item.itemNumber} gave ${results.join(', ')}, not ${expected}`);
    this.done(
      `${examiner} re-verified ${item.itemNumber} (${body.target}, ${body.tool}): ${expected.toUpperCase()}${expected === 'mismatch' ? ' — the item is now compromised' : ''}`,
    );
    return recorded.item;
  }

  private async holdings(username: string): Promise<number> {
    const { items } = await this.api.call<{ items: ItemView[] }>(
      this.as(username),
      'GET',
      '/items?custodian=me&limit=100',
    );
    return items.filter((item) => item.state !== 'disposed').length;
  }

  /** A time of the story: `daysAgo` calendar days before the run, at `hhmm` on the clocks of `zone`. */
  private at(zone: string, daysAgo: number, hhmm: string): string {
    return localTime(zone, daysAgo, hhmm, this.now);
  }

  async play(): Promise<{ facts: DemoFacts; checkpoint: { treeSize: number; rootHash: string } }> {
    const year = this.now.getUTCFullYear();

    // Madrid: the case, the search, the property room.
    const telarana = await this.openCase(U.officer, telaranaCase(year), [
      ['AR-PFA', 'contribute'],
      ['ES-FGE', 'read'],
      ['DE-BKA', 'read'],
    ]);
    const search = madridSearch(year);
    const madrid = await this.seize(U.officer, telarana, search);
    const item = (key: string): ItemView => madrid.byKey.get(key)!;
    await this.handOver(
      U.officer,
      madrid.items,
      U.clerk,
      `Intake into the property room after the search of ${search.address}`,
      'Madrid/HQ/Evidence intake',
      // The afternoon of the search.
      {
        released: this.at(ZONES.madrid, search.daysAgo, '15:40'),
        received: this.at(ZONES.madrid, search.daysAgo, '16:05'),
      },
    );
    for (const [n, device] of search.devices.entries()) {
      if (device.shelf === undefined) continue;
      await this.api.call(this.as(U.clerk), 'POST', `/items/${madrid.items[n].id}/location`, {
        location: device.shelf,
        reason: 'Shelved after intake',
      });
    }
    this.done(
      `${U.clerk} shelved them (e.g. ${item('seagate').itemNumber} → ${search.devices.find((d) => d.key === 'seagate')!.shelf})`,
    );

    // Buenos Aires: the lab receives the phone and two drives; one bag arrives torn.
    const wdSeal = search.devices.find((d) => d.key === 'wd')!.sealNumber!;
    await this.handOver(
      U.clerk,
      [item('samsung'), item('samsung-sim'), item('seagate'), item('wd')],
      U.examiner,
      `Forensic acquisition at the PFA lab, Buenos Aires (mutual legal assistance request ES-AR 118/${year})`,
      'Buenos Aires/PFA Forensic Lab/Intake safe 2',
      // Days later: handed to the courier in Madrid in the morning, received at the lab the next morning.
      {
        released: this.at(ZONES.madrid, LAB.released, '09:30'),
        received: this.at(ZONES.buenosAires, LAB.received, '10:15'),
      },
      new Map([
        [
          item('wd').id,
          {
            sealIntact: false,
            sealNote: `Bag ${wdSeal} split along the lower seam on arrival; drive present, serial matches the transfer sheet`,
          },
        ],
      ]),
    );
    this.done(`${U.examiner} noted a broken seal on ${item('wd').itemNumber} at receipt — compromised`);

    const driveHashes = demoHashes(`seagate ${item('seagate').serial} device`, ['sha256', 'md5']);
    await this.recordHashes(U.examiner, item('seagate'), {
      target: 'device',
      hashes: driveHashes,
      tool: 'Tableau TX1',
      toolVersion: '22.3.0.9',
      occurredAt: this.at(ZONES.buenosAires, LAB.received, '14:20'),
      meaning: 'acquired',
    });
    this.done(
      `${U.examiner} recorded the reference hashes of ${item('seagate').itemNumber} (sha256, md5; signed "acquired")`,
    );

    const extractionHashes = demoHashes(`samsung ${item('samsung').serial} extraction`, ['sha256', 'md5']);
    const { items: derived } = await this.api.call<{ items: ItemView[] }>(
      this.as(U.examiner),
      'POST',
      `/cases/${telarana.id}/items`,
      {
        items: [
          {
            kind: 'forensic_image',
            description: `E01 image of the Seagate BarraCuda ${item('seagate').serial}, 2 TB, in 2 GiB segments on lab evidence store AR-07`,
            parentId: item('seagate').id,
            occurredAt: this.at(ZONES.buenosAires, LAB.received, '14:20'),
            place: 'PFA Forensic Lab, Buenos Aires',
            location: 'Buenos Aires/PFA Forensic Lab/Evidence store AR-07',
            acquisition: {
              tool: 'Guymager',
              toolVersion: '0.8.13',
              method: 'Physical acquisition through a Tableau T35u write blocker; E01, fast compression',
              target: 'image.e01',
              hashes: driveHashes,
            },
          },
          {
            kind: 'extraction',
            description: `Full file system extraction of the Galaxy S23 ${item('samsung').serial}`,
            parentId: item('samsung').id,
            occurredAt: this.at(ZONES.buenosAires, LAB.verified, '11:30'),
            place: 'PFA Forensic Lab, Buenos Aires',
            location: 'Buenos Aires/PFA Forensic Lab/Evidence store AR-07',
            acquisition: {
              tool: 'Cellebrite UFED 4PC',
              toolVersion: '7.69.0.116',
              method: 'Full file system extraction; device kept in airplane mode inside a Faraday box',
              target: 'extraction.zip',
              hashes: extractionHashes,
            },
          },
        ],
        signature: sign(this.as(U.examiner), 'acquired'),
      },
    );
    const image = derived.find((derivedItem) => derivedItem.kind === 'forensic_image')!;
    const extraction = derived.find((derivedItem) => derivedItem.kind === 'extraction')!;
    this.done(
      `${U.examiner} registered the image ${image.itemNumber} and the extraction ${extraction.itemNumber} with their acquisition hashes (signed)`,
    );

    await this.verifyExpecting(U.examiner, image, 'match', {
      target: 'image.e01',
      hashes: driveHashes.filter((hash) => hash.algorithm === 'sha256'),
      tool: 'ewfverify',
      toolVersion: '20140814',
      occurredAt: this.at(ZONES.buenosAires, LAB.verified, '09:10'),
    });
    await this.verifyExpecting(U.examiner, extraction, 'mismatch', {
      target: 'extraction.zip',
      hashes: [
        {
          algorithm: 'sha256',
          value: demoDigest('sha256', `samsung ${item('samsung').serial} extraction, working copy`),
        },
      ],
      tool: 'sha256sum (GNU coreutils)',
      toolVersion: '9.4',
      occurredAt: this.at(ZONES.buenosAires, LAB.verified, '16:05'),
    });

    // Back to Madrid: released by the lab, not yet received — it waits in the clerk's inbox.
    const returned = [item('seagate'), image, item('samsung'), item('samsung-sim')];
    const pending = await this.release(
      U.examiner,
      returned,
      U.clerk,
      'Return after acquisition: the originals and the verified image',
      this.at(ZONES.buenosAires, LAB.verified, '18:30'),
    );
    this.done(
      `${U.examiner} released ${returned.length} items back to ${U.clerk} (signed); the transfer is pending in ${U.clerk}'s inbox`,
    );

    // A stick that is not the suspect's goes back to its owner, under an order and before a witness.
    const kingston = item('usb-kingston');
    const witness = this.as(U.officer2);
    await this.api.call<ItemView>(this.as(U.clerk), 'POST', `/items/${kingston.id}/disposition`, {
      disposition: 'returned_to_owner',
      authorityReference: `JI nº 7 Madrid, providencia de devolución, DP 1184/${year}`,
      recipient: `Owner per acta de entrega 3/${year} (identity on the court file)`,
      notes: 'Belongs to a flatmate who is not under investigation; preview on site found nothing relevant',
      occurredAt: this.at(ZONES.madrid, LAB.verified, '12:00'),
      witness: { username: witness.username, password: witness.password },
      signature: sign(this.as(U.clerk), 'disposed'),
    });
    this.done(
      `${U.clerk} returned ${kingston.itemNumber} to its owner (signed "disposed", witnessed by ${U.officer2})`,
    );

    // The prosecutor reads the history of what went wrong (an access-log row for the auditor).
    const { events } = await this.api.call<{ events: unknown[] }>(
      this.as(U.prosecutor),
      'GET',
      `/items/${extraction.id}/history`,
    );
    this.done(`${U.prosecutor} (ES-FGE, read-only) read the ${events.length} events of ${extraction.itemNumber}`);

    // Porto: a linked case of the Portuguese police.
    const mareAlta = await this.openCase(U.ptOfficer, mareAltaCase(year), [['ES-PN', 'read']]);
    const porto = portoSearch(year);
    const portoItems = await this.seize(U.ptOfficer, mareAlta, porto);
    const evo = portoItems.byKey.get('evo')!;
    const evoHash = demoHashes(`evo device`, ['sha256', 'sha1']);
    await this.recordHashes(U.ptOfficer, evo, {
      target: 'device',
      hashes: evoHash,
      tool: 'Magnet ACQUIRE',
      toolVersion: '2.64',
      occurredAt: this.at(ZONES.porto, porto.daysAgo, '09:40'),
      meaning: 'acquired',
    });
    this.done(`${U.ptOfficer} hashed ${evo.itemNumber} on site (reference, signed)`);
    await this.handOver(
      U.ptOfficer,
      portoItems.items,
      U.ptExaminer,
      'Forensic examination at the Laboratório de Polícia Científica, Lisbon',
      'Lisboa/PJ LPC/Digital forensics/Safe 3',
      {
        released: this.at(ZONES.porto, porto.daysAgo, '15:00'),
        received: this.at(ZONES.porto, porto.daysAgo - 1, '10:30'),
      },
      new Map([[evo.id, { hashes: [{ target: 'device', ...evoHash[0] }] }]]),
    );
    this.done(`${U.ptExaminer} re-verified ${evo.itemNumber} on receipt: MATCH`);

    // The auditor has the ledger signed as it stands now.
    const checkpoint = await this.api.call<{ treeSize: number; rootHash: string }>(
      this.as(U.auditor),
      'POST',
      '/ledger/checkpoints',
    );
    this.done(
      `${U.auditor} had a checkpoint signed: ${checkpoint.treeSize} ledger entries, root ${checkpoint.rootHash}`,
    );

    const compromised = await this.api.call<{ items: ItemView[] }>(
      this.as(U.officer),
      'GET',
      `/items?caseId=${telarana.id}&integrity=compromised`,
    );
    const holds = new Map<string, number>();
    for (const username of [U.clerk, U.examiner, U.ptExaminer]) holds.set(username, await this.holdings(username));
    return {
      facts: {
        telarana: telarana.caseNumber,
        mareAlta: mareAlta.caseNumber,
        holds,
        pending: { from: pending.from.username, to: pending.to.username, items: pending.itemCount },
        compromised: compromised.items.map((i) => i.itemNumber),
        disposed: kingston.itemNumber,
      },
      checkpoint,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The command

/**
 * The in-process application listens on 127.0.0.1 only and serves nobody but this command. It
 * logs in every demo user from that one address, hence a login rate limit above the story's
 * needs. With DATABASE_URL and no JWT_SECRET_FILE the service would refuse to start (ADR 0010):
 * tokens of this private application never leave the process, so a throw-away key does.
 */
function privateAppConfig(config: AppConfig): { config: AppConfig; cleanup: () => void } {
  let auth = { ...config.auth, loginRateLimitPerIp: Math.max(config.auth.loginRateLimitPerIp, 1_000) };
  let cleanup = (): void => undefined;
  if (config.databaseUrl !== undefined && !config.auth.jwtSecretFileConfigured) {
    const dir = mkdtempSync(join(tmpdir(), 'custos-demo-'));
    const jwtSecretFile = join(dir, 'jwt-secret');
    writeFileSync(jwtSecretFile, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
    auth = { ...auth, jwtSecretFile, jwtSecretFileConfigured: true };
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  }
  return { config: { ...config, auth }, cleanup };
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => [...row[column]].length)));
  return rows.map((row) =>
    `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat(widths[column] - [...cell].length))).join('  ')}`.trimEnd(),
  );
}

function printLogins(io: DemoOutput, accounts: readonly Account[], facts: DemoFacts): void {
  io.out('');
  io.out('Logins (generated for this demo and shown only now; demo users may sign at once):');
  io.out('');
  const rows = [
    ['username', 'password', 'role', 'agency', 'name', 'what to look at'],
    ...accounts.map((account) => [
      account.username,
      account.password ?? '(unchanged)',
      account.role,
      account.agency ?? '—',
      account.password === null ? '(existing account)' : account.displayName,
      account.password === null
        ? 'platform administrator; its password is CUSTOS_BOOTSTRAP_ADMIN_PASSWORD or in DATA_DIR/initial-admin-password'
        : whatTheySee(account.username, facts),
    ]),
  ];
  for (const line of table(rows)) io.out(line);
}

/**
 * `custos demo`: on an empty database, creates the demo agencies and users directly (like
 * `custos agency create` / `user create`), then plays the story through the real HTTP API of an
 * in-process application, so that every custody record has its ledger entries and signatures
 * exactly as users would make them. Refuses (exit 1, nothing changed) a database that has cases or
 * users other than administrators.
 */
export async function runDemo(
  urls: DemoDatabase,
  config: AppConfig,
  io: DemoOutput,
  options: { logger?: Logger; now?: Date } = {},
): Promise<number> {
  if (config.runMigrations) await runMigrations(urls.ownerUrl, { info: () => undefined });
  const seeded = await seedIdentities(urls.appUrl);
  if ('refused' in seeded) {
    io.err(`custos demo: ${seeded.refused}`);
    return 1;
  }
  const now = options.now ?? new Date();
  const created = DEMO_AGENCIES.filter((agency) => !seeded.reusedAgencies.includes(agency.code)).map(
    (agency) => agency.code,
  );
  io.out(
    'Custos demo: a Spanish-led operation with a lab in Buenos Aires, prosecutors in Madrid, a linked case in Porto.',
  );
  io.out(
    `  ✓ agencies ${created.join(', ')}${seeded.reusedAgencies.length > 0 ? ` (already there: ${seeded.reusedAgencies.join(', ')})` : ''}`,
  );
  io.out(
    `  ✓ users ${seeded.accounts
      .filter((account) => account.password !== null)
      .map((account) => account.username)
      .join(', ')}`,
  );

  const privateApp = privateAppConfig(config);
  const logger = options.logger ?? createRootLogger(config);
  try {
    const app = await createApp({ config: privateApp.config, databaseUrl: urls.appUrl, logger });
    try {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      const story = new DemoStory(new DemoApi(`http://127.0.0.1:${port}`), io, now);
      await story.logIn(seeded.accounts);
      const { facts, checkpoint } = await story.play();
      await story.logOut();
      printLogins(io, seeded.accounts, facts);
      io.out('');
      io.out(
        `Ledger: ${checkpoint.treeSize} entries, signed checkpoint root ${checkpoint.rootHash}; check it with \`npm run custos -- ledger verify\`.`,
      );
      io.out('Now start the service on this database (`npm start` with the same DATA_DIR or DATABASE_URL) and open');
      io.out('http://127.0.0.1:3000/ (or your HOST and PORT) in a browser: sign in as any user above. The API is at');
      io.out('/api/v1 (POST /api/v1/auth/login); /api/docs lists every route.');
      return 0;
    } finally {
      await app.close();
    }
  } catch (error) {
    if (!(error instanceof DemoStepRefusedError)) throw error;
    io.err(`custos demo: a step was refused, so the demo stopped half-way: ${error.message}`);
    io.err(
      'The agencies, users and records made so far stay (the ledger is append-only); run the demo again on an empty database.',
    );
    return 1;
  } finally {
    privateApp.cleanup();
  }
}
