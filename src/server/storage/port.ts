/**
 * The server's storage port. Two adapters implement it (SQLite and PostgreSQL) and one contract
 * suite tests both. Every write that must be atomic is one method, so each adapter runs it in one
 * transaction; ingest takes the journal's row lock and lets the caller decide inside it.
 */
import type { TokenRole } from '../../core/sync-api.js';

/** A token as stored: never the token itself, only its SHA-256. */
export interface TokenRow {
  readonly id: string;
  readonly hash: string;
  readonly role: TokenRole;
  readonly label: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly usedAt: number | null;
}

/** An enrolled device and the one journal it may write. */
export interface DeviceRow {
  readonly id: string;
  readonly journal: string;
  readonly name: string;
  readonly credentialHash: string;
  readonly tokenId: string;
  readonly enrolledAt: number;
  /** Set when security revoked the device: its credential is refused until the journal is enrolled again. */
  readonly revokedAt: number | null;
}

/** A journal as the server holds it: its pinned genesis key, size and head. */
export interface JournalRow {
  readonly id: string;
  readonly device: string;
  readonly genesisKey: string;
  readonly size: number;
  readonly head: string | null;
  readonly frozenAt: number | null;
  readonly frozenReason: string | null;
  readonly lastSyncAt: number | null;
}

/** One stored entry: verbatim bytes, hash and signature (base64url), and the epoch key that signed it. */
export interface EntryRow {
  readonly seq: number;
  readonly hash: string;
  readonly sig: string;
  readonly bytes: Buffer;
  readonly epoch: number;
  readonly epochKey: string;
  readonly kind: string;
}

/** A non-failing finding (CLOCK_ANOMALY) kept for the alerting issue. */
export interface FlagRow {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
}

/** A cross-reference an entry names: another journal's (seq, hash). */
export interface AnchorRow {
  readonly seq: number;
  readonly kind: string;
  readonly targetJournal: string;
  readonly targetSeq: number;
  readonly targetHash: string;
}

/** An anchor whose named hash differs from the entry the named journal holds at that seq. */
export interface AnchorMismatchRow {
  readonly journal: string;
  readonly seq: number;
  readonly kind: string;
  readonly targetJournal: string;
  readonly targetSeq: number;
  readonly namedHash: string;
  readonly heldHash: string;
  readonly detectedAt: number;
}

export interface ForkRow {
  readonly seq: number;
  readonly storedHash: string;
  readonly offeredHash: string;
  readonly offeredLine: string;
  readonly detectedAt: number;
}

export interface RejectionRow {
  readonly base: number;
  readonly lineCount: number;
  readonly seq: number;
  readonly code: string;
  readonly message: string;
  readonly evidence: string;
  readonly truncated: boolean;
  readonly receivedAt: number;
}

/** What the ingest decision sees, read under the journal's row lock. */
export interface JournalSnapshot {
  readonly journal: JournalRow;
  /** Stored entries from the one before `base` up to the last position the batch covers, in order. */
  readonly window: readonly EntryRow[];
}

/** What to do with a batch, decided inside the lock and applied in the same transaction. */
export type IngestPlan =
  | {
      readonly kind: 'append';
      readonly entries: readonly EntryRow[];
      readonly flags: readonly FlagRow[];
      readonly anchors: readonly AnchorRow[];
    }
  | { readonly kind: 'noop' }
  | { readonly kind: 'fork'; readonly fork: Omit<ForkRow, 'detectedAt'> }
  | { readonly kind: 'reject'; readonly rejection: Omit<RejectionRow, 'receivedAt'> }
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'frozen' };

/** The outcome of an ingest: the plan applied and the journal as it now is. */
export interface IngestOutcome {
  readonly plan: IngestPlan;
  readonly journal: JournalRow;
}

/** What enrolment writes in one transaction. */
export interface Enrolment {
  readonly tokenId: string;
  readonly device: DeviceRow;
  readonly genesisKey: string;
  readonly genesis: EntryRow;
}

/** The refusal of an upload whose credential stopped being its journal's device's after it was authenticated. */
export const STALE_WRITER_MESSAGE = 'the device credential was revoked or replaced while this upload was on its way; nothing was stored';

/** What an enrolment did: the device that now writes the journal, or why nothing was stored. */
export type EnrolOutcome =
  | { readonly stored: 'new' | 'again'; readonly device: string }
  | {
      readonly stored: false;
      readonly why: 'token-used' | 'journal-exists' | 'genesis-differs' | 'token-for-another-journal' | 'token-not-bound';
    };

