import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import type { AccessibleCase } from '../cases/case-access.service.js';
import type { RequestContext } from '../common/request-context.js';
import type { ImportPreview, ImportResult } from '../contracts/operations.js';
import type { HashRecordSource } from '../custody/custody-events.js';
import { CustodyRecords } from '../custody/custody-records.service.js';
import { isStrongHashAlgorithm } from '../custody/evidence-fields.js';
import { compareWithReference, HashesService, referencesOf } from '../custody/hashes.service.js';
import type { ItemRow } from '../custody/item-records.js';
import type { ImportHashLogDto, ImportWarningCode } from './dto/import-hash-log.dto.js';
import { FORMAT_LABELS, LogNotUnderstoodError, parseLog, type LogObject, type ParsedLog } from './formats/index.js';
import { ImportConfirmationRequiredError, LogNotImportableError, type ImportWarning } from './hash-imports.errors.js';
import { logTextProblem } from './log-text.js';
import { logTimeText } from './log-times.js';

// Declared once, with their schemas, in src/contracts (ADR 0009).
export type { ImportPreview, ImportResult };

/** Identifiers compared as a person compares them: case, spaces and punctuation do not matter. */
const normalised = (text: string | null | undefined): string =>
  (text ?? '').toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');

/** A target name from a file name: its base name, lower-cased, other characters as `-`. */
export function targetOfName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const target = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 100);
  return target === '' ? 'file' : target;
}

/**
 * Hash values imported from an acquisition tool's log (docs/hash-import.md): parsed, checked
 * against the item, shown (dry run) or recorded through HashesService.recordValues — the same
 * path as typed values — with what the log said in the entry's `source`. The text is not kept.
 */
