/** The journal layer: entry building, chaining and signing, and verification (shared by vault, sync, server). */
export { ENTRY_HASH_TAG, advanceHead, entryHash, makeEntry, type ChainHead, type EntryFields } from './entry.js';
export { exportLine, parseExportLine, unreadableEntry, type ExportedEntry } from './export.js';
export {
  Failure,
  checkEntry,
  parseEntry,
  startState,
  verifyEntries,
  walkEntries,
  type EntryObserver,
  type VerifiedHead,
  type VerifyExpectations,
  type WalkState,
} from './verify.js';
export { verifyJournalEntries, type VerifyOptions } from './verify-parallel.js';
