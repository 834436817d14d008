import { randomUUID } from 'node:crypto';

import jwt from 'jsonwebtoken';

/**
 * Access tokens (docs/adr/0010): JWS compact, HS256 only — pinned on both sides, so `alg: none`,
 * another HMAC size or an asymmetric algorithm are refused before the signature is even looked at.
 * The claims name the user, the session and the user's auth version; everything else (roles,
 * agency, whether the account is active) is read from the database on every request.
 */
export const ACCESS_TOKEN_ALGORITHM = 'HS256' as const;

export interface AccessTokenSettings {
  readonly key: Buffer;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

export interface AccessTokenClaims {
  /** The user's id. */
  readonly sub: string;
  /** The login session (refresh-token family) the token belongs to. */
  readonly sid: string;
  /** user_account.auth_version when issued: a role change, disable or reset increments it. */
  readonly ver: number;
  readonly typ: 'access';
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export type AccessTokenFailure = 'token_invalid' | 'token_expired';

export class AccessTokenError extends Error {
  constructor(
    readonly failure: AccessTokenFailure,
    reason: string,
  ) {
    super(reason);
    this.name = 'AccessTokenError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function signAccessToken(
  settings: AccessTokenSettings,
  subject: { userId: string; sessionId: string; authVersion: number },
): string {
  return jwt.sign({ sid: subject.sessionId, ver: subject.authVersion, typ: 'access' }, settings.key, {
    algorithm: ACCESS_TOKEN_ALGORITHM,
    expiresIn: settings.ttlSeconds,
    issuer: settings.issuer,
    audience: settings.audience,
    subject: subject.userId,
    jwtid: randomUUID(),
  });
}

export function verifyAccessToken(settings: AccessTokenSettings, token: string): AccessTokenClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, settings.key, {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      complete: false,
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new AccessTokenError('token_expired', error.message);
    throw new AccessTokenError('token_invalid', error instanceof Error ? error.message : String(error));
  }
  return accessClaimsFrom(payload);
}

/** The claims of a signature-checked access token, or AccessTokenError when their shape is wrong. */
export function accessClaimsFrom(payload: unknown): AccessTokenClaims {
  if (typeof payload !== 'object' || payload === null)
    throw new AccessTokenError('token_invalid', 'payload is not an object');
  const { sub, sid, ver, typ, iat, exp, jti } = payload as Record<string, unknown>;
  if (
    typ !== 'access' ||
    typeof sub !== 'string' ||
    !UUID.test(sub) ||
    typeof sid !== 'string' ||
    !UUID.test(sid) ||
    typeof ver !== 'number' ||
    !Number.isSafeInteger(ver) ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof jti !== 'string'
  ) {
    throw new AccessTokenError('token_invalid', 'claims are missing or malformed');
  }
  return { sub, sid, ver, typ, iat, exp, jti };
}

/** `Authorization: Bearer <token>`, or undefined when the header is absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header.trim());
  return match ? match[1] : header.trim() === '' ? undefined : '';
}
