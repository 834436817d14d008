import { logTimeText, offsetOfLocalTime } from './log-times.js';

describe('log times in a zone', () => {
  it.each([
    ['2026-11-18T11:02:47', 'Europe/Madrid', 60],
    ['2026-07-01T12:00:00', 'Europe/Madrid', 120],
    ['2026-07-01T12:00:00', 'America/Argentina/Buenos_Aires', -180],
    ['2026-07-01T12:00:00', 'Asia/Kolkata', 330],
    ['2026-07-01T12:00:00', 'UTC', 0],
    // Set back at 03:00 CEST: 02:30 happened twice; the first time (summer) is taken.
    ['2026-10-25T02:30:00', 'Europe/Madrid', 120],
    // Set forward at 02:00 CET: 02:30 never happened; read with the offset before the change.
    ['2026-03-29T02:30:00', 'Europe/Madrid', 60],
    ['2026-04-05T02:30:00', 'Australia/Sydney', 660],
  ])('%s in %s is %i minutes from UTC', (local, zone, offset) => {
    expect(offsetOfLocalTime(local, zone)).toBe(offset);
  });

  it('keeps the offset a log printed, and formats RFC 3339', () => {
    expect(logTimeText({ local: '2026-03-10T09:14:02', offsetMinutes: -180, line: 1 }, 'Europe/Madrid')).toBe(
      '2026-03-10T09:14:02-03:00',
    );
    expect(logTimeText({ local: '2026-03-10T09:14:02', offsetMinutes: null, line: 1 }, 'Europe/Madrid')).toBe(
      '2026-03-10T09:14:02+01:00',
    );
    expect(logTimeText({ local: '2026-03-10T09:14:02', offsetMinutes: null, line: 1 }, null)).toBeUndefined();
  });
});
