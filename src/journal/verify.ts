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

/** A head whose entries were all verified before, signatures included: `{seq, hash}` of its last entry. */
export interface VerifiedHead {
  readonly seq: number;
  /** The base64url hash of the entry at `seq`. */
  readonly hash: string;
}

/** What a verifier may pin: the journal id and its genesis key (a third party always pins the key). */
export interface VerifyExpectations {
  readonly journal?: string;
  readonly genesisKey?: string;
  /**
   * A head this verifier checked in full before (a vault keeps it with its keychain material). The
   * entries up to it are bound to it by the hash chain: their hashes, chain, epochs and keys are
   * checked again, but not their signatures or canonical form, which are functions of bytes already
   * checked; the journal must still hold exactly that entry at that seq.
   */
  readonly verified?: VerifiedHead;
}

/** Wall-clock steps backwards smaller than this are ordinary clock jitter. */
const CLOCK_TOLERANCE_MS = 2_000;

/** A failed check: its code and a message naming the cause. */
export class Failure extends Error {
  constructor(
    readonly code: VerifyFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The fields of a version-1 entry and the type each must have. */
const FIELD_TYPES: readonly (readonly [keyof JournalEntry, 'integer' | 'string' | 'object'])[] = [
  ['journal', 'string'],
  ['seq', 'integer'],
  ['prev', 'string'],
  ['epoch', 'integer'],
  ['kind', 'string'],
  ['time', 'integer'],
  ['mono', 'integer'],
  ['run', 'string'],
  ['actor', 'string'],
  ['subject', 'string'],
  ['data', 'object'],
];

const FIELDS = new Set<string>(['v', ...FIELD_TYPES.map(([field]) => field)]);
const KINDS = new Set<string>(ENTRY_KINDS);

const hasType = (value: unknown, type: 'integer' | 'string' | 'object'): boolean =>
  type === 'integer'
    ? Number.isSafeInteger(value)
    : type === 'string'
      ? typeof value === 'string'
      : typeof value === 'object' && value !== null && !Array.isArray(value);

/** Check 2: the bytes as the object they are the canonical JSON of (`full` false: bound to a verified head). */
function canonicalObject(bytes: Uint8Array, full: boolean): Record<string, unknown> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // Bytes bound by the hash chain to a head verified before passed this check then.
  if (full && jsonTooDeepAt(text) >= 0) throw new Failure('TAMPER', `entry nests deeper than ${MAX_DEPTH} levels`);
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(text) as Record<string, unknown>;
    if (full && canonicalize(e) !== text) throw new Error('not canonical');
  } catch {
    throw new Failure('TAMPER', 'entry bytes are not canonical JSON');
  }
  return e;
}

/**
 * Checks 2 and 3 of docs/journal-format.md on an entry's bytes, in this order, each failure naming
 * its real cause: not the canonical JSON of an object (TAMPER); `v` an integer below 1 (DOWNGRADE,
 * whatever else the entry holds), above 1 or not an integer (TAMPER); then a field missing or of the
 * wrong type, an unknown kind, or a field version 1 does not have (TAMPER). Shared by every verifier.
 */
