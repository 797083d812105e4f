import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
} from 'node:crypto';
import { isStrongEd25519Key, isStrongX25519Key } from './curve.js';
import { fromB64 } from './encoding.js';

/** An Ed25519 signing key pair, raw keys as base64url (32 bytes each). */
export interface SigningKeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** An X25519 key-agreement key pair, raw keys as base64url (32 bytes each). */
export type AgreementKeyPair = SigningKeyPair;

interface OkpJwk {
  readonly x?: string;
  readonly d?: string;
}

function generate(kind: 'ed25519' | 'x25519'): SigningKeyPair {
  // Asking for JWK from the generator itself: exporting a generated KeyObject afterwards can
  // deadlock Node 20 when a garbage collection lands inside the export (seen in a bench run).
  const { privateKey } = generateKeyPairSync(
    kind as 'ed25519',
    {
      publicKeyEncoding: { format: 'jwk' },
      privateKeyEncoding: { format: 'jwk' },
    } as unknown as Parameters<typeof generateKeyPairSync>[1],
  ) as unknown as { privateKey: OkpJwk };
  if (!privateKey.x || !privateKey.d) throw new Error(`${kind} key generation lacks raw parts`);
  return { publicKey: privateKey.x, privateKey: privateKey.d };
}

/** Generates a fresh Ed25519 key pair. */
export function generateSigningKeyPair(): SigningKeyPair {
  return generate('ed25519');
}

/** Generates a fresh X25519 key pair. */
export function generateAgreementKeyPair(): AgreementKeyPair {
  return generate('x25519');
}

// Parsing a key per call costs ten times the signature itself, so KeyObjects are cached: public
// keys freely, private keys only for signing (the journal's epoch key, erased with `forgetPrivateKey`).
// X25519 private keys are never cached: they open sealed shares and must not outlive their use.
const publicCache = new Map<string, KeyObject>();
const privateCache = new Map<string, KeyObject>();

function publicKeyObject(crv: 'Ed25519' | 'X25519', x: string): KeyObject {
  const id = `${crv}:${x}`;
  let key = publicCache.get(id);
  if (!key) {
    const raw = fromB64(x, 'public key');
    if (raw.length !== 32) throw new TypeError('public key must be 32 bytes');
    // A weak key (the identity point, a small-order point, a non-canonical encoding) is never
    // trusted: with the identity as a key, anyone can make a signature that verifies.
    if (!(crv === 'Ed25519' ? isStrongEd25519Key(raw) : isStrongX25519Key(raw)))
      throw new TypeError('public key is weak or not on the curve');
    key = createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
    if (publicCache.size > 10_000) publicCache.clear();
    publicCache.set(id, key);
  }
  return key;
}

function privateKeyObject(crv: 'Ed25519' | 'X25519', pair: SigningKeyPair): KeyObject {
  const make = (): KeyObject => createPrivateKey({ key: { kty: 'OKP', crv, x: pair.publicKey, d: pair.privateKey }, format: 'jwk' });
  if (crv === 'X25519') return make();
  const id = `${crv}:${pair.publicKey}`;
  let key = privateCache.get(id);
  if (!key) {
    key = make();
    if (privateCache.size > 64) privateCache.clear();
    privateCache.set(id, key);
  }
  return key;
}

/** Forgets a cached signing key, so an erased epoch key does not outlive its erasure in memory. */
export function forgetPrivateKey(publicKey: string): void {
  privateCache.delete(`Ed25519:${publicKey}`);
}

/**
 * True when `publicKey` is a well-formed 32-byte Ed25519 or X25519 public key: the canonical
 * encoding of a point on the curve, not of small order (src/crypto/curve.ts).
 */
export function isValidPublicKey(publicKey: unknown, crv: 'Ed25519' | 'X25519'): boolean {
  if (typeof publicKey !== 'string') return false;
  try {
    publicKeyObject(crv, publicKey);
    return true;
  } catch {
    return false;
  }
}

/** Signs `message` with an Ed25519 key pair. */
export function signBytes(pair: SigningKeyPair, message: Uint8Array): Buffer {
  return edSign(null, message, privateKeyObject('Ed25519', pair));
}

/** Verifies an Ed25519 signature; false (never a throw) for malformed keys or signatures. */
export function verifyBytes(publicKey: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return edVerify(null, message, publicKeyObject('Ed25519', publicKey), signature);
  } catch {
    return false;
  }
}

/** X25519 shared secret between our private key and their public key. */
export function agree(ours: AgreementKeyPair, theirPublicKey: string): Buffer {
  return diffieHellman({
    privateKey: privateKeyObject('X25519', ours),
    publicKey: publicKeyObject('X25519', theirPublicKey),
  });
}
