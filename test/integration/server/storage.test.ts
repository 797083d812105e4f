/**
 * The storage port's contract on both adapters: migrations applied once (also by two at once on
 * PostgreSQL), entries and forks append-only at the database level, enrolment all or nothing, and
 * ingest applying exactly the plan it was given.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { b64 } from '../../../src/crypto/index.js';
import { parseExportLine } from '../../../src/journal/index.js';
import {
  LATEST_SERVER_SCHEMA,
  MAX_REJECTIONS_PER_JOURNAL,
  PostgresStorage,
  SqliteStorage,
  newToken,
  type EntryRow,
  type ServerStorage,
} from '../../../src/server/index.js';
import { tempDir } from '../../helpers/cli.js';
import { newJournal } from './fixtures.js';
import { STORAGE_KINDS, useStorages } from './harness.js';

const storages = useStorages();

function rowOf(line: string, seq: number, epochKey: string): EntryRow {
  const e = parseExportLine(line, seq);
  const entry = JSON.parse(Buffer.from(e.bytes).toString('utf8')) as { kind: string; epoch: number };
  return { seq, hash: b64(e.hash), sig: b64(e.sig), bytes: Buffer.from(e.bytes), epoch: entry.epoch, epochKey, kind: entry.kind };
}

async function enrolOne(storage: ServerStorage): Promise<{ journal: ReturnType<typeof newJournal>; tokenId: string }> {
  const journal = newJournal();
  const t = newToken('enroll', Date.now(), 60_000);
  await storage.insertToken(t.row);
  const outcome = await storage.enrol(
    {
      tokenId: t.row.id,
      genesisKey: journal.genesisKey,
      device: {
        id: `d-${journal.id.slice(2)}`,
        journal: journal.id,
        name: 'n',
        credentialHash: `h-${journal.id}`,
        tokenId: t.row.id,
        enrolledAt: 1,
        revokedAt: null,
      },
      genesis: rowOf(journal.lines[0]!, 0, journal.genesisKey),
    },
    Date.now(),
  );
  expect(outcome).toEqual({ stored: 'new', device: `d-${journal.id.slice(2)}` });
  return { journal, tokenId: t.row.id };
}

describe.each(STORAGE_KINDS)('server storage on %s', (kind) => {
  it('migrates an empty database to the latest schema, and again is a no-op', async () => {
    const storage = await storages.make(kind);
    expect(await storage.schemaVersion()).toBe(LATEST_SERVER_SCHEMA);
    await storage.migrate();
    expect(await storage.schemaVersion()).toBe(LATEST_SERVER_SCHEMA);
  });

  it('migrates a database at schema 1 to the latest, keeping its data', async () => {
    const folder = tempDir();
    const older = kind === 'sqlite' ? SqliteStorage.open(`${folder.dir}/old.db`) : new PostgresStorage(storages.pg().createDatabase());
    try {
      await older.migrate(1);
      expect(await older.schemaVersion()).toBe(1);
      const { journal } = await enrolOne(older);
      await older.migrate();
      expect(await older.schemaVersion()).toBe(LATEST_SERVER_SCHEMA);
      expect((await older.entries(journal.id, 0, 10)).map((e) => e.hash)).toEqual([JSON.parse(journal.lines[0]!).hash]);
      expect(await older.anchorMismatches(journal.id)).toEqual([]);
      expect((await older.devices()).map((d) => [d.journal, d.revokedAt])).toEqual([[journal.id, null]]);
    } finally {
      await older.close();
      folder.cleanup();
    }
  });

  it('uses an enrolment token once and stores device, journal and genesis together', async () => {
    const storage = await storages.make(kind);
    const { journal, tokenId } = await enrolOne(storage);
    const again = newJournal();
    const outcome = await storage.enrol(
      {
        tokenId,
        genesisKey: again.genesisKey,
        device: {
          id: 'd-0000000000000001',
          journal: again.id,
          name: 'n',
          credentialHash: 'other',
          tokenId,
          enrolledAt: 1,
          revokedAt: null,
        },
        genesis: rowOf(again.lines[0]!, 0, again.genesisKey),
      },
      Date.now(),
    );
    expect(outcome).toEqual({ stored: false, why: 'token-used' });
    expect(await storage.journal(again.id)).toBeNull();
    expect((await storage.journal(journal.id))!.size).toBe(1);
    expect((await storage.entries(journal.id, 0, 10)).length).toBe(1);
  });

  it('revokes a device once, and enrols its journal again only with the same genesis entry and a fresh token', async () => {
    const storage = await storages.make(kind);
    const { journal } = await enrolOne(storage);
    const id = `d-${journal.id.slice(2)}`;
    const attempt = async (genesisLine: string, credentialHash: string, tokenId?: string) => {
      const t = newToken('enroll', Date.now(), 60_000);
      if (!tokenId) await storage.insertToken(t.row, journal.id);
      const token = tokenId ?? t.row.id;
      return storage.enrol(
        {
          tokenId: token,
          genesisKey: journal.genesisKey,
          device: {
            id: 'd-00000000000000ff',
            journal: journal.id,
            name: 'again',
            credentialHash,
            tokenId: token,
            enrolledAt: 5,
            revokedAt: null,
          },
          genesis: rowOf(genesisLine, 0, journal.genesisKey),
        },
        Date.now(),
      );
    };
    expect(await attempt(journal.lines[0]!, 'h-new')).toEqual({ stored: false, why: 'journal-exists' });
    expect(await storage.revokeDevice('d-0000000000000abc', 10)).toBeNull();
    expect((await storage.revokeDevice(id, 10))!.revokedAt).toBe(10);
    expect((await storage.revokeDevice(id, 20))!.revokedAt).toBe(10);
    expect(await storage.deviceByCredential(`h-${journal.id}`)).toMatchObject({ id, revokedAt: 10 });
    const other = newJournal();
    expect(await attempt(other.lines[0]!, 'h-new')).toEqual({ stored: false, why: 'genesis-differs' });
    // Only a token issued for this journal enrols it again, and a refused token is not spent.
    const unbound = newToken('enroll', Date.now(), 60_000);
    await storage.insertToken(unbound.row);
    expect(await attempt(journal.lines[0]!, 'h-new', unbound.row.id)).toEqual({ stored: false, why: 'token-not-bound' });
    const elsewhere = newToken('enroll', Date.now(), 60_000);
    await storage.insertToken(elsewhere.row, other.id);
    expect(await attempt(journal.lines[0]!, 'h-new', elsewhere.row.id)).toEqual({ stored: false, why: 'token-for-another-journal' });
    expect((await storage.tokenByHash(unbound.row.hash))!.usedAt).toBeNull();
    expect(await attempt(journal.lines[0]!, 'h-new')).toEqual({ stored: 'again', device: id });
    expect(await storage.deviceByCredential(`h-${journal.id}`)).toBeNull();
    expect(await storage.deviceByCredential('h-new')).toMatchObject({ id, journal: journal.id, name: 'again', revokedAt: null });
    expect((await storage.journal(journal.id))!.size).toBe(1);
    expect(await storage.devices()).toHaveLength(1);
  });

  it('refuses, inside its transaction, an upload whose credential was revoked or replaced after it was authenticated', async () => {
    const storage = await storages.make(kind);
    const { journal } = await enrolOne(storage);
    journal.commit(1);
    const rows = journal.lines.slice(1).map((l, i) => rowOf(l, i + 1, journal.genesisKey));
    const append = () => ({ kind: 'append' as const, entries: rows, flags: [], anchors: [] });
    await storage.revokeDevice(`d-${journal.id.slice(2)}`, 10);
    await expect(storage.ingest(journal.id, `h-${journal.id}`, 1, rows.length, 11, append)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'the device credential was revoked or replaced while this upload was on its way; nothing was stored',
    });
    expect((await storage.journal(journal.id))!.size).toBe(1);
    await expect(storage.ingest(journal.id, 'h-never-issued', 1, rows.length, 11, append)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect((await storage.entries(journal.id, 0, 10)).length).toBe(1);
  });

  it('bootstraps the admin token exactly once', async () => {
    const storage = await storages.make(kind);
    const results = await Promise.all([1, 2, 3].map(() => storage.bootstrapAdmin(newToken('admin', 1, null).row)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await storage.bootstrapAdmin(newToken('admin', 1, null).row)).toBe(false);
  });

  it('refuses UPDATE, DELETE and replacing inserts of entries at the database level', async () => {
    const storage = await storages.make(kind);
    const { journal } = await enrolOne(storage);
    const attempts =
      kind === 'sqlite'
        ? ['UPDATE entries SET sig = ?', 'DELETE FROM entries', 'INSERT OR REPLACE INTO entries SELECT * FROM entries', 'DELETE FROM forks']
        : ['UPDATE entries SET sig = $1', 'DELETE FROM entries', 'TRUNCATE entries CASCADE', 'UPDATE forks SET seq = 0'];
    const errors = await rawAttempts(storage, kind, attempts);
    expect(errors.slice(0, 3).every((e) => /append-only/.test(e))).toBe(true);
    expect((await storage.entries(journal.id, 0, 10)).map((e) => e.hash)).toEqual([JSON.parse(journal.lines[0]!).hash]);
  });

  it('keeps at most 100 rejected batches of a journal as evidence', async () => {
    const storage = await storages.make(kind);
    const { journal } = await enrolOne(storage);
    const rejection = { base: 1, lineCount: 1, seq: 1, code: 'TAMPER', message: 'm', evidence: 'x', truncated: false };
    for (let i = 0; i < MAX_REJECTIONS_PER_JOURNAL + 5; i++) {
      const out = await storage.ingest(journal.id, `h-${journal.id}`, 1, 1, i, () => ({ kind: 'reject', rejection }));
      expect(out.plan.kind).toBe('reject');
    }
    expect((await storage.rejections(journal.id)).length).toBe(MAX_REJECTIONS_PER_JOURNAL);
    expect((await storage.journal(journal.id))!.size).toBe(1);
  });

  it('applies an ingest plan in one transaction, and nothing when the decision throws', async () => {
    const storage = await storages.make(kind);
    const { journal } = await enrolOne(storage);
    const lines = journal.commit(2);
    await expect(
      storage.ingest(journal.id, `h-${journal.id}`, 1, lines.length, 5, () => {
        throw new Error('decision failed');
      }),
    ).rejects.toThrow('decision failed');
    expect((await storage.journal(journal.id))!.size).toBe(1);
    const rows = lines.map((l, i) => rowOf(l, 1 + i, journal.genesisKey));
    const out = await storage.ingest(journal.id, `h-${journal.id}`, 1, lines.length, 5, (snap) => {
      expect(snap.journal.size).toBe(1);
      expect(snap.window.map((r) => r.seq)).toEqual([0]);
      return { kind: 'append', entries: rows, flags: [{ seq: 2, code: 'CLOCK_ANOMALY', message: 'x' }], anchors: [] };
    });
    expect(out.journal).toMatchObject({ size: 4, head: rows[2]!.hash, lastSyncAt: 5 });
    expect(await storage.flags(journal.id)).toEqual([{ seq: 2, code: 'CLOCK_ANOMALY', message: 'x' }]);
    await expect(
      storage.ingest(journal.id, `h-${journal.id}`, 1, 1, 6, () => ({ kind: 'append', entries: [rows[0]!], flags: [], anchors: [] })),
    ).rejects.toThrow();
    expect((await storage.entries(journal.id, 0, 10)).map((r) => r.seq)).toEqual([0, 1, 2, 3]);
  });
});

/** Runs statements directly against the database behind `storage`; returns each one's error message. */
async function rawAttempts(storage: ServerStorage, kind: string, statements: string[]): Promise<string[]> {
  const messages: string[] = [];
  if (kind === 'sqlite') {
    const db = new Database(storages.location(storage));
    for (const sql of statements) {
      try {
        db.prepare(sql).run(...(sql.includes('?') ? ['x'] : []));
        messages.push('no error');
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
    db.close();
    return messages;
  }
  const client = new pg.Client({ connectionString: storages.location(storage) });
  await client.connect();
  try {
    for (const sql of statements) {
      try {
        await client.query(sql, sql.includes('$1') ? ['x'] : []);
        messages.push('no error');
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
  } finally {
    await client.end();
  }
  return messages;
}

it('opens the SQLite file owner-only', async () => {
  const t = tempDir();
  try {
    const s = SqliteStorage.open(`${t.dir}/server.db`);
    await s.migrate();
    const { statSync } = await import('node:fs');
    expect(statSync(`${t.dir}/server.db`).mode & 0o777).toBe(0o600);
    await s.close();
  } finally {
    t.cleanup();
  }
});

describe('server storage on postgres, several processes', () => {
  it('migrates once when several servers start on one empty database together', async () => {
    const url = storages.pg().createDatabase();
    const many = [1, 2, 3, 4].map(() => new PostgresStorage(url, { max: 2 }));
    await Promise.all(many.map((s) => s.migrate()));
    expect(await many[0]!.schemaVersion()).toBe(LATEST_SERVER_SCHEMA);
    await Promise.all(many.map((s) => s.close()));
  });
});
