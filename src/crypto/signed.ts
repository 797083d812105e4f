import { canonicalize } from '../core/canonical.js';
import { b64, fromB64 } from './encoding.js';
import { taggedHash } from './hash.js';
import { signBytes, verifyBytes, type SigningKeyPair } from './keys.js';

/** The hash a signed document commits to: its domain tag over its canonical JSON. */
export function documentHash(tag: string, body: unknown): Buffer {
  return taggedHash(tag, canonicalize(body));
}

/** Signs a document's hash under a domain tag; returns the signature as base64url. */
export function signDocument(tag: string, body: unknown, key: SigningKeyPair): string {
  return b64(signBytes(key, documentHash(tag, body)));
}

/** Verifies a document signature; false for any malformed key, body or signature. */
export function verifyDocument(tag: string, body: unknown, signature: string, publicKey: string): boolean {
  try {
    return verifyBytes(publicKey, documentHash(tag, body), fromB64(signature, 'signature'));
  } catch {
    return false;
  }
}
