import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { AGENCY_CODE_PATTERN } from '../agencies/countries.js';

export class CreateAgencyDto {
  @ApiProperty({ example: 'ES-PN', description: 'Country letters, then one to three dash-separated parts' })
  @IsString()
  @Matches(AGENCY_CODE_PATTERN, { message: 'code must look like ES-PN (upper-case letters and digits)' })
  code!: string;

  @ApiProperty({ example: 'Policía Nacional' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ example: 'ES', description: 'ISO 3166-1 alpha-2' })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code like ES' })
  country!: string;
}
