/**
 * Bounded load on loopback: 200 simulated devices sync 500 entries each at once to one server
 * process (SQLite). Every entry must be stored exactly once and every sync must end with a verified
 * receipt (conflicts are resolved by the clients); p50 and p99 batch latency are reported, against
 * the latency of the same batch from one device alone, measured in the same run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStorage } from '../src/server/index.js';
import { enrolDevice, syncJournal, type SyncTarget } from '../src/sync/index.js';
import { newJournal, type TestJournal } from '../test/integration/server/fixtures.js';
import { fmt, fmtLatency, header, info, latency, now, report, tempDir } from './lib.js';

const DEVICES = 200;
const ENTRIES = 500;
const BATCH = 100;
const BIN = fileURLToPath(new URL('../../bin/breakglass.js', import.meta.url));

function startServer(data: string, adminTokenFile: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'server', '--data', data, '--listen', '127.0.0.1:0', '--admin-token-file', adminTokenFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BREAKGLASS_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve({ url: m[1]!, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.once('exit', () => reject(new Error(err)));
  });
}

async function enrol(url: string, admin: string, journal: TestJournal): Promise<SyncTarget> {
  const res = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'enroll' }),
  });
  const { token } = (await res.json()) as { token: string };
  const e = await enrolDevice({ server: url }, { token, journal: journal.id, genesisLine: journal.lines[0]!, name: 'load' });
  return { server: url, serverKey: e.serverKey, journal: journal.id, credential: e.credential };
}

/** Syncs and returns the latency of each batch (the time between progress reports). */
async function timedSync(target: SyncTarget, lines: readonly string[]): Promise<number[]> {
  const samples: number[] = [];
  let last = now();
  await syncJournal(target, lines, {
    batchLines: BATCH,
    onProgress: () => {
      const t = now();
      samples.push(t - last);
      last = t;
    },
  });
  return samples;
}

/** The benchmark `server-load`. */
export async function benchServerLoad(): Promise<void> {
  header('server-load', `${DEVICES} devices x ${ENTRIES} entries syncing at once to one server process (SQLite), batches of ${BATCH}`);
  const tmp = tempDir('server-load');
  const data = join(tmp.dir, 'server');
  const adminFile = join(tmp.dir, 'admin');
  const server = await startServer(data, adminFile);
  try {
    const admin = readFileSync(adminFile, 'utf8').trim();
    const journals = Array.from({ length: DEVICES + 1 }, () => {
      const j = newJournal();
      while (j.lines.length < ENTRIES + 1) j.commit(4);
      j.lines.length = ENTRIES + 1;
      return j;
    });
    const targets = await Promise.all(journals.map((j) => enrol(server.url, admin, j)));
    const alone = latency(await timedSync(targets[DEVICES]!, journals[DEVICES]!.lines));
    info(`one device alone: ${fmtLatency(alone)}`);
    const t0 = now();
    const all = await Promise.all(journals.slice(0, DEVICES).map((j, i) => timedSync(targets[i]!, j.lines)));
    const seconds = (now() - t0) / 1000;
    const loaded = latency(all.flat());
    info(`${DEVICES} at once: ${fmtLatency(loaded)}; ${fmt((DEVICES * ENTRIES) / seconds, 0)} entries/s over ${fmt(seconds, 1)} s`);
    await server.stop();
    const storage = SqliteStorage.open(join(data, 'server.db'));
    let exact = 0;
    for (const j of journals) {
      const rows = await storage.entries(j.id, 0, Number.MAX_SAFE_INTEGER);
      if (
        rows.length === j.lines.length &&
        rows.every((r, i) => r.seq === i && r.hash === (JSON.parse(j.lines[i]!) as { hash: string }).hash)
      )
        exact += 1;
    }
    await storage.close();
    report({
      name: 'server-load-exactly-once',
      value: exact,
      unit: '',
      limit: journals.length,
      limitUnit: '',
      ratio: exact / journals.length,
      target: '=1x',
      pass: exact === journals.length,
    });
  } finally {
    await server.stop();
    tmp.cleanup();
  }
}
