/**
 * The ingest decision: what one uploaded batch does to a journal, decided under the journal's row
 * lock from the stored head. Same seq and same hash is a no-op; a different entry that verifies at
 * a known seq is a fork; a batch that starts past the head, or re-sends stored entries and then goes
 * on, is a conflict answered with the head; anything that fails verification is rejected whole.
 */
import type { StoredEntry } from '../core/journal.js';
import { b64 } from '../crypto/index.js';
import { entryHash, parseExportLine } from '../journal/index.js';
import { MAX_EVIDENCE_CHARS, type AnchorRow, type EntryRow, type IngestPlan, type JournalSnapshot } from './storage/index.js';
import { genesisState, stateAfter, verifyFrom, type ChainState, type VerifiedEntry } from './verify.js';

/** A batch as received: its base and the lines, parsed once outside the lock. */
export interface Batch {
  readonly base: number;
  readonly lines: readonly string[];
  readonly parsed: readonly StoredEntry[];
}

/** Parses the lines of an upload; each line's position names it when it is bad. */
export function parseBatch(base: number, lines: readonly string[]): Batch {
  return { base, lines, parsed: lines.map((line, i) => parseExportLine(line, base + i)) };
}

/** What a verified entry is stored as. */
function toRow(v: VerifiedEntry): EntryRow {
  return {
    seq: v.entry.seq,
    hash: b64(v.stored.hash),
    sig: b64(v.stored.sig),
    bytes: Buffer.from(v.stored.bytes),
    epoch: v.entry.epoch,
    epochKey: v.epochKey,
    kind: v.entry.kind,
  };
}

/** The cross-references an entry names, kept for the alerting issue to check against the named journal. */
function anchorsOf(v: VerifiedEntry): AnchorRow[] {
  if (v.entry.kind === 'sync.receipt') {
    // A receipt names this journal's own head at its size: checked against what the server holds.
    const body = (v.entry.data['receipt'] as { body?: { journal?: unknown; size?: unknown; head?: unknown } } | undefined)?.body;
    if (
      body &&
      typeof body.journal === 'string' &&
      Number.isSafeInteger(body.size) &&
      (body.size as number) > 0 &&
      typeof body.head === 'string'
    ) {
      return [
        { seq: v.entry.seq, kind: v.entry.kind, targetJournal: body.journal, targetSeq: (body.size as number) - 1, targetHash: body.head },
      ];
    }
    return [];
  }
  const anchor = v.entry.data['anchor'] as { journal?: unknown; seq?: unknown; hash?: unknown } | undefined;
  if (
    anchor &&
    typeof anchor === 'object' &&
    typeof anchor.journal === 'string' &&
    Number.isSafeInteger(anchor.seq) &&
    typeof anchor.hash === 'string'
  ) {
    return [
      { seq: v.entry.seq, kind: v.entry.kind, targetJournal: anchor.journal, targetSeq: anchor.seq as number, targetHash: anchor.hash },
    ];
  }
  return [];
}

function evidence(batch: Batch): { evidence: string; truncated: boolean } {
  const text = batch.lines.join('\n');
  return text.length > MAX_EVIDENCE_CHARS
    ? { evidence: text.slice(0, MAX_EVIDENCE_CHARS), truncated: true }
    : { evidence: text, truncated: false };
}

/** Decides what `batch` does to the journal in `snap` (pure: the storage applies the plan). */
export function decideIngest(snap: JournalSnapshot, batch: Batch): IngestPlan {
  const j = snap.journal;
  const { base, parsed } = batch;
  if (j.frozenAt !== null) return { kind: 'frozen' };
  if (base > j.size) return { kind: 'conflict', reason: `the batch starts at seq ${base} but the server holds ${j.size} entries` };
  const rows = new Map(snap.window.map((r) => [r.seq, r]));
  let state: ChainState;
  if (base === 0) state = genesisState(j.id, j.genesisKey);
  else state = stateAfter(j.id, j.genesisKey, rows.get(base - 1)!);

  // Entries the server holds already: identical ones are skipped, a different one is examined.
  let i = 0;
  for (; i < parsed.length && base + i < j.size; i++) {
    const stored = rows.get(base + i)!;
    const offered = parsed[i]!;
    if (b64(entryHash(offered.bytes)) === stored.hash) {
      state = stateAfter(j.id, j.genesisKey, stored);
      continue;
    }
    const report = verifyFrom(state, [offered]);
    if (report.failure) return reject(batch, report.failure);
    return {
      kind: 'fork',
      fork: { seq: base + i, storedHash: stored.hash, offeredHash: b64(offered.hash), offeredLine: batch.lines[i]! },
    };
  }
  if (i === parsed.length) return { kind: 'noop' };
  if (i > 0) {
    return { kind: 'conflict', reason: `the batch re-sends ${i} stored entries from seq ${base} and goes on; resume from seq ${j.size}` };
  }
  const report = verifyFrom(state, parsed);
  if (report.failure) return reject(batch, report.failure);
  return {
    kind: 'append',
    entries: report.verified.map(toRow),
    flags: report.flags.map((f) => ({ seq: f.seq, code: f.code, message: f.message })),
    anchors: report.verified.flatMap(anchorsOf),
  };
}

function reject(batch: Batch, failure: { seq: number; code: string; message: string }): IngestPlan {
  return {
    kind: 'reject',
    rejection: {
      base: batch.base,
      lineCount: batch.lines.length,
      seq: failure.seq,
      code: failure.code,
      message: failure.message,
      ...evidence(batch),
    },
  };
}
