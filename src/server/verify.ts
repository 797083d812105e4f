/**
 * Verification of uploaded entries, incrementally from a stored chain position: the checks and
 * codes of docs/journal-format.md in the same order as src/journal/verify.ts (whose walk starts at
 * genesis only), so a batch costs its own entries, not the journal's length. The unit tests compare
 * the two verifiers on every tamper case.
 */
import { canonicalize } from '../core/canonical.js';
import {
  ENTRY_KINDS,
  JOURNAL_FORMAT,
  type JournalEntry,
  type StoredEntry,
  type VerifyFailureCode,
  type VerifyFlag,
} from '../core/journal.js';
import { b64, bytesEqual, isValidPublicKey, verifyBytes } from '../crypto/index.js';
import { entryHash } from '../journal/index.js';

/** Where a chain stands before its next entry. */
export interface ChainState {
  readonly journal: string;
  readonly genesisKey: string;
  readonly nextSeq: number;
  readonly prev: string;
  readonly epoch: number;
  /** The key of the current epoch; null only before the genesis entry. */
  readonly epochKey: string | null;
  readonly last: Pick<JournalEntry, 'time' | 'mono' | 'run'> | null;
}

/** One verified entry with what the server stores beside it. */
export interface VerifiedEntry {
  readonly stored: StoredEntry;
  readonly entry: JournalEntry;
  readonly epochKey: string;
}

export interface BatchReport {
  readonly verified: readonly VerifiedEntry[];
  readonly state: ChainState;
  readonly failure: { readonly seq: number; readonly code: VerifyFailureCode; readonly message: string } | null;
  readonly flags: readonly VerifyFlag[];
}

const ENTRY_FIELDS = 12;
const CLOCK_TOLERANCE_MS = 2_000;

