import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const EXPORT_FORMATS = ['case'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportQueryDto {
  @ApiPropertyOptional({
    enum: EXPORT_FORMATS,
    default: 'case',
    description:
      '`case` (the default, and for now the only one): CASE 1.x / UCO 1.x JSON-LD (https://caseontology.org), the format other agencies’ ' +
      'forensic tools ingest (docs/exports.md). Any other value is refused (400), so a client asking for a format added later never ' +
      'silently gets this one.',
  })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}
