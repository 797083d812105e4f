import { z } from 'zod';
import { BreakGlassError, type ErrorCode } from './errors.js';
import { findUnacceptableText } from './text.js';

/**
 * Schemas of every document that crosses a machine boundary (cards, custody files, request bundles,
 * approvals). They are parsed here, at the edge, and trusted as typed values inside.
 */
const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 of a-z, 0-9, ".", "_", "-"');
const b64 = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
const key32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a 32-byte base64url key');
/** A member card's fingerprint: SHA-256 over its two public keys, base64url. */
const fingerprint = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a card fingerprint (43 base64url characters)');

export const IdSchema = id;

const sealedToKey = z.strictObject({ epk: key32, iv: b64, ct: b64, tag: b64 });
const commitment = z.strictObject({ nonce: b64, hash: b64 });
/**
 * The scrypt costs a wrapped key may ask for: exactly what this tool writes, DESIGN.md's N=2^17,
 * r=8, p=1 (128 * N * r = 128 MiB of memory and about 0.4 s on a laptop core per unwrap). A crafted
 * custody file can neither weaken the KDF nor make a vault laptop allocate more or wait longer.
 * The crypto layer enforces the same limits when it unwraps.
 */
export const KDF_LIMITS = { minN: 2 ** 17, maxN: 2 ** 17, minR: 8, maxR: 8, minP: 1, maxP: 1 } as const;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** True when the last character of base64url for `bytes` bytes leaves the unused low bits zero. */
function canonicalTail(text: string, bytes: number): boolean {
  const unusedBits = [0, 4, 2][bytes % 3] as number;
  const last = B64URL.indexOf(text.at(-1) ?? '');
  return last >= 0 && last % (1 << unusedBits) === 0;
}

