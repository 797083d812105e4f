/**
 * The app's sync on a real vault folder, the real keychain and a real journal server on 127.0.0.1:
 * the settings calls (sync.status, sync.enroll, sync.now) and the desktop loop's source and recorder
 * (appSyncLoop) driving src/sync's runSyncLoop, as the Electron main process does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcResult } from '../../../src/core/ipc.js';
import type { JournalEntry } from '../../../src/core/journal.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../../src/crypto/index.js';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import { buildServer, SqliteStorage } from '../../../src/server/index.js';
import { enrolDevice, runSyncLoop, syncJournal, type SyncEvent } from '../../../src/sync/index.js';
import { appSyncLoop, invokeApp, VaultSession, type AppContext } from '../../../src/vault/index.js';
import { tempDir } from '../../helpers/cli.js';
import { startServer, type TestServer } from '../server/harness.js';

const { dir: root, cleanup } = tempDir('bgv-app-sync-');
const ctx: AppContext = {
  vaultDir: `${root}/vault`,
  secretStore: (ns) => Promise.resolve(new KeytarSecretStore(ns)),
  sync: { enrol: enrolDevice, sync: syncJournal },
};
let storage: SqliteStorage;
let server: TestServer;

const value = <T>(r: IpcResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};
const entries = async (kind?: string): Promise<readonly JournalEntry[]> =>
  value(await invokeApp(ctx, 'journal.show', kind ? { kind } : {}));
const status = async () => value(await invokeApp(ctx, 'sync.status', {}));

/** The server again on the same port and storage, with `key` (the same one, or another). */
async function restart(key: SigningKeyPair): Promise<void> {
  const port = Number(new URL(server.url).port);
  const app = await buildServer({ storage, signingKey: key, clock: () => Date.now() });
  await app.listen({ host: '127.0.0.1', port });
  server = { ...server, app, key, close: () => app.close() };
}

