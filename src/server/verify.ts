/**
 * Verification of uploaded entries, incrementally from a stored chain position: each entry goes
 * through the one per-entry check of src/journal (checkEntry, docs/journal-format.md), so a batch
 * costs its own entries, not the journal's length. The unit tests compare the server's verdict
 * with a full verification on every tamper case.
 */
import type { JournalEntry, StoredEntry, VerifyFailureCode, VerifyFlag } from '../core/journal.js';
import { verifyBytes } from '../crypto/index.js';
import { Failure, checkEntry } from '../journal/index.js';

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

/**
 * Verifies `entries` (parsed export lines, in order) as the continuation of `start`, stopping at the
 * first bad one and naming it by the seq it should have had: the same checks as every verifier
 * (src/journal checkEntry), with the journal id and genesis key pinned at enrolment.
 */
export function verifyFrom(start: ChainState, entries: Iterable<StoredEntry>): BatchReport {
  let s = start;
  const verified: VerifiedEntry[] = [];
  const flags: VerifyFlag[] = [];
  for (const stored of entries) {
    try {
      const next = checkEntry(s, stored, s.genesisKey, (key, e) => verifyBytes(key, e.hash, e.sig));
      if (next.flag) flags.push(next.flag);
      verified.push({ stored, entry: next.entry, epochKey: next.epochKey });
      // Both pinned, so both stay what they were.
      s = { ...next.state, journal: s.journal, genesisKey: s.genesisKey };
    } catch (err) {
      if (err instanceof Failure) return { verified, state: s, failure: { seq: s.nextSeq, code: err.code, message: err.message }, flags };
      throw err;
    }
  }
  return { verified, state: s, failure: null, flags };
}
