import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * The identifiers and values a forensic lab writes on an evidence record, checked the way the
 * issuing standards define them. Pure functions, plus class-validator decorators for the DTOs.
 */

/** The Luhn (ISO/IEC 7812-1) sum of `digits`, doubling every second digit from the right when `checkDigitLast`. */
function luhnSum(digits: string, checkDigitLast: boolean): number {
  let sum = 0;
  for (let i = digits.length - 1, double = !checkDigitLast; i >= 0; i--, double = !double) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum;
}

/** Luhn (ISO/IEC 7812-1) over every digit, the check digit last. */
export function luhnValid(digits: string): boolean {
  return /^\d{2,}$/.test(digits) && luhnSum(digits, true) % 10 === 0;
}

/** The Luhn check digit to append to `body` (as IMEIs and ICCIDs carry it). */
export function luhnCheckDigit(body: string): string {
  if (!/^\d+$/.test(body)) throw new Error('a Luhn body is digits only');
  return String((10 - (luhnSum(body, false) % 10)) % 10);
}

/** IMEI (3GPP TS 23.003): 14 digits and a Luhn check digit. IMEISV (16 digits) has none: refused. */
export function isImei(value: unknown): value is string {
  return typeof value === 'string' && /^\d{15}$/.test(value) && luhnValid(value);
}

/** SIM card ICCID (ITU-T E.118): `89` (telecom), 19 or 20 digits, Luhn over all of them. */
export function isIccid(value: unknown): value is string {
  return typeof value === 'string' && /^89\d{17,18}$/.test(value) && luhnValid(value);
}

const MAC_FORMS = [
  /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})$/i,
];

/**
 * A MAC address as `aa:bb:cc:dd:ee:ff`, or undefined. Accepts colons, hyphens (Windows) and
 * dotted quads (Cisco), one separator style per address.
 */
export function normaliseMac(value: string): string | undefined {
  const text = value.trim();
  for (const form of MAC_FORMS) {
    const match = form.exec(text);
    if (match !== null) return match.slice(1).join(':').toLowerCase();
  }
  return undefined;
}

export function isMacAddress(value: unknown): value is string {
  return typeof value === 'string' && normaliseMac(value) !== undefined;
}

export const HASH_ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** Hex digits of each digest: its bits divided by four. */
export const HASH_HEX_LENGTH: Readonly<Record<HashAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

export function isHashAlgorithm(algorithm: string): algorithm is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(algorithm);
}

/** The value as stored and compared: trimmed lower-case hex of the algorithm's exact length. */
export function normaliseHashValue(algorithm: string, value: string): string | undefined {
  if (!isHashAlgorithm(algorithm)) return undefined;
  const hex = value.trim().toLowerCase();
  return hex.length === HASH_HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(hex) ? hex : undefined;
}

/** At least 256 bits (docs/design.md §2): MD5 and SHA-1 have practical collisions; a reference needs more. */
export function isStrongHashAlgorithm(algorithm: string): boolean {
  return isHashAlgorithm(algorithm) && HASH_HEX_LENGTH[algorithm] * 4 >= 256;
}

export interface OffsetDateTime {
  readonly instant: Date;
  /** Minutes east of UTC, as the clock on the wall read: +01:00 is 60, -03:00 is -180. */
  readonly offsetMinutes: number;
  /** RFC 3339 in the original offset: seconds always, milliseconds when non-zero, `Z` if given. */
  readonly text: string;
}

/** Real zones span -12:00 to +14:00; ±14:00 is where RFC 3339 offsets stop making sense. */
export const MAX_OFFSET_MINUTES = 14 * 60;

// RFC 3339 §5.6 (`T`/`t`, `Z`/`z`), seconds optional as ISO 8601 allows, `+hhmm` as well as `+hh:mm`.
const OFFSET_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/**
 * A date-time that says where on Earth's clocks it was read: refused without an explicit offset,
 * with RFC 3339's `-00:00` ("offset unknown"), with an impossible date or time (Feb 30, 24:00,
 * leap second 60: a Date cannot hold it) or an offset beyond ±14:00. Precision is milliseconds;
 * further digits are dropped.
 */
export function parseOffsetDateTime(text: string): OffsetDateTime | undefined {
  const match = OFFSET_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s = '00', fraction = '', zulu, sign, oh, om] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const millisecond = Number(fraction.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;

  let offsetMinutes = 0;
  let offsetText = 'Z';
  if (zulu === undefined) {
    const hours = Number(oh);
    const minutes = Number(om);
    if (minutes > 59) return undefined;
    if (sign === '-' && hours === 0 && minutes === 0) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return undefined;
    offsetText = `${sign}${oh}:${om}`;
  }

  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, millisecond);
  const instant = new Date(local.getTime() - offsetMinutes * 60_000);
  const ms = millisecond === 0 ? '' : `.${pad(millisecond, 3)}`;
  return {
    instant,
    offsetMinutes,
    text: `${y}-${mo}-${d}T${h}:${mi}:${pad(second)}${ms}${offsetText}`,
  };
}

/** True unless the instant is later than now plus the allowed clock skew (devices' clocks drift). */
export function isNotInFuture(instant: Date, now: Date, skewSeconds: number): boolean {
  const time = instant.getTime();
  return !Number.isNaN(time) && time <= now.getTime() + skewSeconds * 1000;
}

export function isOffsetDateTime(value: unknown): value is string {
  return typeof value === 'string' && parseOffsetDateTime(value) !== undefined;
}

function fieldDecorator(
  name: string,
  test: (value: unknown) => boolean,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown): boolean => test(value),
        defaultMessage: buildMessage((each) => `${each}$property ${message}`, options),
      },
    },
    options,
  );
}

export function IsImei(options?: ValidationOptions): PropertyDecorator {
  return fieldDecorator('isImei', isImei, 'must be an IMEI: 15 digits with a valid Luhn check digit', options);
}

export function IsIccid(options?: ValidationOptions): PropertyDecorator {
  return fieldDecorator(
    'isIccid',
    isIccid,
    'must be an ICCID: 19 or 20 digits starting 89, with a valid Luhn check digit',
    options,
  );
}

export function IsMacAddress(options?: ValidationOptions): PropertyDecorator {
  return fieldDecorator(
    'isMacAddress',
    isMacAddress,
    'must be a MAC address: aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff',
    options,
  );
}

export function IsOffsetDateTime(options?: ValidationOptions): PropertyDecorator {
  return fieldDecorator(
    'isOffsetDateTime',
    isOffsetDateTime,
    'must be an RFC 3339 date-time with its UTC offset, e.g. 2026-11-28T09:14:00+01:00',
    options,
  );
}
