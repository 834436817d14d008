import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

import { TextField } from '../../common/text-field.js';
import { AGENCY_CODE_PATTERN } from '../agencies/countries.js';

export class CreateAgencyDto {
  @ApiProperty({ example: 'ES-PN', description: 'Country letters, then one to three dash-separated parts' })
  @IsString()
  @Matches(AGENCY_CODE_PATTERN, { message: 'code must look like ES-PN (upper-case letters and digits)' })
  code!: string;

  @ApiProperty({ example: 'Policía Nacional', description: '1 to 200 characters, trimmed' })
  @TextField(200)
  name!: string;

  @ApiProperty({ example: 'ES', description: 'ISO 3166-1 alpha-2' })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code like ES' })
  country!: string;
}
