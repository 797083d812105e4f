import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SERVER_MIGRATIONS } from './migrations.js';
import { BreakGlassError } from '../../core/errors.js';
import {
  MAX_REJECTIONS_PER_JOURNAL,
  STALE_WRITER_MESSAGE,
  findAnchorMismatches,
  ingestWindow,
  type AnchorMismatchRow,
  type AnchorRow,
  type DeviceRow,
  type EnrolOutcome,
  type Enrolment,
  type EntryRow,
  type FlagRow,
  type ForkRow,
  type IngestOutcome,
  type IngestPlan,
  type JournalRow,
  type JournalSnapshot,
  type RejectionRow,
  type ServerStorage,
  type TokenRow,
} from './port.js';
import {
  rowToAnchor,
  rowToAnchorMismatch,
  rowToDevice,
  rowToEntry,
  rowToFlag,
  rowToFork,
  rowToJournal,
  rowToRejection,
  rowToToken,
  type Row,
} from './rows.js';

/** The SQLite adapter: one file in the data folder, WAL with synchronous=FULL, one process at a time. */
export class SqliteStorage implements ServerStorage {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (creating) the database file at `path`; call `migrate` before use. */
  static open(path: string): SqliteStorage {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // better-sqlite3's SQLite defaults WAL to NORMAL, which can lose the last commit on power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    chmodSync(path, 0o600);
    return new SqliteStorage(db);
  }

