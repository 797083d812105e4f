import { hash as digest, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalize } from '../core/canonical.js';
import { JOURNAL_FORMAT, type EntryKind, type JournalEntry, type StoredEntry } from '../core/journal.js';
import { b64, signBytes, type SigningKeyPair } from '../crypto/index.js';

/** Domain tag of entry hashes: hash = SHA-256(tag || 0x00 || entry bytes). */
export const ENTRY_HASH_TAG = 'breakglass/journal-entry/v1';

const ENTRY_HASH_PREFIX = Buffer.from(`${ENTRY_HASH_TAG}\0`, 'utf8');

// One-shot hashing over one buffer: a Hash object per entry costs more in garbage collection than
// in hashing, on the append path and in verification alike.

/** The hash of an entry's verbatim bytes. */
export function entryHash(bytes: Uint8Array): Buffer {
  return digest('sha256', Buffer.concat([ENTRY_HASH_PREFIX, bytes]), 'buffer');
}

/** The entry's bytes and their hash, from its canonical text, with one buffer for both. */
function encodeEntry(text: string): { bytes: Buffer; hash: Buffer } {
  const tagged = Buffer.allocUnsafe(ENTRY_HASH_PREFIX.length + Buffer.byteLength(text, 'utf8'));
  ENTRY_HASH_PREFIX.copy(tagged, 0);
  tagged.write(text, ENTRY_HASH_PREFIX.length, 'utf8');
  return { bytes: tagged.subarray(ENTRY_HASH_PREFIX.length), hash: digest('sha256', tagged, 'buffer') };
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
  const { bytes, hash } = encodeEntry(canonicalize(entry));
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
