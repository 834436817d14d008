import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  IsTimeZone,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import { Omittable } from '../../common/text-field.js';
import { HASH_TARGET_PATTERN } from '../../custody/dto/hashes.dto.js';
import { SignatureDto } from '../../custody/dto/signature.dto.js';
import { IsOffsetDateTime } from '../../custody/evidence-fields.js';
import { LOG_FORMATS, type LogFormat } from '../formats/log-format.js';
import { MAX_LOG_BYTES } from '../log-text.js';

/** Warnings an examiner may confirm; anything else in `confirm` is refused. */
export const IMPORT_WARNING_CODES = [
  'tool_verification_failed',
  'case_number_mismatch',
  'evidence_number_mismatch',
  'device_serial_mismatch',
  'time_zone_assumed',
] as const;
export type ImportWarningCode = (typeof IMPORT_WARNING_CODES)[number];

export class ImportHashLogDto {
  @ApiPropertyOptional({ enum: LOG_FORMATS, description: 'Forces a format; detected from the text when left out' })
  @Omittable()
  @IsIn(LOG_FORMATS)
  format?: LogFormat;

  @ApiProperty({
    description:
      'The log as text (at most 256 KiB). Not stored: only its SHA-256 and the extracted fields are recorded.',
  })
  @IsString()
  @MaxLength(MAX_LOG_BYTES)
  text!: string;

  @ApiPropertyOptional({ description: 'Answer with what would be recorded, and record nothing' })
  @Omittable()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    example: 'device',
    description:
      'The target the values are recorded for. Default: `device` for a medium, the file name (lower-cased) for a file list; picks one file of a list of several.',
  })
  @Omittable()
  @Matches(HASH_TARGET_PATTERN, { message: 'target must be lower-case letters, digits, ".", "_" or "-"' })
  target?: string;

  @ApiPropertyOptional({
    enum: IMPORT_WARNING_CODES,
    isArray: true,
    description: 'Warnings of a dry run that the examiner confirms',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(IMPORT_WARNING_CODES.length)
  @ArrayUnique()
  @IsIn(IMPORT_WARNING_CODES, { each: true })
  confirm?: ImportWarningCode[];

  @ApiPropertyOptional({
    example: 'Europe/Madrid',
    description: 'IANA zone of a log that prints none; default: your account’s zone',
  })
  @Omittable()
  @IsString()
  @IsTimeZone()
  timeZone?: string;

  @ApiPropertyOptional({
    example: '2026-11-20T10:00:00+01:00',
    description: 'When the hashes were computed, for a log that prints no time (sha256sum, hashdeep)',
  })
  @Omittable()
  @IsOffsetDateTime()
  occurredAt?: string;

  @ApiPropertyOptional({
    type: SignatureDto,
    description:
      'Required when the values become the target’s reference (signed `acquired`); optional `verified` otherwise',
  })
  @Omittable()
  @ValidateNested()
  @Type(() => SignatureDto)
  signature?: SignatureDto;
}
