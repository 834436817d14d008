import { createHash } from 'node:crypto';

import type { Role } from '../common/request-context.js';
import type { ItemKind, PowerState } from '../custody/custody-events.js';
import { luhnCheckDigit } from '../custody/evidence-fields.js';

/**
 * The data of `custos demo` (issue #5): a Spanish-led investigation with a lab in Buenos Aires,
 * prosecutors in Madrid, a linked Portuguese case and a German liaison. Only what the story needs
 * to be realistic lives here; the story itself (who does what, in which order) is in
 * demo.command.ts and goes through the HTTP API like any user would.
 *
 * Nothing here is real: addresses, serial numbers, IMEIs and hash values are made up (valid in
 * form: IMEIs and ICCIDs pass the Luhn check, hashes have the algorithm's length).
 */

export interface DemoAgency {
  readonly code: string;
  readonly name: string;
  readonly country: string;
}

export const DEMO_AGENCIES: readonly DemoAgency[] = [
  { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' },
  { code: 'ES-FGE', name: 'Fiscalía General del Estado', country: 'ES' },
  { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' },
  { code: 'PT-PJ', name: 'Polícia Judiciária', country: 'PT' },
  { code: 'DE-BKA', name: 'Bundeskriminalamt', country: 'DE' },
];

/** The usernames the story refers to. */
export const U = {
  officer: 'officer.morales',
  officer2: 'officer.serrano',
  clerk: 'clerk.garcia',
  examiner: 'perito.ferreira',
  prosecutor: 'fiscal.rivas',
  auditor: 'auditor.navarro',
  agencyAdmin: 'admin.espn',
  ptOfficer: 'inspector.tavares',
  ptExaminer: 'perita.sousa',
  bka: 'kk.weber',
  platformAdmin: 'admin',
} as const;

export interface DemoUser {
  readonly username: string;
  readonly displayName: string;
  /** Null: the platform administrator, who belongs to no agency. */
  readonly agency: string | null;
  readonly role: Role;
}

/** Everyone but the platform administrator (created only when the database has none). */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: U.officer, displayName: 'Ana Morales Ruiz', agency: 'ES-PN', role: 'officer' },
  { username: U.officer2, displayName: 'David Serrano Vidal', agency: 'ES-PN', role: 'officer' },
  { username: U.clerk, displayName: 'Luis García Pardo', agency: 'ES-PN', role: 'clerk' },
  { username: U.auditor, displayName: 'Carmen Navarro Gil', agency: 'ES-PN', role: 'auditor' },
  { username: U.agencyAdmin, displayName: 'Javier Ortega Sanz', agency: 'ES-PN', role: 'admin' },
  { username: U.prosecutor, displayName: 'Elena Rivas Castillo', agency: 'ES-FGE', role: 'prosecutor' },
  { username: U.examiner, displayName: 'Julieta Ferreira', agency: 'AR-PFA', role: 'examiner' },
  { username: U.ptOfficer, displayName: 'Rui Tavares', agency: 'PT-PJ', role: 'officer' },
  { username: U.ptExaminer, displayName: 'Marta Sousa', agency: 'PT-PJ', role: 'examiner' },
  { username: U.bka, displayName: 'Katrin Weber', agency: 'DE-BKA', role: 'officer' },
];

export const PLATFORM_ADMIN: DemoUser = {
  username: U.platformAdmin,
  displayName: 'Platform administrator',
  agency: null,
  role: 'admin',
};

// ---------------------------------------------------------------------------------------------
// Identifiers that pass the checks a lab expects

/** An IMEI from its 8-digit TAC and 6-digit serial: 15 digits with a valid check digit. */
export function imei(tac: string, serial: string): string {
  const body = `${tac}${serial}`;
  if (!/^\d{14}$/.test(body)) throw new Error(`an IMEI body is 14 digits (got ${body})`);
  return body + luhnCheckDigit(body);
}

/** An ICCID: 89, country calling code, issuer and account (18 digits), then the check digit. */
export function iccid(body: string): string {
  if (!/^89\d{16,17}$/.test(body)) throw new Error(`an ICCID body is 18–19 digits starting 89 (got ${body})`);
  return body + luhnCheckDigit(body);
}

export type DemoHashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** A hex value of the algorithm's length, the same for the same label: what a tool would have printed. */
export function demoDigest(algorithm: DemoHashAlgorithm, label: string): string {
  return createHash(algorithm).update(`custos demo: ${label}`).digest('hex');
}

