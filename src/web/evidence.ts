/**
 * The field checks officers get as they type, mirroring the server's rules in
 * src/custody/evidence-fields.ts (the server checks again: these only save a round trip).
 */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export interface Check {
  readonly ok: boolean;
  readonly message: string;
}

/** IMEI (3GPP TS 23.003): 15 digits, the last a Luhn check digit. */
export function checkImei(raw: string): Check | null {
  const value = raw.trim();
  if (value === '') return null;
  if (!/^\d+$/.test(value)) return { ok: false, message: 'An IMEI is digits only' };
  if (value.length !== 15) return { ok: false, message: `An IMEI has 15 digits (${value.length} typed)` };
  if (!luhnValid(value)) return { ok: false, message: 'Check digit does not match: a digit is mistyped' };
  return { ok: true, message: 'Valid IMEI' };
}

/** ICCID (ITU-T E.118): 19 or 20 digits starting 89, Luhn over all. */
export function checkIccid(raw: string): Check | null {
  const value = raw.trim();
  if (value === '') return null;
  if (!/^\d+$/.test(value)) return { ok: false, message: 'An ICCID is digits only' };
  if (!value.startsWith('89')) return { ok: false, message: 'An ICCID starts with 89' };
  if (value.length < 19 || value.length > 20)
    return { ok: false, message: `An ICCID has 19 or 20 digits (${value.length} typed)` };
  if (!luhnValid(value)) return { ok: false, message: 'Check digit does not match: a digit is mistyped' };
  return { ok: true, message: 'Valid ICCID' };
}

/** IMEIs typed in one box, separated by spaces, commas or slashes (dual-SIM phones have two). */
export function splitImeis(raw: string): string[] {
  return raw.split(/[\s,;/]+/).filter((part) => part !== '');
}

export function checkImeis(raw: string): Check | null {
  const imeis = splitImeis(raw);
  if (imeis.length === 0) return null;
  if (imeis.length > 4) return { ok: false, message: 'At most 4 IMEIs' };
  if (new Set(imeis).size !== imeis.length) return { ok: false, message: 'The same IMEI is typed twice' };
  for (const [n, imei] of imeis.entries()) {
    const check = checkImei(imei)!;
    if (!check.ok) return { ok: false, message: imeis.length > 1 ? `IMEI ${n + 1}: ${check.message}` : check.message };
  }
  return { ok: true, message: imeis.length > 1 ? `${imeis.length} valid IMEIs` : 'Valid IMEI' };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `datetime-local` value of now, to the minute, on this computer's clock. */
export function localNow(now = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`;
}

/** `+01:00` for a wall-clock time on this computer (the offset of that date: summer time differs). */
export function localOffset(local: string): string {
  const date = new Date(local);
  const minutes = Number.isNaN(date.getTime()) ? -new Date().getTimezoneOffset() : -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** RFC 3339 with the local offset, as the API wants `occurredAt`. */
export function withLocalOffset(local: string): string {
  const seconds = local.length === 16 ? ':00' : '';
  return `${local}${seconds}${localOffset(local)}`;
}

/** `2026-11-28T09:14:00+01:00` → `2026-11-28 09:14 (UTC+01:00)`: the wall clock of the place it happened. */
export function placeTime(text: string | null): string {
  if (text === null) return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return text;
  return `${match[1]} ${match[2]} (UTC${match[3] === 'Z' ? '' : match[3]})`;
}

/** A UTC instant on this computer's clock, with its offset. */
export function localTime(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const local = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return `${local.replace('T', ' ')} (UTC${localOffset(local)})`;
}

// One vocabulary with the court reports: "USB drive", "SIM card" on screen and on paper.
export { humanize, itemKindWords } from '../reports/words';

/** `1 item`, `3 items`. */
export const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The hint under a `datetime-local` field: whose clock and which UTC offset the typed time is sent with. */
export function localTimeHint(local: string): string {
  return `Your local time (UTC${localOffset(local)})`;
}

/** Hex digits of each digest, as the server checks them (src/custody/evidence-fields.ts `HASH_HEX_LENGTH`). */
const HASH_HEX_LENGTH: Readonly<Record<string, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/** A hash value as typed: hexadecimal digits only, exactly as many as the algorithm gives. */
export function checkHashValue(algorithm: string, raw: string): Check | null {
  const value = raw.trim();
  const length = HASH_HEX_LENGTH[algorithm];
  if (value === '' || length === undefined) return null;
  if (!/^[0-9a-fA-F]+$/.test(value))
    return { ok: false, message: 'A hash value is hexadecimal: digits 0–9 and letters a–f only' };
  if (value.length !== length)
    return { ok: false, message: `${algorithm} values have ${length} characters (${value.length} typed)` };
  return { ok: true, message: `${length} characters, as ${algorithm} values have` };
}
