/**
 * The wire contract between the sync client and the central server: every request and response body
 * as a zod schema (the server validates and serialises with them, and derives /openapi.json from
 * them), the limits, and the receipt that the server signs. docs/receipt-format.md specifies it.
 */
import { z } from 'zod';

/** Most lines one upload may carry; the client sends smaller batches. */
export const MAX_BATCH_LINES = 1_000;
/** Longest export line accepted (an entry with a long reason is a few KiB). */
export const MAX_LINE_CHARS = 64 * 1024;
/** Largest request body, in bytes. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Domain tag of receipt signatures: sig = Ed25519(server key, SHA-256(tag || 0x00 || len || canonical body)). */
export const RECEIPT_TAG = 'breakglass/sync-receipt/v1';

const b64Key = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url Ed25519 public key (43 characters)');
const b64Hash = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url SHA-256 hash (43 characters)');
const b64Sig = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'a base64url Ed25519 signature (86 characters)');

/** A journal id, as the vault writes it. */
export const JournalIdSchema = z.string().regex(/^j-[0-9a-f]{16}$/, 'a journal id: "j-" and 16 hex digits');

/** The roles a server token can carry. */
export const TOKEN_ROLES = ['admin', 'security', 'enroll'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** What the server signs: the journal, how many entries it holds, the hash of the last one, and when. */
export const ReceiptBodySchema = z.strictObject({
  journal: JournalIdSchema,
  size: z.int().min(0),
  head: b64Hash.nullable(),
  time: z.int().min(0),
});
export type ReceiptBody = z.infer<typeof ReceiptBodySchema>;

/** A receipt as it travels: the signed body, the signature and the key that made it. */
export const ReceiptSchema = z.strictObject({ body: ReceiptBodySchema, sig: b64Sig, key: b64Key });
export type Receipt = z.infer<typeof ReceiptSchema>;

/** Every error response: a stable code from src/core/errors.ts and a sentence. */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** POST /api/v1/enroll: the device's journal id and its genesis entry as an export line. */
export const EnrolRequestSchema = z.strictObject({
  journal: JournalIdSchema,
  genesis: z.string().min(1).max(MAX_LINE_CHARS),
  name: z.string().min(1).max(200),
});
export type EnrolRequest = z.infer<typeof EnrolRequestSchema>;

export const EnrolResponseSchema = z.strictObject({
  device: z.string(),
  credential: z.string(),
  serverKey: b64Key,
  journal: JournalIdSchema,
  receipt: ReceiptSchema,
});
export type EnrolResponse = z.infer<typeof EnrolResponseSchema>;

/** GET /api/v1/journals/{id}/head. */
export const HeadResponseSchema = z.strictObject({
  journal: JournalIdSchema,
  size: z.int().min(0),
  head: b64Hash.nullable(),
  frozen: z.boolean(),
});
export type HeadResponse = z.infer<typeof HeadResponseSchema>;

/** POST /api/v1/journals/{id}/entries: `base` is the size the device believes the server holds. */
export const UploadRequestSchema = z.strictObject({
  base: z.int().min(0),
  lines: z.array(z.string().max(MAX_LINE_CHARS)).max(MAX_BATCH_LINES),
});
export type UploadRequest = z.infer<typeof UploadRequestSchema>;

export const UploadResponseSchema = z.strictObject({
  journal: JournalIdSchema,
  accepted: z.int().min(0),
  duplicates: z.int().min(0),
  size: z.int().min(0),
  head: b64Hash.nullable(),
  receipt: ReceiptSchema,
});
export type UploadResponse = z.infer<typeof UploadResponseSchema>;

export const JournalParamsSchema = z.strictObject({ id: JournalIdSchema });

/** POST /api/v1/tokens (admin). */
export const TokenCreateRequestSchema = z.strictObject({
  role: z.enum(TOKEN_ROLES),
  ttlSeconds: z
    .int()
    .min(60)
    .max(366 * 24 * 3600)
    .optional(),
  label: z.string().max(200).optional(),
  /** An enrolment token for this journal only; enrolling a revoked journal again takes such a token. */
  journal: JournalIdSchema.optional(),
});
export type TokenCreateRequest = z.infer<typeof TokenCreateRequestSchema>;

export const TokenCreateResponseSchema = z.strictObject({
  id: z.string(),
  token: z.string(),
  role: z.enum(TOKEN_ROLES),
  expiresAt: z.int().nullable(),
});
export type TokenCreateResponse = z.infer<typeof TokenCreateResponseSchema>;

export const TokenParamsSchema = z.strictObject({ id: z.string().regex(/^t-[0-9a-f]{16}$/) });
export const TokenRevokeResponseSchema = z.strictObject({ id: z.string(), revokedAt: z.int() });

/** A device as security sees it (never its credential or the credential's hash). */
export const DeviceSchema = z.strictObject({
  id: z.string(),
  journal: JournalIdSchema,
  name: z.string(),
  enrolledAt: z.int(),
  revokedAt: z.int().nullable(),
});
export type DeviceView = z.infer<typeof DeviceSchema>;
export const DeviceListResponseSchema = z.strictObject({ devices: z.array(DeviceSchema) });
export const DeviceParamsSchema = z.strictObject({ id: z.string().regex(/^d-[0-9a-f]{16}$/) });
