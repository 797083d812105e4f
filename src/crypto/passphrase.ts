import { randomBytes, scrypt as scryptCb } from 'node:crypto';
import { aeadOpen, aeadSeal, type Sealed } from './aead.js';
import { KDF_LIMITS } from '../core/documents.js';
import { b64, fromB64 } from './encoding.js';

/** scrypt parameters; DESIGN.md asks for at least N=2^17, r=8, p=1. */
export interface KdfParams {
  readonly name: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
}

/** A value encrypted under a passphrase-derived key. */
export interface PassphraseWrapped extends Sealed {
  readonly kdf: KdfParams;
}

export const MIN_SCRYPT_N = KDF_LIMITS.minN;
export const MAX_SCRYPT_N = KDF_LIMITS.maxN;

/** Derives a 32-byte key from a passphrase with scrypt (about 0.4 s at the default cost). */
export function deriveKey(passphrase: string, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const maxmem = 128 * kdf.N * kdf.r * kdf.p + 64 * 1024 * 1024;
    scryptCb(
      Buffer.from(passphrase.normalize('NFC'), 'utf8'),
      fromB64(kdf.salt, 'salt'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** Fresh scrypt parameters with a random salt. */
export function freshKdf(): KdfParams {
  return { name: 'scrypt', N: MIN_SCRYPT_N, r: 8, p: 1, salt: b64(randomBytes(16)) };
}

/** Encrypts `plaintext` under `passphrase`; `aad` binds it to its purpose and owner. */
export async function wrapWithPassphrase(passphrase: string, plaintext: Uint8Array, aad: string): Promise<PassphraseWrapped> {
  const kdf = freshKdf();
  const key = await deriveKey(passphrase, kdf);
  try {
    return { kdf, ...aeadSeal(key, plaintext, aad) };
  } finally {
    key.fill(0);
  }
}

/** Decrypts a passphrase-wrapped value; null when the passphrase (or the AAD) is wrong. */
export async function unwrapWithPassphrase(passphrase: string, wrapped: PassphraseWrapped, aad: string): Promise<Buffer | null> {
  if (wrapped.kdf.name !== 'scrypt' || wrapped.kdf.N < MIN_SCRYPT_N || wrapped.kdf.r < KDF_LIMITS.minR) {
    throw new TypeError('wrapped key uses a KDF weaker than this version accepts');
  }
  // A crafted file must not make us allocate gigabytes: cap the cost at 4x what we write.
  if (
    wrapped.kdf.N > MAX_SCRYPT_N ||
    wrapped.kdf.r > KDF_LIMITS.maxR ||
    wrapped.kdf.p < KDF_LIMITS.minP ||
    wrapped.kdf.p > KDF_LIMITS.maxP
  ) {
    throw new TypeError('wrapped key uses KDF parameters above what this version accepts');
  }
  const key = await deriveKey(passphrase, wrapped.kdf);
  try {
    return aeadOpen(key, wrapped, aad);
  } finally {
    key.fill(0);
  }
}
