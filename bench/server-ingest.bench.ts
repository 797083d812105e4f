/**
 * Ingest with full verification: backlogs uploaded over real HTTP (127.0.0.1) in 1000-line batches
 * to `breakglass server` processes, against the raw Ed25519 verify rate of one core measured in the
 * same run. The server runs in its own process, so its rate is that of one core; the client (this
 * process) only sends prepared lines and checks one receipt per batch.
 *
 * - `server-ingest-sqlite`, `server-ingest-postgres`: one server process, one journal. Target: at
 *   least 0.8x the raw verify rate.
 * - `server-ingest-two-processes`: two journals uploaded at once, first both to one server process,
 *   then one to each of two processes on the same PostgreSQL database. Target: the two processes
 *   reach at least 1.6x the rate of one.
 */
import { join } from 'node:path';
import { syncJournal, type SyncTarget } from '../src/sync/index.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { newJournal, type TestJournal } from '../test/integration/server/fixtures.js';
import { fmt, header, info, now, report, tempDir } from './lib.js';
import { ed25519VerifyRate } from './primitives.js';
import { enrolJournal, startBenchServer, type BenchServer } from './server-process.js';

const ENTRIES = 20_000;
const BATCH = 1000;

function journalOf(entries: number): TestJournal {
  const journal = newJournal();
  while (journal.lines.length < entries) journal.commit(4);
  journal.lines.length = entries;
  return journal;
}

/** Uploads each journal to its target at once; the rate in entries per second over the whole. */
async function uploadRate(uploads: readonly { target: SyncTarget; journal: TestJournal }[]): Promise<number> {
  const t0 = now();
  const results = await Promise.all(uploads.map((u) => syncJournal(u.target, u.journal.lines, { batchLines: BATCH })));
  const ms = now() - t0;
  let uploaded = 0;
  for (const [i, r] of results.entries()) {
    const expected = uploads[i]!.journal.lines.length;
    if (r.serverSize !== expected) throw new Error(`the server holds ${r.serverSize} of ${expected} entries`);
    uploaded += r.uploaded;
  }
  return (1000 * uploaded) / ms;
}

/** The benchmark `server-ingest`. */
export async function benchServerIngest(): Promise<void> {
  header('server-ingest', `${ENTRIES} entries uploaded with full verification to server processes, vs raw Ed25519 verify`);
  const tmp = tempDir('server-ingest');
  const pg = await startPostgres();
  const servers: BenchServer[] = [];
  const start = async (name: string, database?: string): Promise<BenchServer> => {
    const s = await startBenchServer({
      data: join(tmp.dir, name),
      adminTokenFile: join(tmp.dir, `${name}.admin`),
      ...(database ? { database } : {}),
    });
    servers.push(s);
    return s;
  };
  try {
    const single = journalOf(ENTRIES);
    const pair = [journalOf(ENTRIES / 2), journalOf(ENTRIES / 2)];
    const split = [journalOf(ENTRIES / 2), journalOf(ENTRIES / 2)];
    const raw = ed25519VerifyRate(20_000);
    info(`raw Ed25519 verify: ${fmt(raw, 0)}/s on one core`);

    const rates: [string, number][] = [];
    for (const kind of ['sqlite', 'postgres'] as const) {
      const s = await start(kind, kind === 'postgres' ? pg.createDatabase() : undefined);
      const target = await enrolJournal(s.url, s.admin(), single);
      rates.push([kind, await uploadRate([{ target, journal: single }])]);
      await s.stop();
    }

    const database = pg.createDatabase();
    const a = await start('pg-a', database);
    const b = await start('pg-b', database);
    const one = await uploadRate(
      await Promise.all(pair.map(async (journal) => ({ target: await enrolJournal(a.url, a.admin(), journal), journal }))),
    );
    const two = await uploadRate(
      await Promise.all(
        // Tokens live in the shared database: the first process's admin token works on both.
        split.map(async (journal, i) => ({ target: await enrolJournal((i === 0 ? a : b).url, a.admin(), journal), journal })),
      ),
    );

    const rawAfter = ed25519VerifyRate(20_000);
    const limit = (raw + rawAfter) / 2;
    info(`raw Ed25519 verify after: ${fmt(rawAfter, 0)}/s`);
    for (const [name, rate] of rates) {
      info(`${name}, one process: ${fmt(rate, 0)} entries/s`);
      report({
        name: `server-ingest-${name}`,
        value: rate,
        unit: '/s',
        limit,
        limitUnit: '/s',
        ratio: rate / limit,
        target: '>=0.8x',
        pass: rate / limit >= 0.8,
      });
    }
    info(`postgres, two journals at once: one process ${fmt(one, 0)} entries/s, two processes ${fmt(two, 0)} entries/s`);
    report({
      name: 'server-ingest-two-processes',
      value: two,
      unit: '/s',
      limit: one,
      limitUnit: '/s',
      ratio: two / one,
      target: '>=1.6x',
      pass: two / one >= 1.6,
    });
  } finally {
    for (const s of servers) await s.stop();
    pg.stop();
    tmp.cleanup();
  }
}
