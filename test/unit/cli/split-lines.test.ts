import { describe, expect, it } from 'vitest';
import type { RequestBody } from '../../../src/core/documents.js';
import { splitLines } from '../../../src/cli/format.js';

const request = (change: Partial<RequestBody>): RequestBody =>
  ({
    credential: 'prod-db-root',
    holders: ['alice', 'bob', 'carol'],
    threshold: 2,
    nextHolders: ['alice', 'bob', 'carol'],
    nextThreshold: 2,
    ...change,
  }) as RequestBody;

describe('what a holder is shown about the split an approval consents to', () => {
  it('the same holders afterwards: two lines, no warning', () => {
    expect(splitLines(request({}))).toEqual([
      '  holders     alice, bob, carol (2 of 3)',
      '  afterwards  split again among alice, bob, carol (2 of 3)',
    ]);
  });

  it('holders added (the attack of an operator enrolling stand-ins): spelled out in a warning', () => {
    expect(splitLines(request({ nextHolders: ['alice', 'bob', 'carol', 'sock1', 'sock2'] }))).toEqual([
      '  holders     alice, bob, carol (2 of 3)',
      '  afterwards  split again among alice, bob, carol, sock1, sock2 (2 of 5)',
      '  WARNING     this unseal changes who holds prod-db-root: it adds sock1, sock2; approve only if you know why',
    ]);
  });

  it('a holder removed and the threshold changed', () => {
    expect(splitLines(request({ nextHolders: ['alice', 'bob'], nextThreshold: 3 })).at(-1)).toBe(
      '  WARNING     this unseal changes who holds prod-db-root: it removes carol, needs 3 instead of 2; approve only if you know why',
    );
  });
});