  async migrate(target = Number.MAX_SAFE_INTEGER): Promise<void> {
    const db = this.#db;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of SERVER_MIGRATIONS.filter((m) => m.version <= target)) {
      db.transaction(() => {
        if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
        db.exec(m.sqlite);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }).immediate();
    }
  }

  async schemaVersion(): Promise<number> {
    const exists = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!exists) return 0;
    const row = this.#db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  async bootstrapAdmin(token: TokenRow): Promise<boolean> {
    return this.#db
      .transaction(() => {
        const done = this.#db.prepare("INSERT OR IGNORE INTO server_meta (key, value) VALUES ('admin_bootstrapped', ?)").run(token.id);
        if (done.changes === 0) return false;
        this.#insertToken(token);
        return true;
      })
      .immediate();
  }

  async insertToken(token: TokenRow, journal?: string): Promise<void> {
    this.#db
      .transaction(() => {
        this.#insertToken(token);
        if (journal !== undefined) this.#db.prepare('UPDATE tokens SET journal = ? WHERE id = ?').run(journal, token.id);
      })
      .immediate();
  }

  #insertToken(t: TokenRow): void {
    this.#db
      .prepare('INSERT INTO tokens (id, hash, role, label, created_at, expires_at, revoked_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(t.id, t.hash, t.role, t.label, t.createdAt, t.expiresAt, t.revokedAt, t.usedAt);
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const row = this.#db.prepare('SELECT * FROM tokens WHERE hash = ?').get(hash) as Row | undefined;
    return row ? rowToToken(row) : null;
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const r = this.#db.prepare('UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
    return r.changes > 0;
  }

  async enrol(e: Enrolment, now: number): Promise<EnrolOutcome> {
    const db = this.#db;
    return db
      .transaction((): EnrolOutcome => {
        const d = e.device;
        // One read (SELECT *: the journal column is new in schema 3): the transaction is IMMEDIATE, so nothing changes the token before it commits.
        const tokenRow = db.prepare('SELECT * FROM tokens WHERE id = ?').get(e.tokenId) as Row | undefined;
        const bound = (tokenRow?.['journal'] ?? null) as string | null;
        if (bound !== null && bound !== d.journal) return { stored: false, why: 'token-for-another-journal' };
        const held = db.prepare('SELECT * FROM devices WHERE journal = ?').get(d.journal) as Row | undefined;
        if (held) {
          const device = rowToDevice(held);
          const genesis = db.prepare('SELECT hash FROM entries WHERE journal = ? AND seq = 0').get(d.journal) as { hash: string };
          // A token spent meanwhile says so first; then what no new token would change.
          if (tokenRow?.['used_at'] !== null && tokenRow?.['used_at'] !== undefined) return { stored: false, why: 'token-used' };
          if (genesis.hash !== e.genesis.hash) return { stored: false, why: 'genesis-differs' };
          if (device.revokedAt === null) return { stored: false, why: 'journal-exists' };
          if (bound === null) return { stored: false, why: 'token-not-bound' };
          if (!this.#useToken(e.tokenId, now)) return { stored: false, why: 'token-used' };
          db.prepare('UPDATE devices SET name = ?, credential_hash = ?, token_id = ?, enrolled_at = ?, revoked_at = NULL WHERE id = ?').run(
            d.name,
            d.credentialHash,
            d.tokenId,
            d.enrolledAt,
            device.id,
          );
          return { stored: 'again', device: device.id };
        }
        if (!this.#useToken(e.tokenId, now)) return { stored: false, why: 'token-used' };
        db.prepare('INSERT INTO devices (id, journal, name, credential_hash, token_id, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          d.id,
          d.journal,
          d.name,
          d.credentialHash,
          d.tokenId,
          d.enrolledAt,
        );
        db.prepare('INSERT INTO journals (id, device, genesis_key, size, head, last_sync_at) VALUES (?, ?, ?, 1, ?, ?)').run(
          d.journal,
          d.id,
          e.genesisKey,
          e.genesis.hash,
          now,
        );
        this.#insertEntries(d.journal, [e.genesis], now);
        return { stored: 'new', device: d.id };
      })
      .immediate();
  }

  #useToken(id: string, now: number): boolean {
    return this.#db.prepare('UPDATE tokens SET used_at = ? WHERE id = ? AND used_at IS NULL').run(now, id).changes > 0;
  }

  async revokeDevice(id: string, at: number): Promise<DeviceRow | null> {
    const db = this.#db;
    return db
      .transaction((): DeviceRow | null => {
        const row = db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as Row | undefined;
        if (!row) return null;
        const d = rowToDevice(row);
        if (d.revokedAt !== null) return d;
        db.prepare(
          'INSERT INTO device_revocations (device, journal, credential_hash, token_id, enrolled_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(d.id, d.journal, d.credentialHash, d.tokenId, d.enrolledAt, at);
        db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ?').run(at, id);
        return { ...d, revokedAt: at };
      })
      .immediate();
  }

  async devices(): Promise<DeviceRow[]> {
    return (this.#db.prepare('SELECT * FROM devices ORDER BY journal').all() as Row[]).map(rowToDevice);
  }

  async deviceByCredential(hash: string): Promise<DeviceRow | null> {
    const row = this.#db.prepare('SELECT * FROM devices WHERE credential_hash = ?').get(hash) as Row | undefined;
    return row ? rowToDevice(row) : null;
  }

  async journal(id: string): Promise<JournalRow | null> {
    const row = this.#db.prepare('SELECT * FROM journals WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToJournal(row) : null;
  }

  async journals(): Promise<JournalRow[]> {
    return (this.#db.prepare('SELECT * FROM journals ORDER BY id').all() as Row[]).map(rowToJournal);
  }

  async entries(journal: string, from: number, to: number): Promise<EntryRow[]> {
    return this.#entries(journal, from, to);
  }

  #entries(journal: string, from: number, to: number): EntryRow[] {
    const rows = this.#db.prepare('SELECT * FROM entries WHERE journal = ? AND seq >= ? AND seq < ? ORDER BY seq').all(journal, from, to);
    return (rows as Row[]).map(rowToEntry);
  }

  #insertEntries(journal: string, entries: readonly EntryRow[], now: number): void {
    const insert = this.#db.prepare(
      'INSERT INTO entries (journal, seq, hash, sig, bytes, epoch, epoch_key, kind, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of entries) insert.run(journal, e.seq, e.hash, e.sig, e.bytes, e.epoch, e.epochKey, e.kind, now);
  }

  async ingest(
    journal: string,
    writer: string,
    base: number,
    count: number,
    now: number,
    decide: (s: JournalSnapshot) => IngestPlan,
  ): Promise<IngestOutcome> {
    const db = this.#db;
    // IMMEDIATE takes the write lock first, so the snapshot cannot go stale before the plan is applied.
    return db
      .transaction((): IngestOutcome => {
        const row = db.prepare('SELECT * FROM journals WHERE id = ?').get(journal) as Row | undefined;
        if (!row) throw new Error(`ingest into unknown journal ${journal}`);
        const live = db
          .prepare('SELECT 1 FROM devices WHERE journal = ? AND credential_hash = ? AND revoked_at IS NULL')
          .get(journal, writer);
        if (!live) throw new BreakGlassError('UNAUTHENTICATED', STALE_WRITER_MESSAGE);
        const current = rowToJournal(row);
        const { from, to } = ingestWindow(current.size, base, count);
        const plan = decide({ journal: current, window: this.#entries(journal, from, to) });
        this.#apply(current, plan, now);
        return { plan, journal: rowToJournal(db.prepare('SELECT * FROM journals WHERE id = ?').get(journal) as Row) };
      })
      .immediate();
  }

  #apply(j: JournalRow, plan: IngestPlan, now: number): void {
    const db = this.#db;
    switch (plan.kind) {
      case 'append': {
        this.#insertEntries(j.id, plan.entries, now);
        const flag = db.prepare('INSERT OR IGNORE INTO flags (journal, seq, code, message) VALUES (?, ?, ?, ?)');
        for (const f of plan.flags) flag.run(j.id, f.seq, f.code, f.message);
        const anchor = db.prepare(
          'INSERT OR IGNORE INTO anchors (journal, seq, kind, target_journal, target_seq, target_hash) VALUES (?, ?, ?, ?, ?, ?)',
        );
        for (const a of plan.anchors) anchor.run(j.id, a.seq, a.kind, a.targetJournal, a.targetSeq, a.targetHash);
        this.#checkAnchors(j.id, plan.entries, plan.anchors, now);
        const last = plan.entries[plan.entries.length - 1];
        if (last)
          db.prepare('UPDATE journals SET size = ?, head = ?, last_sync_at = ? WHERE id = ?').run(last.seq + 1, last.hash, now, j.id);
        return;
      }
      case 'noop':
        db.prepare('UPDATE journals SET last_sync_at = ? WHERE id = ?').run(now, j.id);
        return;
      case 'fork': {
        const f = plan.fork;
        db.prepare('INSERT INTO forks (journal, seq, stored_hash, offered_hash, offered_line, detected_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          j.id,
          f.seq,
          f.storedHash,
          f.offeredHash,
          f.offeredLine,
          now,
        );
        db.prepare('UPDATE journals SET frozen_at = COALESCE(frozen_at, ?), frozen_reason = COALESCE(frozen_reason, ?) WHERE id = ?').run(
          now,
          `fork at seq ${f.seq}`,
          j.id,
        );
        return;
      }
      case 'reject': {
        const kept = db.prepare('SELECT COUNT(*) AS n FROM rejected_batches WHERE journal = ?').get(j.id) as { n: number };
        if (kept.n >= MAX_REJECTIONS_PER_JOURNAL) return;
        const r = plan.rejection;
        db.prepare(
          'INSERT INTO rejected_batches (journal, base, line_count, seq, code, message, evidence, truncated, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(j.id, r.base, r.lineCount, r.seq, r.code, r.message, r.evidence, r.truncated ? 1 : 0, now);
        return;
      }
      case 'conflict':
      case 'frozen':
        return;
    }
  }

  #checkAnchors(journal: string, appended: readonly EntryRow[], anchors: readonly AnchorRow[], now: number): void {
    const first = appended[0];
    if (!first) return;
    const db = this.#db;
    const held = db.prepare('SELECT hash FROM entries WHERE journal = ? AND seq = ?');
    const into = (
      db
        .prepare('SELECT * FROM anchors WHERE target_journal = ? AND target_seq >= ? AND target_seq < ?')
        .all(journal, first.seq, first.seq + appended.length) as Row[]
    ).map((r) => ({ ...rowToAnchor(r), journal: String(r['journal']) }));
    const found = findAnchorMismatches(
      journal,
      appended,
      anchors,
      (target, seq) => (held.get(target, seq) as { hash: string } | undefined)?.hash,
      into,
      now,
    );
    const insert = db.prepare(
      'INSERT OR IGNORE INTO anchor_mismatches (journal, seq, kind, target_journal, target_seq, named_hash, held_hash, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const m of found) insert.run(m.journal, m.seq, m.kind, m.targetJournal, m.targetSeq, m.namedHash, m.heldHash, m.detectedAt);
  }

  async anchorMismatches(journal: string): Promise<AnchorMismatchRow[]> {
    const rows = this.#db
      .prepare('SELECT * FROM anchor_mismatches WHERE journal = ? OR target_journal = ? ORDER BY detected_at, seq')
      .all(journal, journal);
    return (rows as Row[]).map(rowToAnchorMismatch);
  }

  async forks(journal: string): Promise<ForkRow[]> {
    return (this.#db.prepare('SELECT * FROM forks WHERE journal = ? ORDER BY id').all(journal) as Row[]).map(rowToFork);
  }

  async rejections(journal: string): Promise<RejectionRow[]> {
    return (this.#db.prepare('SELECT * FROM rejected_batches WHERE journal = ? ORDER BY id').all(journal) as Row[]).map(rowToRejection);
  }

  async flags(journal: string): Promise<FlagRow[]> {
    return (this.#db.prepare('SELECT * FROM flags WHERE journal = ? ORDER BY seq').all(journal) as Row[]).map(rowToFlag);
  }

  async anchors(journal: string): Promise<AnchorRow[]> {
    return (this.#db.prepare('SELECT * FROM anchors WHERE journal = ? ORDER BY seq').all(journal) as Row[]).map(rowToAnchor);
  }
}
