import { randomBytes } from 'node:crypto';

import { encodedCharacters, freeTextProblem, MAX_ITEM_FREE_TEXT } from './free-text-guard.js';
import { TextField } from './text-field.js';

class Exhibit {
  @TextField(2000, { prose: true })
  description!: string;

  @TextField(200, { optional: true })
  serial?: string;

  /** Not free text: a hash keeps its own strict format and is not part of the concatenation. */
  sha256?: string;
}

class Batch {
  @TextField(500)
  place!: string;

  items!: Exhibit[];
}

const exhibit = (fields: Partial<Exhibit>): Exhibit => Object.assign(new Exhibit(), fields);
const batch = (items: Exhibit[], place = 'Calle Mayor 12, Madrid'): Batch =>
  Object.assign(new Batch(), { place, items });

describe('free text taken together (ADR 0019)', () => {
  it('finds base64 and hex whatever separates the pieces', () => {
    const base64 = randomBytes(900).toString('base64');
    expect(encodedCharacters(base64.match(/.{1,7}/g)!.join(' - '))).toBeGreaterThan(1024);
    const hex = randomBytes(900).toString('hex');
    expect(encodedCharacters(hex.match(/.{1,5}/g)!.join('\n'))).toBeGreaterThan(1024);
  });

  it('refuses one item whose fields together hold encoded content', () => {
    const pieces = randomBytes(1200)
      .toString('base64')
      .match(/.{1,100}/g)!;
    const item = exhibit({ description: pieces.slice(0, 10).join('. '), serial: pieces.slice(10, 12).join('') });
    expect(freeTextProblem(batch([item]))?.code).toBe('content_not_accepted');
  });

  it('refuses hex spread over many items, but not hash values in their own fields', () => {
    const hex = randomBytes(2000)
      .toString('hex')
      .match(/.{1,40}/g)!;
    expect(freeTextProblem(batch(hex.map((piece) => exhibit({ description: `Exhibit ${piece}` }))))?.code).toBe(
      'content_not_accepted',
    );
    const hashes = hex.map((piece) => exhibit({ description: 'Phone', sha256: piece.padEnd(64, '0') }));
    expect(freeTextProblem(batch(hashes))).toBeUndefined();
  });

  it('keeps a budget of free text per item', () => {
    const long = 'Seized under warrant, screen cracked, powered off. '.repeat(40).slice(0, 2000);
    expect(freeTextProblem(batch([exhibit({ description: long })]))).toBeUndefined();
    const item = Object.assign(exhibit({ description: long }), {
      serial: long.slice(0, 200),
      extra: [long, long, long, long],
    });
    // `extra` is not a declared field: only the declared free text counts.
    expect(freeTextProblem(batch([item]))).toBeUndefined();
    const over = exhibit({ description: 'x '.repeat(MAX_ITEM_FREE_TEXT / 2 + 1) });
    expect(freeTextProblem(batch([over]))).toMatchObject({ code: 'free_text_too_long' });
  });
});
