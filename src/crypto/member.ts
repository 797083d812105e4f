import { b64 } from './encoding.js';
import { TAG, taggedHash } from './hash.js';
import type { AgreementKeyPair, SigningKeyPair } from './keys.js';

/** A member's private keys: Ed25519 to sign, X25519 to receive sealed shares. */
export interface MemberKeys {
  readonly signing: SigningKeyPair;
  readonly agreement: AgreementKeyPair;
}

/** The AAD of a member's passphrase-wrapped keys: binds the wrap to that member and signing key. */
export function memberKeyAad(memberId: string, signingPublicKey: string): string {
  return `breakglass/member-key/v1\n${memberId}\n${signingPublicKey}`;
}

/**
 * A member card's fingerprint: SHA-256 over its two public keys. Signed requests name each holder's
 * key by it, and people compare its first characters (`shortFingerprint`) across screens.
 */
export function memberFingerprint(card: { readonly signingKey: string; readonly agreementKey: string }): string {
  return b64(taggedHash(TAG.memberFingerprint, card.signingKey, card.agreementKey));
}

/** The first 16 characters of a fingerprint in groups of four, as screens show it. */
export function shortFingerprint(fingerprint: string): string {
  return (fingerprint.slice(0, 16).match(/.{1,4}/g) ?? []).join(' ');
}
