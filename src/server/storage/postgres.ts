import pg from 'pg';
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

/** Any advisory lock number will do, as long as every server process uses the same one for migrations. */
const MIGRATION_LOCK = 7_243_011;

type Client = pg.PoolClient;

/**
 * The PostgreSQL adapter: several stateless server processes may share one database. Ingest locks
 * the journal's row (SELECT ... FOR UPDATE), so concurrent uploads of one journal take turns.
 */
export class PostgresStorage implements ServerStorage {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;

  constructor(connectionString: string, options: { max?: number } = {}) {
    this.#pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
    // An idle client losing its connection (the database restarting) must not crash the process.
    this.#pool.on('error', () => undefined);
  }

  async #tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async #rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query(sql, params)).rows as Row[];
  }

  async migrate(target = Number.MAX_SAFE_INTEGER): Promise<void> {
    await this.#tx(async (c) => {
      // Two processes starting on one empty database: the second waits here, then finds all applied.
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      for (const m of SERVER_MIGRATIONS.filter((m) => m.version <= target)) {
        const done = await c.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (done.rowCount) continue;
        await c.query(m.postgres);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  async schemaVersion(): Promise<number> {
    const exists = await this.#rows("SELECT to_regclass('schema_migrations') IS NOT NULL AS e");
    if (!exists[0]?.['e']) return 0;
    const rows = await this.#rows('SELECT MAX(version) AS v FROM schema_migrations');
    return Number(rows[0]?.['v'] ?? 0);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async bootstrapAdmin(token: TokenRow): Promise<boolean> {
    return this.#tx(async (c) => {
      const done = await c.query("INSERT INTO server_meta (key, value) VALUES ('admin_bootstrapped', $1) ON CONFLICT DO NOTHING", [
        token.id,
      ]);
      if (!done.rowCount) return false;
      await insertToken(c, token);
      return true;
    });
  }

  async insertToken(token: TokenRow, journal?: string): Promise<void> {
    if (journal === undefined) {
      const c = await this.#pool.connect();
      try {
        await insertToken(c, token);
      } finally {
        c.release();
      }
      return;
    }
    await this.#tx(async (c) => {
      await insertToken(c, token);
      await c.query('UPDATE tokens SET journal = $1 WHERE id = $2', [journal, token.id]);
    });
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const rows = await this.#rows('SELECT * FROM tokens WHERE hash = $1', [hash]);
    return rows[0] ? rowToToken(rows[0]) : null;
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const r = await this.#pool.query('UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2', [at, id]);
    return (r.rowCount ?? 0) > 0;
  }

  async enrol(e: Enrolment, now: number): Promise<EnrolOutcome> {
    const useToken = async (c: Client): Promise<boolean> =>
      ((await c.query('UPDATE tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL', [now, e.tokenId])).rowCount ?? 0) > 0;
    try {
      return await this.#tx(async (c): Promise<EnrolOutcome> => {
        const d = e.device;
        const bound = (((await c.query('SELECT * FROM tokens WHERE id = $1', [e.tokenId])).rows[0] as Row | undefined)?.['journal'] ??
          null) as string | null;
        if (bound !== null && bound !== d.journal) return { stored: false, why: 'token-for-another-journal' };
        // The device row locked: a revocation or a second enrolment of this journal waits for this one.
        const held = (await c.query('SELECT * FROM devices WHERE journal = $1 FOR UPDATE', [d.journal])).rows[0] as Row | undefined;
        if (held) {
          const device = rowToDevice(held);
          const genesis = (await c.query('SELECT hash FROM entries WHERE journal = $1 AND seq = 0', [d.journal])).rows[0] as {
            hash: string;
          };
          // A token spent meanwhile says so first; then what no new token would change.
          // Read again after the device row lock: a concurrent enrolment may have spent it meanwhile.
          const spent = await c.query('SELECT 1 FROM tokens WHERE id = $1 AND used_at IS NOT NULL', [e.tokenId]);
          if (spent.rowCount) return { stored: false, why: 'token-used' };
          if (genesis.hash !== e.genesis.hash) return { stored: false, why: 'genesis-differs' };
          if (device.revokedAt === null) return { stored: false, why: 'journal-exists' };
          if (bound === null) return { stored: false, why: 'token-not-bound' };
          if (!(await useToken(c))) return { stored: false, why: 'token-used' };
          await c.query(
            'UPDATE devices SET name = $1, credential_hash = $2, token_id = $3, enrolled_at = $4, revoked_at = NULL WHERE id = $5',
            [d.name, d.credentialHash, d.tokenId, d.enrolledAt, device.id],
          );
          return { stored: 'again', device: device.id };
        }
        if (!(await useToken(c))) return { stored: false, why: 'token-used' };
        await c.query('INSERT INTO devices (id, journal, name, credential_hash, token_id, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          d.id,
          d.journal,
          d.name,
          d.credentialHash,
          d.tokenId,
          d.enrolledAt,
        ]);
        await c.query('INSERT INTO journals (id, device, genesis_key, size, head, last_sync_at) VALUES ($1, $2, $3, 1, $4, $5)', [
          d.journal,
          d.id,
          e.genesisKey,
          e.genesis.hash,
          now,
        ]);
        await insertEntries(c, d.journal, [e.genesis], now);
        return { stored: 'new', device: d.id };
      });
    } catch (err) {
      // The journal (or device) unique key taken by a concurrent enrolment: nothing was stored.
      if ((err as { code?: string }).code === '23505') return { stored: false, why: 'journal-exists' };
      throw err;
    }
  }

  async revokeDevice(id: string, at: number): Promise<DeviceRow | null> {
    return this.#tx(async (c) => {
      const row = (await c.query('SELECT * FROM devices WHERE id = $1 FOR UPDATE', [id])).rows[0] as Row | undefined;
      if (!row) return null;
      const d = rowToDevice(row);
      if (d.revokedAt !== null) return d;
      await c.query(
        'INSERT INTO device_revocations (device, journal, credential_hash, token_id, enrolled_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [d.id, d.journal, d.credentialHash, d.tokenId, d.enrolledAt, at],
      );
      await c.query('UPDATE devices SET revoked_at = $1 WHERE id = $2', [at, id]);
      return { ...d, revokedAt: at };
    });
  }

  async devices(): Promise<DeviceRow[]> {
    return (await this.#rows('SELECT * FROM devices ORDER BY journal')).map(rowToDevice);
  }

  async deviceByCredential(hash: string): Promise<DeviceRow | null> {
    const rows = await this.#rows('SELECT * FROM devices WHERE credential_hash = $1', [hash]);
    return rows[0] ? rowToDevice(rows[0]) : null;
  }

  async journal(id: string): Promise<JournalRow | null> {
    const rows = await this.#rows('SELECT * FROM journals WHERE id = $1', [id]);
    return rows[0] ? rowToJournal(rows[0]) : null;
  }

  async journals(): Promise<JournalRow[]> {
    return (await this.#rows('SELECT * FROM journals ORDER BY id')).map(rowToJournal);
  }

  async entries(journal: string, from: number, to: number): Promise<EntryRow[]> {
    const rows = await this.#rows('SELECT * FROM entries WHERE journal = $1 AND seq >= $2 AND seq < $3 ORDER BY seq', [journal, from, to]);
    return rows.map(rowToEntry);
  }

  async ingest(
    journal: string,
    writer: string,
    base: number,
    count: number,
    now: number,
    decide: (s: JournalSnapshot) => IngestPlan,
  ): Promise<IngestOutcome> {
    return this.#tx(async (c) => {
      const locked = await c.query('SELECT * FROM journals WHERE id = $1 FOR UPDATE', [journal]);
      if (!locked.rows[0]) throw new Error(`ingest into unknown journal ${journal}`);
      // FOR SHARE: a revocation or re-enrolment (FOR UPDATE on this row) waits for this upload, or this upload for it.
      const live = await c.query('SELECT 1 FROM devices WHERE journal = $1 AND credential_hash = $2 AND revoked_at IS NULL FOR SHARE', [
        journal,
        writer,
      ]);
      if (!live.rowCount) throw new BreakGlassError('UNAUTHENTICATED', STALE_WRITER_MESSAGE);
      const current = rowToJournal(locked.rows[0] as Row);
      const { from, to } = ingestWindow(current.size, base, count);
      const window = await c.query('SELECT * FROM entries WHERE journal = $1 AND seq >= $2 AND seq < $3 ORDER BY seq', [journal, from, to]);
      const plan = decide({ journal: current, window: (window.rows as Row[]).map(rowToEntry) });
      await this.#apply(c, current, plan, now);
      const after = await c.query('SELECT * FROM journals WHERE id = $1', [journal]);
      return { plan, journal: rowToJournal(after.rows[0] as Row) };
    });
  }

  async #apply(c: Client, j: JournalRow, plan: IngestPlan, now: number): Promise<void> {
    switch (plan.kind) {
      case 'append': {
        await insertEntries(c, j.id, plan.entries, now);
        for (const f of plan.flags) {
          await c.query('INSERT INTO flags (journal, seq, code, message) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
            j.id,
            f.seq,
            f.code,
            f.message,
          ]);
        }
        for (const a of plan.anchors) {
          await c.query(
            'INSERT INTO anchors (journal, seq, kind, target_journal, target_seq, target_hash) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
            [j.id, a.seq, a.kind, a.targetJournal, a.targetSeq, a.targetHash],
          );
        }
        await checkAnchors(c, j.id, plan.entries, plan.anchors, now);
        const last = plan.entries[plan.entries.length - 1];
        if (last)
          await c.query('UPDATE journals SET size = $1, head = $2, last_sync_at = $3 WHERE id = $4', [last.seq + 1, last.hash, now, j.id]);
        return;
      }
      case 'noop':
        await c.query('UPDATE journals SET last_sync_at = $1 WHERE id = $2', [now, j.id]);
        return;
      case 'fork': {
        const f = plan.fork;
        await c.query(
          'INSERT INTO forks (journal, seq, stored_hash, offered_hash, offered_line, detected_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [j.id, f.seq, f.storedHash, f.offeredHash, f.offeredLine, now],
        );
        await c.query(
          'UPDATE journals SET frozen_at = COALESCE(frozen_at, $1), frozen_reason = COALESCE(frozen_reason, $2) WHERE id = $3',
          [now, `fork at seq ${f.seq}`, j.id],
        );
        return;
      }
      case 'reject': {
        const kept = await c.query('SELECT COUNT(*) AS n FROM rejected_batches WHERE journal = $1', [j.id]);
        if (Number((kept.rows[0] as Row)['n']) >= MAX_REJECTIONS_PER_JOURNAL) return;
        const r = plan.rejection;
        await c.query(
          'INSERT INTO rejected_batches (journal, base, line_count, seq, code, message, evidence, truncated, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
          [j.id, r.base, r.lineCount, r.seq, r.code, r.message, r.evidence, r.truncated ? 1 : 0, now],
        );
        return;
      }
      case 'conflict':
      case 'frozen':
        return;
    }
  }

  async anchorMismatches(journal: string): Promise<AnchorMismatchRow[]> {
    const rows = await this.#rows('SELECT * FROM anchor_mismatches WHERE journal = $1 OR target_journal = $1 ORDER BY detected_at, seq', [
      journal,
    ]);
    return rows.map(rowToAnchorMismatch);
  }

  async forks(journal: string): Promise<ForkRow[]> {
    return (await this.#rows('SELECT * FROM forks WHERE journal = $1 ORDER BY id', [journal])).map(rowToFork);
  }

  async rejections(journal: string): Promise<RejectionRow[]> {
    return (await this.#rows('SELECT * FROM rejected_batches WHERE journal = $1 ORDER BY id', [journal])).map(rowToRejection);
  }

  async flags(journal: string): Promise<FlagRow[]> {
    return (await this.#rows('SELECT * FROM flags WHERE journal = $1 ORDER BY seq', [journal])).map(rowToFlag);
  }

  async anchors(journal: string): Promise<AnchorRow[]> {
    return (await this.#rows('SELECT * FROM anchors WHERE journal = $1 ORDER BY seq', [journal])).map(rowToAnchor);
  }
}

/** Records the anchor mismatches an append creates (see findAnchorMismatches), in its transaction. */
async function checkAnchors(
  c: Client,
  journal: string,
  appended: readonly EntryRow[],
  anchors: readonly AnchorRow[],
  now: number,
): Promise<void> {
  const first = appended[0];
  if (!first) return;
  // Anchors are rare (approvals, receipts): one lookup each is cheaper than a join per batch.
  const held = new Map<string, string>();
  for (const a of anchors) {
    const r = await c.query('SELECT hash FROM entries WHERE journal = $1 AND seq = $2', [a.targetJournal, a.targetSeq]);
    if (r.rows[0]) held.set(`${a.targetJournal}:${a.targetSeq}`, String((r.rows[0] as Row)['hash']));
  }
  const into = await c.query('SELECT * FROM anchors WHERE target_journal = $1 AND target_seq >= $2 AND target_seq < $3', [
    journal,
    first.seq,
    first.seq + appended.length,
  ]);
  const found = findAnchorMismatches(
    journal,
    appended,
    anchors,
    (target, seq) => held.get(`${target}:${seq}`),
    (into.rows as Row[]).map((r) => ({ ...rowToAnchor(r), journal: String(r['journal']) })),
    now,
  );
  for (const m of found) {
    await c.query(
      'INSERT INTO anchor_mismatches (journal, seq, kind, target_journal, target_seq, named_hash, held_hash, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING',
      [m.journal, m.seq, m.kind, m.targetJournal, m.targetSeq, m.namedHash, m.heldHash, m.detectedAt],
    );
  }
}

function insertToken(c: Client, t: TokenRow): Promise<unknown> {
  return c.query(
    'INSERT INTO tokens (id, hash, role, label, created_at, expires_at, revoked_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [t.id, t.hash, t.role, t.label, t.createdAt, t.expiresAt, t.revokedAt, t.usedAt],
  );
}

/** One INSERT for a whole batch, column arrays unnested, so a batch costs one round trip. */
async function insertEntries(c: Client, journal: string, entries: readonly EntryRow[], now: number): Promise<void> {
  if (entries.length === 0) return;
  await c.query(
    `INSERT INTO entries (journal, seq, hash, sig, bytes, epoch, epoch_key, kind, received_at)
     SELECT $1, s, h, g, b, e, k, n, $9 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::bigint[], $7::text[], $8::text[])
       AS t(s, h, g, b, e, k, n)`,
    [
      journal,
      entries.map((e) => e.seq),
      entries.map((e) => e.hash),
      entries.map((e) => e.sig),
      entries.map((e) => e.bytes),
      entries.map((e) => e.epoch),
      entries.map((e) => e.epochKey),
      entries.map((e) => e.kind),
      now,
    ],
  );
}
