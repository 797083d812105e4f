/**
 * Ingest with full verification: a backlog uploaded over real HTTP (127.0.0.1) to the journal
 * server in 1000-line batches, on SQLite and on PostgreSQL, against the raw Ed25519 verify rate of
 * one core measured in the same run. Server and client share this one process, so this is the
 * rate of one core doing both sides. Target: at least 0.8x the raw verify rate.
 */
import { join } from 'node:path';
import { generateSigningKeyPair } from '../src/crypto/index.js';
import { buildServer, newToken, PostgresStorage, SqliteStorage, type ServerStorage } from '../src/server/index.js';
import { enrolDevice, syncJournal } from '../src/sync/index.js';
import { newJournal } from '../test/integration/server/fixtures.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { fmt, header, info, now, report, tempDir } from './lib.js';
import { ed25519VerifyRate } from './primitives.js';

const ENTRIES = 20_000;

async function ingestRate(storage: ServerStorage, lines: readonly string[], journal: string): Promise<number> {
  await storage.migrate();
  const key = generateSigningKeyPair();
  const app = await buildServer({ storage, signingKey: key });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const address = app.server.address();
    const server = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const t = newToken('enroll', Date.now(), 60_000);
    await storage.insertToken(t.row);
    const e = await enrolDevice({ server }, { token: t.token, journal, genesisLine: lines[0]!, name: 'bench' });
    const t0 = now();
    const result = await syncJournal({ server, serverKey: e.serverKey, journal, credential: e.credential }, lines, { batchLines: 1000 });
    const ms = now() - t0;
    if (result.serverSize !== lines.length) throw new Error(`ingest stored ${result.serverSize} of ${lines.length}`);
    return (1000 * result.uploaded) / ms;
  } finally {
    await app.close();
    await storage.close();
  }
}

/** The benchmark `server-ingest`. */
export async function benchServerIngest(): Promise<void> {
  header('server-ingest', `${ENTRIES} entries uploaded with full verification, SQLite and PostgreSQL, vs raw Ed25519 verify`);
  const journal = newJournal();
  while (journal.lines.length < ENTRIES) journal.commit(4);
  const lines = journal.lines.slice(0, ENTRIES);
  const tmp = tempDir('server-ingest');
  const pg = await startPostgres();
  try {
    const raw = ed25519VerifyRate(20_000);
    info(`raw Ed25519 verify: ${fmt(raw, 0)}/s on one core`);
    const rates: [string, number][] = [
      ['sqlite', await ingestRate(SqliteStorage.open(join(tmp.dir, 'server.db')), lines, journal.id)],
      ['postgres', await ingestRate(new PostgresStorage(pg.createDatabase()), lines, journal.id)],
    ];
    const rawAfter = ed25519VerifyRate(20_000);
    const limit = (raw + rawAfter) / 2;
    for (const [name, rate] of rates) {
      info(`${name}: ${fmt(rate, 0)} entries/s`);
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
  } finally {
    pg.stop();
    tmp.cleanup();
  }
}
