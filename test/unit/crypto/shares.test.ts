import { describe, it, expect } from 'vitest';
import { b64, commitShare, fromB64, generateAgreementKeyPair, openFromKey, sealToKey, shareMatches } from '../../../src/crypto/index.js';

const CONTEXT = 'share\nv-test\nprod-db-root\n1\nalice';
const PAYLOAD = Buffer.from('a share of a data key, 33 bytes!!', 'utf8');

describe('sealToKey / openFromKey', () => {
  const recipient = generateAgreementKeyPair();
  const sealed = sealToKey(recipient.publicKey, PAYLOAD, CONTEXT);

  it('round-trips to the recipient under the same context', () => {
    expect(openFromKey(recipient, sealed, CONTEXT)?.equals(PAYLOAD)).toBe(true);
  });

  it('uses a fresh ephemeral key and nonce each time', () => {
    const again = sealToKey(recipient.publicKey, PAYLOAD, CONTEXT);
    expect(again.epk).not.toBe(sealed.epk);
    expect(again.iv).not.toBe(sealed.iv);
    expect(again.ct).not.toBe(sealed.ct);
    expect(fromB64(sealed.epk)).toHaveLength(32);
  });

  it('returns null for the wrong key', () => {
    expect(openFromKey(generateAgreementKeyPair(), sealed, CONTEXT)).toBeNull();
  });

  it('returns null for a key pair whose public half belongs to someone else', () => {
    // The HKDF salt names the recipient's public key, so a mismatched pair derives another key.
    const other = generateAgreementKeyPair();
    expect(openFromKey({ publicKey: other.publicKey, privateKey: recipient.privateKey }, sealed, CONTEXT)).toBeNull();
  });

  it('returns null under another context', () => {
    expect(openFromKey(recipient, sealed, `${CONTEXT}x`)).toBeNull();
    expect(openFromKey(recipient, sealed, CONTEXT.replace('alice', 'bob'))).toBeNull();
  });

  it('returns null, not a throw, for malformed fields', () => {
    expect(openFromKey(recipient, { ...sealed, epk: 'not base64url!' }, CONTEXT)).toBeNull();
    expect(openFromKey(recipient, { ...sealed, epk: b64(Buffer.alloc(31, 1)) }, CONTEXT)).toBeNull();
    expect(openFromKey(recipient, { ...sealed, iv: b64(Buffer.alloc(16)) }, CONTEXT)).toBeNull();
    expect(openFromKey(recipient, { ...sealed, tag: b64(Buffer.alloc(8)) }, CONTEXT)).toBeNull();
    expect(openFromKey(recipient, { ...sealed, ct: `${sealed.ct}=` }, CONTEXT)).toBeNull();
  });
});

describe('share commitments', () => {
  const share = Buffer.from('0123456789abcdef0123456789abcdef!', 'utf8');

  it('match the committed share in its context only', () => {
    const c = commitShare(share, CONTEXT);
    expect(shareMatches(share, CONTEXT, c)).toBe(true);
    expect(shareMatches(share, `${CONTEXT}x`, c)).toBe(false);
    expect(shareMatches(Buffer.concat([share, Buffer.from([0])]), CONTEXT, c)).toBe(false);
    expect(shareMatches(share.subarray(1), CONTEXT, c)).toBe(false);
  });

  it('are hiding: two commitments to the same share differ', () => {
    const a = commitShare(share, CONTEXT);
    const b = commitShare(share, CONTEXT);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.hash).not.toBe(b.hash);
  });

  it('return false, not a throw, for a malformed commitment', () => {
    const c = commitShare(share, CONTEXT);
    expect(shareMatches(share, CONTEXT, { ...c, hash: 'bad base64!' })).toBe(false);
    expect(shareMatches(share, CONTEXT, { ...c, hash: c.hash.slice(0, 20) })).toBe(false);
    expect(shareMatches(share, CONTEXT, { ...c, nonce: `${c.nonce}==` })).toBe(false);
  });
});
