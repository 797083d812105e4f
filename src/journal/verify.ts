import { canonicalize } from '../core/canonical.js';
import { MAX_DEPTH, jsonTooDeepAt } from '../core/depth.js';
import {
  ENTRY_KINDS,
  JOURNAL_FORMAT,
  type JournalEntry,
  type StoredEntry,
  type VerifyFailureCode,
  type VerifyFlag,
  type VerifyReport,
} from '../core/journal.js';
import { b64, bytesEqual, isValidPublicKey, verifyBytes } from '../crypto/index.js';
import { entryHash } from './entry.js';

/** What a verifier may pin: the journal id and its genesis key (a third party always pins the key). */
export interface VerifyExpectations {
  readonly journal?: string;
  readonly genesisKey?: string;
}

/** The number of fields of a version-1 entry (v, journal, seq, prev, epoch, kind, time, mono, run, actor, subject, data). */
const ENTRY_FIELDS = 12;

/** Wall-clock steps backwards smaller than this are ordinary clock jitter. */
const CLOCK_TOLERANCE_MS = 2_000;

class Failure extends Error {
  constructor(
    readonly code: VerifyFailureCode,
    message: string,
  ) {
    super(message);
  }
}

function parseEntry(bytes: Uint8Array): JournalEntry {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let e: Partial<JournalEntry>;
  if (jsonTooDeepAt(text) >= 0) throw new Failure('TAMPER', `entry nests deeper than ${MAX_DEPTH} levels`);
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
  // Exactly the fields of the format: a field this verifier does not know could carry a meaning it
  // cannot check (a newer format says so in `v`).
  if (Object.keys(e).length !== ENTRY_FIELDS) throw new Failure('TAMPER', 'entry has fields that a version-1 entry does not have');
  return e as JournalEntry;
}

/**
 * Verifies entries in order and stops at the first bad one, naming its seq and the failure.
 * Checks, in this order per entry (docs/journal-format.md): hash (TAMPER); canonical form and shape
 * (TAMPER, DOWNGRADE if v is older); format (DOWNGRADE, or TAMPER if newer); row seq against entry
 * seq (GAP); journal id (CHAIN_BREAK); seq (GAP); prev (CHAIN_BREAK); epoch (EPOCH_MISMATCH);
 * genesis key (BAD_KEY); signature (BAD_SIGNATURE); the key a key.rotate certifies (BAD_KEY).
 */
export function verifyEntries(entries: Iterable<StoredEntry>, expect: VerifyExpectations = {}): VerifyReport {
  return walkEntries(entries, expect, (key, stored) => verifyBytes(key, stored.hash, stored.sig));
}

/**
 * The walk behind `verifyEntries`, with the signature check supplied by the caller: the parallel
 * verifier records each (key, entry) here and checks the signatures on worker threads.
 */
export function walkEntries(
  entries: Iterable<StoredEntry>,
  expect: VerifyExpectations,
  checkSignature: (epochKey: string, stored: StoredEntry) => boolean,
): VerifyReport {
  let journal: string | null = expect.journal ?? null;
  let expectedSeq = 0;
  let prev = '';
  let epoch = 0;
  let epochKey: string | null = null;
  let genesisKey: string | null = null;
  let last: JournalEntry | null = null;
  const flags: VerifyFlag[] = [];
  let position = 0;

  const report = (failure: VerifyReport['failure']): VerifyReport => ({
    ok: failure === null,
    journal,
    count: expectedSeq,
    headSeq: expectedSeq - 1,
    headHash: prev === '' ? null : prev,
    epoch,
    epochKey,
    genesisKey,
    failure,
    flags,
  });

  for (const stored of entries) {
    // Name the failing entry by the seq it should have had, which survives tampering with its bytes.
    const at = expectedSeq;
    position += 1;
    try {
      if (!bytesEqual(entryHash(stored.bytes), stored.hash)) {
        throw new Failure('TAMPER', 'entry bytes do not match the stored hash');
      }
      const e = parseEntry(stored.bytes);
      if (e.v < JOURNAL_FORMAT) throw new Failure('DOWNGRADE', `entry has format ${e.v}, older than ${JOURNAL_FORMAT}`);
      if (e.v > JOURNAL_FORMAT) throw new Failure('TAMPER', `entry format ${e.v} is newer than this verifier`);
      if (stored.seq !== e.seq) throw new Failure('GAP', `entry stored at seq ${stored.seq} says seq ${e.seq}`);
      if (journal === null) journal = e.journal;
      if (e.journal !== journal) throw new Failure('CHAIN_BREAK', `entry belongs to journal ${e.journal}`);
      if (e.seq !== expectedSeq) throw new Failure('GAP', `expected seq ${expectedSeq}, found ${e.seq}`);
      if (e.prev !== prev) throw new Failure('CHAIN_BREAK', 'prev does not match the hash of the previous entry');
      if (e.epoch !== epoch) throw new Failure('EPOCH_MISMATCH', `entry claims epoch ${e.epoch}, chain is at epoch ${epoch}`);
      if (e.seq === 0) {
        const key = e.data['key'];
        if (e.kind !== 'journal.genesis' || !isValidPublicKey(key, 'Ed25519')) {
          throw new Failure('BAD_KEY', 'first entry is not a genesis entry with a valid key');
        }
        if (expect.genesisKey !== undefined && key !== expect.genesisKey) {
          throw new Failure('BAD_KEY', 'genesis key differs from the pinned genesis key');
        }
        genesisKey = key as string;
        epochKey = genesisKey;
      } else if (e.kind === 'journal.genesis') {
        throw new Failure('BAD_KEY', 'a genesis entry after the start of the journal');
      }
      if (!checkSignature(epochKey!, stored)) {
        throw new Failure('BAD_SIGNATURE', `signature does not verify under the epoch ${epoch} key`);
      }
      if (last && e.time < last.time - CLOCK_TOLERANCE_MS) {
        flags.push({ seq: e.seq, code: 'CLOCK_ANOMALY', message: `wall clock went back ${last.time - e.time} ms` });
      } else if (last && last.run === e.run && Math.abs(e.time - last.time - (e.mono - last.mono)) > CLOCK_TOLERANCE_MS) {
        flags.push({ seq: e.seq, code: 'CLOCK_ANOMALY', message: 'wall clock and monotonic clock disagree within one run' });
      }
      if (e.kind === 'key.rotate') {
        const next = e.data['next'];
        if (!isValidPublicKey(next, 'Ed25519') || e.data['epoch'] !== epoch + 1) {
          throw new Failure('BAD_KEY', 'key.rotate does not certify a valid next key for the next epoch');
        }
        epoch += 1;
        epochKey = next as string;
      }
      prev = b64(stored.hash);
      expectedSeq += 1;
      last = e;
    } catch (err) {
      if (err instanceof Failure) return report({ seq: at, code: err.code, message: err.message });
      throw err;
    }
  }
  if (position === 0) return report({ seq: 0, code: 'GAP', message: 'the journal is empty' });
  return report(null);
}