/** Canonical base64url of exactly `bytes` bytes (the last character carries no stray bits). */
function b64Bytes(bytes: number, what: string): z.ZodString {
  const chars = Math.ceil((bytes * 4) / 3);
  return z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_-]{${chars}}$`), `must be ${what}: ${bytes} bytes as ${chars} base64url characters`)
    .refine((text) => canonicalTail(text, bytes), `must be canonical base64url (${what}): its last character carries stray bits`);
}

/** A number that must be `value`, the one cost this version writes. */
const exactly = (value: number, shown: string): z.ZodNumber =>
  z.number().refine((n) => n === value, `must be ${shown}, the cost this version writes`);

/** The plaintext a wrapped member key holds: the JSON of two key pairs, 4 keys of 43 characters. */
export const MEMBER_KEYS_PLAINTEXT_BYTES = 261;

const kdf = z.strictObject({
  name: z.literal('scrypt'),
  N: exactly(KDF_LIMITS.maxN, '2^17'),
  r: exactly(KDF_LIMITS.maxR, '8'),
  p: exactly(KDF_LIMITS.maxP, '1'),
  salt: b64Bytes(16, 'a 16-byte salt'),
});

/** A member's public card: who they are and their public keys, self-signed. */
export const MemberCardSchema = z.strictObject({
  format: z.literal('breakglass.member-card'),
  version: z.literal(1),
  id,
  name: z.string().min(1).max(200),
  signingKey: key32,
  agreementKey: key32,
  createdAt: z.number().int(),
  sig: b64,
});
export type MemberCard = z.infer<typeof MemberCardSchema>;

/** A passphrase-wrapped copy of a member's private keys. */
export const WrappedKeysSchema = z.strictObject({
  kdf,
  iv: b64Bytes(12, 'a 12-byte AES-GCM nonce'),
  ct: b64Bytes(MEMBER_KEYS_PLAINTEXT_BYTES, 'the wrapped member keys'),
  tag: b64Bytes(16, 'a 16-byte AES-GCM tag'),
});

/**
 * A custody file: a member's wrapped keys, for in-person approval at a vault laptop, signed by the
 * member's own signing key (version 2). The signature lets a vault tell a damaged or altered file
 * (BAD_INPUT naming it) from a wrong passphrase, without running the KDF.
 */
export const CustodyFileSchema = z.strictObject({
  format: z.literal('breakglass.custody'),
  version: z.literal(2),
  member: id,
  signingKey: key32,
  wrapped: WrappedKeysSchema,
  sig: b64Bytes(64, 'an Ed25519 signature'),
});
export type CustodyFile = z.infer<typeof CustodyFileSchema>;

/** What a requester signs to open a break-glass request (or a drill). */
export const RequestBodySchema = z.strictObject({
  format: z.literal('breakglass.request'),
  version: z.literal(1),
  id,
  purpose: z.enum(['access', 'drill', 'rotate']),
  vault: id,
  credential: id,
  credentialVersion: z.number().int().min(1),
  trigger: z.string().max(64),
  reason: z.string().max(2000),
  incident: z.string().max(200),
  requester: id,
  ephemeralKey: key32,
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** Who holds the credential now, and how many of them it takes. */
  holders: z.array(id).min(1).max(64),
  /** The fingerprint of each holder's enrolled card, in the order of `holders`. */
  holderKeys: z.array(fingerprint).min(1).max(64),
  threshold: z.number().int().min(1),
  /**
   * Who holds it after this unseal (the secret is split again then), and how many it will take:
   * the policy's holders when the request was opened. Approving the request consents to this split,
   * so changing who holds a credential takes the same quorum as opening it.
   */
  nextHolders: z.array(id).min(1).max(64),
  /**
   * The fingerprint of each next holder's card: the vault seals the next split (and a rotated
   * secret) to exactly these keys, and a holder's own laptop checks its own.
   */
  nextHolderKeys: z.array(fingerprint).min(1).max(64),
  nextThreshold: z.number().int().min(1),
  /** What the screens show, signed so that no one between the requester and a holder can change it. */
  vaultName: z.string().max(200),
  credentialLabel: z.string().max(200),
  /** The vault's journal and its genesis key: holders' laptops pin both, so a rewritten journal is caught. */
  journal: id,
  genesisKey: key32,
  /** The policy in force when the request was opened, and the unseal window it grants. */
  policyHash: b64,
  unsealSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600),
  /**
   * How many times the holders' quorum may extend the unseal window, each time by `unsealSeconds`
   * (the policy's `max_extensions` when the request was opened; absent in requests from before it: none).
   */
  maxExtensions: z.number().int().min(0).max(10).optional(),
});
export type RequestBody = z.infer<typeof RequestBodySchema>;

/**
 * What a requester signs to ask the holders for more time in an unseal window that is still open:
 * one more `unsealSeconds` after `windowEndsAt`, the window's end when it was asked. It must reach its
 * quorum before that end; the vault journals it and the holders' approvals whole, so an auditor
 * checks every signature from an export.
 */
export const ExtensionBodySchema = z.strictObject({
  format: z.literal('breakglass.extension'),
  version: z.literal(1),
  id,
  vault: id,
  credential: id,
  /** The unsealed request whose window it extends, and that request's hash. */
  request: id,
  requestHash: b64,
  requester: id,
  reason: z.string().min(1).max(2000),
  /** Which extension of this window it is: 1 for the first, at most the request's `maxExtensions`. */
  number: z.number().int().min(1).max(10),
  windowEndsAt: z.number().int(),
  newWindowEndsAt: z.number().int(),
  createdAt: z.number().int(),
});
export type ExtensionBody = z.infer<typeof ExtensionBodySchema>;

/**
 * What the requester of an open request, or a holder who approved it, signs to end it by hand: the
 * vault journals it whole, so an auditor sees who cancelled, and the vault's own key cannot cancel
 * a request (and so cannot turn an approved one into an "abandoned" exposure) unseen.
 */
export const CancelBodySchema = z.strictObject({
  format: z.literal('breakglass.cancel'),
  version: z.literal(1),
  vault: id,
  credential: id,
  /** The open request it ends, and that request's hash. */
  request: id,
  requestHash: b64,
  /** Who signs: the request's requester or one of its approvers. */
  by: id,
  createdAt: z.number().int(),
});
export type CancelBody = z.infer<typeof CancelBodySchema>;

/**
 * What the requester of an approved rotation signs, in person, when the new secret is sealed: which
 * envelope (by its digest) becomes the credential's next version. The journal keeps it with the
 * holders' proofs, so nobody else at the laptop can seal a value of their own in the requester's name.
 */
export const RotationSealBodySchema = z.strictObject({
  format: z.literal('breakglass.rotation-seal'),
  version: z.literal(1),
  vault: id,
  credential: id,
  request: id,
  requestHash: b64,
  by: id,
  /** The credential's version once sealed, and the digest of its new envelope. */
  credentialVersion: z.number().int().min(2),
  envelope: b64,
  createdAt: z.number().int(),
});
export type RotationSealBody = z.infer<typeof RotationSealBodySchema>;

/** A holder's consent to one extension, signed with their key. */
export const ExtensionApprovalBodySchema = z.strictObject({
  format: z.literal('breakglass.extension-approval'),
  version: z.literal(1),
  vault: id,
  extension: id,
  extensionHash: b64,
  request: id,
  holder: id,
  approvedAt: z.number().int(),
});
export type ExtensionApprovalBody = z.infer<typeof ExtensionApprovalBodySchema>;

/** Where a request was recorded in the requesting vault's journal. */
export const AnchorSchema = z.strictObject({ journal: id, seq: z.number().int().min(0), hash: b64 });
export type JournalAnchor = z.infer<typeof AnchorSchema>;

/** Everything a holder on another laptop needs to review and approve one request, offline. */
export const RequestBundleSchema = z.strictObject({
  format: z.literal('breakglass.request-bundle'),
  version: z.literal(2),
  request: RequestBodySchema,
  requestHash: b64,
  requesterSignature: b64,
  requesterCard: MemberCardSchema,
  /**
   * Where the vault says it recorded the request: not signed by the requester (it cannot be: the
   * entry holds the request). Screens mark it so; the approval signs it, and the vault refuses an
   * approval whose anchor is not the one it recorded.
   */
  anchor: AnchorSchema,
  /** The vault journal's head when the bundle was made: also the vault's word, pinned by the holder's laptop. */
  head: z.strictObject({ seq: z.number().int().min(0), hash: b64 }),
  holder: id,
  share: z.strictObject({ sealed: sealedToKey, commitment }),
});
export type RequestBundle = z.infer<typeof RequestBundleSchema>;

/** The signed part of an approval: the holder's share re-sealed to the request's ephemeral key. */
export const ApprovalBodySchema = z.strictObject({
  format: z.literal('breakglass.approval'),
  version: z.literal(1),
  vault: id,
  request: id,
  requestHash: b64,
  credential: id,
  credentialVersion: z.number().int().min(1),
  holder: id,
  anchor: AnchorSchema,
  sealedShare: sealedToKey,
  approvedAt: z.number().int(),
  expiresAt: z.number().int(),
});
export type ApprovalBody = z.infer<typeof ApprovalBodySchema>;

/**
 * The signed part of a drill approval: the holder proves, by signing, that their share opened with
 * their key and matched its commitment. It carries no share: a drill gives the vault nothing it can open.
 */
export const DrillProofBodySchema = z.strictObject({
  format: z.literal('breakglass.drill-proof'),
  version: z.literal(1),
  vault: id,
  request: id,
  requestHash: b64,
  credential: id,
  credentialVersion: z.number().int().min(1),
  holder: id,
  anchor: AnchorSchema,
  /** The commitment (hash) of the share the holder opened and checked. */
  commitment: b64,
  approvedAt: z.number().int(),
  expiresAt: z.number().int(),
});
export type DrillProofBody = z.infer<typeof DrillProofBodySchema>;

/** An approval token as it travels: body (a share for access, a proof for a drill) and the holder's signature. */
export const ApprovalTokenSchema = z.strictObject({
  body: z.discriminatedUnion('format', [ApprovalBodySchema, DrillProofBodySchema]),
  sig: b64,
});
export type ApprovalToken = z.infer<typeof ApprovalTokenSchema>;

/** An access approval: one that carries a re-sealed share. */
export type ShareApprovalToken = ApprovalToken & { readonly body: ApprovalBody };

/** A signed post-incident review. */
export const ReviewBodySchema = z.strictObject({
  format: z.literal('breakglass.review'),
  version: z.literal(1),
  vault: id,
  credential: id,
  request: id,
  requestHash: b64,
  reviewer: id,
  warranted: z.boolean(),
  summary: z.string().min(1).max(4000),
  changes: z.string().max(4000),
  incident: z.string().max(200),
  followUp: z.string().max(4000),
  rotated: z.boolean(),
  /** The digest of the envelope reseal will activate (the one taken at the quorum, or the rotated one). */
  envelope: b64,
  signedAt: z.number().int(),
});
export type ReviewBody = z.infer<typeof ReviewBodySchema>;

/**
 * Parses `input` with `schema`, or throws `code` listing every failing path. Every string and
 * member name must be text a signature can cover unambiguously (`unacceptableText`): no lone
 * surrogate, noncharacter or byte-order mark.
 */
export function parseDocument<T>(schema: z.ZodType<T>, input: unknown, what: string, code: ErrorCode = 'BAD_INPUT'): T {
  const bad = findUnacceptableText(input);
  if (bad)
    throw new BreakGlassError(code, `${what} is not valid: ${bad.path}: holds ${bad.why}`, {
      problems: [{ path: bad.path, message: bad.why }],
    });
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  const first = problems[0]!;
  throw new BreakGlassError(
    code,
    `${what} is not valid: ${first.path}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    { problems },
  );
}
