import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';

import { PageQueryDto } from '../../common/page-query.dto.js';
import { ACCESS_LOG_EVENTS, ACCESS_LOG_OUTCOMES } from '../access-log-events.js';

export class AccessLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ACCESS_LOG_EVENTS })
  @IsOptional()
  @IsIn(ACCESS_LOG_EVENTS)
  event?: string;

  @ApiPropertyOptional({ enum: ACCESS_LOG_OUTCOMES })
  @IsOptional()
  @IsIn(ACCESS_LOG_OUTCOMES)
  outcome?: string;

  @ApiPropertyOptional({ description: 'Rows whose actor is this user id' })
  @IsOptional()
  @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ description: 'Rows whose actor or subject account has this username (also failed logins)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  username?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  caseId?: string;

  @ApiPropertyOptional({ description: 'From this instant (inclusive), ISO 8601' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: 'Until this instant (exclusive), ISO 8601' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  // Access-log cursors are shorter than the generic bound allows.
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  declare cursor?: string;
}
