import { COMMON_PASSWORD_COUNT } from './common-passwords.data.js';
import { isCommonPassword, PASSWORD_MIN_LENGTH, passwordProblem } from './password-policy.js';

describe('password policy', () => {
  it('ships tens of thousands of common passwords of the accepted length', () => {
    expect(COMMON_PASSWORD_COUNT).toBeGreaterThan(40_000);
    for (const password of [
      '123qweasdzxc',
      '1qaz2wsx3edc',
      'qwertyuiopasdfghjkl',
      'passwordpassword',
      'iloveyou1234',
    ]) {
      expect(isCommonPassword(password)).toBe(true);
    }
  });

  it('compares case-insensitively', () => {
    expect(isCommonPassword('QWERTY123456')).toBe(true);
    expect(passwordProblem('Qwerty123456')).toBe('common');
  });

  it(`refuses fewer than ${PASSWORD_MIN_LENGTH} characters, counting code points`, () => {
    expect(passwordProblem('short-pass1')).toBe('too_short');
    expect(passwordProblem('ñandú-ñandú')).toBe('too_short');
    expect(passwordProblem('ñandú-ñandú!')).toBeUndefined();
  });

  it('refuses absurdly long passwords', () => {
    expect(passwordProblem('x y z '.repeat(50))).toBe('too_long');
  });

  it('refuses passwords made of one or two repeated characters', () => {
    expect(passwordProblem('qqqqqqqqqqqqqqqqqqqqq')).toBe('repetitive');
    expect(passwordProblem('ExExExExExExExExExExEx')).toBe('repetitive');
  });

  it('refuses passwords containing the username or a part of the name', () => {
    expect(passwordProblem('garcia.lopez-2026!', { username: 'garcia.lopez' })).toBe('contains_username');
    expect(passwordProblem('Fernandez rules the lab', { username: 'afz', displayName: 'Ana Fernandez' })).toBe(
      'contains_username',
    );
    expect(passwordProblem('tortilla de patatas 7', { username: 'ana', displayName: 'Ana García' })).toBeUndefined();
  });

  it('accepts a long, uncommon passphrase', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
  });
});
