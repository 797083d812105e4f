import type { StoredEntry } from '../core/journal.js';
import { canonicalize } from '../core/canonical.js';
import { MAX_DEPTH, jsonTooDeepAt } from '../core/depth.js';
import { b64, fromB64 } from '../crypto/index.js';

/** One JSON Lines record of an export: the entry as an object, with its hash and signature. */
export interface ExportedEntry {
  readonly entry: Record<string, unknown>;
  readonly hash: string;
  readonly sig: string;
}

/** The export line of a stored entry; the entry's canonical bytes are embedded verbatim. */
export function exportLine(stored: StoredEntry): string {
  const text = Buffer.from(stored.bytes).toString('utf8');
  return `{"entry":${text},"hash":${JSON.stringify(b64(stored.hash))},"sig":${JSON.stringify(b64(stored.sig))}}`;
}

/** The stand-in for an export line that cannot be read as an entry: it fails check 1 (TAMPER), saying `why`. */
export function unreadableEntry(position: number, why: string, bytes: Uint8Array = new Uint8Array(0)): StoredEntry {
  return { seq: position, bytes, hash: new Uint8Array(0), sig: new Uint8Array(0), unreadable: why };
}

/**
 * Reads an export line back into a stored entry. A line that does not parse, or is not exactly in
 * the form `exportLine` writes, yields an entry whose bytes are the raw line, whose hash is empty and
 * which says why it is unreadable, so the verifier reports TAMPER at its position with that cause.
 */
export function parseExportLine(line: string, position: number): StoredEntry {
  const raw = (why: string): StoredEntry => unreadableEntry(position, why, Buffer.from(line, 'utf8'));
  let record: Partial<ExportedEntry>;
  if (line === '') return raw('a blank line');
  // Nested deeper than any entry may be: TAMPER at this line, before a parser or walk recurses.
  if (jsonTooDeepAt(line) >= 0) return raw(`the line nests deeper than ${MAX_DEPTH} levels`);
  try {
    record = JSON.parse(line) as Partial<ExportedEntry>;
  } catch {
    return raw('the line is not JSON');
  }
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.entry !== 'object' ||
    record.entry === null ||
    Array.isArray(record.entry)
  ) {
    return raw('the line is not an object with an object entry');
  }
  let bytes: Buffer;
  try {
    const text = canonicalize(record.entry);
    // Only the exact form the vault writes is read: whitespace, reordered or unknown members, other
    // escapes and duplicate keys would let two readers of one line see two different entries.
    if (line !== exactLine(record, text)) return raw('the line is not in the exact form the vault writes');
    bytes = Buffer.from(text, 'utf8');
  } catch {
    return raw('the line holds a value canonical JSON cannot carry');
  }
  const seq = (record.entry as { seq?: unknown }).seq;
  // A malformed hash or signature becomes empty, so the verifier names it (TAMPER, BAD_SIGNATURE).
  return {
    seq: Number.isSafeInteger(seq) ? (seq as number) : position,
    bytes,
    hash: decodeOrEmpty(record.hash),
    sig: decodeOrEmpty(record.sig),
    // The line is in the exact form, so `bytes` are the canonical text of this very object.
    parsed: record.entry as Record<string, unknown>,
  };
}

const LINE_MEMBERS = ['entry', 'hash', 'sig'] as const;

/** The line as the vault would have written what it parses to; throws if a value cannot be canonical. */
function exactLine(record: Partial<ExportedEntry>, entryText: string): string | null {
  if (Object.keys(record).some((k) => !(LINE_MEMBERS as readonly string[]).includes(k))) return null;
  const members = LINE_MEMBERS.filter((k) => k in record).map((k) => `"${k}":${k === 'entry' ? entryText : canonicalize(record[k])}`);
  return `{${members.join(',')}}`;
}

function decodeOrEmpty(value: unknown): Buffer {
  if (typeof value !== 'string') return Buffer.alloc(0);
  try {
    return fromB64(value);
  } catch {
    return Buffer.alloc(0);
  }
}
