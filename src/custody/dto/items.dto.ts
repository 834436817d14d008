import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

import { PageQueryDto } from '../../common/page-query.dto.js';
import { Omittable, TextField, Trim } from '../../common/text-field.js';
import {
  DISPOSITIONS,
  INTEGRITY_STATES,
  ITEM_KINDS,
  ITEM_STATES,
  POWER_STATES,
  type Disposition,
  type Integrity,
  type ItemKind,
  type ItemState,
  type PowerState,
} from '../custody-events.js';
import { IsIccid, IsImei, IsMacAddress, IsOffsetDateTime } from '../evidence-fields.js';
import { HashValueDto } from './hashes.dto.js';
import { SignatureDto } from './signature.dto.js';

/** Most devices that are seized in one search fit; a bigger search is several requests. */
export const MAX_SEIZURE_BATCH = 200;

export class AcquisitionDto {
  @ApiProperty({ example: 'FTK Imager' })
  @TextField(200)
  tool!: string;

  @ApiProperty({ example: '4.7.1.2' })
  @TextField(100)
  toolVersion!: string;

  @ApiPropertyOptional({ example: 'Physical image through a Tableau T35u write blocker, E01, compression 6' })
  @TextField(500, { optional: true, prose: true })
  method?: string;

  @ApiPropertyOptional({ example: 'image.E01', default: 'image', description: 'What the hashes are of' })
  @Omittable()
  @Trim()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,99}$/, {
    message: 'target must be lower-case letters, digits, ".", "_" or "-" (e.g. image.E01 → image.e01)',
  })
  target?: string;

  @ApiProperty({
    type: [HashValueDto],
    description: 'Acquisition hashes: they become the image’s reference (signed `acquired`)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @ValidateNested({ each: true })
  @Type(() => HashValueDto)
  hashes!: HashValueDto[];
}

export class ItemInputDto {
  @ApiProperty({ enum: ITEM_KINDS })
  @IsIn(ITEM_KINDS)
  kind!: ItemKind;

  @ApiProperty({ example: 'Black smartphone, cracked screen, in blue case' })
  @TextField(2000, { prose: true })
  description!: string;

  @ApiPropertyOptional({ example: 'Samsung' })
  @TextField(200, { optional: true })
  make?: string;

  @ApiPropertyOptional({ example: 'Galaxy S21 (SM-G991B)' })
  @TextField(200, { optional: true })
  model?: string;

  @ApiPropertyOptional({ example: 'R58R12ABCDE', description: 'Trimmed' })
  @TextField(200, { optional: true })
  serial?: string;

  @ApiPropertyOptional({
    example: ['490154203237518'],
    description: '15 digits each, Luhn-checked; at most 4 (multi-SIM)',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(4)
  @Transform(({ value }: { value: unknown }) =>
    Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'string' ? v.trim() : v)) : value,
  )
  @IsImei({ each: true })
  imeis?: string[];

  @ApiPropertyOptional({ example: '8944500102198304826', description: '19–20 digits starting 89, Luhn-checked' })
  @Omittable()
  @Trim()
  @IsIccid()
  iccid?: string;

  @ApiPropertyOptional({
    example: ['a4:5e:60:c2:19:7f'],
    description: 'aa:bb:cc:dd:ee:ff, aa-bb-…, or aabb.ccdd.eeff; stored lower-case with colons',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(16)
  @IsMacAddress({ each: true })
  macAddresses?: string[];

  @ApiPropertyOptional({ example: 128000000000, description: 'Bytes; a positive integer' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  capacityBytes?: number;

  @ApiPropertyOptional({ example: 'Screen cracked, SIM tray present' })
  @TextField(2000, { optional: true, prose: true })
  condition?: string;

  @ApiPropertyOptional({ enum: POWER_STATES })
  @Omittable()
  @IsIn(POWER_STATES)
  powerState?: PowerState;

  @ApiPropertyOptional({ example: 'ES-PN-SEAL-0042117', description: 'Number of the tamper-evident bag' })
  @Omittable()
  @Trim()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,63}$/, {
    message: 'sealNumber must be 1–64 letters, digits, spaces, ".", "/", "_" or "-"',
  })
  sealNumber?: string;

  @ApiProperty({
    example: '2026-11-28T09:14:00+01:00',
    description: 'When it was seized, with the UTC offset of the place; kept as given',
  })
  @IsOffsetDateTime()
  occurredAt!: string;

  @ApiProperty({ example: 'Calle Mayor 12, 3ºB, Madrid — bedroom' })
  @TextField(500)
  place!: string;

  @ApiPropertyOptional({ example: 'Exhibit schedule line 7', description: 'An opaque reference, never a name' })
  @TextField(200, { optional: true })
  seizedFrom?: string;

  @ApiPropertyOptional({ example: 'JI-7 Madrid, auto 118/2026' })
  @TextField(500, { optional: true })
  legalAuthority?: string;

  @ApiPropertyOptional({ example: 'Vehicle 3, evidence locker', description: 'Where the item is kept now' })
  @TextField(500, { optional: true })
  location?: string;

  @ApiPropertyOptional({
    description: 'An item of the same case this one was in or was made from (SIM in a phone; image of a drive)',
  })
  @Omittable()
  @IsUUID()
  parentId?: string;

  @ApiPropertyOptional({
    description: 'Index in this batch of an earlier item this one was in (SIM registered with its phone)',
  })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(MAX_SEIZURE_BATCH - 1)
  parentIndex?: number;

  @ApiPropertyOptional({
    type: AcquisitionDto,
    description: 'Required for forensic_image and extraction, refused otherwise',
  })
  @Omittable()
  @ValidateNested()
  @Type(() => AcquisitionDto)
  acquisition?: AcquisitionDto;
}

export class RegisterItemsDto {
  @ApiProperty({ type: [ItemInputDto], description: `1–${MAX_SEIZURE_BATCH} items, registered all or nothing` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SEIZURE_BATCH)
  @ValidateNested({ each: true })
  @Type(() => ItemInputDto)
  items!: ItemInputDto[];

  @ApiPropertyOptional({
    type: SignatureDto,
    description: 'Needed when registering derived items: the examiner signs their acquisition hashes (`acquired`)',
  })
  @Omittable()
  @ValidateNested()
  @Type(() => SignatureDto)
  signature?: SignatureDto;
}

export class ItemListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @Omittable()
  @IsUUID()
  caseId?: string;

  @ApiPropertyOptional({ description: '`me` (your custody: the clerk’s inbox of things held) or a user id' })
  @Omittable()
  @Matches(/^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, {
    message: 'custodian must be "me" or a user id',
  })
  custodian?: string;

  @ApiPropertyOptional({ enum: ITEM_STATES })
  @Omittable()
  @IsIn(ITEM_STATES)
  state?: ItemState;

  @ApiPropertyOptional({ enum: INTEGRITY_STATES })
  @Omittable()
  @IsIn(INTEGRITY_STATES)
  integrity?: Integrity;

  @ApiPropertyOptional({
    description: 'Item number (or its start), serial, seal number, IMEI or ICCID; case-insensitive',
  })
  @TextField(200, { optional: true })
  q?: string;
}

export class MoveItemDto {
  @ApiProperty({ example: 'Madrid/HQ/Room 2/Shelf B/Bin 4' })
  @TextField(500)
  location!: string;

  @ApiPropertyOptional({ example: 'Moved to long-term storage' })
  @TextField(500, { optional: true, prose: true })
  reason?: string;
}

export class WitnessDto {
  @ApiProperty({ example: 'clerk.garcia' })
  @TextField(100)
  username!: string;

  @ApiProperty({ description: 'The witness enters their own password: they sign `witnessed`' })
  @TextField(1024)
  password!: string;
}

export class DisposeItemDto {
  @ApiProperty({ enum: DISPOSITIONS })
  @IsIn(DISPOSITIONS)
  disposition!: Disposition;

  @ApiProperty({ example: 'JI-7 Madrid, auto 311/2027', description: 'The order that authorises it' })
  @TextField(500)
  authorityReference!: string;

  @ApiPropertyOptional({
    example: 'Audiencia Nacional, Juzgado Central 3',
    description:
      'Who received it (required for released_to_authority and returned_to_owner; an opaque reference for an owner)',
  })
  @TextField(500, { optional: true })
  recipient?: string;

  @ApiPropertyOptional({ example: 'Destroyed by shredding, certificate 2027/118' })
  @TextField(2000, { optional: true, prose: true })
  notes?: string;

  @ApiProperty({ example: '2027-03-02T11:00:00+01:00' })
  @IsOffsetDateTime()
  occurredAt!: string;

  @ApiProperty({ type: WitnessDto })
  // ValidateNested passes a missing object: only IsDefined refuses it.
  @IsDefined()
  @ValidateNested()
  @Type(() => WitnessDto)
  witness!: WitnessDto;

  @ApiProperty({ type: SignatureDto, description: 'The custodian signs `disposed`' })
  @ValidateNested()
  @Type(() => SignatureDto)
  signature!: SignatureDto;
}

export class ItemChangesDto {
  @TextField(2000, { optional: true, prose: true }) description?: string;
  @TextField(200, { optional: true }) make?: string;
  @TextField(200, { optional: true }) model?: string;
  @TextField(200, { optional: true }) serial?: string;
  @Omittable() @IsArray() @ArrayMaxSize(4) @ArrayUnique() @IsImei({ each: true }) imeis?: string[];
  @Omittable() @Trim() @IsIccid() iccid?: string;
  @Omittable() @IsArray() @ArrayMaxSize(16) @IsMacAddress({ each: true }) macAddresses?: string[];
  @Omittable() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) capacityBytes?: number;
  @TextField(2000, { optional: true, prose: true }) condition?: string;
  @Omittable() @IsIn(POWER_STATES) powerState?: PowerState;
  @Omittable()
  @Trim()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,63}$/, {
    message: 'sealNumber must be 1–64 letters, digits, spaces, ".", "/", "_" or "-"',
  })
  sealNumber?: string;
  @Omittable() @IsOffsetDateTime() occurredAt?: string;
  @TextField(500, { optional: true }) place?: string;
  @TextField(200, { optional: true }) seizedFrom?: string;
  @TextField(500, { optional: true }) legalAuthority?: string;
  @ApiPropertyOptional({ description: 'For a storage move: the location it should have said' })
  @TextField(500, { optional: true })
  location?: string;
}

export class CorrectItemDto {
  @ApiProperty({ example: 1042, description: 'Ledger index of the entry being corrected (an entry of this item)' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  corrects!: number;

  @ApiProperty({ example: 'Serial misread at the scene: 8 is a B on the label' })
  @TextField(1000, { prose: true })
  reason!: string;

  @ApiProperty({ type: ItemChangesDto, description: 'The corrected values; for a storage move only `location`' })
  @IsDefined()
  @ValidateNested()
  @Type(() => ItemChangesDto)
  changes!: ItemChangesDto;

  @ApiProperty({ type: SignatureDto, description: 'Signed `corrected`' })
  @ValidateNested()
  @Type(() => SignatureDto)
  signature!: SignatureDto;
}
