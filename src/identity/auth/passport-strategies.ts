import { createSecretKey } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { Strategy as LocalStrategy } from 'passport-local';

import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { contextOfRequest } from '../auth.decorators.js';
import {
  ACCESS_TOKEN_ALGORITHM,
  accessClaimsFrom,
  AccessTokenError,
  type AccessTokenClaims,
} from '../tokens/access-token.js';
import { TOKEN_KEY } from '../tokens/token.service.js';
import { AuthService, type SessionTokens } from './auth.service.js';

/**
 * Passport, as the stack prescribes: passport-jwt checks access tokens and passport-local checks
 * credentials. Both run *inside* Custos' own flow rather than as route guards, because Nest runs
 * guards before pipes: the login body must be validated first (unknown fields → 400), and the
 * global AccessGuard must go on to check the session, the forced password change and the roles,
 * and log refusals (docs/adr/0010).
 */
export const JWT_STRATEGY = 'custos-jwt';
export const LOCAL_STRATEGY = 'custos-local';

/** HS256 only, issuer and audience checked, expiry enforced; then the claims' shape. */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(JwtStrategy, JWT_STRATEGY) {
  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(TOKEN_KEY) key: Buffer) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the Buffer: given a Buffer, jsonwebtoken first tries (and fails) to parse it
      // as a public key on every verification — about 1 ms of CPU per authenticated request
      // (docs/performance.md). passport-jwt hands the key to jsonwebtoken as is; its types predate KeyObject.
      secretOrKey: createSecretKey(key) as unknown as Buffer,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.auth.jwtIssuer,
      audience: config.auth.jwtAudience,
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): AccessTokenClaims {
    return accessClaimsFrom(payload);
  }
}

/** Username and password from the (already validated) login body, checked by AuthService.login. */
@Injectable()
export class CredentialsStrategy extends PassportStrategy(LocalStrategy, LOCAL_STRATEGY) {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(request: Request, username: string, password: string): Promise<SessionTokens> {
    return this.auth.login(contextOfRequest(request), username, password);
  }
}

/** Runs a passport strategy on a request; resolves with what it authenticated. */
function authenticate<T>(strategy: string, request: Request, onFailure: (info: unknown) => Error): Promise<T> {
  const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
  return new Promise<T>((resolve, reject) => {
    const middleware = passport.authenticate(
      strategy,
      { session: false },
      (error: unknown, result: T | false, info: unknown) => {
        if (error) reject(asError(error));
        else if (result) resolve(result);
        else reject(onFailure(info));
      },
    ) as (req: Request, res: unknown, next: (error?: unknown) => void) => void;
    middleware(request, {}, (error) => reject(asError(error)));
  });
}

/** Verifies the request's bearer access token with passport-jwt. Throws AccessTokenError. */
export function authenticateAccessToken(request: Request): Promise<AccessTokenClaims> {
  return authenticate<AccessTokenClaims>(JWT_STRATEGY, request, (info) =>
    info instanceof jwt.TokenExpiredError
      ? new AccessTokenError('token_expired', info.message)
      : new AccessTokenError('token_invalid', info instanceof Error ? info.message : 'not a bearer JWT'),
  );
}

/** Logs in with passport-local; AuthService.login's problems (401, 429) pass through unchanged. */
export function authenticateCredentials(request: Request): Promise<SessionTokens> {
  return authenticate<SessionTokens>(
    LOCAL_STRATEGY,
    request,
    () => new Error('passport-local found no credentials in a validated body'),
  );
}
