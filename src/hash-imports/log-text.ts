/**
 * The log text itself: decoding a file's bytes (UTF-8, or Windows-1252 as Windows tools write it)
 * and the content guard for the one field that may carry a whole log (ADR 0004 amendment, ADR 0050).
 */

/** The longest log accepted: 256 KiB of UTF-8. A real acquisition log is a few KiB. */
export const MAX_LOG_BYTES = 256 * 1024;
/** Past this many characters, a run of base64 is a file, not a log line (as everywhere else, ADR 0004). */
export const MAX_LOG_ENCODED_RUN = 1024;

/**
 * A log file's bytes as text. UTF-8 when they are valid UTF-8 (a BOM is dropped); otherwise
 * Windows-1252, the code page FTK Imager and other Windows tools write in western locales.
 */
export function decodeLogBytes(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

// Control characters other than tab, LF and CR (C0, DEL and C1): no text log has them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const BASE64_CHARS = /^[A-Za-z0-9+/=_-]+$/;
const HASH_LENGTHS = new Set([32, 40, 64, 128]);
const ENCODED_RUN = new RegExp(`[A-Za-z0-9+/=_-]{${MAX_LOG_ENCODED_RUN + 1},}`);

/** Why the text is not a text log, or undefined. Lines are 1-based, as an editor numbers them. */
export function logTextProblem(text: string): string | undefined {
  if (Buffer.byteLength(text, 'utf8') > MAX_LOG_BYTES) return `The log is longer than ${MAX_LOG_BYTES / 1024} KiB`;
  const lines = text.split(/\r\n|\r|\n/);
  let run = 0;
  let runStart = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const control = CONTROL.exec(line);
    if (control !== null) {
      return `line ${index + 1}: control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}: a text log has none (is this a binary file?)`;
    }
    // Anywhere in the line, not only as a whole token: `data:image/jpeg;base64,…` hides its run behind a prefix.
    const longRun = ENCODED_RUN.exec(line);
    if (longRun !== null)
      return `line ${index + 1}: a run of ${longRun[0].length} base64-like characters: Custos takes the log's text, never encoded content`;
    // Wrapped base64 (64- or 76-character lines) over several lines counts as one run; a lone hash value does not.
    const compact = line.trim();
    const encodedLine =
      compact.length >= 16 &&
      BASE64_CHARS.test(compact) &&
      !(HASH_LENGTHS.has(compact.length) && /^[0-9a-fA-F]+$/.test(compact));
    if (encodedLine) {
      if (run === 0) runStart = index + 1;
      run += compact.length;
      if (run > MAX_LOG_ENCODED_RUN)
        return `lines ${runStart}–${index + 1}: more than ${MAX_LOG_ENCODED_RUN} characters of base64-like lines: Custos takes the log's text, never encoded content`;
    } else {
      run = 0;
    }
  }
  return undefined;
}
