import { describe, it, expect, beforeAll } from 'vitest';
import {
  b64,
  combineShares,
  createEnvelope,
  decryptSecret,
  fromB64,
  generateAgreementKeyPair,
  openHolderShare,
  reconstructDek,
  splitKey,
  verifyHolderShare,
  type AgreementKeyPair,
  type Envelope,
  type EnvelopeContext,
} from '../../../src/crypto/index.js';

const CONTEXT: EnvelopeContext = { vault: 'v-test', credential: 'prod-db-root', version: 1 };
const SECRET = Buffer.from('correct horse battery staple: the root password', 'utf8');
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin'];

interface Holder {
  readonly id: string;
  readonly key: AgreementKeyPair;
}

function makeHolders(n: number): Holder[] {
  return NAMES.slice(0, n).map((id) => ({ id, key: generateAgreementKeyPair() }));
}

function sealFor(holders: readonly Holder[], threshold: number, context = CONTEXT, secret = SECRET): Promise<Envelope> {
  return createEnvelope(
    secret,
    context,
    holders.map((h) => ({ id: h.id, agreementKey: h.key.publicKey })),
    threshold,
  );
}

/** Every subset of `items` with exactly `size` members, in order. */
function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, size - 1).map((s) => [first, ...s]), ...subsets(rest, size)];
}

/** The base64url text with one bit of its decoded bytes flipped. */
function flipBit(text: string, byte = 0, bit = 0): string {
  const bytes = fromB64(text);
  bytes[byte] = bytes[byte]! ^ (1 << bit);
  return b64(bytes);
}

function openAll(envelope: Envelope, holders: readonly Holder[]): Map<string, Buffer> {
  const shares = new Map<string, Buffer>();
  for (const h of holders) {
    const share = openHolderShare(envelope, h.id, h.key);
    if (!share) throw new Error(`test setup: ${h.id} could not open their own share`);
    shares.set(h.id, share);
  }
  return shares;
}

describe.each([
  { k: 2, n: 3 },
  { k: 3, n: 5 },
])('a $k-of-$n envelope', ({ k, n }) => {
  let holders: Holder[];
  let envelope: Envelope;
  let shares: Map<string, Buffer>;

  beforeAll(async () => {
    holders = makeHolders(n);
    envelope = await sealFor(holders, k);
    shares = openAll(envelope, holders);
  });

  it('records its context, threshold and one sealed share per holder, and never the secret', () => {
    expect(envelope.context).toEqual(CONTEXT);
    expect(envelope.threshold).toBe(k);
    expect(envelope.shares.map((s) => s.holder)).toEqual(holders.map((h) => h.id));
    const text = JSON.stringify(envelope);
    expect(text).not.toContain(SECRET.toString('utf8'));
    expect(text).not.toContain(b64(SECRET));
    // Each holder opens exactly their own share, which matches its commitment.
    for (const h of holders) expect(verifyHolderShare(envelope, h.id, shares.get(h.id)!)).toBe(true);
  });

  it('opens with any k of the shares, and with more than k', async () => {
    const groups = [...subsets(holders, k), ...(k < n ? subsets(holders, k + 1) : []), holders];
    expect(groups.length).toBeGreaterThan(n - 1);
    for (const group of groups) {
      const dek = await reconstructDek(
        envelope,
        group.map((h) => shares.get(h.id)!),
      );
      expect(dek, `holders ${group.map((h) => h.id).join(',')}`).not.toBeNull();
      expect(dek!.length).toBe(32);
      expect(decryptSecret(envelope, dek!)?.equals(SECRET)).toBe(true);
    }
  });

  it('does not rebuild the data key from k-1 shares', async () => {
    for (const group of subsets(holders, k - 1)) {
      const few = group.map((h) => shares.get(h.id)!);
      if (few.length < 2) {
        // shamir-secret-sharing refuses to combine fewer than two shares; reconstructDek says null first.
        expect(await reconstructDek(envelope, few)).toBeNull();
      } else {
        expect(await reconstructDek(envelope, few), `holders ${group.map((h) => h.id).join(',')}`).toBeNull();
        // What Lagrange interpolation yields from too few shares is not the data key either.
        const wrong = await combineShares(few);
        expect(decryptSecret(envelope, wrong)).toBeNull();
      }
    }
  });
});

