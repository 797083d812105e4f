/**
 * The desktop app's sync loop against a real server: offline while nothing listens, then online,
 * progress and a verified receipt handed to the recorder, as events.
 */
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { runSyncLoop, type SyncEvent, type SyncResult } from '../../../src/sync/index.js';
import { newJournal } from './fixtures.js';
import { useStorages, startServer } from './harness.js';

const storages = useStorages();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

it('reports offline, then online, progress and synced, and records each receipt', async () => {
  const storage = await storages.make('sqlite');
  const server = await startServer(storage);
  const journal = newJournal();
  for (let i = 0; i < 30; i++) journal.commit(2);
  const { token } = await server.token('enroll');
  const res = await server.request('POST', '/api/v1/enroll', {
    auth: token,
    body: { journal: journal.id, genesis: journal.lines[0], name: 'app' },
  });
  const credential = res.body['credential'] as string;
  const deadPort = await freePort();
  let url = `http://127.0.0.1:${deadPort}`;
  const events: SyncEvent[] = [];
  const recorded: SyncResult[] = [];
  const controller = new AbortController();
  const loop = runSyncLoop({
    source: async () => ({
      target: { server: url, serverKey: server.key.publicKey, journal: journal.id, credential },
      lines: journal.lines,
    }),
    record: async (result) => {
      recorded.push(result);
      controller.abort();
    },
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'offline') url = server.url;
    },
    signal: controller.signal,
    intervalMs: 50,
    offlineMs: 50,
    sync: { batchLines: 25 },
  });
  await loop;
  await server.close();
  const types = events.map((e) => e.type);
  expect(types[0]).toBe('offline');
  expect(types[1]).toBe('online');
  expect(types.filter((t) => t === 'progress')).toHaveLength(4);
  expect(types[types.length - 1]).toBe('synced');
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({ uploaded: journal.lines.length - 1, serverSize: journal.lines.length });
});
