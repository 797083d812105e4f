import type { StoredEntry } from '../core/journal.js';
import type { CredentialState } from '../core/lifecycle.js';
import type { Statement, Transaction } from 'better-sqlite3';
import type { Db } from './database.js';

/** A member as the vault knows them: their card, and a custody copy of their keys if allowed. */
export interface MemberRow {
  readonly id: string;
  readonly name: string;
  readonly card: string;
  readonly custody: string | null;
  readonly added_at: number;
}

/** A credential's lifecycle state and current envelope version. */
export interface CredentialRow {
  readonly id: string;
  readonly label: string;
  readonly state: CredentialState;
  readonly version: number;
  readonly exposed: number;
  readonly active_request: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** One envelope slot of a credential; `body` is the crypto layer's Envelope as JSON. */
export interface EnvelopeRow {
  readonly credential_id: string;
  readonly slot: 'active' | 'next';
  readonly version: number;
  readonly body: string;
  readonly rotated: number;
  readonly created_at: number;
}

export type RequestStatus = 'open' | 'unsealed' | 'closed' | 'cancelled' | 'expired' | 'drilled' | 'rotated';

/** A break-glass (or drill) request with its signed body and its anchor in this vault's journal. */
export interface RequestRow {
  readonly id: string;
  readonly credential_id: string;
  readonly purpose: 'access' | 'drill' | 'rotate';
  readonly body: string;
  readonly hash: string;
  readonly signature: string;
  readonly anchor_seq: number;
  readonly anchor_hash: string;
  readonly status: RequestStatus;
  readonly expires_at: number;
  readonly window_ends_at: number | null;
  readonly created_at: number;
  readonly ended_at: number | null;
}

/** An accepted approval token. */
export interface ApprovalRow {
  readonly request_id: string;
  readonly holder: string;
  readonly token: string;
  readonly token_hash: string;
  readonly accepted_at: number;
}

/** A signed post-incident review. */
export interface ReviewRow {
  readonly id: string;
  readonly credential_id: string;
  readonly request_id: string;
  readonly body: string;
  readonly signature: string;
  readonly created_at: number;
}

/** Typed reads and writes over one vault database. Callers group writes in `transaction`. */
export class VaultRepository {
  // Preparing a statement costs about as much as running it, so each is prepared once.
  readonly #statements = new Map<string, Statement>();
  // One wrapper for every transaction: better-sqlite3 builds a new one per `db.transaction` call.
  readonly #transaction: Transaction<(fn: () => unknown) => unknown>;

  constructor(readonly db: Db) {
    this.#transaction = db.transaction((fn: () => unknown) => fn());
  }

  #stmt(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `fn` in one SQLite transaction: all of its writes commit together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.#transaction.immediate(fn) as T;
  }

  getMeta(key: string): string | null {
    const row = this.#stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.#stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // members
  getMember(id: string): MemberRow | undefined {
    return this.#stmt('SELECT * FROM members WHERE id = ?').get(id) as MemberRow | undefined;
  }

  listMembers(): MemberRow[] {
    return this.#stmt('SELECT * FROM members ORDER BY id').all() as MemberRow[];
  }

  upsertMember(row: MemberRow): void {
    this.#stmt(
      `INSERT INTO members (id, name, card, custody, added_at) VALUES (@id, @name, @card, @custody, @added_at)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, card = excluded.card, custody = excluded.custody`,
    ).run(row);
  }

  // policy
  getPolicy(): { document: string; hash: string; set_at: number } | undefined {
    return this.#stmt('SELECT document, hash, set_at FROM policy WHERE id = 1').get() as
      { document: string; hash: string; set_at: number } | undefined;
  }

