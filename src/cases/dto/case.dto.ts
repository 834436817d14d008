import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { AGENCY_CODE_PATTERN } from '../../identity/agencies/countries.js';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { USERNAME_PATTERN } from '../../identity/dto/user.dto.js';
import { TextField } from '../../custody/dto/text-field.js';

const PRINTABLE = /^[^\p{Cc}\p{Cf}]+$/u;

export class CreateCaseDto {
  @ApiProperty({ example: 'DIL-2026/0142', description: 'Unique within your agency (case-insensitively)' })
  @IsString()
  @Length(1, 64)
  @Matches(PRINTABLE, { message: 'caseNumber must not contain control characters' })
  caseNumber!: string;

  @ApiProperty({ example: 'Operación Tormenta' })
  @IsString()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: 'title must not contain control characters' })
  title!: string;

  @ApiPropertyOptional({ example: ['JI-7 Madrid 118/2026'], description: 'Warrant and order numbers' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
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

  @ApiPropertyOptional({ example: 'fiscal.rivas', description: 'Share with this one user of another agency (or give agencyCode)' })
  @ValidateIf((share: CreateShareDto) => share.agencyCode === undefined || share.username !== undefined)
  @IsString()
  @Matches(USERNAME_PATTERN)
  username?: string;

  @ApiProperty({ enum: ['read', 'contribute'] })
  @IsIn(['read', 'contribute'])
  access!: 'read' | 'contribute';
}

export class CaseStatusChangeDto {
  @ApiProperty({ example: 'Judgment final (SAP Madrid 212/2027); evidence retained until disposal is ordered', description: 'Why, for the record (1 to 1,000 characters)' })
  @TextField(1000, { prose: true })
  reason!: string;
}
