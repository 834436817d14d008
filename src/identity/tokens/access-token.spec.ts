import { createHmac, randomBytes } from 'node:crypto';

import jwt from 'jsonwebtoken';

import {
  AccessTokenError,
  bearerToken,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenSettings,
} from './access-token.js';

const settings: AccessTokenSettings = {
  key: randomBytes(48),
  issuer: 'custos',
  audience: 'custos-api',
  ttlSeconds: 900,
};
const subject = {
  userId: '5b7c6f0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  sessionId: '0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c',
  authVersion: 3,
};

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function failureOf(token: string, using = settings): string {
  try {
    verifyAccessToken(using, token);
  } catch (error) {
    if (error instanceof AccessTokenError) return error.failure;
    throw error;
  }
  return 'accepted';
}

describe('access tokens', () => {
  it('round-trips the claims, with HS256, issuer, audience and a 15-minute expiry', () => {
    const token = signAccessToken(settings, subject);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = verifyAccessToken(settings, token);
    expect(claims).toMatchObject({ sub: subject.userId, sid: subject.sessionId, ver: 3, typ: 'access' });
    expect(claims.exp - claims.iat).toBe(900);
  });

  it('refuses alg none, another algorithm, another key, a tampered payload', () => {
    const token = signAccessToken(settings, subject);
    const [, payload] = token.split('.');
    expect(failureOf(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`)).toBe('token_invalid');
    const hs512 = jwt.sign({ sid: subject.sessionId, ver: 3, typ: 'access' }, settings.key, {
      algorithm: 'HS512',
      subject: subject.userId,
      issuer: 'custos',
      audience: 'custos-api',
      expiresIn: 60,
      jwtid: 'x',
    });
    expect(failureOf(hs512)).toBe('token_invalid');
    expect(failureOf(token, { ...settings, key: randomBytes(48) })).toBe('token_invalid');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${token.split('.')[0]}.${b64({ ...claims, ver: 4 })}.${token.split('.')[2]}`;
    expect(failureOf(tampered)).toBe('token_invalid');
  });

  it('refuses other issuers, audiences, and tokens of another type', () => {
    const token = signAccessToken(settings, subject);
    expect(failureOf(token, { ...settings, issuer: 'someone-else' })).toBe('token_invalid');
    expect(failureOf(token, { ...settings, audience: 'another-api' })).toBe('token_invalid');
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const now = Math.floor(Date.now() / 1000);
    const body = b64({
      sub: subject.userId,
      sid: subject.sessionId,
      ver: 1,
      typ: 'refresh',
      iat: now,
      exp: now + 60,
      jti: 'j',
      iss: 'custos',
      aud: 'custos-api',
    });
    const signature = createHmac('sha256', settings.key).update(`${header}.${body}`).digest('base64url');
    expect(failureOf(`${header}.${body}.${signature}`)).toBe('token_invalid');
  });

  it('tells an expired token apart', () => {
    const expired = jwt.sign(
      { sid: subject.sessionId, ver: 3, typ: 'access', exp: Math.floor(Date.now() / 1000) - 10 },
      settings.key,
      {
        algorithm: 'HS256',
        subject: subject.userId,
        issuer: 'custos',
        audience: 'custos-api',
        jwtid: 'x',
      },
    );
    expect(failureOf(expired)).toBe('token_expired');
  });

  it('reads only Bearer credentials', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBe('');
    expect(bearerToken('Bearer not a token')).toBe('');
  });
});