describe('share binding', () => {
  let holders: Holder[];
  let envelope: Envelope;
  let alice: Buffer;

  beforeAll(async () => {
    holders = makeHolders(3);
    envelope = await sealFor(holders, 2);
    alice = openHolderShare(envelope, 'alice', holders[0]!.key)!;
  });

  it('verifies a share only for the holder it was committed to', () => {
    expect(verifyHolderShare(envelope, 'alice', alice)).toBe(true);
    expect(verifyHolderShare(envelope, 'bob', alice)).toBe(false);
    expect(verifyHolderShare(envelope, 'carol', alice)).toBe(false);
    expect(verifyHolderShare(envelope, 'mallory', alice)).toBe(false);
  });

  it.each([
    ['vault', { ...CONTEXT, vault: 'v-other' }],
    ['credential', { ...CONTEXT, credential: 'prod-db-replica' }],
    ['version', { ...CONTEXT, version: 2 }],
  ])('binds each share to its %s: the same share and commitment fail in another context', (_what, context) => {
    const moved: Envelope = { ...envelope, context };
    expect(verifyHolderShare(moved, 'alice', alice)).toBe(false);
    // The sealed share's AAD names the context too, so it does not even open there.
    expect(openHolderShare(moved, 'alice', holders[0]!.key)).toBeNull();
  });

  it("does not let a holder pass off another holder's sealed share as theirs", () => {
    const aliceEntry = envelope.shares[0]!;
    const swapped: Envelope = {
      ...envelope,
      shares: envelope.shares.map((s) => (s.holder === 'bob' ? { ...aliceEntry, holder: 'bob' } : s)),
    };
    // Alice's key opens the ciphertext under alice's context only; under bob's entry it fails.
    expect(openHolderShare(swapped, 'bob', holders[0]!.key)).toBeNull();
    expect(verifyHolderShare(swapped, 'bob', alice)).toBe(false);
  });

  it("opens a share only with its holder's key", () => {
    expect(openHolderShare(envelope, 'alice', holders[1]!.key)).toBeNull();
    expect(openHolderShare(envelope, 'alice', generateAgreementKeyPair())).toBeNull();
    expect(openHolderShare(envelope, 'mallory', holders[0]!.key)).toBeNull();
  });

  it.each(['ct', 'tag', 'iv', 'epk'] as const)("returns null when one bit of the sealed share's %s is flipped", (field) => {
    const entry = envelope.shares[0]!;
    const tampered: Envelope = {
      ...envelope,
      shares: [{ ...entry, sealed: { ...entry.sealed, [field]: flipBit(entry.sealed[field], 3, 5) } }, ...envelope.shares.slice(1)],
    };
    expect(openHolderShare(tampered, 'alice', holders[0]!.key)).toBeNull();
    expect(openHolderShare(envelope, 'alice', holders[0]!.key)?.equals(alice)).toBe(true);
  });

  it('refuses a share whose commitment was altered, even though it decrypts', () => {
    const entry = envelope.shares[0]!;
    const tampered: Envelope = {
      ...envelope,
      shares: [{ ...entry, commitment: { ...entry.commitment, hash: flipBit(entry.commitment.hash) } }, ...envelope.shares.slice(1)],
    };
    expect(openHolderShare(tampered, 'alice', holders[0]!.key)).toBeNull();
    expect(verifyHolderShare(tampered, 'alice', alice)).toBe(false);
  });

  it('refuses an altered share against its commitment', () => {
    const altered = Buffer.from(alice);
    altered[0] = altered[0]! ^ 1;
    expect(verifyHolderShare(envelope, 'alice', altered)).toBe(false);
  });
});

