/**
 * Bounded load on loopback: 200 simulated devices sync 500 entries each at once to one server
 * process (SQLite). Every entry must be stored exactly once and every sync must end with a verified
 * receipt (conflicts are resolved by the clients); p50 and p99 batch latency are reported, against
 * the latency of the same batch from one device alone, measured in the same run.
 */
import { join } from 'node:path';
import { SqliteStorage } from '../src/server/index.js';
import { syncJournal, type SyncTarget } from '../src/sync/index.js';
import { newJournal } from '../test/integration/server/fixtures.js';
import { fmt, fmtLatency, header, info, latency, now, report, tempDir } from './lib.js';
import { enrolJournal, startBenchServer } from './server-process.js';

const DEVICES = 200;
const ENTRIES = 500;
const BATCH = 100;
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
  const server = await startBenchServer({ data, adminTokenFile: adminFile });
  try {
    const admin = server.admin();
    const journals = Array.from({ length: DEVICES + 1 }, () => {
      const j = newJournal();
      while (j.lines.length < ENTRIES + 1) j.commit(4);
      j.lines.length = ENTRIES + 1;
      return j;
    });
    const targets = await Promise.all(journals.map((j) => enrolJournal(server.url, admin, j, 'load')));
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
