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