@Injectable()
export class HashImportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
    private readonly hashes: HashesService,
  ) {}

  async import(ctx: RequestContext, itemId: string, input: ImportHashLogDto): Promise<ImportResult> {
    const actor = ctx.actor!;
    const textProblem = logTextProblem(input.text);
    if (textProblem !== undefined) throw new LogNotImportableError('log_not_understood', textProblem);
    const parsed = this.parse(input);
    const { object, target } = this.chooseObject(parsed, input.target);
    const { item, kase } = await this.records.requireItem(this.dataSource, ctx, itemId, 'contribute');
    this.records.requireHeldBy(item, actor, 'records its hashes');

    const needsZone = [parsed.startedAt, parsed.endedAt].some((time) => time !== null && time.offsetMinutes === null);
    const zone = needsZone ? (input.timeZone ?? (await this.accountZone(actor.id))) : null;
    if (needsZone && zone === null) {
      throw new LogNotImportableError(
        'time_zone_unknown',
        'The log prints its times without a time zone and none is known: give timeZone (an IANA name such as Europe/Madrid), or ask an administrator to set your account’s zone',
      );
    }
    const when = parsed.endedAt ?? parsed.startedAt;
    let occurredText: string;
    if (when !== null) occurredText = logTimeText(when, zone)!;
    else if (input.occurredAt !== undefined) occurredText = input.occurredAt;
    else
      throw new LogNotImportableError(
        'occurred_at_required',
        `A ${FORMAT_LABELS[parsed.format]} prints no time: give occurredAt, when the hashes were computed`,
      );
    const occurred = this.records.eventTime(occurredText, when === null ? 'occurredAt' : 'text');

    const parentSerial =
      item.parent_id === null
        ? null
        : ((
            await this.dataSource.query<Array<{ serial: string | null }>>('SELECT serial FROM item WHERE id = $1', [
              item.parent_id,
            ])
          )[0]?.serial ?? null);
    const warnings = this.warnings(
      parsed,
      item,
      kase,
      parentSerial,
      needsZone ? { zone: zone!, from: input.timeZone === undefined ? 'your account' : 'the request' } : null,
    );
    const values = object.hashes.map((hash) => ({ algorithm: hash.algorithm, value: hash.value }));
    // Only what the import would be: the recording itself (HashesService) checks references against the ledger.
    const references = (await referencesOf(this.dataSource, [item.id], () => undefined)).filter(
      (ref) => ref.target === target,
    );
    const role = references.length === 0 ? 'reference' : 'verification';
    const confirmed = input.confirm ?? [];
    const source: HashRecordSource = {
      format: parsed.format,
      tool: parsed.tool,
      toolVersion: parsed.toolVersion,
      logSha256: createHash('sha256').update(input.text, 'utf8').digest('hex'),
      caseNumber: parsed.caseNumber,
      evidenceNumber: parsed.evidenceNumber,
      startedAt: parsed.startedAt === null ? null : (logTimeText(parsed.startedAt, zone) ?? null),
      endedAt: parsed.endedAt === null ? null : (logTimeText(parsed.endedAt, zone) ?? null),
      timeZoneAssumed: needsZone ? zone : null,
      reportedResult: parsed.reportedResult,
      device: parsed.device,
      confirmed: warnings.map((w) => w.code).filter((code) => confirmed.includes(code)),
    };
    const preview: ImportPreview = {
      format: parsed.format,
      formatLabel: FORMAT_LABELS[parsed.format],
      target,
      role,
      occurredAt: occurred.text,
      timeZoneAssumed: source.timeZoneAssumed,
      values:
        role === 'reference'
          ? values
          : compareWithReference(values, references).map(({ algorithm, value, result }) => ({
              algorithm,
              value,
              result,
            })),
      weak: role === 'reference' && !values.some((value) => isStrongHashAlgorithm(value.algorithm)),
      warnings,
      examiner: parsed.examiner,
      source,
    };
    if (input.dryRun === true) return { dryRun: true, import: preview };

    const unconfirmed = warnings.filter((warning) => !confirmed.includes(warning.code));
    if (unconfirmed.length > 0) throw new ImportConfirmationRequiredError(unconfirmed);
    const recorded = await this.hashes.recordValues(ctx, item.id, {
      target,
      values,
      tool: parsed.tool,
      toolVersion: parsed.toolVersion,
      occurred,
      signature: input.signature,
      source,
      // The item may have been corrected since the check above: its warnings are decided again on the locked row.
      check: (locked, lockedCase) => {
        const now = this.warnings(parsed, locked, lockedCase, parentSerial, null).filter(
          (warning) => !confirmed.includes(warning.code),
        );
        if (now.length > 0) throw new ImportConfirmationRequiredError(now);
      },
    });
    return { dryRun: false, import: { ...preview, role: recorded.records[0]?.role ?? role }, ...recorded };
  }

  private parse(input: ImportHashLogDto): ParsedLog {
    try {
      return parseLog(input.text, input.format);
    } catch (error) {
      if (error instanceof LogNotUnderstoodError)
        throw new LogNotImportableError('log_not_understood', error.message, error.problems);
      throw error;
    }
  }

  /** The hashed object the import records: the only one, or the one `target` names. */
  private chooseObject(parsed: ParsedLog, requested: string | undefined): { object: LogObject; target: string } {
    const targetOf = (object: LogObject): string => (object.name === null ? 'device' : targetOfName(object.name));
    if (parsed.objects.length === 1)
      return { object: parsed.objects[0], target: requested ?? targetOf(parsed.objects[0]) };
    const names = parsed.objects.map(targetOf);
    const chosen =
      requested === undefined ? undefined : parsed.objects.find((object) => targetOf(object) === requested);
    if (chosen === undefined) {
      throw new LogNotImportableError(
        'log_target_ambiguous',
        `The log hashes ${names.length} files (${names.join(', ')}): name the one to record as target`,
      );
    }
    return { object: chosen, target: requested! };
  }

  private async accountZone(userId: string): Promise<string | null> {
    const rows = await this.dataSource.query<Array<{ time_zone: string | null }>>(
      'SELECT time_zone FROM user_account WHERE id = $1',
      [userId],
    );
    return rows[0]?.time_zone ?? null;
  }

  /** What the examiner must confirm before the values are recorded (docs/hash-import.md). */
  private warnings(
    parsed: ParsedLog,
    item: ItemRow,
    kase: AccessibleCase,
    parentSerial: string | null,
    assumedZone: { zone: string; from: string } | null,
  ): ImportWarning[] {
    const warnings: Array<{ code: ImportWarningCode; message: string }> = [];
    if (parsed.reportedResult === 'failed') {
      warnings.push({
        code: 'tool_verification_failed',
        message: `${parsed.tool} reported its own verification as failed${parsed.resultDetail === null ? '' : `: ${parsed.resultDetail}`}`,
      });
    }
    if (parsed.caseNumber !== null && normalised(parsed.caseNumber) !== normalised(kase.case_number)) {
      warnings.push({
        code: 'case_number_mismatch',
        message: `The log names case ${parsed.caseNumber}; ${item.item_number} belongs to case ${kase.case_number}`,
      });
    }
    if (parsed.evidenceNumber !== null) {
      const evidence = normalised(parsed.evidenceNumber);
      const identifiers = [item.item_number, item.seal_number, item.seized_from, item.parent_number].filter(
        (id): id is string => id !== null && id !== '',
      );
      if (
        evidence === '' ||
        !identifiers.some(
          (id) => normalised(id) === evidence || (evidence.length >= 3 && normalised(id).includes(evidence)),
        )
      ) {
        warnings.push({
          code: 'evidence_number_mismatch',
          message: `The log's evidence number ${parsed.evidenceNumber} is none of the item's identifiers (${identifiers.join(', ')})`,
        });
      }
    }
    const serial = item.serial ?? parentSerial;
    if (parsed.device?.serial != null && serial !== null && normalised(parsed.device.serial) !== normalised(serial)) {
      warnings.push({
        code: 'device_serial_mismatch',
        message: `The log's device serial ${parsed.device.serial} is not the item's serial ${serial}`,
      });
    }
    if (assumedZone !== null) {
      warnings.push({
        code: 'time_zone_assumed',
        message: `The log prints no time zone; its times were read as ${assumedZone.zone} (from ${assumedZone.from})`,
      });
    }
    return warnings;
  }
}
