/**
 * A 100,000-entry backlog synced after an outage to a server process (SQLite), which is SIGKILLed
 * half way and restarted; the client resumes from the server's head. Reports the total time and
 * the effective rate against the raw Ed25519 verify rate of one core measured in the same run,
 * and checks that the server ends holding exactly the backlog.
 */
import { join } from 'node:path';
import { SqliteStorage } from '../src/server/index.js';
import { syncJournal } from '../src/sync/index.js';
import { newJournal } from '../test/integration/server/fixtures.js';
import { fmt, header, info, now, report, tempDir } from './lib.js';
import { ed25519VerifyRate } from './primitives.js';
import { enrolJournal, startBenchServer } from './server-process.js';

const ENTRIES = 100_000;

/** The benchmark `server-backlog`. */
export async function benchServerBacklog(): Promise<void> {
  header('server-backlog', `${ENTRIES} entries synced after an outage, the server SIGKILLed half way and restarted`);
  const tmp = tempDir('server-backlog');
  const data = join(tmp.dir, 'server');
  const adminFile = join(tmp.dir, 'admin');
  const journal = newJournal();
  while (journal.lines.length < ENTRIES + 1) journal.commit(4);
  journal.lines.length = ENTRIES + 1;
  let server = await startBenchServer({ data, adminTokenFile: adminFile });
  try {
    const target = await enrolJournal(server.url, server.admin(), journal, 'backlog');
    const raw = ed25519VerifyRate(20_000);
    const t0 = now();
    let killed = false;
    await syncJournal(target, journal.lines, {
      batchLines: 1000,
      attempts: 1,
      onProgress: (p) => {
        if (!killed && p.serverSize >= ENTRIES / 2) {
          killed = true;
          server.child.kill('SIGKILL');
        }
      },
    }).catch((err: { code?: string }) => {
      if (err.code !== 'SERVER_UNREACHABLE') throw err;
    });
    await server.exited;
    const killedAt = now();
    server = await startBenchServer({ data, adminTokenFile: adminFile });
    const restartedAt = now();
    const resumed = await syncJournal({ ...target, server: server.url }, journal.lines, { batchLines: 1000 });
    const total = (now() - t0 - (restartedAt - killedAt)) / 1000;
    info(
      `killed after ${fmt((killedAt - t0) / 1000, 1)} s; resumed and uploaded ${resumed.uploaded} more; ${fmt(total, 1)} s syncing in all`,
    );
    await server.stop();
    const storage = SqliteStorage.open(join(data, 'server.db'));
    const rows = await storage.entries(journal.id, 0, Number.MAX_SAFE_INTEGER);
    await storage.close();
    const exact = rows.length === journal.lines.length && rows.every((r, i) => r.seq === i);
    if (!exact) throw new Error(`the server holds ${rows.length} entries, not the ${journal.lines.length} of the backlog`);
    const rate = ENTRIES / total;
    info(`effective rate ${fmt(rate, 0)} entries/s; raw Ed25519 verify ${fmt(raw, 0)}/s`);
    report({
      name: 'server-backlog',
      value: rate,
      unit: '/s',
      limit: raw,
      limitUnit: '/s',
      ratio: rate / raw,
      target: '>=0.5x',
      pass: rate / raw >= 0.5,
    });
  } finally {
    await server.stop('SIGKILL');
    tmp.cleanup();
  }
}
