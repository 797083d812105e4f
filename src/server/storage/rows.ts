/** Row mapping shared by both adapters (PostgreSQL returns BIGINT as text, so numbers go through Number). */
import type { TokenRole } from '../../core/sync-api.js';
import type { AnchorMismatchRow, AnchorRow, DeviceRow, EntryRow, FlagRow, ForkRow, JournalRow, RejectionRow, TokenRow } from './port.js';

export type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function rowToToken(r: Row): TokenRow {
  return {
    id: str(r['id']),
    hash: str(r['hash']),
    role: str(r['role']) as TokenRole,
    label: str(r['label']),
    createdAt: num(r['created_at']),
    expiresAt: numOrNull(r['expires_at']),
    revokedAt: numOrNull(r['revoked_at']),
    usedAt: numOrNull(r['used_at']),
  };
}

export function rowToDevice(r: Row): DeviceRow {
  return {
    id: str(r['id']),
    journal: str(r['journal']),
    name: str(r['name']),
    credentialHash: str(r['credential_hash']),
    tokenId: str(r['token_id']),
    enrolledAt: num(r['enrolled_at']),
    revokedAt: numOrNull(r['revoked_at']),
  };
}

export function rowToJournal(r: Row): JournalRow {
  return {
    id: str(r['id']),
    device: str(r['device']),
    genesisKey: str(r['genesis_key']),
    size: num(r['size']),
    head: strOrNull(r['head']),
    frozenAt: numOrNull(r['frozen_at']),
    frozenReason: strOrNull(r['frozen_reason']),
    lastSyncAt: numOrNull(r['last_sync_at']),
  };
}

export function rowToEntry(r: Row): EntryRow {
  return {
    seq: num(r['seq']),
    hash: str(r['hash']),
    sig: str(r['sig']),
    bytes: Buffer.from(r['bytes'] as Uint8Array),
    epoch: num(r['epoch']),
    epochKey: str(r['epoch_key']),
    kind: str(r['kind']),
  };
}

export function rowToFork(r: Row): ForkRow {
  return {
    seq: num(r['seq']),
    storedHash: str(r['stored_hash']),
    offeredHash: str(r['offered_hash']),
    offeredLine: str(r['offered_line']),
    detectedAt: num(r['detected_at']),
  };
}

export function rowToRejection(r: Row): RejectionRow {
  return {
    base: num(r['base']),
    lineCount: num(r['line_count']),
    seq: num(r['seq']),
    code: str(r['code']),
    message: str(r['message']),
    evidence: str(r['evidence']),
    truncated: num(r['truncated']) !== 0,
    receivedAt: num(r['received_at']),
  };
}

export function rowToFlag(r: Row): FlagRow {
  return { seq: num(r['seq']), code: str(r['code']), message: str(r['message']) };
}

export function rowToAnchor(r: Row): AnchorRow {
  return {
    seq: num(r['seq']),
    kind: str(r['kind']),
    targetJournal: str(r['target_journal']),
    targetSeq: num(r['target_seq']),
    targetHash: str(r['target_hash']),
  };
}

export function rowToAnchorMismatch(r: Row): AnchorMismatchRow {
  return {
    journal: str(r['journal']),
    seq: num(r['seq']),
    kind: str(r['kind']),
    targetJournal: str(r['target_journal']),
    targetSeq: num(r['target_seq']),
    namedHash: str(r['named_hash']),
    heldHash: str(r['held_hash']),
    detectedAt: num(r['detected_at']),
  };
}