/** The storage port of the server. */
export interface ServerStorage {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies every migration this database lacks, up to `target` (safe from several processes at once). */
  migrate(target?: number): Promise<void>;
  /** The highest migration applied, 0 for an empty database. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;

  /** Stores the first admin token unless one was ever bootstrapped; true when this call did it. */
  bootstrapAdmin(token: TokenRow): Promise<boolean>;
  /** Stores a token; an enrolment token given `journal` enrols that journal only (and only such a token enrols a revoked journal again). */
  insertToken(token: TokenRow, journal?: string): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRow | null>;
  /** Marks a token revoked; false when there is no such token. */
  revokeToken(id: string, at: number): Promise<boolean>;

  /**
   * Uses the enrolment token once and stores device, journal and genesis entry, or nothing. A journal
   * held already is enrolled again only when its device was revoked and the genesis entry is the
   * one it holds: the device keeps its id and gets the new credential, the entries stay.
   */
  enrol(e: Enrolment, now: number): Promise<EnrolOutcome>;
  /** Revokes a device's credential (the first revocation's time stays); null when there is no such device. */
  revokeDevice(id: string, at: number): Promise<DeviceRow | null>;
  /** Every enrolled device, by journal. */
  devices(): Promise<DeviceRow[]>;
  deviceByCredential(hash: string): Promise<DeviceRow | null>;

  journal(id: string): Promise<JournalRow | null>;
  journals(): Promise<JournalRow[]>;
  /** Stored entries of a journal with seq in [from, to). */
  entries(journal: string, from: number, to: number): Promise<EntryRow[]>;
  /**
   * Locks the journal, checks in the same transaction that the credential with hash `writer` is
   * still its device's (a revocation or re-enrolment committed since the request was authenticated
   * refuses it: UNAUTHENTICATED), reads the window for `base` and `count`, and applies what `decide` answers.
   */
  ingest(
    journal: string,
    writer: string,
    base: number,
    count: number,
    now: number,
    decide: (s: JournalSnapshot) => IngestPlan,
  ): Promise<IngestOutcome>;

  forks(journal: string): Promise<ForkRow[]>;
  rejections(journal: string): Promise<RejectionRow[]>;
  flags(journal: string): Promise<FlagRow[]>;
  anchors(journal: string): Promise<AnchorRow[]>;
  /** Anchor mismatches recorded for anchors in `journal` or pointing into it. */
  anchorMismatches(journal: string): Promise<AnchorMismatchRow[]>;
}

/** The window of stored seqs an ingest reads: the entry before `base` through the batch's last known seq. */
export function ingestWindow(size: number, base: number, count: number): { from: number; to: number } {
  const start = Math.min(base, size);
  return { from: Math.max(0, start - 1), to: Math.min(base + count, size) };
}

/**
 * The anchor mismatches that an append creates, both ways: the batch's own anchors against the
 * journals they name, and earlier anchors into this journal against the entries just stored.
 */
export function findAnchorMismatches(
  journal: string,
  appended: readonly EntryRow[],
  anchors: readonly AnchorRow[],
  heldHash: (targetJournal: string, seq: number) => string | undefined,
  into: readonly (AnchorRow & { readonly journal: string })[],
  now: number,
): AnchorMismatchRow[] {
  const out: AnchorMismatchRow[] = [];
  const own = new Map(appended.map((e) => [e.seq, e.hash]));
  for (const a of anchors) {
    const held =
      a.targetJournal === journal ? (own.get(a.targetSeq) ?? heldHash(journal, a.targetSeq)) : heldHash(a.targetJournal, a.targetSeq);
    if (held !== undefined && held !== a.targetHash) out.push({ journal, ...a, namedHash: a.targetHash, heldHash: held, detectedAt: now });
  }
  for (const a of into) {
    const held = own.get(a.targetSeq);
    if (held !== undefined && held !== a.targetHash && a.journal !== journal) {
      out.push({
        journal: a.journal,
        seq: a.seq,
        kind: a.kind,
        targetJournal: a.targetJournal,
        targetSeq: a.targetSeq,
        namedHash: a.targetHash,
        heldHash: held,
        detectedAt: now,
      });
    }
  }
  return out;
}

/** Most rejected batches kept per journal as evidence, and the most characters kept of each. */
export const MAX_REJECTIONS_PER_JOURNAL = 100;
export const MAX_EVIDENCE_CHARS = 256 * 1024;
