/**
 * The activation journal's entry shape, kinds and verification codes. The byte format is specified
 * in docs/journal-format.md; this file is its typed mirror, with no Node API so the UI can read it.
 */

/** The entry format this version writes and the lowest it accepts. */
export const JOURNAL_FORMAT = 1;

/** Every kind of entry the vault writes. */
export const ENTRY_KINDS = [
  'journal.genesis',
  'key.rotate',
  'member.add',
  'member.remove',
  // A member's own keys (issue 10): a new passphrase over them, a custody copy exported.
  'member.passphrase',
  'member.export',
  'policy.set',
  'credential.seal',
  'request.create',
  'request.cancel',
  'request.expire',
  'approval.accept',
  'approval.give',
  'request.quorum',
  'credential.unseal',
  'credential.reveal',
  'credential.copy',
  'credential.export',
  'window.close',
  // A quorum-approved extension of an open unseal window: asked, approved by each holder, granted.
  'extension.create',
  'extension.approve',
  'window.extend',
  'review.sign',
  'credential.reseal',
  'drill.complete',
  // A routine rotation (issue 10): a new secret sealed in place of the old one, on a quorum's signed proofs.
  'credential.rotate',
  'share.check',
  'access.refused',
  'server.receipt',
  // Sync (issue 11): the server this journal is enrolled with and its pinned key; a verified receipt.
  'sync.enrolled',
  'sync.receipt',
] as const;

export type EntryKind = (typeof ENTRY_KINDS)[number];

/** One journal entry as signed: the parsed form of its canonical bytes. */
export interface JournalEntry {
  readonly v: number;
  readonly journal: string;
  readonly seq: number;
  /** base64url hash of the previous entry; the empty string for the genesis entry. */
  readonly prev: string;
  readonly epoch: number;
  readonly kind: EntryKind;
  /** Wall-clock time, milliseconds since the Unix epoch. */
  readonly time: number;
  /** Monotonic milliseconds within one run of the program, and that run's random id. */
  readonly mono: number;
  readonly run: string;
  readonly actor: string;
  readonly subject: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A stored entry: the verbatim bytes, their hash and the epoch key's signature (all as stored). */
export interface StoredEntry {
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly sig: Uint8Array;
  /** Why an export line could not be read as an entry at all (it then fails check 1, TAMPER, saying so). */
  readonly unreadable?: string;
  /**
   * The entry as the export line's reader parsed it, when `bytes` are by construction the canonical
   * JSON of exactly this object (the line was in the exact form, so its entry text is `bytes`): the
   * verifier then checks its shape without parsing and canonicalizing the same text a second time.
   */
  readonly parsed?: Readonly<Record<string, unknown>>;
}

/** Why verification stopped, at the first bad entry. */
export const VERIFY_FAILURES = ['TAMPER', 'CHAIN_BREAK', 'GAP', 'BAD_SIGNATURE', 'BAD_KEY', 'EPOCH_MISMATCH', 'DOWNGRADE'] as const;

export type VerifyFailureCode = (typeof VERIFY_FAILURES)[number];

/** A finding that does not fail verification (a clock that went backwards, say). */
export interface VerifyFlag {
  readonly seq: number;
  readonly code: 'CLOCK_ANOMALY';
  readonly message: string;
}

/** The outcome of verifying a journal, or a prefix of one. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly journal: string | null;
  /** Entries that verified. */
  readonly count: number;
  readonly headSeq: number;
  readonly headHash: string | null;
  readonly epoch: number;
  /** The public key of the current epoch after the last verified entry. */
  readonly epochKey: string | null;
  readonly genesisKey: string | null;
  readonly failure: { readonly seq: number; readonly code: VerifyFailureCode; readonly message: string } | null;
  readonly flags: readonly VerifyFlag[];
}
