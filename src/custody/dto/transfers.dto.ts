import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsUUID,
  Matches,
  ValidateNested,
} from 'class-validator';

import { PageQueryDto } from '../../common/page-query.dto.js';
import { Omittable, TextField, Trim } from '../../common/text-field.js';
import { IsOffsetDateTime } from '../evidence-fields.js';
import { HASH_TARGET_PATTERN, HashValueDto } from './hashes.dto.js';
import { SignatureDto } from './signature.dto.js';

export const MAX_TRANSFER_ITEMS = 500;

export class CreateTransferDto {
  @ApiProperty({ type: [String], description: `1–${MAX_TRANSFER_ITEMS} items of one case, all in your custody` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TRANSFER_ITEMS)
  // UUIDs are case-insensitive: the same item in two spellings is listed twice.
  @ArrayUnique((id: unknown) => (typeof id === 'string' ? id.toLowerCase() : id))
  @IsUUID('all', { each: true })
  itemIds!: string[];

  @ApiProperty({ example: 'lab.ferreira', description: 'The receiving user (any agency the case is shared with)' })
  @TextField(100)
  to!: string;

  @ApiProperty({ example: 'Forensic acquisition at the lab' })
  @TextField(500, { prose: true })
  purpose!: string;

  @ApiPropertyOptional({
    example: '2026-11-24T09:30:00+01:00',
    description:
      'When you handed the items over, with the offset of the place (default: now). Not in the future, ' +
      "nor before any item's previous custody event",
  })
  @Omittable()
  @IsOffsetDateTime()
  occurredAt?: string;

  @ApiProperty({ type: SignatureDto, description: 'You sign the release (`released`)' })
  @ValidateNested()
  @Type(() => SignatureDto)
  signature!: SignatureDto;
}

export class AcceptedHashDto extends HashValueDto {
  @ApiProperty({ example: 'device' })
  @Trim()
  @Matches(HASH_TARGET_PATTERN, { message: 'target must be lower-case letters, digits, ".", "_" or "-"' })
  target!: string;
}

export class AcceptedItemDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  itemId!: string;

  @ApiProperty({ description: 'Was the tamper-evident seal intact on receipt?' })
  @IsBoolean()
  sealIntact!: boolean;

  @ApiPropertyOptional({ example: 'Bag torn at the lower seam' })
  @TextField(2000, { optional: true, prose: true })
  sealNote?: string;

  @ApiPropertyOptional({
    type: [AcceptedHashDto],
    description: 'Re-verification hashes taken on receipt, compared with the references',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(8)
  @ValidateNested({ each: true })
  @Type(() => AcceptedHashDto)
  hashes?: AcceptedHashDto[];
}

export class AcceptTransferDto {
  @ApiProperty({ type: [AcceptedItemDto], description: 'Every item of the transfer, once, with the state of its seal' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TRANSFER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => AcceptedItemDto)
  items!: AcceptedItemDto[];

  @ApiPropertyOptional({ example: 'Lab intake, safe 2' })
  @TextField(500, { optional: true })
  location?: string;

  @ApiPropertyOptional({
    example: '2026-11-25T16:10:00-03:00',
    description: 'When you received the items, with the offset of the place (default: now). Not before the release',
  })
  @Omittable()
  @IsOffsetDateTime()
  occurredAt?: string;

  @ApiProperty({ type: SignatureDto, description: 'You sign receipt (`received`)' })
  @ValidateNested()
  @Type(() => SignatureDto)
  signature!: SignatureDto;
}

export class RejectTransferDto {
  @ApiProperty({ example: 'Seal numbers do not match the transfer sheet' })
  @TextField(2000, { prose: true })
  reason!: string;

  @ApiProperty({ type: SignatureDto, description: 'You sign the rejection (`rejected`)' })
  @ValidateNested()
  @Type(() => SignatureDto)
  signature!: SignatureDto;
}

export class CancelTransferDto {
  @ApiPropertyOptional({ example: 'Wrong receiver selected' })
  @TextField(2000, { optional: true, prose: true })
  reason?: string;
}

export class TransferListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'accepted', 'rejected', 'cancelled'] })
  @Omittable()
  @IsIn(['pending', 'accepted', 'rejected', 'cancelled'])
  status?: 'pending' | 'accepted' | 'rejected' | 'cancelled';

  @ApiPropertyOptional({
    enum: ['incoming', 'outgoing'],
    description: 'incoming: to you; outgoing: from you; absent: both',
  })
  @Omittable()
  @IsIn(['incoming', 'outgoing'])
  direction?: 'incoming' | 'outgoing';

  @ApiPropertyOptional({ format: 'uuid', description: 'Transfers of one case (any party, if you may read the case)' })
  @Omittable()
  @IsUUID()
  caseId?: string;
}
