import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalize } from '../core/canonical.js';
import { JOURNAL_FORMAT, type EntryKind, type JournalEntry, type StoredEntry } from '../core/journal.js';
import { b64, signBytes, type SigningKeyPair } from '../crypto/index.js';

/** Domain tag of entry hashes: hash = SHA-256(tag || 0x00 || entry bytes). */
export const ENTRY_HASH_TAG = 'breakglass/journal-entry/v1';

/** The hash of an entry's verbatim bytes. */
export function entryHash(bytes: Uint8Array): Buffer {
  return createHash('sha256')
    .update(ENTRY_HASH_TAG)
    .update(Buffer.from([0]))
    .update(bytes)
    .digest();
}

/** This run's id and monotonic clock, so verifiers can tell wall-clock jumps within one run. */
const RUN_ID = b64(randomBytes(8));

/** What the caller supplies for a new entry; the rest comes from the chain position and clocks. */
export interface EntryFields {
  readonly kind: EntryKind;
  readonly actor: string;
  readonly subject: string;
  readonly data: Record<string, unknown>;
}

/** The chain position an entry is appended at. */
export interface ChainHead {
  readonly journal: string;
  readonly nextSeq: number;
  /** base64url hash of the last entry; '' before the genesis entry. */
  readonly prev: string;
  readonly epoch: number;
}

/** Builds, serialises, hashes and signs the next entry; the bytes are stored and never re-serialised. */
export function makeEntry(head: ChainHead, fields: EntryFields, key: SigningKeyPair, now = Date.now()): StoredEntry {
  const entry: JournalEntry = {
    v: JOURNAL_FORMAT,
    journal: head.journal,
    seq: head.nextSeq,
    prev: head.prev,
    epoch: head.epoch,
    kind: fields.kind,
    time: now,
    mono: Math.floor(performance.now()),
    run: RUN_ID,
    actor: fields.actor,
    subject: fields.subject,
    data: fields.data,
  };
  const bytes = Buffer.from(canonicalize(entry), 'utf8');
  const hash = entryHash(bytes);
  return { seq: head.nextSeq, bytes, hash, sig: signBytes(key, hash) };
}

/** The head after appending `entry` (a key.rotate entry moves the epoch on). */
export function advanceHead(head: ChainHead, entry: StoredEntry, kind: EntryKind): ChainHead {
  return {
    journal: head.journal,
    nextSeq: entry.seq + 1,
    prev: b64(entry.hash),
    epoch: kind === 'key.rotate' ? head.epoch + 1 : head.epoch,
  };
}