describe('the data key check', () => {
  let holders: Holder[];
  let envelope: Envelope;
  let shares: Buffer[];

  beforeAll(async () => {
    holders = makeHolders(3);
    envelope = await sealFor(holders, 2);
    shares = [...openAll(envelope, holders.slice(0, 2)).values()];
  });

  it('accepts the right shares (the control for the cases below)', async () => {
    expect(await reconstructDek(envelope, shares)).not.toBeNull();
  });

  it('catches a reconstruction from a corrupted share', async () => {
    const bad = Buffer.from(shares[1]!);
    bad[7] = bad[7]! ^ 0x80;
    expect(await reconstructDek(envelope, [shares[0]!, bad])).toBeNull();
  });

  it('catches shares of another envelope of the same holders', async () => {
    const other = await sealFor(holders, 2);
    const foreign = [...openAll(other, holders.slice(0, 2)).values()];
    expect(await reconstructDek(envelope, foreign)).toBeNull();
    // Mixing one share of each envelope does not rebuild either data key.
    expect(await reconstructDek(envelope, [shares[0]!, foreign[1]!])).toBeNull();
    expect(await reconstructDek(other, [shares[0]!, foreign[1]!])).toBeNull();
  });

  it('catches an altered check value', async () => {
    const altered: Envelope = { ...envelope, dekCheck: flipBit(envelope.dekCheck, 31, 7) };
    expect(await reconstructDek(altered, shares)).toBeNull();
  });

  it('binds the check value and the secret to the envelope context', async () => {
    const dek = (await reconstructDek(envelope, shares))!;
    const moved: Envelope = { ...envelope, context: { ...CONTEXT, version: 2 } };
    expect(await reconstructDek(moved, shares)).toBeNull();
    expect(decryptSecret(moved, dek)).toBeNull();
    expect(decryptSecret(envelope, dek)?.equals(SECRET)).toBe(true);
  });

  it('decryptSecret returns null for a wrong key or a flipped ciphertext bit', async () => {
    const dek = (await reconstructDek(envelope, shares))!;
    const wrongKey = Buffer.from(dek);
    wrongKey[0] = wrongKey[0]! ^ 1;
    expect(decryptSecret(envelope, wrongKey)).toBeNull();
    const flipped: Envelope = { ...envelope, secret: { ...envelope.secret, ct: flipBit(envelope.secret.ct) } };
    expect(decryptSecret(flipped, dek)).toBeNull();
  });
});

describe('splitKey and its library limits', () => {
  const dek = Buffer.alloc(32, 7);

  it('splits a 32-byte key into n shares of 33 bytes (the last byte is the x-coordinate)', async () => {
    const parts = await splitKey(dek, 5, 3);
    expect(parts).toHaveLength(5);
    for (const p of parts) expect(p.length).toBe(33);
    expect(new Set(parts.map((p) => p[32])).size).toBe(5);
    expect((await combineShares(parts.slice(2))).equals(dek)).toBe(true);
  });

  // shamir-secret-sharing requires 2 <= k <= n <= 255. The policy schema allows threshold 1 (and a
  // single holder), which therefore passes `policy check` and fails only when a credential is sealed.
  it("refuses a threshold of 1 with the library's RangeError", async () => {
    await expect(splitKey(dek, 3, 1)).rejects.toThrow(new RangeError('threshold must be at least 2 and at most 255'));
  });

  it('refuses a single share (n = 1, k = 1)', async () => {
    await expect(splitKey(dek, 1, 1)).rejects.toThrow(new RangeError('shares must be at least 2 and at most 255'));
  });

  it('refuses k > n', async () => {
    await expect(splitKey(dek, 2, 3)).rejects.toThrow('shares cannot be less than threshold');
  });

  it('so createEnvelope with threshold 1 fails too, before anything is sealed', async () => {
    await expect(sealFor(makeHolders(3), 1)).rejects.toThrow('threshold must be at least 2 and at most 255');
  });
});
