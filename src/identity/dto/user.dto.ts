import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsTimeZone,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';

import { PageQueryDto } from '../../common/page-query.dto.js';
import { ROLES, type Role } from '../../common/request-context.js';
import { TextField } from '../../common/text-field.js';
import { AGENCY_CODE_PATTERN } from '../agencies/countries.js';
import { PASSWORD_MAX_LENGTH } from '../passwords/password-policy.js';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export class CreateUserDto {
  @ApiProperty({
    example: 'ana.garcia',
    description: 'Letters, digits, dot, dash, underscore; 3–64 characters; stored lower-case',
  })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{2,63}$/i, { message: 'username must be 3–64 letters, digits, ".", "-" or "_"' })
  username!: string;

  @ApiProperty({ example: 'Ana García', description: 'The printed name on signatures: 1 to 200 characters, trimmed' })
  @TextField(200)
  displayName!: string;

  @ApiPropertyOptional({
    example: 'ES-PN',
    description: 'Default: your agency. Platform administrators name any agency.',
  })
  @IsOptional()
  @IsString()
  @Matches(AGENCY_CODE_PATTERN)
  agencyCode?: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles!: Role[];

  @ApiPropertyOptional({ description: 'Platform administrators only: an administrator of every agency' })
  @IsOptional()
  @IsBoolean()
  platformAdmin?: boolean;

  @ApiPropertyOptional({
    format: 'password',
    description:
      'Initial password (the user must replace it at first login). Omitted: one is generated and returned once.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password?: string;

  @ApiPropertyOptional({
    example: 'Europe/Madrid',
    description: 'IANA time zone the user’s forensic tools write local times in (log imports, docs/hash-import.md)',
  })
  @IsOptional()
  @IsString()
  @IsTimeZone()
  @MaxLength(64)
  timeZone?: string;
}

/** Absent means unchanged; null is a value, and refused like any wrong type (IsOptional let it through to a 500). */
const given = (_dto: object, value: unknown): boolean => value !== undefined;

export class UpdateUserDto {
  @ApiPropertyOptional({ description: 'The printed name on signatures: 1 to 200 characters, trimmed' })
  @TextField(200, { optional: true })
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, description: 'Changing roles ends the user’s sessions' })
  @ValidateIf(given)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({ description: 'false disables the account and ends its sessions' })
  @ValidateIf(given)
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'America/Argentina/Buenos_Aires',
    description:
      'IANA time zone the user’s forensic tools write local times in; null: none (log imports then need one per import)',
  })
  @ValidateIf((_dto: object, value: unknown) => value !== undefined && value !== null)
  @IsString()
  @IsTimeZone()
  @MaxLength(64)
  timeZone?: string | null;
}

export class ResetPasswordDto {
  @ApiProperty({
    format: 'password',
    description: 'A temporary password; the user must choose their own at next login',
  })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password!: string;
}

export class UserListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Platform administrators: only this agency' })
  @IsOptional()
  @IsString()
  @Matches(AGENCY_CODE_PATTERN)
  agencyCode?: string;
}
