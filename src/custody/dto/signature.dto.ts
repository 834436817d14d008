import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';

import { SIGNATURE_MEANINGS, type SignatureMeaning } from '../../identity/signing/signature.js';

/**
 * An electronic signature as a request gives it (docs/design.md §3): the signer's password entered again
 * now, and the meaning they state. Each act expects one meaning; another is refused.
 */
export class SignatureDto {
  @ApiProperty({ description: 'Your password, entered again to sign' })
  @IsString()
  @Length(1, 1024)
  password!: string;

  @ApiProperty({ enum: SIGNATURE_MEANINGS, example: 'released' })
  @IsIn(SIGNATURE_MEANINGS)
  meaning!: SignatureMeaning;
}
