import { validateSync } from 'class-validator';

import {
  HASH_ALGORITHMS,
  HASH_HEX_LENGTH,
  IsIccid,
  isIccid,
  isImei,
  IsImei,
  IsMacAddress,
  isMacAddress,
  isNotInFuture,
  IsOffsetDateTime,
  isStrongHashAlgorithm,
  luhnCheckDigit,
  luhnValid,
  normaliseHashValue,
  normaliseMac,
  parseOffsetDateTime,
} from './evidence-fields.js';

describe('luhnValid', () => {
  it.each(['79927398713', '4539578763621486', '490154203237518', '00'])('accepts %s', (digits) => {
    expect(luhnValid(digits)).toBe(true);
  });

  it.each(['79927398710', '79927398714', '4539578763621487', '', '7', '7992739871a', ' 79927398713', '7992-7398-713'])(
    'refuses %j',
    (digits) => {
      expect(luhnValid(digits)).toBe(false);
    },
  );

  it('catches every single-digit error and an adjacent transposition', () => {
    const valid = '490154203237518';
    for (let i = 0; i < valid.length; i++) {
      for (let d = 0; d <= 9; d++) {
        const changed = `${valid.slice(0, i)}${d}${valid.slice(i + 1)}`;
        expect(luhnValid(changed)).toBe(changed === valid);
      }
    }
    expect(luhnValid('490154203237581')).toBe(false);
  });
});

describe('luhnCheckDigit', () => {
  it('gives the digit that makes the whole number Luhn-valid, and only that one', () => {
    expect(luhnCheckDigit('49015420323751')).toBe('8');
    expect(luhnCheckDigit('894450010219830482')).toBe('6');
    for (const body of ['1', '35693803564380', '8901260842105617411']) {
      const digit = luhnCheckDigit(body);
      for (const candidate of '0123456789') expect(luhnValid(body + candidate)).toBe(candidate === digit);
    }
  });

  it('refuses anything but digits', () => {
    expect(() => luhnCheckDigit('12a4')).toThrow(/digits/);
  });
});

describe('IMEI', () => {
  it.each(['490154203237518', '356938035643809'])('accepts %s', (imei) => {
    expect(isImei(imei)).toBe(true);
  });

  it.each([
    ['a wrong check digit', '490154203237519'],
    ['another wrong check digit', '356938035643800'],
    ['14 digits', '49015420323751'],
    ['16 digits (an IMEISV)', '4901542032375186'],
    ['letters', '49015420323751A'],
    ['separators', '49-015420-323751-8'],
    ['surrounding space', ' 490154203237518'],
    ['a number, not a string', 490154203237518],
  ])('refuses %s', (_why, value) => {
    expect(isImei(value)).toBe(false);
  });
});

describe('ICCID', () => {
  // The 19-digit one is a published test vector; the 20-digit one is it with a 0 and the one
  // check digit (of ten) that makes it Luhn-valid.
  const ICCID_19 = '8944500102198304826';
  const ICCID_20 = '89445001021983048204';

  it('accepts 19 and 20 digits starting 89 with a valid check digit', () => {
    expect(isIccid(ICCID_19)).toBe(true);
    expect(isIccid(ICCID_20)).toBe(true);
  });

  it('accepts exactly one check digit of ten', () => {
    const body = ICCID_20.slice(0, -1);
    const valid = [...'0123456789'].filter((d) => isIccid(`${body}${d}`));
    expect(valid).toEqual(['4']);
  });

  it.each([
    ['a wrong check digit', '8944500102198304827'],
    ['a wrong check digit (20 digits)', '89445001021983048205'],
    ['18 digits', '894450010219830482'],
    ['21 digits', '894450010219830482040'],
    ['a prefix other than 89', '7944500102198304826'],
    ['a trailing F (as some SIMs print it)', '8944500102198304826F'],
  ])('refuses %s', (_why, value) => {
    expect(isIccid(value)).toBe(false);
  });

  it('refuses a Luhn-valid number that does not start 89', () => {
    const valid = [...'0123456789'].map((d) => `790154203237518000${d}`).find((candidate) => luhnValid(candidate));
    expect(valid).toBeDefined();
    expect(isIccid(valid)).toBe(false);
  });
});

