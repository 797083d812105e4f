import { randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal, type Sealed } from './aead.js';
import { b64, fromB64 } from './encoding.js';
import { canonicalize } from '../core/canonical.js';
import { TAG, bytesEqual, taggedHash, taggedMac } from './hash.js';
import {
  combineShares,
  commitShare,
  openFromKey,
  sealToKey,
  shareMatches,
  splitKey,
  type SealedToKey,
  type ShareCommitment,
} from './shares.js';
import type { AgreementKeyPair } from './keys.js';

/** What an envelope is bound to: its AAD names the vault, the credential and the version. */
export interface EnvelopeContext {
  readonly vault: string;
  readonly credential: string;
  readonly version: number;
}

/** One holder's part of an envelope: their share sealed to their X25519 key, and its commitment. */
export interface HolderShare {
  readonly holder: string;
  readonly sealed: SealedToKey;
  readonly commitment: ShareCommitment;
}

/** A sealed credential version: the secret under a data key, the data key split among holders. */
export interface Envelope {
  readonly context: EnvelopeContext;
  readonly threshold: number;
  readonly secret: Sealed;
  readonly dekCheck: string;
  readonly shares: readonly HolderShare[];
}

/** A holder named by id with the X25519 public key their share is sealed to. */
export interface HolderKey {
  readonly id: string;
  readonly agreementKey: string;
}

/** The AAD of the secret's ciphertext. */
export function secretContext(ctx: EnvelopeContext): string {
  return `secret\n${ctx.vault}\n${ctx.credential}\n${ctx.version}`;
}

/** The AAD (and commitment context) of one holder's share. */
export function shareContext(ctx: EnvelopeContext, holder: string): string {
  return `share\n${ctx.vault}\n${ctx.credential}\n${ctx.version}\n${holder}`;
}

/**
 * Seals `secret` under a fresh data key split k-of-n among `holders`. The data key never leaves
 * this function; the caller keeps only the envelope.
 */
export async function createEnvelope(
  secret: Uint8Array,
  context: EnvelopeContext,
  holders: readonly HolderKey[],
  threshold: number,
): Promise<Envelope> {
  const dek = randomBytes(32);
  try {
    const parts = await splitKey(dek, holders.length, threshold);
    // The split is checked before the shares are sealed away: the first k and the last k shares
    // must rebuild the data key. A drill relies on this: holders prove their shares match their
    // commitments, and these commitments were made from a split that reconstructs.
    for (const subset of [parts.slice(0, threshold), parts.slice(parts.length - threshold)]) {
      const rebuilt = await combineShares(subset);
      const good = bytesEqual(rebuilt, dek);
      rebuilt.fill(0);
      if (!good) throw new Error('invariant violated: a fresh Shamir split does not rebuild its data key');
    }
    const shares = holders.map((holder, i): HolderShare => {
      const share = parts[i]!;
      const ctx = shareContext(context, holder.id);
      const sealed = { holder: holder.id, sealed: sealToKey(holder.agreementKey, share, ctx), commitment: commitShare(share, ctx) };
      share.fill(0);
      return sealed;
    });
    return {
      context,
      threshold,
      secret: aeadSeal(dek, secret, secretContext(context)),
      dekCheck: b64(taggedMac(dek, TAG.dekCheck, secretContext(context))),
      shares,
    };
  } finally {
    dek.fill(0);
  }
}

/** Opens a holder's own share with their X25519 key; null when it is not theirs or was altered. */
export function openHolderShare(envelope: Envelope, holder: string, key: AgreementKeyPair): Buffer | null {
  const entry = envelope.shares.find((s) => s.holder === holder);
  if (!entry) return null;
  const ctx = shareContext(envelope.context, holder);
  const share = openFromKey(key, entry.sealed, ctx);
  if (!share || !shareMatches(share, ctx, entry.commitment)) return null;
  return share;
}

/** True when `share` is the one committed to for `holder` in this envelope. */
export function verifyHolderShare(envelope: Envelope, holder: string, share: Uint8Array): boolean {
  const entry = envelope.shares.find((s) => s.holder === holder);
  return !!entry && shareMatches(share, shareContext(envelope.context, holder), entry.commitment);
}

/** Rebuilds the data key from verified shares; null when the result fails its check value. */
export async function reconstructDek(envelope: Envelope, shares: readonly Uint8Array[]): Promise<Buffer | null> {
  if (shares.length < Math.max(2, envelope.threshold)) return null;
  const dek = await combineShares(shares);
  const check = taggedMac(dek, TAG.dekCheck, secretContext(envelope.context));
  if (!bytesEqual(check, fromB64(envelope.dekCheck))) {
    dek.fill(0);
    return null;
  }
  return dek;
}

/** Decrypts the secret with a rebuilt data key; null when it does not authenticate. */
export function decryptSecret(envelope: Envelope, dek: Uint8Array): Buffer | null {
  return aeadOpen(dek, envelope.secret, secretContext(envelope.context));
}

/** The digest of an envelope: the journal records it, so an envelope swapped in the database is caught. */
export function envelopeDigest(envelope: Envelope): string {
  return b64(taggedHash(TAG.envelope, canonicalize(envelope)));
}
