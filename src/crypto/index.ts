/** The crypto layer: envelopes, share sealing, member keys and signed documents (node:crypto + Shamir). */
export { aeadOpen, aeadSeal, type Sealed } from './aead.js';
export { b64, fromB64, toUint8 } from './encoding.js';
export {
  createEnvelope,
  decryptSecret,
  envelopeDigest,
  openHolderShare,
  reconstructDek,
  secretContext,
  shareContext,
  verifyHolderShare,
  type Envelope,
  type EnvelopeContext,
  type HolderKey,
  type HolderShare,
} from './envelope.js';
export { TAG, bytesEqual, taggedHash, taggedMac } from './hash.js';
export {
  agree,
  forgetPrivateKey,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  isValidPublicKey,
  signBytes,
  verifyBytes,
  type AgreementKeyPair,
  type SigningKeyPair,
} from './keys.js';
export {
  MAX_SCRYPT_N,
  MIN_SCRYPT_N,
  deriveKey,
  freshKdf,
  unwrapWithPassphrase,
  wrapWithPassphrase,
  type KdfParams,
  type PassphraseWrapped,
} from './passphrase.js';
export {
  combineShares,
  commitShare,
  openFromKey,
  sealToKey,
  shareMatches,
  splitKey,
  type SealedToKey,
  type ShareCommitment,
} from './shares.js';
export { documentHash, signDocument, verifyDocument } from './signed.js';
export { memberFingerprint, memberKeyAad, shortFingerprint, type MemberKeys } from './member.js';
