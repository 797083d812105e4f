import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  TAG,
  b64,
  documentHash,
  fromB64,
  generateSigningKeyPair,
  signDocument,
  taggedHash,
  verifyDocument,
} from '../../../src/crypto/index.js';

const REQUEST = { format: 'breakglass.request', version: 1, id: 'r-1', credential: 'prod-db-root', reason: 'WAN down' };

describe('signDocument / verifyDocument', () => {
  const key = generateSigningKeyPair();
  const sig = signDocument(TAG.request, REQUEST, key);

  it('verifies a signature over the same body, tag and key', () => {
    expect(fromB64(sig)).toHaveLength(64);
    expect(verifyDocument(TAG.request, REQUEST, sig, key.publicKey)).toBe(true);
  });

  it('signs the canonical form, so member order does not matter', () => {
    const reordered = { reason: 'WAN down', credential: 'prod-db-root', id: 'r-1', version: 1, format: 'breakglass.request' };
    expect(verifyDocument(TAG.request, reordered, sig, key.publicKey)).toBe(true);
  });

  it('keeps domains apart: a request signature does not verify as an approval, a review or anything else', () => {
    for (const tag of Object.values(TAG).filter((t) => t !== TAG.request)) {
      expect(verifyDocument(tag, REQUEST, sig, key.publicKey), tag).toBe(false);
    }
  });

  it('fails for a changed body, another key, or a flipped signature bit', () => {
    expect(verifyDocument(TAG.request, { ...REQUEST, reason: 'WAN down.' }, sig, key.publicKey)).toBe(false);
    expect(verifyDocument(TAG.request, { ...REQUEST, extra: null }, sig, key.publicKey)).toBe(false);
    expect(verifyDocument(TAG.request, REQUEST, sig, generateSigningKeyPair().publicKey)).toBe(false);
    const bytes = fromB64(sig);
    bytes[10] = bytes[10]! ^ 4;
    expect(verifyDocument(TAG.request, REQUEST, b64(bytes), key.publicKey)).toBe(false);
  });

  it('returns false, never throws, for malformed signatures, keys and bodies', () => {
    expect(verifyDocument(TAG.request, REQUEST, 'not base64url!', key.publicKey)).toBe(false);
    expect(verifyDocument(TAG.request, REQUEST, sig.slice(0, 40), key.publicKey)).toBe(false);
    expect(verifyDocument(TAG.request, REQUEST, sig, 'short')).toBe(false);
    expect(verifyDocument(TAG.request, REQUEST, sig, b64(Buffer.alloc(33)))).toBe(false);
    expect(verifyDocument(TAG.request, { ...REQUEST, version: 1.5 }, sig, key.publicKey)).toBe(false);
  });

  it('refuses to sign a body outside canonical JSON', () => {
    expect(() => signDocument(TAG.request, { ...REQUEST, version: 1.5 }, key)).toThrow('canonical JSON: only safe integers');
  });

  it('documentHash is the tagged hash of the canonical bytes', () => {
    expect(documentHash(TAG.request, { b: 1, a: 2 }).equals(taggedHash(TAG.request, '{"a":2,"b":1}'))).toBe(true);
  });
});

describe('taggedHash', () => {
  it('is SHA-256 over tag, a zero byte, and each part prefixed by its 32-bit big-endian length', () => {
    const expected = createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from('t/v1', 'utf8'),
          Buffer.from([0]),
          Buffer.from([0, 0, 0, 2]),
          Buffer.from('ab', 'utf8'),
          Buffer.from([0, 0, 0, 3]),
          Buffer.from([1, 2, 3]),
        ]),
      )
      .digest();
    expect(taggedHash('t/v1', 'ab', new Uint8Array([1, 2, 3])).equals(expected)).toBe(true);
  });

  it('keeps part boundaries: ("ab","c") differs from ("a","bc") and from ("abc")', () => {
    const a = taggedHash(TAG.shareCommitment, 'ab', 'c');
    const b = taggedHash(TAG.shareCommitment, 'a', 'bc');
    const c = taggedHash(TAG.shareCommitment, 'abc');
    expect(a.equals(b)).toBe(false);
    expect(a.equals(c)).toBe(false);
    expect(b.equals(c)).toBe(false);
    expect(taggedHash(TAG.shareCommitment, '', 'abc').equals(c)).toBe(false);
  });

  it('keeps the tag apart from the parts', () => {
    expect(taggedHash('ab', 'c').equals(taggedHash('a', 'bc'))).toBe(false);
    expect(taggedHash('a').equals(taggedHash('a', ''))).toBe(false);
  });

  it('hashes a string and its UTF-8 bytes alike', () => {
    expect(taggedHash('t', 'ünï').equals(taggedHash('t', Buffer.from('ünï', 'utf8')))).toBe(true);
  });
});

describe('fromB64', () => {
  it('round-trips canonical base64url of every length mod 3', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from([0xfb]), Buffer.from([0xfb, 0xff]), Buffer.from([0xfb, 0xff, 0xbf])]) {
      expect(fromB64(b64(bytes)).equals(bytes)).toBe(true);
    }
    expect(b64(Buffer.from([0xfb, 0xff]))).toBe('-_8');
  });

  it.each([
    ['padding', 'AA=='],
    ['standard base64 "+" and "/"', '+/8'],
    ['non-zero trailing bits', 'AB'],
    ['a lone trailing character', 'AAAAA'],
    ['whitespace', 'AA AA'],
    ['a newline', 'AAAA\n'],
    ['characters outside the alphabet', 'AA*A'],
  ])('refuses %s', (_what, text) => {
    expect(() => fromB64(text, 'salt')).toThrow(new TypeError('salt is not valid base64url'));
  });
});