describe('MAC address', () => {
  it.each([
    ['a4:5e:60:c2:19:7f', 'a4:5e:60:c2:19:7f'],
    ['A4:5E:60:C2:19:7F', 'a4:5e:60:c2:19:7f'],
    ['AA-BB-CC-DD-EE-FF', 'aa:bb:cc:dd:ee:ff'],
    ['aabb.ccdd.eeff', 'aa:bb:cc:dd:ee:ff'],
    ['0011.2233.4455', '00:11:22:33:44:55'],
    [' 00:1a:2b:3c:4d:5e ', '00:1a:2b:3c:4d:5e'],
  ])('normalises %j to %s', (mac, normal) => {
    expect(normaliseMac(mac)).toBe(normal);
    expect(isMacAddress(mac)).toBe(true);
  });

  it.each([
    'aa:bb:cc:dd:ee',
    'aa:bb:cc:dd:ee:ff:00',
    'aa:bb:cc-dd:ee:ff',
    'aabbccddeeff',
    'aa:bb:cc:dd:ee:fg',
    'a:bb:cc:dd:ee:ff',
    'aabb.ccdd.eef',
    'aab.bccd.deeff',
    'aa.bb.cc.dd.ee.ff',
    '',
  ])('refuses %j', (mac) => {
    expect(normaliseMac(mac)).toBeUndefined();
    expect(isMacAddress(mac)).toBe(false);
  });
});

describe('hash values', () => {
  const EMPTY = {
    md5: 'd41d8cd98f00b204e9800998ecf8427e',
    sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    sha512:
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
  } as const;

  it('knows four algorithms and the hex length of each', () => {
    expect(HASH_ALGORITHMS).toEqual(['md5', 'sha1', 'sha256', 'sha512']);
    expect(HASH_HEX_LENGTH).toEqual({ md5: 32, sha1: 40, sha256: 64, sha512: 128 });
    for (const algorithm of HASH_ALGORITHMS) expect(EMPTY[algorithm]).toHaveLength(HASH_HEX_LENGTH[algorithm]);
  });

  it.each(HASH_ALGORITHMS)('normalises a %s value to trimmed lower-case hex', (algorithm) => {
    expect(normaliseHashValue(algorithm, EMPTY[algorithm])).toBe(EMPTY[algorithm]);
    expect(normaliseHashValue(algorithm, ` ${EMPTY[algorithm].toUpperCase()}\n`)).toBe(EMPTY[algorithm]);
  });

  it.each([
    ['one digit short', 'sha256', EMPTY.sha256.slice(1)],
    ['one digit long', 'sha256', `${EMPTY.sha256}0`],
    ['another algorithm’s length', 'sha256', EMPTY.sha1],
    ['a SHA-512 given as MD5', 'md5', EMPTY.sha512],
    ['a non-hex letter', 'md5', `${EMPTY.md5.slice(0, -1)}g`],
    ['an inner space', 'sha1', `${EMPTY.sha1.slice(0, 20)} ${EMPTY.sha1.slice(21)}`],
    ['a 0x prefix', 'md5', `0x${EMPTY.md5.slice(2)}`],
    ['base64 of the digest', 'sha256', '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='],
    ['an unknown algorithm', 'sha3-256', EMPTY.sha256],
    ['a prototype key as algorithm', 'constructor', EMPTY.md5],
  ])('refuses %s', (_why, algorithm, value) => {
    expect(normaliseHashValue(algorithm, value)).toBeUndefined();
  });

  it('calls at least 256 bits strong', () => {
    expect(HASH_ALGORITHMS.filter(isStrongHashAlgorithm)).toEqual(['sha256', 'sha512']);
    expect(isStrongHashAlgorithm('sha3-512')).toBe(false);
    expect(isStrongHashAlgorithm('SHA256')).toBe(false);
  });
});

