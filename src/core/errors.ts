/**
 * The closed list of expected failures. Every code has an exit status (the CLI's contract) and
 * a category; messages are written for the person at the keyboard and never carry secret material.
 */
export const ERROR_CODES = {
  // 2: bad input (malformed or foreign file, unknown id, schema violation)
  BAD_INPUT: 2,
  BAD_ARGUMENTS: 2,
  POLICY_INVALID: 2,
  NOT_FOUND: 2,
  ALREADY_EXISTS: 2,
  BAD_BUNDLE: 2,
  FOREIGN_INPUT: 2,
  /** A document nested deeper than MAX_DEPTH (src/core/depth.ts), refused before it is parsed. */
  TOO_DEEP: 2,
  NOT_INITIALIZED: 2,
  // 3: refused by policy or state
  POLICY_DENIED: 3,
  WRONG_PASSPHRASE: 3,
  STATE_CONFLICT: 3,
  REQUEST_EXPIRED: 3,
  APPROVAL_REPLAYED: 3,
  DUPLICATE_APPROVAL: 3,
  SELF_APPROVAL: 3,
  THRESHOLD_NOT_MET: 3,
  REVIEW_REQUIRED: 3,
  ROTATION_REQUIRED: 3,
  WINDOW_CLOSED: 3,
  /** A person answered no at a confirmation: their decision, not a policy refusal. */
  DECLINED: 3,
  // 130: stopped by the person at the keyboard (Ctrl-C), by the shells' convention (128 + SIGINT)
  CANCELLED: 130,
  // 4: integrity failure
  BAD_SHARE: 4,
  BAD_SIGNATURE: 4,
  /** A public key that is not the canonical encoding of a point on the curve of large order (the identity point lets anyone sign). */
  BAD_KEY: 4,
  JOURNAL_TAMPERED: 4,
  INTEGRITY_FAILURE: 4,
  /** The keychain lacks the journal's current epoch key: the journal's end cannot be proven (a cut tail, or a folder moved without its keychain). */
  TAIL_UNPROVEN: 4,
  // 5: environment
  KEYCHAIN_UNAVAILABLE: 5,
  VAULT_BUSY: 5,
  CLIPBOARD_UNAVAILABLE: 5,
  IO_ERROR: 5,
  // 1: anything else
  INTERNAL: 1,
  // Sync and the central server (issue 11); the HTTP status of each is in src/server/errors.ts.
  MALFORMED_BODY: 2,
  UNSUPPORTED_MEDIA_TYPE: 2,
  PAYLOAD_TOO_LARGE: 2,
  TOO_MANY_LINES: 2,
  UNAUTHENTICATED: 3,
  TOKEN_EXPIRED: 3,
  TOKEN_REVOKED: 3,
  TOKEN_USED: 3,
  WRONG_ROLE: 3,
  WRONG_DEVICE: 3,
  NOT_ENROLLED: 3,
  SYNC_CONFLICT: 3,
  JOURNAL_FROZEN: 3,
  JOURNAL_FORKED: 4,
  JOURNAL_REJECTED: 4,
  BAD_RECEIPT: 4,
  SERVER_UNREACHABLE: 5,
  SERVER_ERROR: 5,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Exit status for an error code; 1 for anything not on the list. */
export function exitStatusFor(code: string): number {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : 1;
}

/** An expected failure a caller can test for by code; details must never hold secret material. */
export class BreakGlassError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BreakGlassError';
    this.code = code;
    this.details = details;
  }

  /** The wire form used by the CLI's --json output and by IPC. */
  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is a BreakGlassError, optionally with the given code. */
export function isBreakGlassError(err: unknown, code?: ErrorCode): err is BreakGlassError {
  return err instanceof BreakGlassError && (code === undefined || err.code === code);
}

/** Ends an exhaustive switch: reaching it is a bug, so it throws loudly. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Asserts an invariant; a failure is a bug, not an expected error. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
