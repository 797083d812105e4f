/**
 * Strict checks on raw Curve25519 public keys, done once per key before it is trusted.
 *
 * OpenSSL imports any 32 bytes as an Ed25519 public key. Some of them are weak: the identity point
 * (and the other points of small order) verify signatures nobody made, and a non-canonical encoding
 * lets two strings name one key. So a key is accepted only when it is the canonical encoding of a
 * point on the curve whose order is not small (RFC 8032 section 5.1.3, plus the small-order check
 * most implementations add). For X25519, the canonical u-coordinates of the small-order points
 * (which give an all-zero shared secret) are refused, and so is any u at or above p.
 */

const P = 2n ** 255n - 19n;
const D = mod(-121665n * power(121666n, P - 2n));

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function power(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

/**
 * The Jacobi symbol (a/n) for odd n > 0: 1 when a is a nonzero square mod a prime n, -1 when it
 * is not, 0 when n divides a. About 150 steps of Euclid's algorithm, five times faster here than
 * Euler's criterion (a^((p-1)/2), 250 squarings), and a vault checks one key per transaction.
 */
function jacobi(value: bigint, modulus: bigint): number {
  let a = value % modulus;
  let n = modulus;
  let t = 1;
  while (a !== 0n) {
    let low = Number(a & 0xffffffffn);
    while (low === 0) {
      a >>= 32n;
      low = Number(a & 0xffffffffn);
    }
    const zeros = 31 - Math.clz32(low & -low);
    if (zeros > 0) {
      a >>= BigInt(zeros);
      const r = Number(n & 7n);
      if ((zeros & 1) === 1 && (r === 3 || r === 5)) t = -t;
    }
    [a, n] = [n, a];
    if (Number(a & 3n) === 3 && Number(n & 3n) === 3) t = -t;
    a %= n;
  }
  return n === 1n ? t : 0;
}

// The y-coordinates of the eight points of small order: the identity (y = 1), the point of
// order 2 (y = -1), the two of order 4 (y = 0) and the four of order 8 (y = ±Y8). A point's
// order depends only on y, because (x, y) and (-x, y) have the same order.
const Y8 = 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n;
const SMALL_ORDER_Y = new Set<bigint>([0n, 1n, P - 1n, Y8, P - Y8]);

/**
 * True when `raw` is a canonical Ed25519 point encoding, on the curve, not of small order.
 *
 * RFC 8032 section 5.1.3 decodes y (canonical when y < p) and then x from x^2 = u/v with
 * u = y^2 - 1 and v = d y^2 + 1; a point exists exactly when u/v is a square mod p, which is when
 * u v is (v is never 0: -1/d is not a square). Both signs of x are canonical except for x = 0,
 * whose y = ±1 are of small order anyway. So the check needs y alone: y < p, y not one of the
 * small-order y-coordinates, and (u v / p) = 1. The full decoder, as the RFC writes it, is the
 * oracle of this function's tests.
 */
export function isStrongEd25519Key(raw: Uint8Array): boolean {
  if (raw.length !== 32) return false;
  const copy = Uint8Array.from(raw);
  copy[31] = (copy[31] as number) & 0x7f;
  const y = littleEndian(copy);
  if (y >= P || SMALL_ORDER_Y.has(y)) return false;
  const yy = (y * y) % P;
  const u = mod(yy - 1n);
  const v = (D * yy + 1n) % P;
  return jacobi((u * v) % P, P) === 1;
}

// The u-coordinates of the points of order 1, 2, 4 and 8 on Curve25519, below p.
const WEAK_X25519 = new Set<bigint>([
  0n,
  1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P - 1n,
]);

/** True when `raw` is a canonical X25519 public key (u below p, top bit clear) of large order. */
export function isStrongX25519Key(raw: Uint8Array): boolean {
  if (raw.length !== 32 || ((raw[31] as number) & 0x80) !== 0) return false;
  const u = littleEndian(raw);
  return u < P && !WEAK_X25519.has(u);
}
