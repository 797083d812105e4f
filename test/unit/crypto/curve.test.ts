import { createPublicKey, randomBytes, verify as rawVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BreakGlassError } from '../../../src/core/errors.js';
import { isStrongEd25519Key, isStrongX25519Key } from '../../../src/crypto/curve.js';
import { b64, generateAgreementKeyPair, generateSigningKeyPair, isValidPublicKey, verifyBytes } from '../../../src/crypto/index.js';
import { parseCard } from '../../../src/vault/members.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

// The eight points of small order on Ed25519, in their canonical encodings (Chalkias et al.,
// "Taming the many EdDSAs", table 6), with the two x = 0 points also in the "negative zero" form.
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
];

// Encodings that are not canonical: y = p and y = p + 1 (which reduce to 0 and 1), and the
// identity with the sign bit set (x = 0 has no negative).
const NON_CANONICAL = [
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0100000000000000000000000000000000000000000000000000000000000080',
];

/** The signature that verifies under the identity key for every message: R = identity, S = 0. */
const forgedSignature = Buffer.concat([hex(SMALL_ORDER[0]!), Buffer.alloc(32)]);

describe('Ed25519 public keys are checked before they are trusted', () => {
  it('the attack is real: OpenSSL accepts a forged signature under the identity key', () => {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(hex(SMALL_ORDER[0]!)) }, format: 'jwk' });
    expect(rawVerify(null, Buffer.from('any message at all'), key, forgedSignature)).toBe(true);
    // ...and the vault does not: the key is refused before any signature is checked.
    expect(verifyBytes(b64(hex(SMALL_ORDER[0]!)), Buffer.from('any message at all'), forgedSignature)).toBe(false);
  });

  it.each(SMALL_ORDER)('refuses the small-order point %s', (h) => {
    expect(isStrongEd25519Key(hex(h))).toBe(false);
    expect(isValidPublicKey(b64(hex(h)), 'Ed25519')).toBe(false);
  });

  it.each(NON_CANONICAL)('refuses the non-canonical encoding %s', (h) => {
    expect(isStrongEd25519Key(hex(h))).toBe(false);
    expect(isValidPublicKey(b64(hex(h)), 'Ed25519')).toBe(false);
  });

  it('refuses encodings of a y with no point on the curve, and keeps the ones that decode', () => {
    // About half of all y have no x; y = 2 is one of them (u/v = 3/(4d+1) is not a square mod p).
    const y2 = Buffer.alloc(32);
    y2[0] = 2;
    expect(isStrongEd25519Key(y2)).toBe(false);
    let refused = 0;
    for (let y = 2; y < 66; y++) {
      const bytes = Buffer.alloc(32);
      bytes[0] = y;
      if (!isStrongEd25519Key(bytes)) refused++;
    }
    // Not all of them (the check is not "refuse everything"), and not none.
    expect(refused).toBeGreaterThan(10);
    expect(refused).toBeLessThan(54);
  });

  it('accepts every real key (500 generated)', () => {
    for (let i = 0; i < 500; i++) {
      const { publicKey } = generateSigningKeyPair();
      expect(isValidPublicKey(publicKey, 'Ed25519')).toBe(true);
    }
  });
});

// The oracle: RFC 8032 section 5.1.3 decoding as the RFC writes it (x from a square root, with
// the sqrt(-1) fix-up and the sign rule), then the small-order test 8P = identity by three
// doublings. Slow (a 252-bit exponentiation per key), independent of the Jacobi-symbol shortcut.
const P25519 = 2n ** 255n - 19n;
const modP = (a: bigint): bigint => ((a % P25519) + P25519) % P25519;
function powP(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = modP(base);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P25519;
    b = (b * b) % P25519;
  }
  return result;
}
function referenceIsStrong(bytes: Uint8Array): boolean {
  const d = modP(-121665n * powP(121666n, P25519 - 2n));
  const sign = (bytes[31] as number) >> 7;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? (bytes[i] as number) & 0x7f : (bytes[i] as number));
  if (y >= P25519) return false;
  const u = modP(y * y - 1n);
  const v = modP(d * y * y + 1n);
  let x = modP(u * powP(v, 3n) * powP(u * powP(v, 7n), (P25519 - 5n) / 8n));
  const check = modP(v * x * x);
  if (check === modP(-u)) x = modP(x * powP(2n, (P25519 - 1n) / 4n));
  else if (check !== u) return false;
  if (x === 0n && sign === 1) return false;
  if (Number(x & 1n) !== sign) x = P25519 - x;
  let [X, Y, Z] = [x, y, 1n];
  for (let i = 0; i < 3; i++) {
    const B = modP((X + Y) * (X + Y));
    const C = modP(X * X);
    const Dy = modP(Y * Y);
    const E = modP(-C);
    const F = modP(E + Dy);
    const J = modP(F - 2n * modP(Z * Z));
    [X, Y, Z] = [modP((B - C - Dy) * J), modP(F * (E - Dy)), modP(F * J)];
  }
  return !(X === 0n && Y === Z);
}

