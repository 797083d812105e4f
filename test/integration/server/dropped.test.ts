/**
 * Faults between device and server: the connection dropped after the server stored a batch but
 * before the device saw the receipt, and a device clock skewed by hours. Both end identical to a
 * clean sync; the skew is recorded as CLOCK_ANOMALY flags, not refused.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { exportLine } from '../../../src/journal/index.js';
import { syncJournal } from '../../../src/sync/index.js';
import { newJournal } from './fixtures.js';
import { STORAGE_KINDS, startServer, useStorages, type TestServer } from './harness.js';

const storages = useStorages();

/** A TCP proxy to `port` that cuts the connection when the response to the `nth` upload starts. */
function cuttingProxy(port: number, nth: number): Promise<{ url: string; cuts: () => number; close(): Promise<void> }> {
  let uploads = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let cutThis = false;
    client.on('data', (d: Buffer) => {
      if (d.toString('latin1').startsWith('POST ') && d.toString('latin1').includes('/entries') && ++uploads === nth) cutThis = true;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (cutThis) {
        // The server has answered, so it has committed: the device never sees the answer.
        cutThis = false;
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
        cuts: () => cuts,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    }),
  );
}

async function enrol(server: TestServer, journal: ReturnType<typeof newJournal>): Promise<string> {
  const { token } = await server.token('enroll');
  const res = await server.request('POST', '/api/v1/enroll', {
    auth: token,
    body: { journal: journal.id, genesis: journal.lines[0], name: 'x' },
  });
  return res.body['credential'] as string;
}

describe.each(STORAGE_KINDS)('connection faults on %s', (kind) => {
  it('a response lost after the server stored the batch: the retry is a no-op with a receipt', async () => {
    const server = await startServer(await storages.make(kind));
    const journal = newJournal();
    for (let i = 0; i < 50; i++) journal.commit(3);
    const credential = await enrol(server, journal);
    const port = Number(new URL(server.url).port);
    const proxy = await cuttingProxy(port, 2);
    try {
      const result = await syncJournal(
        { server: proxy.url, serverKey: server.key.publicKey, journal: journal.id, credential },
        journal.lines,
        {
          batchLines: 60,
          backoffMs: { base: 5, max: 10 },
        },
      );
      expect(proxy.cuts()).toBe(1);
      // The lost batch was stored by the first attempt; its retry found it there, so this run saw 60 fewer accepted.
      expect(result).toMatchObject({ uploaded: journal.lines.length - 1 - 60, serverSize: journal.lines.length });
      const rows = await server.storage.entries(journal.id, 0, 1e9);
      expect(
        rows.map((r) =>
          exportLine({ seq: r.seq, bytes: r.bytes, hash: Buffer.from(r.hash, 'base64url'), sig: Buffer.from(r.sig, 'base64url') }),
        ),
      ).toEqual(journal.lines);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('a server with another key than the pinned one: every receipt is refused (BAD_RECEIPT)', async () => {
    const storage = await storages.make(kind);
    const genuine = await startServer(storage);
    const impostor = await startServer(storage);
    const journal = newJournal();
    journal.commit(2);
    const credential = await enrol(genuine, journal);
    const target = { server: impostor.url, serverKey: genuine.key.publicKey, journal: journal.id, credential };
    await expect(syncJournal(target, journal.lines)).rejects.toMatchObject({ code: 'BAD_RECEIPT' });
    await Promise.all([genuine.close(), impostor.close()]);
  });

  it('a device clock hours off: entries are stored and the jumps flagged', async () => {
    const server = await startServer(await storages.make(kind));
    const journal = newJournal();
    journal.commit(2);
    const skewedFrom = journal.lines.length;
    journal.commit(2, 'credential.reveal', Date.now() - 5 * 3600_000);
    journal.commit(2);
    const credential = await enrol(server, journal);
    const result = await syncJournal(
      { server: server.url, serverKey: server.key.publicKey, journal: journal.id, credential },
      journal.lines,
    );
    expect(result.serverSize).toBe(journal.lines.length);
    const flags = await server.storage.flags(journal.id);
    expect(flags.map((f) => [f.seq, f.code])).toEqual([
      [skewedFrom, 'CLOCK_ANOMALY'],
      [skewedFrom + 3, 'CLOCK_ANOMALY'],
    ]);
    await server.close();
  });
});
