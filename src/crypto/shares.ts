import { hkdfSync, randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { aeadOpen, aeadSeal, type Sealed } from './aead.js';
import { b64, fromB64, toUint8 } from './encoding.js';
import { TAG, bytesEqual, taggedHash } from './hash.js';
import { agree, generateAgreementKeyPair, type AgreementKeyPair } from './keys.js';

/** A value sealed to one X25519 public key (ephemeral-static ECDH, HKDF-SHA256, AES-256-GCM). */
export interface SealedToKey extends Sealed {
  /** The sender's ephemeral X25519 public key. */
  readonly epk: string;
}

/** A hiding commitment to one share: SHA-256 over a random nonce, the share's context and the share. */
export interface ShareCommitment {
  readonly nonce: string;
  readonly hash: string;
}

function sealKey(shared: Uint8Array, epk: string, recipient: string, context: string): Buffer {
  const salt = Buffer.concat([fromB64(epk), fromB64(recipient)]);
  return Buffer.from(hkdfSync('sha256', shared, salt, `${TAG.shareSeal}\n${context}`, 32));
}

/** Seals `plaintext` so only the holder of `recipientPublicKey` can open it; `context` is bound as AAD. */
export function sealToKey(recipientPublicKey: string, plaintext: Uint8Array, context: string): SealedToKey {
  const eph = generateAgreementKeyPair();
  const key = sealKey(agree(eph, recipientPublicKey), eph.publicKey, recipientPublicKey, context);
  try {
    return { epk: eph.publicKey, ...aeadSeal(key, plaintext, context) };
  } finally {
    key.fill(0);
  }
}

/** Opens a value sealed by `sealToKey`; null when it was sealed to another key or context. */
export function openFromKey(recipient: AgreementKeyPair, sealed: SealedToKey, context: string): Buffer | null {
  try {
    const key = sealKey(agree(recipient, sealed.epk), sealed.epk, recipient.publicKey, context);
    try {
      return aeadOpen(key, sealed, context);
    } finally {
      key.fill(0);
    }
  } catch {
    return null;
  }
}

/** Commits to a share within its context, so a wrong or forged share is caught before combining. */
export function commitShare(share: Uint8Array, context: string): ShareCommitment {
  const nonce = randomBytes(32);
  return { nonce: b64(nonce), hash: b64(taggedHash(TAG.shareCommitment, nonce, context, share)) };
}

/** True when `share` matches its commitment. */
export function shareMatches(share: Uint8Array, context: string, commitment: ShareCommitment): boolean {
  try {
    const actual = taggedHash(TAG.shareCommitment, fromB64(commitment.nonce), context, share);
    return bytesEqual(actual, fromB64(commitment.hash));
  } catch {
    return false;
  }
}

/** Splits a data key into `n` Shamir shares, any `k` of which rebuild it. */
export async function splitKey(dek: Uint8Array, n: number, k: number): Promise<Buffer[]> {
  const shares = await split(toUint8(dek), n, k);
  return shares.map((s) => Buffer.from(s));
}

/** Combines shares into a data key. It does not verify: check the result against its check value. */
export async function combineShares(shares: readonly Uint8Array[]): Promise<Buffer> {
  return Buffer.from(await combine(shares.map(toUint8)));
}