describe('the fast Ed25519 key check agrees with the RFC 8032 decoder', () => {
  it('on 2,000 random strings, 2,000 small y, every small-order point and its neighbours', () => {
    const cases: Uint8Array[] = [...SMALL_ORDER, ...NON_CANONICAL].map(hex);
    for (let i = 0; i < 2000; i++) cases.push(randomBytes(32));
    for (let i = 0; i < 2000; i++) {
      const small = Buffer.alloc(32);
      small.writeUInt16LE(i, 0);
      if (i % 2 === 1) small[31] = 0x80;
      cases.push(small);
    }
    // Near p (y = p - k and p + k) and near each small-order y, with both signs.
    for (const h of SMALL_ORDER) {
      for (const delta of [-2, -1, 1, 2]) {
        const b = Buffer.from(hex(h));
        b[0] = ((b[0] as number) + delta) & 0xff;
        cases.push(b);
      }
    }
    let accepted = 0;
    for (const c of cases) {
      const expected = referenceIsStrong(c);
      expect(isStrongEd25519Key(c), Buffer.from(c).toString('hex')).toBe(expected);
      if (expected) accepted++;
    }
    // About half of all y decode: the sample is not all one answer.
    expect(accepted).toBeGreaterThan(cases.length / 4);
    expect(accepted).toBeLessThan((cases.length * 3) / 4);
  });
});

describe('X25519 public keys', () => {
  const P = 2n ** 255n - 19n;
  const le = (n: bigint): Buffer => {
    const out = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  it.each([0n, 1n, P - 1n, P, P + 1n, 2n ** 255n - 1n])('refuses u = %s (small order or not canonical)', (u) => {
    expect(isStrongX25519Key(le(u))).toBe(false);
  });
  it('refuses the order-8 points, and accepts 500 real keys', () => {
    expect(isStrongX25519Key(hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'))).toBe(false);
    expect(isStrongX25519Key(hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'))).toBe(false);
    for (let i = 0; i < 500; i++) expect(isValidPublicKey(generateAgreementKeyPair().publicKey, 'X25519')).toBe(true);
  });
});

describe('a member card with the identity as its signing key', () => {
  it('is BAD_KEY, though its forged self-signature would verify under OpenSSL', () => {
    const card = {
      format: 'breakglass.member-card',
      version: 1,
      id: 'mallory',
      name: 'Mallory',
      signingKey: b64(hex(SMALL_ORDER[0]!)),
      agreementKey: generateAgreementKeyPair().publicKey,
      createdAt: Date.now(),
      sig: b64(forgedSignature),
    };
    let caught: unknown;
    try {
      parseCard(card);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BreakGlassError);
    expect((caught as BreakGlassError).code).toBe('BAD_KEY');
    expect((caught as BreakGlassError).message).toMatch(/signing key that is not a valid Ed25519 public key/);
  });

  it('a card with a small-order agreement key is BAD_KEY too', () => {
    const signing = generateSigningKeyPair();
    const card = {
      format: 'breakglass.member-card',
      version: 1,
      id: 'mallory',
      name: 'Mallory',
      signingKey: signing.publicKey,
      agreementKey: b64(Buffer.alloc(32)),
      createdAt: Date.now(),
      sig: b64(forgedSignature),
    };
    expect(() => parseCard(card)).toThrow(/agreement key that is not a valid X25519 public key/);
  });
});
