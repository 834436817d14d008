import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class BundleQueryDto {
  @ApiPropertyOptional({
    description:
      'Tree size of a signed checkpoint you already hold (from an earlier bundle or report): the bundle then carries that checkpoint ' +
      'and the consistency proof from it to the bundle’s checkpoint. 404 checkpoint_not_found when the ledger signed no checkpoint of that size.',
    minimum: 1,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  since?: number;
}
