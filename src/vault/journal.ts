import type { EntryKind, JournalEntry, StoredEntry, VerifyReport } from '../core/journal.js';
import { ENTRY_KINDS } from '../core/journal.js';
import { BreakGlassError } from '../core/errors.js';
import { isValidPublicKey } from '../crypto/index.js';
import { exportLine, parseExportLine, unreadableEntry, verifyJournalEntries } from '../journal/index.js';
import type { VaultSession } from './session.js';

/**
 * Verifies this vault's journal in full, pinned to `genesisKey` when given (the key printed at
 * `init`: without it, nothing shows that the whole journal was not re-signed under a new genesis),
 * and checks that the keychain's key belongs to its last epoch. A keychain without that key means
 * the journal's end cannot be proven: TAIL_UNPROVEN (exit 4).
 */
export async function verifyJournal(
  session: VaultSession,
  options: { checkKeychain: boolean; genesisKey?: string },
): Promise<VerifyReport> {
  if (options.genesisKey !== undefined) assertPinnableKey(options.genesisKey);
  const expect = { journal: session.head.journal, ...(options.genesisKey === undefined ? {} : { genesisKey: options.genesisKey }) };
  const report = await verifyJournalEntries(() => session.repo.entries(), expect);
  if (!report.ok || !options.checkKeychain) return report;
  try {
    await session.assertSigningKey();
  } catch (err) {
    if (err instanceof BreakGlassError && err.code === 'JOURNAL_TAMPERED') {
      // A failure the session found re-verifying a journal that grew meanwhile, or the keychain's.
      if (session.report.failure) return session.report;
      const failure = err.details['failure'] as 'EPOCH_MISMATCH' | 'BAD_KEY';
      return { ...session.report, ok: false, failure: { seq: session.report.count, code: failure, message: err.message } };
    }
    throw err;
  }
  // The keychain was judged against the session's head, which is newer if a writer committed meanwhile.
  return session.report.count > report.count ? session.report : report;
}

/**
 * Refuses (BAD_KEY) a genesis key to check against that no journal could start from: a journal
 * pinned to a weak key would prove nothing, and a mistyped key should say so, not "rewritten".
 */
function assertPinnableKey(genesisKey: string): void {
  if (!isValidPublicKey(genesisKey, 'Ed25519')) {
    throw new BreakGlassError(
      'BAD_KEY',
      'the genesis key to check against is not a valid Ed25519 public key (43 base64url characters, a point of large order on the curve); copy it again, whole, from where it was kept',
    );
  }
}

/** Entries for `journal show`, parsed from their verbatim bytes. */
export function journalEntries(session: VaultSession, options: { since?: number; kind?: string }): JournalEntry[] {
  if (options.kind !== undefined && !(ENTRY_KINDS as readonly string[]).includes(options.kind)) {
    throw new BreakGlassError('BAD_ARGUMENTS', `unknown entry kind "${options.kind}"; kinds: ${ENTRY_KINDS.join(', ')}`);
  }
  const out: JournalEntry[] = [];
  for (const stored of session.repo.entries(options.since ?? 0)) {
    const entry = JSON.parse(Buffer.from(stored.bytes).toString('utf8')) as JournalEntry;
    if (options.kind === undefined || entry.kind === (options.kind as EntryKind)) out.push(entry);
  }
  return out;
}

/**
 * The journal as JSON Lines, one entry a line with its hash and signature. Refused unless it
 * verifies, including the keychain check that catches a cut tail. Without the keychain's key of
 * the last epoch, the tail cannot be proven: refused (TAIL_UNPROVEN) unless `force`, and then the
 * result says so.
 */
export async function exportJournal(
  session: VaultSession,
  options: { force?: boolean } = {},
): Promise<{ lines: string[]; tailProven: boolean }> {
  session.assertJournalIntact();
  let tailProven = true;
  try {
    await session.assertSigningKey();
  } catch (err) {
    if (!(err instanceof BreakGlassError && err.code === 'TAIL_UNPROVEN')) throw err;
    if (!options.force) {
      throw new BreakGlassError(
        'TAIL_UNPROVEN',
        `${err.message}. An export made now cannot show where the journal really ends; add --force to export it anyway, marked as unproven`,
        err.details,
        { cause: err },
      );
    }
    tailProven = false;
  }
  // Only what was verified: a writer may have appended since.
  const lines: string[] = [];
  for (const stored of session.repo.entries()) {
    if (stored.seq >= session.report.count) break;
    lines.push(`${exportLine(stored)}\n`);
  }
  return { lines, tailProven };
}

