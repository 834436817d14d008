import { describe, expect, it } from '@jest/globals';

import { checkHashValue, count, humanize, itemKindWords } from './evidence';

describe('web app field helpers', () => {
  it('names kinds of evidence as people write them, acronyms in capitals', () => {
    expect(humanize('sim_card')).toBe('SIM card');
    expect(humanize('usb_drive')).toBe('USB drive');
    expect(humanize('ssd')).toBe('SSD');
    expect(humanize('mobile_phone')).toBe('Mobile phone');
    // A word that merely contains an acronym's letters is left alone.
    expect(humanize('simulated_device')).toBe('Simulated device');
    expect(itemKindWords('forensic_image')).toBe('Forensic image');
    expect(itemKindWords('sim_card')).toBe('SIM card');
  });

  it('counts in words: one item, three items', () => {
    expect(count(1, 'item')).toBe('1 item');
    expect(count(3, 'item')).toBe('3 items');
    expect(count(2, 'broken seal')).toBe('2 broken seals');
  });

  it('checks a hash value as typed against the length of its algorithm (as the server does)', () => {
    expect(checkHashValue('sha256', '')).toBeNull();
    expect(checkHashValue('sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')?.ok).toBe(true);
    expect(checkHashValue('sha256', ' E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 ')?.ok).toBe(
      true,
    );
    expect(checkHashValue('sha256', 'abc123')).toEqual({
      ok: false,
      message: 'sha256 values have 64 characters (6 typed)',
    });
    expect(checkHashValue('md5', 'd41d8cd98f00b204e9800998ecf8427e')?.ok).toBe(true);
    expect(checkHashValue('sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709')?.ok).toBe(true);
    expect(checkHashValue('sha512', 'ab'.repeat(64))?.ok).toBe(true);
    expect(checkHashValue('md5', 'zz1d8cd98f00b204e9800998ecf8427e')?.ok).toBe(false);
  });
});
