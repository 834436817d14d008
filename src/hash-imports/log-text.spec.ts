import { decodeLogBytes, logTextProblem, MAX_LOG_BYTES } from './log-text.js';

describe('log text', () => {
  it('decodes UTF-8 (dropping a BOM) and falls back to Windows-1252 for other bytes', () => {
    expect(decodeLogBytes(Buffer.from('\uFEFFExaminer: José', 'utf8'))).toEqual({
      text: 'Examiner: José',
      encoding: 'utf-8',
    });
    expect(decodeLogBytes(Buffer.from([0x45, 0x3a, 0x20, 0x4a, 0x6f, 0x73, 0xe9, 0x20, 0xae]))).toEqual({
      text: 'E: José ®',
      encoding: 'windows-1252',
    });
  });

  it('accepts a log with long hex values, tabs and CRLF', () => {
    const line = `SHA512 hash calculated over data:\t${'ab'.repeat(64)}\r\n`;
    expect(logTextProblem(line.repeat(500))).toBeUndefined();
    expect(logTextProblem(`${'0123456789abcdef'.repeat(4)}\n`.repeat(100))).toBeUndefined(); // SHA-256 values alone on their lines
  });

  it('refuses control characters, naming the line', () => {
    expect(logTextProblem('Case Number: 1\nExaminer: \u0000x')).toMatch(/^line 2: control character U\+0000/);
    expect(logTextProblem('a\u001bb')).toMatch(/U\+001B/);
    expect(logTextProblem('a\u0085b')).toMatch(/U\+0085/);
  });

  it('refuses a long base64 token and wrapped base64 lines over 1 KiB, but not prose', () => {
    expect(logTextProblem(`Notes: ${'QUJD'.repeat(300)}`)).toMatch(/^line 1: a run of 1200 base64-like characters/);
    // Behind a prefix that is not base64 itself: a data: URI as a file name of a checksum line.
    expect(logTextProblem(`${'ab'.repeat(32)}  data:image/jpeg;base64,${'/9j/'.repeat(300)}\n`)).toMatch(
      /^line 1: a run of 1200 base64-like characters/,
    );
    const wrapped = `header\n${`${'TWFu'.repeat(19)}\n`.repeat(20)}`;
    expect(logTextProblem(wrapped)).toMatch(/^lines 2–15: more than 1024/);
    expect(
      logTextProblem('The quick brown fox jumps over the lazy dog. '.repeat(2000).slice(0, 60_000)),
    ).toBeUndefined();
  });

  it('refuses more than 256 KiB', () => {
    expect(logTextProblem('x'.repeat(MAX_LOG_BYTES + 1))).toMatch(/longer than 256 KiB/);
  });
});