/**
 * An export's bytes: whole, or a source of its chunks in order that reads them afresh on each call
 * (a file read in pieces, so a verifier holds one chunk and one line at a time).
 */
export type ExportInput = string | Uint8Array | (() => Iterable<Uint8Array>);

/** The longest line a verifier reads: far beyond any entry (a card, a request or a review is a few KiB). */
export const MAX_EXPORT_LINE_BYTES = 1024 * 1024;

/**
 * Verifies an exported journal with no vault, as an auditor would, pinned to its genesis key. Lines
 * are read and checked one at a time, stopping at the first failure: an export of junk fails at
 * its first line, whatever its size. An export whose last entry is not a `key.rotate` stops inside
 * a transaction (the vault closes every one with a rotation): GAP at the seq after its last entry.
 */
export async function verifyExport(input: ExportInput, genesisKey: string): Promise<VerifyReport> {
  assertPinnableKey(genesisKey);
  let last: StoredEntry | null = null;
  const report = await verifyJournalEntries(
    function* () {
      for (const entry of exportEntries(input)) {
        last = entry;
        yield entry;
      }
    },
    { genesisKey },
  );
  if (!report.ok || last === null) return report;
  const kind = (JSON.parse(Buffer.from((last as StoredEntry).bytes).toString('utf8')) as { kind: string }).kind;
  if (kind === 'key.rotate') return report;
  return {
    ...report,
    ok: false,
    failure: {
      seq: report.count,
      code: 'GAP',
      message: `the export ends inside a transaction (its last entry, seq ${report.headSeq}, is not the key.rotate that closes every transaction): entries were cut from its end`,
    },
  };
}

// ignoreBOM keeps a leading U+FEFF in the text (by default the decoder drops it silently).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The lines of an export's chunks. A line ends at LF, and a CR just before that LF is part of the
 * line ending; the last line needs no LF, and a CR at its very end (no LF after it) is part of the
 * line. A line that is not strict UTF-8, or longer than MAX_EXPORT_LINE_BYTES, comes out as the
 * reason it is unreadable, so it fails as TAMPER at its position.
 */
function* exportLines(chunks: Iterable<Uint8Array>): Generator<{ text: string } | { unreadable: string }> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let overlong = false;
  const finish = (terminated: boolean): { text: string } | { unreadable: string } => {
    const whole = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (overlong) {
      overlong = false;
      return { unreadable: `the line is longer than ${MAX_EXPORT_LINE_BYTES / 1024 / 1024} MiB` };
    }
    const end = terminated && whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
    // The limit is on the line, not its ending: a CR before the LF does not count.
    if (end > MAX_EXPORT_LINE_BYTES) return { unreadable: `the line is longer than ${MAX_EXPORT_LINE_BYTES / 1024 / 1024} MiB` };
    try {
      return { text: strictUtf8.decode(whole.subarray(0, end)) };
    } catch {
      // Read leniently, invalid bytes would become U+FFFD: another reader would see other text.
      return { unreadable: 'the line is not valid UTF-8' };
    }
  };
  for (const chunk of chunks) {
    let start = 0;
    while (start <= chunk.length) {
      const lf = chunk.indexOf(0x0a, start);
      const end = lf < 0 ? chunk.length : lf;
      if (!overlong && end > start) {
        // One byte over the limit is held, in case it is the CR of a CRLF.
        if (pendingBytes + (end - start) > MAX_EXPORT_LINE_BYTES + 1) {
          overlong = true;
          pending = [];
          pendingBytes = 0;
        } else {
          // A copy: the chunk's memory may be reused for the next read.
          pending.push(Uint8Array.prototype.slice.call(chunk, start, end));
          pendingBytes += end - start;
        }
      }
      if (lf < 0) break;
      yield finish(true);
      start = lf + 1;
    }
  }
  if (pendingBytes > 0 || overlong) yield finish(false);
}

/** The entries of an export, one per line, read lazily. */
function* exportEntries(input: ExportInput): Generator<StoredEntry> {
  const chunks = typeof input === 'function' ? input() : [typeof input === 'string' ? Buffer.from(input, 'utf8') : input];
  let position = 0;
  for (const line of exportLines(chunks)) {
    yield 'text' in line ? parseExportLine(line.text, position) : unreadableEntry(position, line.unreadable);
    position += 1;
  }
}

/** The entries of a JSON Lines export, one per line (a line that does not parse fails as TAMPER). */
export function parseExport(input: ExportInput): StoredEntry[] {
  return [...exportEntries(input)];
}