export function demoHashes(
  label: string,
  algorithms: readonly DemoHashAlgorithm[],
): Array<{ algorithm: DemoHashAlgorithm; value: string }> {
  return algorithms.map((algorithm) => ({ algorithm, value: demoDigest(algorithm, label) }));
}

// ---------------------------------------------------------------------------------------------
// Times: in the past, in the local time of the place, with its UTC offset (docs/design.md §2)

export const ZONES = {
  madrid: 'Europe/Madrid',
  buenosAires: 'America/Argentina/Buenos_Aires',
  porto: 'Europe/Lisbon',
} as const;

/** The UTC offset of a time zone at an instant, in minutes east of UTC. */
export function zoneOffsetMinutes(zone: string, instant: Date): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(instant)
      .find((part) => part.type === 'timeZoneName')?.value ?? '';
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (match === null) throw new Error(`cannot read the UTC offset of ${zone} (${name})`);
  if (match[1] === undefined) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

function calendarDate(zone: string, instant: Date): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(instant);
  const part = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  return { year: part('year'), month: part('month'), day: part('day') };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * RFC 3339 with the offset of the place: `daysAgo` calendar days before `now` (in that zone), at
 * the wall-clock time `hhmm`, e.g. localTime('Europe/Madrid', 6, '06:14') → 2026-11-23T06:14:00+01:00.
 * At least one day back, so never in the future.
 */