export function parseEntry(
  bytes: Uint8Array,
  options: { verifiedBefore?: boolean; parsed?: Readonly<Record<string, unknown>> } = {},
): JournalEntry {
  const e = options.parsed ?? canonicalObject(bytes, options.verifiedBefore !== true);
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new Failure('TAMPER', 'entry is not a JSON object');
  const v = e['v'];
  if (!Number.isSafeInteger(v)) throw new Failure('TAMPER', 'entry has no integer format version v');
  if ((v as number) < JOURNAL_FORMAT) throw new Failure('DOWNGRADE', `entry has format ${v as number}, older than ${JOURNAL_FORMAT}`);
  if ((v as number) > JOURNAL_FORMAT) throw new Failure('TAMPER', `entry format ${v as number} is newer than this verifier`);
  for (const [field, type] of FIELD_TYPES) {
    if (!hasType(e[field], type))
      throw new Failure(
        'TAMPER',
        `entry field ${field} is missing or not ${type === 'integer' ? 'an integer' : `a${type === 'object' ? 'n' : ''} ${type}`}`,
      );
  }
  if (!KINDS.has(e['kind'] as string)) throw new Failure('TAMPER', 'entry has a kind this format does not define');
  // Exactly the fields of the format: a field this verifier does not know could carry a meaning it
  // cannot check (a newer format says so in `v`).
  for (const k in e) if (!FIELDS.has(k)) throw new Failure('TAMPER', 'entry has a field that a version-1 entry does not have');
  return e as unknown as JournalEntry;
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

/** Where a walk stands: what the next entry must continue. */
export interface WalkState {
  /** The journal id: pinned, or learned from entry 0 (null before it). */
  readonly journal: string | null;
  /** The genesis key: pinned, or learned from entry 0 (null before it). */
  readonly genesisKey: string | null;
  readonly nextSeq: number;
  /** The base64url hash of the previous entry; "" before entry 0. */
  readonly prev: string;
  readonly epoch: number;
  /** The key of the current epoch; null only before entry 0. */
  readonly epochKey: string | null;
  readonly last: Pick<JournalEntry, 'time' | 'mono' | 'run'> | null;
}

/** The state before entry 0, with what is pinned. */
export function startState(expect: VerifyExpectations): WalkState {
  return { journal: expect.journal ?? null, genesisKey: null, nextSeq: 0, prev: '', epoch: 0, epochKey: null, last: null };
}

/**
 * Checks 1-11 of docs/journal-format.md on one stored entry as the continuation of `s`, and the
 * clock flag; throws a Failure at the first that fails. Every verifier (the walk below, the parallel
 * verifier through it, and the server's incremental ingest) runs exactly this.
 */
export function checkEntry(
  s: WalkState,
  stored: StoredEntry,
  pinnedGenesisKey: string | undefined,
  checkSignature: (epochKey: string, stored: StoredEntry) => boolean,
  verifiedBefore = false,
): { state: WalkState; entry: JournalEntry; epochKey: string; flag: VerifyFlag | null } {
  if (stored.unreadable !== undefined) throw new Failure('TAMPER', stored.unreadable);
  if (!bytesEqual(entryHash(stored.bytes), stored.hash)) throw new Failure('TAMPER', 'entry bytes do not match the stored hash');
  const e = parseEntry(stored.bytes, stored.parsed ? { verifiedBefore, parsed: stored.parsed } : { verifiedBefore });
  if (stored.seq !== e.seq) throw new Failure('GAP', `entry stored at seq ${stored.seq} says seq ${e.seq}`);
  const journal = s.journal ?? e.journal;
  if (e.journal !== journal) throw new Failure('CHAIN_BREAK', `entry belongs to journal ${e.journal}`);
  if (e.seq !== s.nextSeq) throw new Failure('GAP', `expected seq ${s.nextSeq}, found ${e.seq}`);
  if (e.prev !== s.prev) throw new Failure('CHAIN_BREAK', 'prev does not match the hash of the previous entry');
  if (e.epoch !== s.epoch) throw new Failure('EPOCH_MISMATCH', `entry claims epoch ${e.epoch}, chain is at epoch ${s.epoch}`);
  let { genesisKey, epochKey } = s;
  if (e.seq === 0) {
    const key = e.data['key'];
    if (e.kind !== 'journal.genesis' || !isValidPublicKey(key, 'Ed25519')) {
      throw new Failure('BAD_KEY', 'first entry is not a genesis entry with a valid key');
    }
    if (pinnedGenesisKey !== undefined && key !== pinnedGenesisKey) {
      throw new Failure('BAD_KEY', 'genesis key differs from the pinned genesis key');
    }
    genesisKey = key as string;
    epochKey = genesisKey;
  } else if (e.kind === 'journal.genesis') {
    throw new Failure('BAD_KEY', 'a genesis entry after the start of the journal');
  }
  if (epochKey === null || (!verifiedBefore && !checkSignature(epochKey, stored))) {
    throw new Failure('BAD_SIGNATURE', `signature does not verify under the epoch ${s.epoch} key`);
  }
  const last = s.last;
  let flag: VerifyFlag | null = null;
  if (last && e.time < last.time - CLOCK_TOLERANCE_MS) {
    flag = { seq: e.seq, code: 'CLOCK_ANOMALY', message: `wall clock went back ${last.time - e.time} ms` };
  } else if (last && last.run === e.run && Math.abs(e.time - last.time - (e.mono - last.mono)) > CLOCK_TOLERANCE_MS) {
    flag = { seq: e.seq, code: 'CLOCK_ANOMALY', message: 'wall clock and monotonic clock disagree within one run' };
  }
  const signedBy = epochKey;
  let epoch = s.epoch;
  if (e.kind === 'key.rotate') {
    const next = e.data['next'];
    // A key certified before the verified head was found valid then (its import is the costly part).
    const valid = verifiedBefore ? typeof next === 'string' : isValidPublicKey(next, 'Ed25519');
    if (!valid || e.data['epoch'] !== epoch + 1) {
      throw new Failure('BAD_KEY', 'key.rotate does not certify a valid next key for the next epoch');
    }
    epoch += 1;
    epochKey = next as string;
  }
  return {
    state: {
      journal,
      genesisKey,
      nextSeq: e.seq + 1,
      prev: b64(stored.hash),
      epoch,
      epochKey,
      last: { time: e.time, mono: e.mono, run: e.run },
    },
    entry: e,
    epochKey: signedBy,
    flag,
  };
}

/**
 * Sees each entry that passed the walk's checks, parsed, in journal order; the walk stops at the
 * first that fails them. A signature checked after the walk (the parallel verifier) may still fail:
 * what an observer saw counts only when the report is ok.
 */
export type EntryObserver = (entry: JournalEntry, stored: StoredEntry) => void;

/**
 * The walk behind `verifyEntries`, with the signature check supplied by the caller: the parallel
 * verifier records each (key, entry) here and checks the signatures on worker threads. `observe`
 * lets a reader of the journal (a vault's evidence) use the entry this walk already parsed.
 */
export function walkEntries(
  entries: Iterable<StoredEntry>,
  expect: VerifyExpectations,
  checkSignature: (epochKey: string, stored: StoredEntry) => boolean,
  observe?: EntryObserver,
): VerifyReport {
  let s = startState(expect);
  const flags: VerifyFlag[] = [];
  let position = 0;

  const report = (failure: VerifyReport['failure']): VerifyReport => ({
    ok: failure === null,
    journal: s.journal,
    count: s.nextSeq,
    headSeq: s.nextSeq - 1,
    headHash: s.prev === '' ? null : s.prev,
    epoch: s.epoch,
    epochKey: s.epochKey,
    genesisKey: s.genesisKey,
    failure,
    flags,
  });

  const anchor = expect.verified;
  for (const stored of entries) {
    position += 1;
    try {
      const before = anchor !== undefined && s.nextSeq <= anchor.seq;
      const next = checkEntry(s, stored, expect.genesisKey, checkSignature, before);
      if (anchor && s.nextSeq === anchor.seq && next.state.prev !== anchor.hash)
        throw new Failure('TAMPER', `entry is not the one this vault verified at seq ${anchor.seq} (the head kept with its keychain)`);
      if (next.flag) flags.push(next.flag);
      s = next.state;
      observe?.(next.entry, stored);
    } catch (err) {
      // Named by the seq it should have had, which survives tampering with its bytes.
      if (err instanceof Failure) return report({ seq: s.nextSeq, code: err.code, message: err.message });
      throw err;
    }
  }
  if (position === 0) return report({ seq: 0, code: 'GAP', message: 'the journal is empty' });
  // The same fact the keychain's later epoch keys show (a cut tail), and named the same way.
  if (anchor && s.nextSeq <= anchor.seq)
    return report({
      seq: s.nextSeq,
      code: 'EPOCH_MISMATCH',
      message: `the journal ends at seq ${s.nextSeq - 1}, but this vault verified it up to seq ${anchor.seq}: entries were cut from its end, or an older copy of the vault was put back`,
    });
  return report(null);
}
