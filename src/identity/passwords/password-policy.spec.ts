import { commonPasswords } from './common-passwords.js';
import { PASSWORD_MIN_LENGTH, passwordProblem, type PasswordContext } from './password-policy.js';

const ana: PasswordContext = {
  username: 'ana.garcia',
  displayName: 'Ana García',
  agencyCode: 'ES-PN',
  agencyName: 'Policía Nacional',
};

describe('password policy (NIST SP 800-63B, ADR 0017)', () => {
  it('blocks over 100,000 common and breached passwords from the shipped list', () => {
    expect(commonPasswords().size).toBeGreaterThan(100_000);
    for (const password of ['123qweasdzxc', '1qaz2wsx3edc', 'qwertyuiopasdfghjkl', 'passwordpassword', 'iloveyou1234'])
      expect(passwordProblem(password)).toBe('common');
  });

  it('refuses the three passwords of the security review, each with its rule', () => {
    expect(passwordProblem('password123456')).toBe('common_decorated');
    expect(passwordProblem('P@ssw0rd1234')).toBe('common_decorated');
    expect(passwordProblem('abcabcabcabc')).toBe('repetitive');
  });

  it('sees through capitals, leetspeak, separators and a little decoration', () => {
    expect(passwordProblem('QWERTY123456')).toBe('common');
    expect(passwordProblem('Qwerty123456')).toBe('common');
    expect(passwordProblem('!Sunsh1ne2026')).toBe('common_decorated');
    expect(passwordProblem('Sup3rman-2026')).toBe('common_decorated');
    expect(passwordProblem('P4ssw0rdP4ssw0rd')).toBe('common');
    expect(passwordProblem('i love you so much')).toBe('common');
  });

  it('refuses repeated patterns, decorated or not', () => {
    expect(passwordProblem('qqqqqqqqqqqqqqqqqqqqq')).toBe('repetitive');
    expect(passwordProblem('ExExExExExExExExExExEx')).toBe('repetitive');
    expect(passwordProblem('xyz1xyz1xyz1xyz1')).toBe('repetitive');
    expect(passwordProblem('!!qwe-qwe-qwe-qwe')).toBe('repetitive');
  });

  it('refuses context words: the user’s names, the agency’s code and name, the service', () => {
    expect(passwordProblem('garcia.lopez-2026!', { username: 'garcia.lopez' })).toBe('contains_username');
    expect(passwordProblem('Fernandez rules the lab', { username: 'afz', displayName: 'Ana Fernandez' })).toBe(
      'contains_username',
    );
    expect(passwordProblem('ana.garcia rocks the lab', ana)).toBe('contains_username');
    expect(passwordProblem('Garc1a-evidence-room-7', ana)).toBe('contains_username');
    expect(passwordProblem('mi clave de es-pn 2026', ana)).toBe('contains_agency');
    expect(passwordProblem('policia nacional 1824', ana)).toBe('contains_agency');
    expect(passwordProblem('Cust0s keeps the chain 7', ana)).toBe('contains_service_name');
    expect(passwordProblem('tortilla de patatas 7', { username: 'ana', displayName: 'Ana García' })).toBeUndefined();
  });

  it(`refuses fewer than ${PASSWORD_MIN_LENGTH} characters, counting code points, and absurd lengths`, () => {
    expect(passwordProblem('short-pass1')).toBe('too_short');
    expect(passwordProblem('ñandú-ñandú')).toBe('too_short');
    expect(passwordProblem('ñandú-tatú!!')).toBeUndefined();
    expect(passwordProblem('x y z '.repeat(50))).toBe('too_long');
  });

  it('accepts long passphrases and uncommon passwords', () => {
    for (const password of [
      'correct horse battery staple',
      'el perro de San Roque no tiene rabo',
      'zq8 vendaval lento ocre',
      'Chain-of-Custody-Test-7719',
      'Officer picked a new one 1',
      'Wir sehen uns am Bahnhof um 7',
    ])
      expect({ password, problem: passwordProblem(password, ana) }).toEqual({ password, problem: undefined });
  });
});