export function localTime(zone: string, daysAgo: number, hhmm: string, now: Date = new Date()): string {
  if (!Number.isInteger(daysAgo) || daysAgo < 1) throw new Error('demo times lie at least one calendar day back');
  const [hours, minutes] = hhmm.split(':').map(Number);
  const { year, month, day } = calendarDate(zone, new Date(now.getTime() - daysAgo * 86_400_000));
  const wall = Date.UTC(year, month - 1, day, hours, minutes);
  // The offset at that wall-clock time (asked twice: the first guess may sit across a DST change).
  const offset = zoneOffsetMinutes(zone, new Date(wall - zoneOffsetMinutes(zone, new Date(wall)) * 60_000));
  if (wall - offset * 60_000 > now.getTime())
    throw new Error(`demo time ${hhmm} ${daysAgo} days ago in ${zone} is in the future`);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${year}-${pad(month)}-${pad(day)}T${pad(hours)}:${pad(minutes)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * The lab's days, counted back from the demo's run like the searches' (`daysAgo`): the Madrid
 * search is six days back and the property room takes the items that afternoon; three days back
 * the property room hands the phone and drives to the courier for Buenos Aires, where the lab
 * receives them the next morning and images the drive; the day before the run it extracts the
 * phone, re-verifies both and sends the originals back.
 */
export const LAB = { released: 3, received: 2, verified: 1 } as const;

// ---------------------------------------------------------------------------------------------
// What was seized

/** One seized device. `key` names it in the story; `parent` is the key of the device it was in. */
export interface DemoDevice {
  readonly key: string;
  readonly kind: ItemKind;
  readonly description: string;
  readonly make?: string;
  readonly model?: string;
  readonly serial?: string;
  readonly imeis?: readonly string[];
  readonly iccid?: string;
  readonly macAddresses?: readonly string[];
  readonly capacityBytes?: number;
  readonly condition?: string;
  readonly powerState?: PowerState;
  readonly sealNumber?: string;
  /** Local wall-clock time of the seizure, on the search's day. */
  readonly at: string;
  /** Where in the searched place it was found. */
  readonly spot: string;
  readonly parent?: string;
  /** Where the property room shelves it after intake. */
  readonly shelf?: string;
}

export interface DemoSearch {
  readonly zone: string;
  readonly daysAgo: number;
  readonly address: string;
  readonly legalAuthority: string;
  /** Opaque references of the search record ("never a name"), numbered by device. */
  readonly recordReference: string;
  /** Where the seized items are kept until they are handed over. */
  readonly carriedIn: string;
  readonly devices: readonly DemoDevice[];
}

export interface DemoCase {
  readonly caseNumber: string;
  readonly title: string;
  readonly legalAuthority: readonly string[];
}

const ROOM_2 = 'Madrid/HQ/Room 2';

/** Case 1, ES-PN: the house search in Madrid that the whole demo follows. */
export function telaranaCase(year: number): DemoCase {
  return {
    caseNumber: `UCC-${year}/0417`,
    title: 'Operación Telaraña — online child sexual exploitation network (ES/AR/PT)',
    legalAuthority: [`JI nº 7 Madrid, DP 1184/${year}`, `JI nº 7 Madrid, auto de entrada y registro 27/${year}`],
  };
}

export function madridSearch(year: number): DemoSearch {
  return {
    zone: ZONES.madrid,
    daysAgo: 6,
    address: 'Calle del Olivar 27, 3º B, 28012 Madrid',
    legalAuthority: `JI nº 7 Madrid, auto de entrada y registro 27/${year}`,
    recordReference: `Acta de registro 27/${year}`,
    carriedIn: 'Madrid/UCC vehicle 2/evidence locker',
    devices: [
      {
        key: 'samsung',
        kind: 'mobile_phone',
        description:
          'Smartphone, black, clear silicone case; unlocked when found, put in airplane mode by the search team',
        make: 'Samsung',
        model: 'Galaxy S23 (SM-S911B/DS)',
        serial: 'R5CW31X7KQM',
        imeis: [imei('35291764', '021873'), imei('35291764', '021881')],
        condition: 'Working; light scratches on the back',
        powerState: 'airplane',
        sealNumber: 'ES-PN-SEAL-0042117',
        at: '06:14',
        spot: 'main bedroom, bedside table',
        shelf: `${ROOM_2}/Shelf A/Bin 1`,
      },
      {
        key: 'samsung-sim',
        kind: 'sim_card',
        description: 'Nano-SIM in tray 1 of the Samsung; left in the phone, sealed in its bag',
        make: 'Movistar',
        iccid: iccid('893407110012345678'),
        at: '06:15',
        spot: 'main bedroom, in the Samsung',
        parent: 'samsung',
        shelf: `${ROOM_2}/Shelf A/Bin 1`,
      },
      {
        key: 'iphone',
        kind: 'mobile_phone',
        description: 'iPhone, blue, no case; passcode locked, kept powered in a Faraday bag with a power bank',
        make: 'Apple',
        model: 'iPhone 12 (A2403)',
        serial: 'F2LDK0QJN6Y1',
        imeis: [imei('35307211', '894302')],
        powerState: 'on',
        sealNumber: 'ES-PN-SEAL-0042118',
        at: '06:21',
        spot: 'living room, sofa',
        shelf: `${ROOM_2}/Shelf A/Bin 2`,
      },
      {
        key: 'iphone-sim',
        kind: 'sim_card',
        description: 'Nano-SIM in the iPhone; left in the phone',
        make: 'Orange',
        iccid: iccid('893401000051234567'),
        at: '06:22',
        spot: 'living room, in the iPhone',
        parent: 'iphone',
        shelf: `${ROOM_2}/Shelf A/Bin 2`,
      },
      {
        key: 'xiaomi',
        kind: 'mobile_phone',
        description: 'Older smartphone, grey, found switched off in a drawer',
        make: 'Xiaomi',
        model: 'Redmi Note 10 (M2101K7AG)',
        serial: '34215/K1ZB09871',
        imeis: [imei('86123405', '678901'), imei('86123405', '678919')],
        condition: 'Screen cracked across the top; battery swollen',
        powerState: 'off',
        sealNumber: 'ES-PN-SEAL-0042119',
        at: '06:38',
        spot: 'second bedroom, desk drawer',
        shelf: `${ROOM_2}/Shelf A/Bin 3`,
      },
      {
        key: 'microsd',
        kind: 'memory_card',
        description: 'microSDXC card found in the Xiaomi’s card slot; removed and bagged separately',
        make: 'SanDisk',
        model: 'Extreme microSDXC 128 GB (SDSQXAA-128G)',
        capacityBytes: 127_865_454_592,
        sealNumber: 'ES-PN-SEAL-0042120',
        at: '06:40',
        spot: 'second bedroom, in the Xiaomi',
        parent: 'xiaomi',
        shelf: `${ROOM_2}/Shelf B/Bin 5`,
      },
      {
        key: 'laptop',
        kind: 'laptop',
        description:
          'Laptop, black, with charger; running and screen-locked when found, shut down by holding the power button',
        make: 'Lenovo',
        model: 'ThinkPad T14 Gen 2 (20W0)',
        serial: 'PF3K9X2L',
        macAddresses: ['8c:8c:aa:4e:91:3d', '00:2b:67:a1:5c:09'],
        capacityBytes: 512_110_190_592,
        condition: 'Working; sticker residue on the lid',
        powerState: 'on',
        sealNumber: 'ES-PN-SEAL-0042121',
        at: '06:52',
        spot: 'second bedroom, desk',
        shelf: `${ROOM_2}/Shelf C/Bin 1`,
      },
      {
        key: 'seagate',
        kind: 'hard_drive',
        description: '3.5" SATA hard drive, removed from a self-built tower PC',
        make: 'Seagate',
        model: 'BarraCuda ST2000DM008',
        serial: 'ZFL4N1QX',
        capacityBytes: 2_000_398_934_016,
        powerState: 'off',
        sealNumber: 'ES-PN-SEAL-0042122',
        at: '07:10',
        spot: 'second bedroom, tower PC under the desk',
        shelf: `${ROOM_2}/Shelf B/Bin 4`,
      },
      {
        key: 'wd',
        kind: 'hard_drive',
        description: 'External USB 3.0 hard drive with its power adapter',
        make: 'Western Digital',
        model: 'Elements Desktop 4 TB (WDBWLG0040HBK)',
        serial: 'WX12D81F3K7P',
        capacityBytes: 4_000_787_030_016,
        powerState: 'off',
        sealNumber: 'ES-PN-SEAL-0042123',
        at: '07:18',
        spot: 'second bedroom, bookshelf',
        shelf: `${ROOM_2}/Shelf B/Bin 4`,
      },
      {
        key: 'usb-sandisk',
        kind: 'usb_drive',
        description: 'Low-profile USB stick on a key ring',
        make: 'SanDisk',
        model: 'Ultra Fit 64 GB (SDCZ430-064G)',
        serial: '4C530001170923108293',
        capacityBytes: 61_530_439_680,
        sealNumber: 'ES-PN-SEAL-0042124',
        at: '07:31',
        spot: 'hall table, key ring',
        shelf: `${ROOM_2}/Shelf B/Bin 5`,
      },
      {
        key: 'usb-kingston',
        kind: 'usb_drive',
        description: 'USB stick with a red cap; a flatmate states it is theirs (statement D-3)',
        make: 'Kingston',
        model: 'DataTraveler Exodia 32 GB (DTX/32GB)',
        capacityBytes: 30_943_995_904,
        sealNumber: 'ES-PN-SEAL-0042125',
        at: '07:34',
        spot: 'hall table',
        shelf: `${ROOM_2}/Shelf B/Bin 5`,
      },
    ],
  };
}

/** Case 2, PT-PJ: a linked search in Porto, shared read-only with the Spanish police. */
export function mareAltaCase(year: number): DemoCase {
  const yy = String(year % 100).padStart(2, '0');
  return {
    caseNumber: `NUIPC 2291/${yy}.0JAPRT`,
    title: 'Operação Maré Alta — distribution channel linked to Operación Telaraña',
    legalAuthority: [`Mandado de busca, JIC do Porto, proc. 2291/${yy}.0JAPRT`],
  };
}

export function portoSearch(year: number): DemoSearch {
  const yy = String(year % 100).padStart(2, '0');
  return {
    zone: ZONES.porto,
    daysAgo: 3,
    address: 'Rua de Cedofeita 310, 2.º Esq., 4050-174 Porto',
    legalAuthority: `Mandado de busca, JIC do Porto, proc. 2291/${yy}.0JAPRT`,
    recordReference: `Auto de busca e apreensão 2291/${yy}`,
    carriedIn: 'Porto/PJ vehicle 5/evidence locker',
    devices: [
      {
        key: 'hp',
        kind: 'laptop',
        description: 'Laptop, silver, switched off, in a backpack',
        make: 'HP',
        model: 'EliteBook 840 G8',
        serial: '5CG1247QZX',
        macAddresses: ['f4:26:79:3b:0c:e2'],
        capacityBytes: 256_060_514_304,
        powerState: 'off',
        sealNumber: 'PT-PJ-LAC-118204',
        at: '07:12',
        spot: 'living room, backpack',
      },
      {
        key: 'huawei',
        kind: 'mobile_phone',
        description: 'Smartphone, white; switched off by its user on the team’s arrival',
        make: 'Huawei',
        model: 'P30 lite (MAR-LX1A)',
        serial: 'L2N4C19A28004117',
        imeis: [imei('86754304', '120457'), imei('86754304', '120465')],
        powerState: 'off',
        sealNumber: 'PT-PJ-LAC-118205',
        at: '07:20',
        spot: 'kitchen, worktop',
      },
      {
        key: 'huawei-sim',
        kind: 'sim_card',
        description: 'Nano-SIM in the Huawei; left in the phone',
        make: 'NOS',
        iccid: iccid('893510002201876543'),
        at: '07:21',
        spot: 'kitchen, in the Huawei',
        parent: 'huawei',
      },
      {
        key: 'evo',
        kind: 'memory_card',
        description: 'microSDXC card in an SD adapter',
        make: 'Samsung',
        model: 'EVO Plus 64 GB (MB-MC64KA)',
        capacityBytes: 63_864_569_856,
        sealNumber: 'PT-PJ-LAC-118206',
        at: '07:26',
        spot: 'living room, desk',
      },
    ],
  };
}

/** The request body of one seized device (POST /api/v1/cases/:id/items). */
export function seizurePayload(
  search: DemoSearch,
  device: DemoDevice,
  index: number,
  now: Date,
): Record<string, unknown> {
  const parentIndex =
    device.parent === undefined ? undefined : search.devices.findIndex((other) => other.key === device.parent);
  if (parentIndex !== undefined && (parentIndex < 0 || parentIndex >= index))
    throw new Error(`${device.key}: its parent must be an earlier device of the search`);
  const { key: _key, at, spot, parent: _parent, shelf: _shelf, ...fields } = device;
  return {
    ...fields,
    occurredAt: localTime(search.zone, search.daysAgo, at, now),
    place: `${search.address} — ${spot}`,
    seizedFrom: `${search.recordReference}, line ${index + 1}`,
    legalAuthority: search.legalAuthority,
    location: search.carriedIn,
    ...(parentIndex === undefined ? {} : { parentIndex }),
  };
}

// ---------------------------------------------------------------------------------------------
// What each login shows, once the story has run

export interface DemoFacts {
  readonly telarana: string;
  readonly mareAlta: string;
  /** Items each user holds (not disposed), by username. */
  readonly holds: ReadonlyMap<string, number>;
  /** The transfer left pending: who sent it, to whom, how many items. */
  readonly pending: { readonly from: string; readonly to: string; readonly items: number };
  readonly compromised: readonly string[];
  readonly disposed: string;
}

const held = (facts: DemoFacts, username: string): string => {
  const count = facts.holds.get(username) ?? 0;
  return `holds ${count} item${count === 1 ? '' : 's'}`;
};

/** The last column of the logins table: what the user can look at (and try) first. */
export function whatTheySee(username: string, facts: DemoFacts): string {
  switch (username) {
    case U.officer:
      return `led the Madrid search; opened ${facts.telarana} and shared it (lab: contribute; prosecutors, BKA: read)`;
    case U.officer2:
      return `search team; witnessed the return of ${facts.disposed} to its owner`;
    case U.clerk:
      return `property room Madrid/HQ, ${held(facts, username)}; a transfer of ${facts.pending.items} items from ${facts.pending.from} waits in the inbox`;
    case U.examiner:
      return `PFA lab Buenos Aires, ${held(facts, username)}; imaged the drive, extracted the Samsung; ${facts.compromised.join(', ')} compromised`;
    case U.prosecutor:
      return `reads ${facts.telarana} (shared read-only): histories, signatures, integrity=compromised`;
    case U.auditor:
      return `reads everything of ES-PN: the access log, ledger entries; signed the last checkpoint`;
    case U.agencyAdmin:
      return 'administers the users of ES-PN (GET /api/v1/users); sees no custody';
    case U.ptOfficer:
      return `opened ${facts.mareAlta} (Porto search), shared read-only with ES-PN`;
    case U.ptExaminer:
      return `PJ lab Lisbon, ${held(facts, username)} of ${facts.mareAlta}; microSD re-verified on receipt (match)`;
    case U.bka:
      return `BKA liaison: reads ${facts.telarana} (shared read-only)`;
    case U.platformAdmin:
      return 'platform administrator: agencies and every user; sees no custody';
    default:
      return '';
  }
}
