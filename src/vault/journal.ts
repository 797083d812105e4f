import type { EntryKind, JournalEntry, StoredEntry, VerifyReport } from '../core/journal.js';
import { ENTRY_KINDS } from '../core/journal.js';
import { BreakGlassError } from '../core/errors.js';
import { isValidPublicKey } from '../crypto/index.js';
import { exportLine, parseExportLine, verifyJournalEntries } from '../journal/index.js';
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

/** Verifies an exported journal with no vault, as an auditor would, pinned to its genesis key. */
export function verifyExport(input: string | Uint8Array, genesisKey: string): Promise<VerifyReport> {
  assertPinnableKey(genesisKey);
  const entries = parseExport(input);
  return verifyJournalEntries(() => entries, { genesisKey });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The lines of an export's bytes; a line that is not valid UTF-8 becomes one that cannot parse (TAMPER). */
function exportLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let start = 0; start <= bytes.length;) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      lines.push(strictUtf8.decode(bytes.subarray(start, end)));
    } catch {
      // Read leniently, invalid bytes would become U+FFFD: another reader would see other text.
      lines.push('\u0000 not valid UTF-8');
    }
    start = end + 1;
  }
  return lines;
}

/**
 * The entries of a JSON Lines export, one per line (a line that does not parse fails as TAMPER).
 * Bytes are read as strict UTF-8, line by line.
 */
export function parseExport(input: string | Uint8Array): StoredEntry[] {
  const lines = typeof input === 'string' ? input.split('\n') : exportLines(input);
  if (lines[lines.length - 1] === '') lines.pop();
  // A CR before the LF (the file went through a Windows tool) is a line ending, not part of the line.
  return lines.map((line, i) => parseExportLine(line.endsWith('\r') ? line.slice(0, -1) : line, i));
}
