import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const MAX_INDEX = Number.MAX_SAFE_INTEGER;

export class EntriesQueryDto {
  @ApiProperty({ description: 'First index (inclusive)', minimum: 0 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_INDEX)
  from!: number;

  @ApiProperty({ description: 'Last index (exclusive); at most 1000 entries per request', minimum: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_INDEX)
  to!: number;
}

export class InclusionProofQueryDto {
  @ApiProperty({ minimum: 0 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_INDEX)
  index!: number;

  @ApiPropertyOptional({ description: 'Tree size the proof is for (default: the latest checkpoint)', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_INDEX)
  treeSize?: number;
}

export class ConsistencyProofQueryDto {
  @ApiProperty({ minimum: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_INDEX)
  from!: number;

  @ApiPropertyOptional({ description: 'Default: the latest checkpoint', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_INDEX)
  to?: number;
}

export class CheckpointQueryDto {
  @ApiPropertyOptional({ description: 'A specific checkpoint by tree size (default: the latest)', minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_INDEX)
  treeSize?: number;
}
