import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsOptional, IsUUID } from 'class-validator';

import { LANGUAGES } from '../../i18n/languages.js';
import { MAX_LABELS } from '../labels.service.js';

/** `?items=<id>,<id>` (or `items` repeated): which items of the case; absent means all of them. */
export class LabelsQueryDto {
  @ApiPropertyOptional({
    type: String,
    example: '0b6c…,4f1c…',
    description: `Comma-separated item ids of this case (1–${MAX_LABELS}); absent: every item of the case, by item number`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' || Array.isArray(value)
      ? ([] as unknown[])
          .concat(value)
          .flatMap((part) => (typeof part === 'string' ? part.split(',').map((id) => id.trim().toLowerCase()) : [part]))
      : value,
  )
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LABELS)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'items must be item ids (UUIDs) separated by commas' })
  items?: string[];

  /** Checked by LanguageParam (400 language_unsupported, listing the supported ones); declared here so it is not refused as unknown. */
  @ApiPropertyOptional({
    enum: LANGUAGES,
    description: 'Language of the labels; absent: the issuing agency’s (the caller’s, else the case’s)',
  })
  @IsOptional()
  lang?: unknown;
}