describe('parseOffsetDateTime', () => {
  it.each([
    ['2026-11-28T09:14:00+01:00', '2026-11-28T08:14:00.000Z', 60, '2026-11-28T09:14:00+01:00'],
    ['2026-11-28T09:14+01:00', '2026-11-28T08:14:00.000Z', 60, '2026-11-28T09:14:00+01:00'],
    ['2026-11-28T09:14:00Z', '2026-11-28T09:14:00.000Z', 0, '2026-11-28T09:14:00Z'],
    ['2026-11-28t09:14:00z', '2026-11-28T09:14:00.000Z', 0, '2026-11-28T09:14:00Z'],
    ['2026-11-28T09:14:00+00:00', '2026-11-28T09:14:00.000Z', 0, '2026-11-28T09:14:00+00:00'],
    ['2026-11-28T09:14:00+0200', '2026-11-28T07:14:00.000Z', 120, '2026-11-28T09:14:00+02:00'],
    ['2026-11-28T06:14:00-03:00', '2026-11-28T09:14:00.000Z', -180, '2026-11-28T06:14:00-03:00'],
    ['2026-11-28T20:44:00+05:30', '2026-11-28T15:14:00.000Z', 330, '2026-11-28T20:44:00+05:30'],
    ['2026-11-28T09:14:07.5+01:00', '2026-11-28T08:14:07.500Z', 60, '2026-11-28T09:14:07.500+01:00'],
    ['2026-11-28T09:14:07.123456789-01:00', '2026-11-28T10:14:07.123Z', -60, '2026-11-28T09:14:07.123-01:00'],
    ['2026-11-28T09:14:07.000+01:00', '2026-11-28T08:14:07.000Z', 60, '2026-11-28T09:14:07+01:00'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z', 60, '2026-01-01T00:30:00+01:00'],
    ['2028-02-29T12:00:00+14:00', '2028-02-28T22:00:00.000Z', 840, '2028-02-29T12:00:00+14:00'],
    ['2026-06-01T12:00:00-14:00', '2026-06-02T02:00:00.000Z', -840, '2026-06-01T12:00:00-14:00'],
    ['0099-03-01T00:00:00Z', '0099-03-01T00:00:00.000Z', 0, '0099-03-01T00:00:00Z'],
  ])('reads %s', (text, instant, offsetMinutes, normal) => {
    const parsed = parseOffsetDateTime(text);
    expect(parsed).toBeDefined();
    expect(parsed!.instant.toISOString()).toBe(instant);
    expect(parsed!.offsetMinutes).toBe(offsetMinutes);
    expect(parsed!.text).toBe(normal);
  });

  it('keeps the offset it was given: the normalised text reads back to the same values', () => {
    for (const text of [
      '2026-11-28T09:14:00+01:00',
      '2026-11-28T09:14:07.250-09:30',
      '2026-11-28T09:14:00Z',
      '2026-11-28T09:14:00+00:00',
    ]) {
      const parsed = parseOffsetDateTime(text)!;
      expect(parsed.text).toBe(text);
      expect(parseOffsetDateTime(parsed.text)).toEqual(parsed);
    }
  });

  it.each([
    ['no offset', '2026-11-28T09:14:00'],
    ['no offset, with fraction', '2026-11-28T09:14:00.123'],
    ['a date only', '2026-11-28'],
    ['RFC 3339 "offset unknown"', '2026-11-28T09:14:00-00:00'],
    ['February 30th', '2026-02-30T09:14:00Z'],
    ['February 29th of a common year', '2026-02-29T09:14:00Z'],
    ['February 29th of 1900', '1900-02-29T09:14:00Z'],
    ['April 31st', '2026-04-31T09:14:00Z'],
    ['month 13', '2026-13-01T09:14:00Z'],
    ['month 0', '2026-00-01T09:14:00Z'],
    ['day 0', '2026-11-00T09:14:00Z'],
    ['hour 24', '2026-11-28T24:00:00Z'],
    ['minute 60', '2026-11-28T09:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['an offset beyond +14:00', '2026-11-28T09:14:00+14:01'],
    ['an offset beyond -14:00', '2026-11-28T09:14:00-15:00'],
    ['offset minutes over 59', '2026-11-28T09:14:00+01:60'],
    ['an hours-only offset', '2026-11-28T09:14:00+01'],
    ['a space for T', '2026-11-28 09:14:00+01:00'],
    ['a one-digit hour', '2026-11-28T9:14:00+01:00'],
    ['a comma fraction', '2026-11-28T09:14:00,5+01:00'],
    ['an empty fraction', '2026-11-28T09:14:00.+01:00'],
    ['a fraction without seconds', '2026-11-28T09:14.5+01:00'],
    ['a time-zone name', '2026-11-28T09:14:00 Europe/Madrid'],
    ['trailing text', '2026-11-28T09:14:00+01:00 '],
    ['a basic-format date', '20261128T091400+0100'],
    ['an empty string', ''],
  ])('refuses %s', (_why, text) => {
    expect(parseOffsetDateTime(text)).toBeUndefined();
  });
});

describe('isNotInFuture', () => {
  const now = new Date('2026-11-28T09:14:00Z');

  it('accepts the past and now, refuses what is later than the skew allows', () => {
    expect(isNotInFuture(new Date('2020-01-01T00:00:00Z'), now, 0)).toBe(true);
    expect(isNotInFuture(now, now, 0)).toBe(true);
    expect(isNotInFuture(new Date(now.getTime() + 1), now, 0)).toBe(false);
    expect(isNotInFuture(new Date(now.getTime() + 300_000), now, 300)).toBe(true);
    expect(isNotInFuture(new Date(now.getTime() + 300_001), now, 300)).toBe(false);
  });

  it('compares instants, whatever offset they were written in', () => {
    const later = parseOffsetDateTime('2026-11-28T10:15:00+01:00')!; // 09:15Z, a minute after now
    expect(isNotInFuture(later.instant, now, 0)).toBe(false);
    expect(isNotInFuture(later.instant, now, 60)).toBe(true);
  });

  it('refuses an invalid date', () => {
    expect(isNotInFuture(new Date(Number.NaN), now, 300)).toBe(false);
  });
});

describe('decorators', () => {
  class SeizedPhoneDto {
    @IsImei({ each: true })
    imeis!: unknown[];

    @IsIccid()
    iccid!: unknown;

    @IsMacAddress({ each: true })
    macAddresses!: unknown[];

    @IsOffsetDateTime()
    occurredAt!: unknown;
  }

  const failures = (values: Partial<SeizedPhoneDto>): Record<string, string[]> => {
    const dto = Object.assign(new SeizedPhoneDto(), {
      imeis: ['490154203237518', '356938035643809'],
      iccid: '8944500102198304826',
      macAddresses: ['a4:5e:60:c2:19:7f', 'AABB.CCDD.EEFF'],
      occurredAt: '2026-11-28T09:14:00+01:00',
      ...values,
    });
    return Object.fromEntries(
      validateSync(dto).map((error) => [error.property, Object.values(error.constraints ?? {})]),
    );
  };

  it('accepts valid values', () => {
    expect(failures({})).toEqual({});
  });

  it('refuses each invalid field with a message that says what is expected', () => {
    expect(
      failures({
        imeis: ['490154203237518', '490154203237519'],
        iccid: '8944500102198304827',
        macAddresses: ['a4:5e:60:c2:19'],
        occurredAt: '2026-11-28T09:14:00',
      }),
    ).toEqual({
      imeis: ['each value in imeis must be an IMEI: 15 digits with a valid Luhn check digit'],
      iccid: ['iccid must be an ICCID: 19 or 20 digits starting 89, with a valid Luhn check digit'],
      macAddresses: [
        'each value in macAddresses must be a MAC address: aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff',
      ],
      occurredAt: ['occurredAt must be an RFC 3339 date-time with its UTC offset, e.g. 2026-11-28T09:14:00+01:00'],
    });
  });

  it('refuses values that are not strings', () => {
    expect(
      Object.keys(
        failures({
          imeis: [490154203237518],
          iccid: 8944500102198304826n,
          macAddresses: [null],
          occurredAt: Date.now(),
        }),
      ).sort(),
    ).toEqual(['iccid', 'imeis', 'macAddresses', 'occurredAt']);
  });
});
