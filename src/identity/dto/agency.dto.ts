import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

import { TextField } from '../../common/text-field.js';
import { LANGUAGES } from '../../i18n/languages.js';
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

  @ApiPropertyOptional({
    enum: LANGUAGES,
    example: 'es',
    description:
      'Language of its court reports and label sheets; absent: the language of its country’s courts (es for ES, AR …, pt-BR for BR, pt-PT for PT), else en. 400 language_unsupported otherwise',
  })
  @IsOptional()
  @IsString()
  language?: string;
}

/** `PATCH /agencies/{code}`: what may change of an agency (its code, name and country are for good). */
export class UpdateAgencyDto {
  @ApiProperty({ enum: LANGUAGES, example: 'pt-PT', description: 'Language of its court reports and label sheets' })
  @IsString()
  language!: string;
}
