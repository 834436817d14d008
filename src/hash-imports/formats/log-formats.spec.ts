import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodeLogBytes } from '../log-text.js';
import { detectLogFormat, LogNotUnderstoodError, parseLog, parseLogTime, type ParsedLog } from './index.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'forensic-logs');
const read = (name: string): string => decodeLogBytes(readFileSync(join(FIXTURES, name))).text;
const hashesOf = (log: ParsedLog, object = 0): Record<string, string> =>
  Object.fromEntries(log.objects[object].hashes.map((h) => [h.algorithm, h.value]));

describe('acquisition log formats', () => {
  it('FTK Imager: computed hashes, case fields, drive, times without zone, verified', () => {
    const log = parseLog(read('ftk-imager-EV-07.E01.txt'));
    expect(log).toMatchObject({
      format: 'ftk-imager',
      tool: 'FTK Imager',
      toolVersion: '4.7.1.2',
      examiner: 'J. Doe',
      caseNumber: '2026-0142',
      evidenceNumber: 'EV-07',
      reportedResult: 'verified',
      device: { model: 'WDC WD5000LPCX-24C6HT0 ATA Device', serial: 'WD-WX21A75H1234' },
      startedAt: { local: '2026-03-10T09:14:02', offsetMinutes: null },
      endedAt: { local: '2026-03-10T11:02:47', offsetMinutes: null },
    });
    expect(hashesOf(log)).toEqual({
      md5: '2565d62badbcc227a273f58c6dc5f735',
      sha1: '2ac5f229a24bbdc06747167c57a0c22ceed5498b',
    });
  });

  it('FTK Imager in Windows-1252 with CRLF and upper-case hex: decoded, values lower-cased', () => {
    const bytes = readFileSync(join(FIXTURES, 'ftk-imager-cp1252-crlf.txt'));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow(); // really not UTF-8
    const decoded = decodeLogBytes(bytes);
    expect(decoded.encoding).toBe('windows-1252');
    const log = parseLog(decoded.text);
    expect(log).toMatchObject({
      format: 'ftk-imager',
      toolVersion: '4.7.1.2',
      examiner: 'José Núñez',
      evidenceNumber: 'EV-20',
      reportedResult: 'verified',
      device: { serial: 'WDZ1ABCD' },
    });
    expect(hashesOf(log)).toEqual({
      md5: '9a2f9b7bdd71216033d110436d55a0a5',
      sha1: 'cf75d731365e8aa0f82db1f8b6642b7c76efbff5',
      sha256: 'c719eaa28d2b8d1a97bfca10b38c7454f4042e029d57e79e6dd6d58c83e9f6f9',
    });
  });

  it('FTK Imager whose verification failed, with drifting capitalisation: failed, naming the line', () => {
    const log = parseLog(read('ftk-imager-verification-failed.txt'));
    expect(log).toMatchObject({
      format: 'ftk-imager',
      toolVersion: '3.1.1.8',
      caseNumber: 'OP-IMPORT-1',
      evidenceNumber: 'EV-21',
      reportedResult: 'failed',
    });
    expect(log.resultDetail).toMatch(/^line 22: MD5 does not match$/);
    expect(log.startedAt?.local).toBe('2026-11-19T16:00:00');
  });

  it('Guymager: acquisition hashes, verified image, ISO local times', () => {
    const log = parseLog(read('guymager-EV-08.info'));
    expect(log).toMatchObject({
      format: 'guymager',
      tool: 'Guymager',
      caseNumber: '2026-0142',
      evidenceNumber: 'EV-08',
      examiner: 'J. Doe',
      reportedResult: 'verified',
      device: { model: 'Samsung SSD 860 EVO 500GB', serial: 'S3Z1NB0K123456A' },
      startedAt: { local: '2026-03-10T09:14:02', offsetMinutes: null },
      endedAt: { local: '2026-03-10T11:05:12', offsetMinutes: null },
    });
    expect(hashesOf(log)).toEqual({
      md5: '92d06f151d61fc2d4e64dae37577d3d2',
      sha256: '3379feb6ae9fed3b989470c591c5aa7ec00269580b84f1737c9e63202645e4b2',
    });
  });

  it('Guymager whose image verification failed: version from its section, failed with the reasons', () => {
    const log = parseLog(read('guymager-verification-failed.info'));
    expect(log).toMatchObject({
      toolVersion: '0.8.13-1',
      reportedResult: 'failed',
      device: { model: 'WDC WD10EZEX-08WN4A0', serial: 'WD-WCC6Y2NX1234' },
    });
    expect(log.resultDetail).toContain('SHA256 of the image differs');
    expect(log.resultDetail).toContain('Image verification FAILED');
  });

  it('ewfacquire: the answers of the summary, the device, the calculated hashes', () => {
    const log = parseLog(read('ewfacquire-EV-23.txt'));
    expect(log).toMatchObject({
      format: 'ewfacquire',
      tool: 'ewfacquire',
      toolVersion: '20140814',
      examiner: 'M. Rossi',
      caseNumber: 'OP-IMPORT-1',
      evidenceNumber: 'EV-23',
      reportedResult: 'not_reported',
      device: { model: 'DataTraveler 3.0', serial: '60A44C3FACC3F0B0A9A1A6E2' },
      startedAt: { local: '2026-11-19T14:05:11' },
      endedAt: { local: '2026-11-19T14:22:49' },
    });
    expect(Object.keys(hashesOf(log))).toEqual(['md5', 'sha1', 'sha256']);
  });

  it('ewfverify: SUCCESS is verified; FAILURE (CRLF) is failed and names the mismatching algorithm', () => {
    const ok = parseLog(read('ewfverify-EV-23-success.txt'));
    expect(ok).toMatchObject({
      format: 'ewfverify',
      reportedResult: 'verified',
      startedAt: { local: '2026-11-20T10:00:00' },
      endedAt: { local: '2026-11-20T10:03:02' },
    });
    const failed = parseLog(read('ewfverify-EV-23-failure.txt'));
    expect(failed).toMatchObject({ format: 'ewfverify', reportedResult: 'failed' });
    expect(failed.resultDetail).toMatch(/MD5 stored in the image differs.*ewfverify: FAILURE/);
    expect(hashesOf(failed).md5).not.toBe(hashesOf(ok).md5);
  });

  it('ewfinfo: the digest stored in the image and the acquiry information', () => {
    const log = parseLog(read('ewfinfo-EV-23.txt'));
    expect(log).toMatchObject({
      format: 'ewfinfo',
      examiner: 'M. Rossi',
      evidenceNumber: 'EV-23',
      startedAt: { local: '2026-11-19T14:05:11' },
      device: { serial: '60A44C3FACC3F0B0A9A1A6E2' },
    });
    expect(hashesOf(log)).toEqual(
      Object.fromEntries(
        Object.entries(hashesOf(parseLog(read('ewfacquire-EV-23.txt')))).filter(([a]) => a !== 'sha256'),
      ),
    );
  });

  it('dc3dd: input hashes, [ok] verified, times with their offset; [MISMATCH] failed', () => {
    const log = parseLog(read('dc3dd-EV-24-ok.log'));
    expect(log).toMatchObject({
      format: 'dc3dd',
      toolVersion: '7.2.646',
      reportedResult: 'verified',
      startedAt: { local: '2026-11-20T09:14:02', offsetMinutes: 60 },
      endedAt: { local: '2026-11-20T09:18:16', offsetMinutes: 60 },
    });
    expect(Object.keys(hashesOf(log))).toEqual(['md5', 'sha256']);
    const mismatch = parseLog(read('dc3dd-EV-24-mismatch.log'));
    expect(mismatch).toMatchObject({ reportedResult: 'failed', resultDetail: 'line 19: [MISMATCH] SHA256' });
    expect(hashesOf(mismatch)).toEqual(hashesOf(log)); // the device's hashes; the copy is what failed
  });

  it('UFED .ufd: per-dump hash sections, case and device fields, day-first local times', () => {
    const log = parseLog(read('ufed-EV-25.ufd'));
    expect(log).toMatchObject({
      format: 'ufed',
      tool: 'UFED 4PC',
      toolVersion: '7.60.0.123',
      examiner: 'K. Nowak',
      caseNumber: 'OP-IMPORT-1',
      evidenceNumber: 'EV-25',
      device: { model: 'SM-G991B', serial: 'R58R12ABCDE' },
      startedAt: { local: '2026-11-20T11:41:29', offsetMinutes: null },
      endedAt: { local: '2026-11-20T12:05:09', offsetMinutes: null },
      reportedResult: 'not_reported',
    });
    expect(log.objects.map((o) => [o.name, o.hashes.map((h) => h.algorithm)])).toEqual([
      ['Samsung GSM_SM-G991B Galaxy S21 5G.zip', ['md5', 'sha256']],
    ]);
    const two = parseLog(read('ufed-two-dumps.ufd'));
    expect(two.objects.map((o) => o.name)).toEqual(['blk0_sda.bin', 'blk1_sdb.bin']);
    expect(two.startedAt).toMatchObject({ local: '2026-11-21T15:02:10', offsetMinutes: 60 });
  });

  it("UFED .ufd: reads the case and exhibit from [Crime Case]'s Case Identifier and Device Name / Evidence Number", () => {
    const log = parseLog(read('ufed-crime-case-EV-31.ufd'));
    expect(log).toMatchObject({
      format: 'ufed',
      toolVersion: '7.69.0.45',
      examiner: 'L. Ferreira',
      caseNumber: 'OP-2026-0415',
      evidenceNumber: 'EV-30',
      device: { model: 'Pixel 7', serial: '28211FDH2002X7' },
      startedAt: { local: '2026-12-02T10:12:44', offsetMinutes: null },
    });
    expect(log.objects.map((o) => o.name)).toEqual(['Google Pixel 7 (GVU6C).zip']);
  });

  it('sha256sum, BSD --tag lines and md5sum binary-mode lines', () => {
    const log = parseLog(read('sha256sum-EV-09.txt'));
    expect(log).toMatchObject({
      format: 'checksum-list',
      tool: 'sha256sum',
      startedAt: null,
      reportedResult: 'not_reported',
    });
    expect(log.objects).toEqual([
      {
        name: 'EV-09.dd',
        line: 1,
        hashes: [{ algorithm: 'sha256', value: '917e7671d54b7c42b3264f75c6842df96ceae5f30fd9a2d49d9ba930bafb7afd' }],
      },
    ]);
    const tagged = parseLog(read('sha256sum-bsd-tag.txt'));
    expect(tagged.objects.map((o) => [o.name, o.hashes.map((h) => h.algorithm)])).toEqual([
      ['EV-26.dd', ['sha256', 'md5']],
    ]);
    expect(parseLog(read('md5sum-two-files.txt')).objects.map((o) => o.name)).toEqual(['EV-27.E01', 'EV-27.E02']);
  });

  it('hashdeep: announced columns, the file name with its path', () => {
    const log = parseLog(read('hashdeep-EV-28.txt'));
    expect(log.format).toBe('hashdeep');
    expect(log.objects.map((o) => [o.name, o.hashes.map((h) => h.algorithm)])).toEqual([
      ['/cases/OP-IMPORT-1/EV-28.dd', ['md5', 'sha256']],
    ]);
  });

  it.each([
    ['mangled-ftk-short-hash.txt', /line 12: .* is not a MD5 value/],
    ['mangled-dc3dd-bad-date.log', /line 2: the start time "2026-13-45 09:14:02 \+0100" is not a date and time/],
    ['mangled-hashdeep-columns.txt', /line 3: 3 columns where 4 were announced/],
    ['mangled-sha256sum.txt', /^line 2: not a checksum line.*line 3: a 60-digit value/],
    ['unknown-notes.txt', /none of the formats Custos reads/],
  ])('refuses %s, saying what and where', (name, message) => {
    let error: unknown;
    try {
      parseLog(read(name));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LogNotUnderstoodError);
    expect((error as Error).message).toMatch(message);
  });

  it('a forced format that does not fit is refused, not guessed', () => {
    expect(() => parseLog(read('guymager-EV-08.info'), 'dc3dd')).toThrow(/no "dc3dd <version> started at" line/);
    expect(() => parseLog(read('ewfinfo-EV-23.txt'), 'ewfverify')).toThrow(LogNotUnderstoodError);
  });

  it('detects every fixture as its format', () => {
    expect(
      [
        'dc3dd-EV-24-ok.log',
        'ewfacquire-EV-23.txt',
        'ewfinfo-EV-23.txt',
        'ewfverify-EV-23-success.txt',
        'ufed-two-dumps.ufd',
        'hashdeep-EV-28.txt',
        'md5sum-two-files.txt',
      ].map((name) => detectLogFormat(read(name))),
    ).toEqual(['dc3dd', 'ewfacquire', 'ewfinfo', 'ewfverify', 'ufed', 'hashdeep', 'checksum-list']);
  });

  it.each([
    ['Tue Mar 10 09:14:02 2026', '2026-03-10T09:14:02', null],
    ['Mar 10, 2026 09:14:02', '2026-03-10T09:14:02', null],
    ['Mar 10 2026 09:14:02', '2026-03-10T09:14:02', null],
    ['2026-03-10 09:14:02 -0300', '2026-03-10T09:14:02', -180],
    ['2026-03-10T09:14:02+05:30', '2026-03-10T09:14:02', 330],
    ['2026-03-10 09:14:02 (ISO format YYYY-MM-DD HH:MM:SS)', '2026-03-10T09:14:02', null],
    ['10/03/2026 09:14:02', '2026-03-10T09:14:02', null],
    ['Tue Mar 10 09:14:02 CET 2026', '2026-03-10T09:14:02', null],
    ['Tue Mar 10 09:14:02 UTC 2026', '2026-03-10T09:14:02', 0],
  ])('reads the time %s', (text, local, offset) => {
    expect(parseLogTime(text, 1)).toEqual({ local, offsetMinutes: offset, line: 1 });
  });

  it.each(['2026-02-30 10:00:00', 'yesterday at noon', '31/31/2026 10:00:00'])('does not read %s as a time', (text) => {
    expect(parseLogTime(text, 1)).toBeUndefined();
  });
});
