import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';

import { PASSWORD_MAX_LENGTH } from '../passwords/password-policy.js';

export class LoginDto {
  @ApiProperty({ example: 'ana.garcia' })
  @IsString()
  @Length(1, 200)
  username!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh; each is usable once' })
  @IsString()
  @Length(16, 200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  currentPassword!: string;

  @ApiProperty({ format: 'password', description: 'At least 12 characters, not a common password, not the username' })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  newPassword!: string;
}
