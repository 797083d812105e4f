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
const D = mod(-121665n * inverse(121666n));
const SQRT_M1 = power(2n, (P - 1n) / 4n);

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

function inverse(a: bigint): bigint {
  return power(a, P - 2n);
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

/** Decodes an Ed25519 point, or null when the encoding is not canonical or not on the curve. */
function decodeEd25519(bytes: Uint8Array): Point | null {
  if (bytes.length !== 32) return null;
  const last = bytes[31] as number;
  const sign = last >> 7;
  const copy = Uint8Array.from(bytes);
  copy[31] = last & 0x7f;
  const y = littleEndian(copy);
  if (y >= P) return null;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  // x = u v^3 (u v^7)^((p-5)/8), then fix up by sqrt(-1) (RFC 8032 5.1.3 step 3).
  let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
  const check = mod(v * x * x);
  if (check === mod(-u)) x = mod(x * SQRT_M1);
  else if (check !== u) return null;
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return { x, y };
}

/** Doubles a point in projective coordinates (X:Y:Z), a = -1 (dbl-2008-bbjlp): no inversions. */
function double([X, Y, Z]: readonly [bigint, bigint, bigint]): [bigint, bigint, bigint] {
  const B = mod((X + Y) * (X + Y));
  const C = mod(X * X);
  const Dy = mod(Y * Y);
  const E = mod(-C);
  const F = mod(E + Dy);
  const H = mod(Z * Z);
  const J = mod(F - 2n * H);
  return [mod((B - C - Dy) * J), mod(F * (E - Dy)), mod(F * J)];
}

/** True when `raw` is a canonical Ed25519 point encoding, on the curve, not of small order. */
export function isStrongEd25519Key(raw: Uint8Array): boolean {
  const point = decodeEd25519(raw);
  if (!point) return false;
  // The small-order points are exactly those with 8P = identity, (0 : Z : Z) projectively.
  let q: [bigint, bigint, bigint] = [point.x, point.y, 1n];
  for (let i = 0; i < 3; i++) q = double(q);
  return !(q[0] === 0n && q[1] === q[2]);
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