/** Runs the loop until `stopWhen` says so (or 20 s pass), with short pauses; returns its events. */
async function loop(stopWhen: (e: SyncEvent, all: SyncEvent[]) => boolean | Promise<void | boolean>): Promise<SyncEvent[]> {
  const events: SyncEvent[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  await runSyncLoop({
    ...appSyncLoop(ctx),
    onEvent: (e) => {
      events.push(e);
      void Promise.resolve(stopWhen(e, events)).then((stop) => stop === true && controller.abort());
    },
    signal: controller.signal,
    intervalMs: 30,
    offlineMs: 30,
    sync: { attempts: 1 },
  });
  clearTimeout(timer);
  return events;
}

beforeAll(async () => {
  await (await VaultSession.init(ctx.vaultDir, 'crash cart', ctx.secretStore)).close();
  storage = SqliteStorage.open(`${root}/server.db`);
  await storage.migrate();
  server = await startServer(storage);
});

afterAll(async () => {
  await server?.close();
  await storage?.close();
  cleanup();
});

describe.sequential('the app syncs its vault', () => {
  it('does not sync a vault that is not enrolled: no round, no event, nothing journaled', async () => {
    const before = (await entries()).length;
    expect(await appSyncLoop(ctx).source()).toBeNull();
    const controller = new AbortController();
    const events: SyncEvent[] = [];
    const run = runSyncLoop({ ...appSyncLoop(ctx), onEvent: (e) => events.push(e), signal: controller.signal, intervalMs: 20 });
    await new Promise((done) => setTimeout(done, 300));
    controller.abort();
    await run;
    expect(events).toEqual([]);
    expect((await entries()).length).toBe(before);
    const s = await status();
    expect(s).toMatchObject({ vaultName: 'crash cart', enrolment: null, lastReceipt: null, unsynced: null, localSize: before });
    expect(await invokeApp(ctx, 'sync.now', {})).toMatchObject({ ok: false, error: { code: 'NOT_ENROLLED' } });
  });

  it('refuses a bad address, an empty or wrong token, and changes nothing; the token is in no message', async () => {
    const before = (await entries()).length;
    const bad = await invokeApp(ctx, 'sync.enroll', { server: 'ftp://user:pw@journal.example', token: 'bgt_secret-token-text' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(JSON.stringify(bad)).not.toContain('secret-token-text');
    expect(await invokeApp(ctx, 'sync.enroll', { server: server.url, token: '  ' })).toEqual({
      ok: false,
      error: { code: 'BAD_INPUT', message: 'bad input for sync.enroll: token: paste the enrolment token security gave you' },
    });
    // Node's fetch refuses such a header with a message that quotes it whole: it is refused before.
    for (const token of ['bgt_TOPSECRET\nsecondline', 'bgt_TOPSECRET\rsecondline', 'bgt_TOPSECRET\u0000secondline']) {
      const r = await invokeApp(ctx, 'sync.enroll', { server: 'http://127.0.0.1:9', token });
      expect(r).toEqual({
        ok: false,
        error: {
          code: 'BAD_INPUT',
          message: 'bad input for sync.enroll: token: paste the enrolment token security gave you: letters, digits, - and _ only',
        },
      });
      expect(JSON.stringify(r)).not.toContain('TOPSECRET');
    }
    const remote = await invokeApp(ctx, 'sync.enroll', { server: 'http://journal.example:8443', token: 'bgt_secret-token-text' });
    expect(remote).toEqual({
      ok: false,
      error: {
        code: 'BAD_INPUT',
        message:
          'bad input for sync.enroll: server: use https:// for a server on another machine: over http:// the enrolment token and the device credential cross the network readable (http:// is for 127.0.0.1, ::1 or localhost only)',
      },
    });
    const wrong = await invokeApp(ctx, 'sync.enroll', { server: server.url, token: 'bgt_not-a-token-of-this-server' });
    expect(wrong).toEqual({ ok: false, error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('not known') } });
    expect(JSON.stringify(wrong)).not.toContain('not-a-token-of-this-server');
    expect((await entries()).length).toBe(before);
    expect((await status()).enrolment).toBeNull();
  });

  it('enrols, then syncs from the loop: offline, online, progress, synced, the receipt journaled in the vault', async () => {
    const { token } = await server.token('enroll');
    const enrolled = value(await invokeApp(ctx, 'sync.enroll', { server: `${server.url}/`, token }));
    expect(enrolled).toEqual({ server: server.url, device: expect.any(String), serverKey: server.key.publicKey });
    expect(await invokeApp(ctx, 'sync.enroll', { server: server.url, token })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS' },
    });
    const key = server.key;
    await server.close();
    let restarted = false;
    const events = await loop(async (e, all) => {
      if (e.type === 'offline' && !restarted) {
        restarted = true;
        await restart(key);
      }
      // Two rounds: the first journals its receipt; the second uploads that receipt and journals nothing.
      return all.filter((x) => x.type === 'synced').length === 2;
    });
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['offline', 'online']);
    expect(types).toContain('progress');
    expect(types.filter((t) => t === 'error')).toEqual([]);
    const receipts = await entries('sync.receipt');
    expect(receipts).toHaveLength(1);
    const first = events.find((e) => e.type === 'synced')!;
    expect(first.type === 'synced' && receipts[0]!.data['receipt']).toEqual(first.type === 'synced' && first.result.receipt);
    const s = await status();
    expect(s.enrolment).toMatchObject({ server: server.url, serverKey: key.publicKey, device: enrolled.device });
    expect(s.lastReceipt).toMatchObject({ seq: receipts[0]!.seq, size: receipts[0]!.seq });
    // The receipt's own commit (sync.receipt, key.rotate) is all the server lacked per that receipt, and it holds it now.
    expect(s.unsynced).toBe(2);
    expect(await storage.entries(s.journal, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(s.localSize);
  });

  it('syncs now on request and journals the receipt, as breakglass sync does', async () => {
    const before = await status();
    const now = value(await invokeApp(ctx, 'sync.now', {}));
    expect(now).toMatchObject({ uploaded: 0, serverSize: before.localSize, localSize: before.localSize, receiptSeq: before.localSize });
    expect(now.receipt).toMatchObject({ size: before.localSize, key: server.key.publicKey });
    expect((await status()).lastReceipt).toMatchObject({ seq: before.localSize, size: before.localSize });
  });

  it('reports a server that signs with another key than the pinned one as an error, and records nothing', async () => {
    const before = (await entries()).length;
    await server.close();
    await restart(generateSigningKeyPair());
    const events = await loop((e) => e.type === 'error' || e.type === 'synced');
    expect(events.map((e) => e.type)).toEqual(['online', 'error']);
    expect(events[1]).toMatchObject({ type: 'error', code: 'BAD_RECEIPT' });
    expect((await entries()).length).toBe(before);
    expect(await invokeApp(ctx, 'sync.now', {})).toMatchObject({ ok: false, error: { code: 'BAD_RECEIPT' } });
    expect((await entries()).length).toBe(before);
  });
});
