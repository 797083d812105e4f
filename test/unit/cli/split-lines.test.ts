import { describe, expect, it } from 'vitest';
import type { RequestBody } from '../../../src/core/documents.js';
import { splitLines } from '../../../src/cli/format.js';

// Card fingerprints are 43 base64url characters; screens show the first 16 in groups of four.
const fp = (c: string): string => c.repeat(43);
const KEYS = { alice: fp('A'), bob: fp('B'), carol: fp('C'), sock1: fp('S'), sock2: fp('T'), other: fp('X') };
const keys = (...ids: (keyof typeof KEYS)[]): string[] => ids.map((id) => KEYS[id]);

const request = (change: Partial<RequestBody>): RequestBody =>
  ({
    credential: 'prod-db-root',
    holders: ['alice', 'bob', 'carol'],
    holderKeys: keys('alice', 'bob', 'carol'),
    threshold: 2,
    nextHolders: ['alice', 'bob', 'carol'],
    nextHolderKeys: keys('alice', 'bob', 'carol'),
    nextThreshold: 2,
    ...change,
  }) as RequestBody;

describe('what a holder is shown about the split an approval consents to', () => {
  it('the same holders and keys afterwards: two lines with each key, no warning', () => {
    expect(splitLines(request({}))).toEqual([
      '  holders     2 of 3: alice [AAAA AAAA AAAA AAAA], bob [BBBB BBBB BBBB BBBB], carol [CCCC CCCC CCCC CCCC]',
      '  afterwards  split again among 2 of 3: alice [AAAA AAAA AAAA AAAA], bob [BBBB BBBB BBBB BBBB], carol [CCCC CCCC CCCC CCCC]',
    ]);
  });

  it('holders added (the attack of an operator enrolling stand-ins): spelled out in a warning', () => {
    expect(
      splitLines(
        request({
          nextHolders: ['alice', 'bob', 'carol', 'sock1', 'sock2'],
          nextHolderKeys: keys('alice', 'bob', 'carol', 'sock1', 'sock2'),
        }),
      ).at(-1),
    ).toBe('  WARNING     this unseal changes who holds prod-db-root: it adds sock1, sock2; approve only if you know why');
  });

  it('a holder removed and the threshold changed', () => {
    expect(splitLines(request({ nextHolders: ['alice', 'bob'], nextHolderKeys: keys('alice', 'bob'), nextThreshold: 3 })).at(-1)).toBe(
      '  WARNING     this unseal changes who holds prod-db-root: it removes carol, needs 3 instead of 2; approve only if you know why',
    );
  });

  it('the same holder under another key afterwards (a card swapped at the vault): spelled out in a warning', () => {
    const lines = splitLines(request({ nextHolderKeys: keys('alice', 'other', 'carol') }));
    expect(lines[1]).toContain('bob [XXXX XXXX XXXX XXXX]');
    expect(lines.at(-1)).toBe(
      '  WARNING     this unseal changes who holds prod-db-root: it gives bob other keys; approve only if you know why',
    );
  });
});
