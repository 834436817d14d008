import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length, Matches, ValidateNested } from 'class-validator';

import { Omittable, TextField, Trim } from '../../common/text-field.js';
import { HASH_ALGORITHMS, IsOffsetDateTime } from '../evidence-fields.js';
import { SignatureDto } from './signature.dto.js';

export class HashValueDto {
  @ApiProperty({ enum: HASH_ALGORITHMS })
  @IsIn(HASH_ALGORITHMS)
  algorithm!: (typeof HASH_ALGORITHMS)[number];

  @ApiProperty({
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'Hex, exact length for the algorithm; upper case is accepted and stored lower-case',
  })
  @Trim()
  @IsString()
  @Length(32, 128)
  @Matches(/^[0-9A-Fa-f]+$/, { message: 'value must be hexadecimal' })
  value!: string;
}

export const HASH_TARGET_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export class RecordHashesDto {
  @ApiProperty({
    example: 'device',
    description: 'What was hashed: `device` (the whole medium), `image.e01`, `extraction.zip`, …',
  })
  @Trim()
  @Matches(HASH_TARGET_PATTERN, { message: 'target must be lower-case letters, digits, ".", "_" or "-"' })
  target!: string;

  @ApiProperty({ type: [HashValueDto], description: 'One value per algorithm' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @ValidateNested({ each: true })
  @Type(() => HashValueDto)
  hashes!: HashValueDto[];

  @ApiPropertyOptional({ example: 'ewfverify' })
  @TextField(200, { optional: true })
  tool?: string;

  @ApiPropertyOptional({ example: '20140814' })
  @TextField(100, { optional: true })
  toolVersion?: string;

  @ApiProperty({ example: '2026-12-01T15:20:00+01:00', description: 'When the hash was computed' })
  @IsOffsetDateTime()
  occurredAt!: string;

  @ApiPropertyOptional({
    type: SignatureDto,
    description: 'Required when this is the first record of the target (the reference), signed `acquired`',
  })
  @Omittable()
  @ValidateNested()
  @Type(() => SignatureDto)
  signature?: SignatureDto;
}