  setPolicy(document: string, hash: string, at: number): void {
    this.#stmt(
      `INSERT INTO policy (id, document, hash, set_at) VALUES (1, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET document = excluded.document, hash = excluded.hash, set_at = excluded.set_at`,
    ).run(document, hash, at);
  }

  // credentials
  getCredential(id: string): CredentialRow | undefined {
    return this.#stmt('SELECT * FROM credentials WHERE id = ?').get(id) as CredentialRow | undefined;
  }

  listCredentials(): CredentialRow[] {
    return this.#stmt('SELECT * FROM credentials ORDER BY id').all() as CredentialRow[];
  }

  insertCredential(row: CredentialRow): void {
    this.#stmt(
      `INSERT INTO credentials (id, label, state, version, exposed, active_request, created_at, updated_at)
         VALUES (@id, @label, @state, @version, @exposed, @active_request, @created_at, @updated_at)`,
    ).run(row);
  }

  updateCredential(id: string, change: Partial<Pick<CredentialRow, 'state' | 'version' | 'exposed' | 'active_request'>>, at: number): void {
    const current = this.getCredential(id);
    if (!current) throw new Error(`credential ${id} vanished inside a transaction`);
    const next = { ...current, ...change, updated_at: at };
    this.#stmt(
      `UPDATE credentials SET state = @state, version = @version, exposed = @exposed,
         active_request = @active_request, updated_at = @updated_at WHERE id = @id`,
    ).run(next);
  }

  // envelopes
  getEnvelope(credentialId: string, slot: 'active' | 'next'): EnvelopeRow | undefined {
    return this.#stmt('SELECT * FROM envelopes WHERE credential_id = ? AND slot = ?').get(credentialId, slot) as EnvelopeRow | undefined;
  }

  putEnvelope(row: EnvelopeRow): void {
    this.#stmt(
      `INSERT INTO envelopes (credential_id, slot, version, body, rotated, created_at)
         VALUES (@credential_id, @slot, @version, @body, @rotated, @created_at)
         ON CONFLICT(credential_id, slot) DO UPDATE SET version = excluded.version, body = excluded.body,
         rotated = excluded.rotated, created_at = excluded.created_at`,
    ).run(row);
  }

  deleteEnvelope(credentialId: string, slot: 'active' | 'next'): void {
    this.#stmt('DELETE FROM envelopes WHERE credential_id = ? AND slot = ?').run(credentialId, slot);
  }

  // requests
  getRequest(id: string): RequestRow | undefined {
    return this.#stmt('SELECT * FROM requests WHERE id = ?').get(id) as RequestRow | undefined;
  }

  listRequests(statuses: readonly RequestStatus[]): RequestRow[] {
    const marks = statuses.map(() => '?').join(',');
    return this.#stmt(`SELECT * FROM requests WHERE status IN (${marks}) ORDER BY created_at`).all(...statuses) as RequestRow[];
  }

  insertRequest(row: RequestRow): void {
    this.#stmt(
      `INSERT INTO requests (id, credential_id, purpose, body, hash, signature, anchor_seq, anchor_hash, status,
         expires_at, window_ends_at, created_at, ended_at)
         VALUES (@id, @credential_id, @purpose, @body, @hash, @signature, @anchor_seq, @anchor_hash, @status,
         @expires_at, @window_ends_at, @created_at, @ended_at)`,
    ).run(row);
  }

  updateRequest(id: string, change: Partial<Pick<RequestRow, 'status' | 'window_ends_at' | 'ended_at'>>): void {
    const current = this.getRequest(id);
    if (!current) throw new Error(`request ${id} vanished inside a transaction`);
    this.#stmt('UPDATE requests SET status = @status, window_ends_at = @window_ends_at, ended_at = @ended_at WHERE id = @id').run({
      ...current,
      ...change,
    });
  }

  // approvals
  listApprovals(requestId: string): ApprovalRow[] {
    return this.#stmt('SELECT * FROM approvals WHERE request_id = ? ORDER BY accepted_at, holder').all(requestId) as ApprovalRow[];
  }

  findApprovalByHash(tokenHash: string): ApprovalRow | undefined {
    return this.#stmt('SELECT * FROM approvals WHERE token_hash = ?').get(tokenHash) as ApprovalRow | undefined;
  }

  insertApproval(row: ApprovalRow): void {
    this.#stmt(
      'INSERT INTO approvals (request_id, holder, token, token_hash, accepted_at) VALUES (@request_id, @holder, @token, @token_hash, @accepted_at)',
    ).run(row);
  }

  // reviews
  latestReview(credentialId: string, requestId: string): ReviewRow | undefined {
    return this.#stmt('SELECT * FROM reviews WHERE credential_id = ? AND request_id = ? ORDER BY created_at DESC LIMIT 1').get(
      credentialId,
      requestId,
    ) as ReviewRow | undefined;
  }

  insertReview(row: ReviewRow): void {
    this.#stmt(
      'INSERT INTO reviews (id, credential_id, request_id, body, signature, created_at) VALUES (@id, @credential_id, @request_id, @body, @signature, @created_at)',
    ).run(row);
  }

  // journal
  appendEntry(entry: StoredEntry): void {
    this.#stmt('INSERT INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)').run(entry.seq, entry.bytes, entry.hash, entry.sig);
  }

  /** Entries in seq order, read lazily so a large journal streams through verification. */
  *entries(sinceSeq = 0): Generator<StoredEntry> {
    const rows = this.#stmt('SELECT seq, bytes, hash, sig FROM journal WHERE seq >= ? ORDER BY seq').iterate(sinceSeq);
    for (const row of rows as Iterable<{ seq: number; bytes: Buffer; hash: Buffer; sig: Buffer }>) {
      yield row;
    }
  }

  lastEntry(): StoredEntry | undefined {
    return this.#stmt('SELECT seq, bytes, hash, sig FROM journal ORDER BY seq DESC LIMIT 1').get() as StoredEntry | undefined;
  }
}
