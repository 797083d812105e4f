/**
 * A 100,000-entry backlog synced after an outage to a server process (SQLite), which is SIGKILLed
 * half way and restarted; the client resumes from the server's head. Reports the total time and
 * the effective rate against the raw Ed25519 verify rate of one core measured in the same run,
 * and checks that the server ends holding exactly the backlog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStorage } from '../src/server/index.js';
import { enrolDevice, syncJournal, type SyncTarget } from '../src/sync/index.js';
import { newJournal } from '../test/integration/server/fixtures.js';
import { fmt, header, info, now, report, tempDir } from './lib.js';
import { ed25519VerifyRate } from './primitives.js';

const ENTRIES = 100_000;
const BIN = fileURLToPath(new URL('../../bin/breakglass.js', import.meta.url));

function startServer(data: string, adminTokenFile: string): Promise<{ url: string; child: ChildProcess; exited: Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'server', '--data', data, '--listen', '127.0.0.1:0', '--admin-token-file', adminTokenFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BREAKGLASS_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve({ url: m[1]!, child, exited });
    });
    child.once('exit', () => reject(new Error(err)));
  });
}

/** The benchmark `server-backlog`. */
export async function benchServerBacklog(): Promise<void> {
  header('server-backlog', `${ENTRIES} entries synced after an outage, the server SIGKILLed half way and restarted`);
  const tmp = tempDir('server-backlog');
  const data = join(tmp.dir, 'server');
  const adminFile = join(tmp.dir, 'admin');
  const journal = newJournal();
  while (journal.lines.length < ENTRIES + 1) journal.commit(4);
  journal.lines.length = ENTRIES + 1;
  let server = await startServer(data, adminFile);
  try {
    const admin = readFileSync(adminFile, 'utf8').trim();
    const res = await fetch(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'enroll' }),
    });
    const { token } = (await res.json()) as { token: string };
    const e = await enrolDevice({ server: server.url }, { token, journal: journal.id, genesisLine: journal.lines[0]!, name: 'backlog' });
    const target: SyncTarget = { server: server.url, serverKey: e.serverKey, journal: journal.id, credential: e.credential };
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
    server = await startServer(data, adminFile);
    const restartedAt = now();
    const resumed = await syncJournal({ ...target, server: server.url }, journal.lines, { batchLines: 1000 });
    const total = (now() - t0 - (restartedAt - killedAt)) / 1000;
    info(
      `killed after ${fmt((killedAt - t0) / 1000, 1)} s; resumed and uploaded ${resumed.uploaded} more; ${fmt(total, 1)} s syncing in all`,
    );
    server.child.kill('SIGTERM');
    await server.exited;
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
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    tmp.cleanup();
  }
}
