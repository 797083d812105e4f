import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { b64, fromB64 } from './encoding.js';

/** AES-256-GCM ciphertext with its nonce and tag, base64url-encoded for storage in JSON. */
export interface Sealed {
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
}

/** Encrypts with AES-256-GCM under a fresh 96-bit nonce; `aad` is authenticated, not stored. */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: b64(iv), ct: b64(ct), tag: b64(cipher.getAuthTag()) };
}

/** Decrypts AES-256-GCM; returns null when the key, nonce, AAD or ciphertext do not authenticate. */
export function aeadOpen(key: Uint8Array, sealed: Sealed, aad: string): Buffer | null {
  try {
    const iv = fromB64(sealed.iv, 'iv');
    const tag = fromB64(sealed.tag, 'tag');
    if (iv.length !== 12 || tag.length !== 16) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(fromB64(sealed.ct, 'ciphertext')), decipher.final()]);
  } catch {
    return null;
  }
}
