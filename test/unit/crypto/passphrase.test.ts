import { describe, it, expect, beforeAll } from 'vitest';
import { MIN_SCRYPT_N, b64, fromB64, unwrapWithPassphrase, wrapWithPassphrase, type PassphraseWrapped } from '../../../src/crypto/index.js';

// Each derivation is a real scrypt at N=2^17 (about 0.4 s), so the wrap is made once and reused.
const AAD = 'breakglass/member-key/v1\nalice\nsigning-key';
const KEYS = Buffer.from('{"signing":"...","agreement":"..."}', 'utf8');
// "Crème brûlée" with precomposed (NFC) and decomposed (NFD) accents: the same passphrase to a person.
const PASSPHRASE_NFC = 'Cr\u00e8me br\u00fbl\u00e9e at 2 a.m.';
const PASSPHRASE_NFD = 'Cre\u0300me bru\u0302le\u0301e at 2 a.m.';
const WEAK = 'weakened KDF parameters are refused before any derivation';
const WEAKER_MESSAGE = 'wrapped key uses a KDF weaker than this version accepts';

describe('wrapWithPassphrase / unwrapWithPassphrase', () => {
  let wrapped: PassphraseWrapped;

  beforeAll(async () => {
    wrapped = await wrapWithPassphrase(PASSPHRASE_NFC, KEYS, AAD);
  });

  it('records scrypt at N=2^17, r=8, p=1 with a 16-byte random salt', () => {
    expect(MIN_SCRYPT_N).toBe(2 ** 17);
    expect(wrapped.kdf).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(fromB64(wrapped.kdf.salt)).toHaveLength(16);
    expect(JSON.stringify(wrapped)).not.toContain(PASSPHRASE_NFC);
    expect(JSON.stringify(wrapped)).not.toContain(b64(KEYS));
  });

  it('round-trips with the right passphrase, even typed in another Unicode normal form', async () => {
    expect(PASSPHRASE_NFD).not.toBe(PASSPHRASE_NFC);
    expect((await unwrapWithPassphrase(PASSPHRASE_NFC, wrapped, AAD))?.equals(KEYS)).toBe(true);
    expect((await unwrapWithPassphrase(PASSPHRASE_NFD, wrapped, AAD))?.equals(KEYS)).toBe(true);
  });

  it('returns null for a wrong passphrase', async () => {
    expect(await unwrapWithPassphrase(`${PASSPHRASE_NFC}!`, wrapped, AAD)).toBeNull();
  });

  it('returns null for the right passphrase under another AAD (another member)', async () => {
    expect(await unwrapWithPassphrase(PASSPHRASE_NFC, wrapped, AAD.replace('alice', 'bob'))).toBeNull();
  });

  it('returns null when the salt was altered (the derived key changes)', async () => {
    const salt = fromB64(wrapped.kdf.salt);
    salt[0] = salt[0]! ^ 1;
    expect(await unwrapWithPassphrase(PASSPHRASE_NFC, { ...wrapped, kdf: { ...wrapped.kdf, salt: b64(salt) } }, AAD)).toBeNull();
  });

  describe(WEAK, () => {
    it.each([
      ['N = 2^14', { N: 2 ** 14 }],
      ['N = 2^17 - 1', { N: 2 ** 17 - 1 }],
      ['r = 4', { r: 4 }],
      ['another KDF name', { name: 'pbkdf2' }],
    ])('throws for %s', async (_what, change) => {
      const weakened = { ...wrapped, kdf: { ...wrapped.kdf, ...change } } as PassphraseWrapped;
      await expect(unwrapWithPassphrase(PASSPHRASE_NFC, weakened, AAD)).rejects.toThrow(new TypeError(WEAKER_MESSAGE));
    });
  });
});
