/**
 * Faults against real server processes: a server SIGKILLed in the middle of a sync and restarted;
 * two server processes on one PostgreSQL taking alternate and identical batches of one journal.
 * Each ends identical to a clean sync: every entry stored once, in order, nothing lost.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { exportLine } from '../../../src/journal/index.js';
import { PostgresStorage, SqliteStorage, type ServerStorage } from '../../../src/server/index.js';
import { enrolDevice, syncJournal, type SyncTarget } from '../../../src/sync/index.js';
import { tempDir } from '../../helpers/cli.js';
import { newJournal, type TestJournal } from './fixtures.js';
import { STORAGE_KINDS, useStorages } from './harness.js';
import { startServerProcess, type ServerProcess } from './process.js';

const storages = useStorages();
const temp = tempDir('bgv-faults-');
afterAll(() => temp.cleanup());

async function storedLines(storage: ServerStorage, journal: string): Promise<string[]> {
  const rows = await storage.entries(journal, 0, Number.MAX_SAFE_INTEGER);
  return rows.map((r) =>
    exportLine({ seq: r.seq, bytes: r.bytes, hash: Buffer.from(r.hash, 'base64url'), sig: Buffer.from(r.sig, 'base64url') }),
  );
}

/** An enrolment token straight from the admin API of a running server. */
async function enrolToken(server: ServerProcess, adminTokenFile: string): Promise<string> {
  const admin = readFileSync(adminTokenFile, 'utf8').trim();
  const res = await fetch(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'enroll' }),
  });
  return ((await res.json()) as { token: string }).token;
}

async function enrolled(server: ServerProcess, adminTokenFile: string, journal: TestJournal): Promise<SyncTarget> {
  const token = await enrolToken(server, adminTokenFile);
  const e = await enrolDevice({ server: server.url }, { token, journal: journal.id, genesisLine: journal.lines[0]!, name: 'backlog' });
  expect(e.serverKey).toBe(server.serverKey);
  return { server: server.url, serverKey: e.serverKey, journal: journal.id, credential: e.credential };
}

describe.each(STORAGE_KINDS)('faults on %s', (kind) => {
  it('a server killed mid-sync and restarted: the sync resumes exactly where the server stopped', async () => {
    const data = join(temp.dir, `kill-${kind}`);
    const adminTokenFile = join(temp.dir, `admin-kill-${kind}`);
    const database = kind === 'postgres' ? storages.pg().createDatabase() : undefined;
    const opts = { data, adminTokenFile, ...(database ? { database } : {}) };
    let server = await startServerProcess(opts);
    const journal = newJournal();
    for (let i = 0; i < 600; i++) journal.commit(4);
    const target = await enrolled(server, adminTokenFile, journal);
    let batches = 0;
    const first = syncJournal(target, journal.lines, {
      batchLines: 100,
      attempts: 2,
      backoffMs: { base: 10, max: 20 },
      onProgress: () => {
        if (++batches === 5) void server.stop('SIGKILL');
      },
    });
    await expect(first).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    server = await startServerProcess(opts);
    const storage = kind === 'postgres' ? new PostgresStorage(database!) : SqliteStorage.open(join(data, 'server.db'));
    try {
      const atRestart = (await storage.journal(journal.id))!.size;
      expect(atRestart).toBeGreaterThanOrEqual(501);
      expect(atRestart).toBeLessThan(journal.lines.length);
      const second = await syncJournal({ ...target, server: server.url }, journal.lines, { batchLines: 250 });
      expect(second.uploaded).toBe(journal.lines.length - atRestart);
      expect(second.serverSize).toBe(journal.lines.length);
      expect(await storedLines(storage, journal.id)).toEqual(journal.lines);
    } finally {
      await storage.close();
      await server.stop();
    }
  });
});

describe('two server processes on one PostgreSQL', () => {
  it('take alternate and identical batches of one journal: nothing lost, nothing duplicated', async () => {
    const database = storages.pg().createDatabase();
    const data = join(temp.dir, 'two');
    const adminTokenFile = join(temp.dir, 'admin-two');
    const [a, b] = await Promise.all([
      startServerProcess({ data, adminTokenFile, database }),
      startServerProcess({ data, adminTokenFile, database }),
    ]);
    const storage = new PostgresStorage(database);
    try {
      expect(a.serverKey).toBe(b.serverKey);
      const journal = newJournal();
      for (let i = 0; i < 300; i++) journal.commit(1 + (i % 3));
      const target = await enrolled(a, adminTokenFile, journal);
      const post = (server: ServerProcess, base: number, lines: string[]) =>
        fetch(`${server.url}/api/v1/journals/${journal.id}/entries`, {
          method: 'POST',
          headers: { authorization: `Bearer ${target.credential}`, 'content-type': 'application/json' },
          body: JSON.stringify({ base, lines }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { accepted?: number; size?: number } }));
      let base = 1;
      for (let i = 0; base < journal.lines.length; i++) {
        const lines = journal.lines.slice(base, base + 40);
        // Every batch goes to both processes at once; every other one is led by the second process.
        const [x, y] = await Promise.all(
          i % 2 ? [post(b, base, lines), post(a, base, lines)] : [post(a, base, lines), post(b, base, lines)],
        );
        expect([x.status, y.status]).toEqual([200, 200]);
        expect([x.body.accepted, y.body.accepted].sort((p, q) => p! - q!)).toEqual([0, lines.length]);
        base += lines.length;
      }
      expect(await storedLines(storage, journal.id)).toEqual(journal.lines);
      // A client syncing through both in turn finds nothing left to send.
      const again = await syncJournal({ ...target, server: b.url }, journal.lines);
      expect(again).toMatchObject({ uploaded: 0, serverSize: journal.lines.length });
    } finally {
      await storage.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
