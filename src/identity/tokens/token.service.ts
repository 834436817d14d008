import { createHash, randomBytes } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { signAccessToken, type AccessTokenSettings } from './access-token.js';

export const TOKEN_KEY = Symbol('TOKEN_KEY');

/** Issues access tokens (passport-jwt checks them); makes opaque refresh tokens and their stored digests. */
@Injectable()
export class TokenService {
  private readonly settings: AccessTokenSettings;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(TOKEN_KEY) key: Buffer) {
    this.settings = {
      key,
      issuer: config.auth.jwtIssuer,
      audience: config.auth.jwtAudience,
      ttlSeconds: config.auth.accessTokenTtlSeconds,
    };
  }

  get accessTokenTtlSeconds(): number {
    return this.settings.ttlSeconds;
  }

  issueAccessToken(subject: { userId: string; sessionId: string; authVersion: number }): string {
    return signAccessToken(this.settings, subject);
  }

  /** 256 random bits: a digest without salt or stretching is enough to store it (ADR 0010). */
  newRefreshToken(): { token: string; digest: Buffer } {
    const token = randomBytes(32).toString('base64url');
    return { token, digest: refreshTokenDigest(token) };
  }
}

export function refreshTokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
