import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Domain tags keep a hash or signature made for one purpose from being accepted for another. */
export const TAG = {
  journalEntry: 'breakglass/journal-entry/v1',
  memberCard: 'breakglass/member-card/v1',
  custody: 'breakglass/custody/v1',
  request: 'breakglass/request/v1',
  approval: 'breakglass/approval/v1',
  review: 'breakglass/review/v1',
  shareCommitment: 'breakglass/share-commitment/v1',
  shareSeal: 'breakglass/share-seal/v1',
  dekCheck: 'breakglass/dek-check/v1',
  keyWrap: 'breakglass/key-wrap/v1',
  drill: 'breakglass/drill/v1',
  drillProof: 'breakglass/drill-proof/v1',
  memberFingerprint: 'breakglass/member-fingerprint/v1',
  envelope: 'breakglass/envelope/v1',
  extension: 'breakglass/extension/v1',
  extensionApproval: 'breakglass/extension-approval/v1',
  cancel: 'breakglass/cancel/v1',
  rotationSeal: 'breakglass/rotation-seal/v1',
} as const;

/** SHA-256 over `tag || 0x00 || parts...`, each part length-prefixed so concatenations cannot collide. */
export function taggedHash(tag: string, ...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash('sha256');
  h.update(tag, 'utf8');
  h.update(Buffer.from([0]));
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len);
    h.update(bytes);
  }
  return h.digest();
}

/** HMAC-SHA256 with a domain tag, for check values keyed by secret material. */
export function taggedMac(key: Uint8Array, tag: string, data: string): Buffer {
  return createHmac('sha256', key)
    .update(tag)
    .update(Buffer.from([0]))
    .update(data)
    .digest();
}

/** Constant-time equality of two byte strings of possibly different lengths. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
