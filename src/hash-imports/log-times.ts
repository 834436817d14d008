import type { LogTime } from './formats/log-format.js';

/** The UTC offset of `zone` at an instant, in minutes. */
function offsetAt(zone: string, instantMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instantMs));
  const get = (type: string): number => Number(parts.find((part) => part.type === type)!.value);
  return Math.round(
    (Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - instantMs) /
      60_000,
  );
}

/**
 * The offset a wall-clock time had in `zone`. In the hour a clock is set back the time happened
 * twice: the first occurrence (the larger offset) is taken. A time skipped when the clock is set
 * forward never happened: it is read with the offset before the change.
 */
export function offsetOfLocalTime(local: string, zone: string): number {
  const asUtc = Date.parse(`${local}Z`);
  const before = offsetAt(zone, asUtc - 86_400_000);
  const after = offsetAt(zone, asUtc + 86_400_000);
  const fits = [...new Set([before, after])].filter((offset) => offsetAt(zone, asUtc - offset * 60_000) === offset);
  return fits.length === 0 ? before : Math.max(...fits);
}

/** RFC 3339 text of a log time: the log's own offset, else the zone's. */
export function logTimeText(time: LogTime, zone: string | null): string | undefined {
  const offset = time.offsetMinutes ?? (zone === null ? undefined : offsetOfLocalTime(time.local, zone));
  if (offset === undefined) return undefined;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${time.local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
