import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';

import { PageQueryDto } from '../../common/page-query.dto.js';
import { Omittable, TextField, TextList } from '../../common/text-field.js';
import { AGENCY_CODE_PATTERN } from '../../identity/agencies/countries.js';
import { USERNAME_PATTERN } from '../../identity/dto/user.dto.js';

export class CreateCaseDto {
  @ApiProperty({
    example: 'DIL-2026/0142',
    description: 'Unique within your agency (case-insensitively); surrounding spaces are trimmed',
  })
  @TextField(64)
  caseNumber!: string;

  @ApiProperty({ example: 'Operación Tormenta' })
  @TextField(200)
  title!: string;

  @ApiPropertyOptional({
    example: ['JI-7 Madrid 118/2026'],
    description: 'Warrant and order numbers (up to 20, each 1 to 128 characters)',
  })
  @Omittable()
  @TextList(20, 128)
  legalAuthority?: string[];
}

export class CaseListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['open', 'closed'] })
  @IsOptional()
  @IsIn(['open', 'closed'])
  status?: 'open' | 'closed';
}

export class CreateShareDto {
  @ApiPropertyOptional({ example: 'AR-PFA', description: 'Share with every user of this agency (or give username)' })
  @ValidateIf((share: CreateShareDto) => share.username === undefined || share.agencyCode !== undefined)
  @IsString()
  @Matches(AGENCY_CODE_PATTERN)
  agencyCode?: string;

  @ApiPropertyOptional({
    example: 'fiscal.rivas',
    description: 'Share with this one user of another agency (or give agencyCode)',
  })
  @ValidateIf((share: CreateShareDto) => share.agencyCode === undefined || share.username !== undefined)
  @IsString()
  @Matches(USERNAME_PATTERN)
  username?: string;

  @ApiProperty({ enum: ['read', 'contribute'] })
  @IsIn(['read', 'contribute'])
  access!: 'read' | 'contribute';
}

export class CaseStatusChangeDto {
  @ApiProperty({
    example: 'Judgment final (SAP Madrid 212/2027); evidence retained until disposal is ordered',
    description: 'Why, for the record (1 to 1,000 characters)',
  })
  @TextField(1000, { prose: true })
  reason!: string;
}
