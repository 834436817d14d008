import { looksLikeChecksumList, parseChecksumList } from './checksum-list.js';
import { looksLikeDc3dd, parseDc3dd } from './dc3dd.js';
import { looksLikeFtkImager, parseFtkImager } from './ftk-imager.js';
import { looksLikeGuymager, parseGuymager } from './guymager.js';
import { looksLikeHashdeep, parseHashdeep } from './hashdeep.js';
import { libewfToolOf, parseLibewf } from './libewf.js';
import {
  LOG_FORMATS,
  logLines,
  LogNotUnderstoodError,
  type LogFormat,
  type LogLine,
  type ParsedLog,
} from './log-format.js';
import { looksLikeUfed, parseUfed } from './ufed.js';

export * from './log-format.js';

interface FormatEntry {
  readonly format: LogFormat;
  readonly label: string;
  readonly detect: (lines: readonly LogLine[]) => boolean;
  readonly parse: (text: string) => ParsedLog;
}

/** In detection order: the most distinctive markers first, the bare checksum list last. */
const FORMATS: readonly FormatEntry[] = [
  { format: 'hashdeep', label: 'hashdeep file', detect: looksLikeHashdeep, parse: parseHashdeep },
  { format: 'guymager', label: 'Guymager .info', detect: looksLikeGuymager, parse: parseGuymager },
  { format: 'ftk-imager', label: 'FTK Imager log', detect: looksLikeFtkImager, parse: parseFtkImager },
  {
    format: 'ewfacquire',
    label: 'libewf ewfacquire output',
    detect: (lines) => libewfToolOf(lines) === 'ewfacquire',
    parse: (text) => parseLibewf(text, 'ewfacquire'),
  },
  {
    format: 'ewfverify',
    label: 'libewf ewfverify output',
    detect: (lines) => libewfToolOf(lines) === 'ewfverify',
    parse: (text) => parseLibewf(text, 'ewfverify'),
  },
  {
    format: 'ewfinfo',
    label: 'libewf ewfinfo output',
    detect: (lines) => libewfToolOf(lines) === 'ewfinfo',
    parse: (text) => parseLibewf(text, 'ewfinfo'),
  },
  { format: 'dc3dd', label: 'dc3dd log', detect: looksLikeDc3dd, parse: parseDc3dd },
  { format: 'ufed', label: 'Cellebrite UFED .ufd', detect: looksLikeUfed, parse: parseUfed },
  {
    format: 'checksum-list',
    label: 'sha256sum/md5sum list (GNU or BSD --tag)',
    detect: looksLikeChecksumList,
    parse: parseChecksumList,
  },
];

export const FORMAT_LABELS: Readonly<Record<LogFormat, string>> = Object.fromEntries(
  FORMATS.map((entry) => [entry.format, entry.label]),
) as Record<LogFormat, string>;

/** The format of a log by its markers, or undefined when none is recognised. */
export function detectLogFormat(text: string): LogFormat | undefined {
  const lines = logLines(text);
  return FORMATS.find((entry) => entry.detect(lines))?.format;
}

/**
 * Parses a log as `format` (when given) or as the format detected. An unknown or malformed log
 * throws LogNotUnderstoodError naming what was not understood, with line numbers where possible.
 */
export function parseLog(text: string, format?: LogFormat): ParsedLog {
  const chosen = format ?? detectLogFormat(text);
  if (chosen === undefined) {
    throw new LogNotUnderstoodError(
      `The log is none of the formats Custos reads (${LOG_FORMATS.join(', ')}): no header or line of any of them was recognised`,
    );
  }
  return FORMATS.find((entry) => entry.format === chosen)!.parse(text);
}