class Failure extends Error {
  constructor(
    readonly code: VerifyFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The state before entry 0 of a journal whose id and genesis key are pinned. */
export function genesisState(journal: string, genesisKey: string): ChainState {
  return { journal, genesisKey, nextSeq: 0, prev: '', epoch: 0, epochKey: null, last: null };
}

/** The state after a stored entry (the server keeps each entry's epoch key for exactly this). */
export function stateAfter(
  journal: string,
  genesisKey: string,
  row: { bytes: Uint8Array; hash: string; epoch: number; epochKey: string },
): ChainState {
  const e = JSON.parse(Buffer.from(row.bytes).toString('utf8')) as JournalEntry;
  const rotate = e.kind === 'key.rotate';
  return {
    journal,
    genesisKey,
    nextSeq: e.seq + 1,
    prev: row.hash,
    epoch: rotate ? row.epoch + 1 : row.epoch,
    epochKey: rotate ? (e.data['next'] as string) : row.epochKey,
    last: { time: e.time, mono: e.mono, run: e.run },
  };
}

function parseEntry(bytes: Uint8Array): JournalEntry {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let e: Partial<JournalEntry>;
  try {
    e = JSON.parse(text) as Partial<JournalEntry>;
    if (canonicalize(e) !== text) throw new Error('not canonical');
  } catch {
    throw new Failure('TAMPER', 'entry bytes are not canonical JSON');
  }
  const wellFormed =
    typeof e === 'object' &&
    e !== null &&
    Number.isSafeInteger(e.v) &&
    typeof e.journal === 'string' &&
    Number.isSafeInteger(e.seq) &&
    typeof e.prev === 'string' &&
    Number.isSafeInteger(e.epoch) &&
    (ENTRY_KINDS as readonly string[]).includes(e.kind as string) &&
    Number.isSafeInteger(e.time) &&
    Number.isSafeInteger(e.mono) &&
    typeof e.run === 'string' &&
    typeof e.actor === 'string' &&
    typeof e.subject === 'string' &&
    typeof e.data === 'object' &&
    e.data !== null &&
    !Array.isArray(e.data);
  if (!wellFormed) {
    if (Number.isSafeInteger(e.v) && (e.v as number) < JOURNAL_FORMAT) {
      throw new Failure('DOWNGRADE', `entry has format ${e.v}, older than ${JOURNAL_FORMAT}`);
    }
    throw new Failure('TAMPER', 'entry does not have the fields of a journal entry');
  }
  if (Object.keys(e).length !== ENTRY_FIELDS) throw new Failure('TAMPER', 'entry has fields that a version-1 entry does not have');
  return e as JournalEntry;
}

/**
 * Verifies `entries` (parsed export lines, in order) as the continuation of `start`, stopping at the
 * first bad one and naming it by the seq it should have had.
 */
export function verifyFrom(start: ChainState, entries: Iterable<StoredEntry>): BatchReport {
  let s = start;
  const verified: VerifiedEntry[] = [];
  const flags: VerifyFlag[] = [];
  for (const stored of entries) {
    const at = s.nextSeq;
    try {
      if (!bytesEqual(entryHash(stored.bytes), stored.hash)) throw new Failure('TAMPER', 'entry bytes do not match the stored hash');
      const e = parseEntry(stored.bytes);
      if (e.v < JOURNAL_FORMAT) throw new Failure('DOWNGRADE', `entry has format ${e.v}, older than ${JOURNAL_FORMAT}`);
      if (e.v > JOURNAL_FORMAT) throw new Failure('TAMPER', `entry format ${e.v} is newer than this verifier`);
      if (stored.seq !== e.seq) throw new Failure('GAP', `entry stored at seq ${stored.seq} says seq ${e.seq}`);
      if (e.journal !== s.journal) throw new Failure('CHAIN_BREAK', `entry belongs to journal ${e.journal}`);
      if (e.seq !== at) throw new Failure('GAP', `expected seq ${at}, found ${e.seq}`);
      if (e.prev !== s.prev) throw new Failure('CHAIN_BREAK', 'prev does not match the hash of the previous entry');
      if (e.epoch !== s.epoch) throw new Failure('EPOCH_MISMATCH', `entry claims epoch ${e.epoch}, chain is at epoch ${s.epoch}`);
      let epochKey = s.epochKey;
      if (e.seq === 0) {
        const key = e.data['key'];
        if (e.kind !== 'journal.genesis' || !isValidPublicKey(key, 'Ed25519')) {
          throw new Failure('BAD_KEY', 'first entry is not a genesis entry with a valid key');
        }
        if (key !== s.genesisKey) throw new Failure('BAD_KEY', 'genesis key differs from the pinned genesis key');
        epochKey = key;
      } else if (e.kind === 'journal.genesis') {
        throw new Failure('BAD_KEY', 'a genesis entry after the start of the journal');
      }
      if (epochKey === null || !verifyBytes(epochKey, stored.hash, stored.sig)) {
        throw new Failure('BAD_SIGNATURE', `signature does not verify under the epoch ${s.epoch} key`);
      }
      const last = s.last;
      if (last && e.time < last.time - CLOCK_TOLERANCE_MS) {
        flags.push({ seq: e.seq, code: 'CLOCK_ANOMALY', message: `wall clock went back ${last.time - e.time} ms` });
      } else if (last && last.run === e.run && Math.abs(e.time - last.time - (e.mono - last.mono)) > CLOCK_TOLERANCE_MS) {
        flags.push({ seq: e.seq, code: 'CLOCK_ANOMALY', message: 'wall clock and monotonic clock disagree within one run' });
      }
      let epoch = s.epoch;
      let nextKey = epochKey;
      if (e.kind === 'key.rotate') {
        const next = e.data['next'];
        if (!isValidPublicKey(next, 'Ed25519') || e.data['epoch'] !== epoch + 1) {
          throw new Failure('BAD_KEY', 'key.rotate does not certify a valid next key for the next epoch');
        }
        epoch += 1;
        nextKey = next as string;
      }
      verified.push({ stored, entry: e, epochKey });
      s = { ...s, nextSeq: at + 1, prev: b64(stored.hash), epoch, epochKey: nextKey, last: { time: e.time, mono: e.mono, run: e.run } };
    } catch (err) {
      if (err instanceof Failure) return { verified, state: s, failure: { seq: at, code: err.code, message: err.message }, flags };
      throw err;
    }
  }
  return { verified, state: s, failure: null, flags };
}
