import { DomainError } from '../common/domain-error.js';
import type { ImportWarningCode } from './dto/import-hash-log.dto.js';

type NotImportableCode = 'log_not_understood' | 'log_target_ambiguous' | 'time_zone_unknown' | 'occurred_at_required';

/** The request field that can settle each refusal. */
const FIELD_OF: Readonly<Record<NotImportableCode, string>> = {
  log_not_understood: 'text',
  log_target_ambiguous: 'target',
  time_zone_unknown: 'timeZone',
  occurred_at_required: 'occurredAt',
};

/**
 * 422: the log cannot be recorded as it stands — not understood (unknown format, malformed line:
 * the lines are named), several files and no target, no time zone, or no time at all.
 */
export class LogNotImportableError extends DomainError {
  constructor(
    code: NotImportableCode,
    message: string,
    problems: ReadonlyArray<{ line: number | null; message: string }> = [],
  ) {
    super('unprocessable', code, message, {
      errors: [
        {
          field: FIELD_OF[code],
          messages:
            problems.length === 0
              ? [message]
              : problems.map((p) => (p.line === null ? p.message : `line ${p.line}: ${p.message}`)),
        },
      ],
      ...(problems.some((p) => p.line !== null)
        ? { lines: [...new Set(problems.flatMap((p) => (p.line === null ? [] : [p.line])))] }
        : {}),
    });
  }
}

export interface ImportWarning {
  readonly code: ImportWarningCode;
  readonly message: string;
}

/** 409: the log raised warnings the examiner has not confirmed (`confirm`); nothing was recorded. */
export class ImportConfirmationRequiredError extends DomainError {
  constructor(warnings: readonly ImportWarning[]) {
    super(
      'conflict',
      'import_confirmation_required',
      `Confirm these warnings to record the log: ${warnings.map((w) => w.code).join(', ')}`,
      { warnings },
    );
  }
}
