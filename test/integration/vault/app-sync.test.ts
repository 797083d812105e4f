/**
 * The app's sync on a real vault folder, the real keychain and a real journal server on 127.0.0.1:
 * the settings calls (sync.status, sync.enroll, sync.now) and the desktop loop's source and recorder
 * (appSyncLoop) driving src/sync's runSyncLoop, as the Electron main process does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcResult, SyncEventView } from '../../../src/core/ipc.js';
import type { JournalEntry } from '../../../src/core/journal.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../../src/crypto/index.js';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import { buildServer, SqliteStorage } from '../../../src/server/index.js';
import { enrolDevice, runSyncLoop, syncJournal, type SyncEvent } from '../../../src/sync/index.js';
import { appSyncLoop, invokeApp, VaultSession, type AppContext, type SyncClient } from '../../../src/vault/index.js';
import { recordReceipt } from '../../../src/vault/sync.js';
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

/** A vault of its own under `root`, with the real sync client or `sync` in its place. */
async function otherVault(name: string, extra: Partial<AppContext> = {}): Promise<AppContext> {
  const other: AppContext = { ...ctx, vaultDir: `${root}/${name}`, ...extra };
  await (await VaultSession.init(other.vaultDir, name, other.secretStore)).close();
  return other;
}

const entriesOf = async (c: AppContext, kind?: string): Promise<readonly JournalEntry[]> =>
  value(await invokeApp(c, 'journal.show', kind ? { kind } : {}));

/** A promise and its resolver, for a test to hold a call where it wants it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((done) => (open = done));
  return { promise, open };
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

  it('keeps a Sync now and a loop round apart: no false conflict, one receipt, and no "synced by itself" for Sync now', async () => {
    const reached = gate();
    const release = gate();
    const told: SyncEventView[] = [];
    const gated = await otherVault('raced', {
      // Sync now is held on the network, after reading the journal, while the loop tries rounds.
      sync: {
        enrol: enrolDevice,
        sync: async (...args) => {
          reached.open();
          await release.promise;
          return syncJournal(...args);
        },
      },
      onSyncEvent: (e) => told.push(e),
    });
    const { token } = await server.token('enroll');
    value(await invokeApp(gated, 'sync.enroll', { server: server.url, token }));
    const now = invokeApp(gated, 'sync.now', {});
    await reached.promise;
    const events: SyncEvent[] = [];
    const controller = new AbortController();
    let released = false;
    const loopRun = runSyncLoop({
      ...appSyncLoop(gated),
      onEvent: (e) => {
        events.push(e);
        if (released && e.type === 'synced') controller.abort();
      },
      signal: controller.signal,
      intervalMs: 20,
      offlineMs: 20,
      sync: { attempts: 1 },
    });
    // Unserialised, the loop syncs and journals twice here, and Sync now then meets a server holding more than it read.
    await new Promise((done) => setTimeout(done, 1_000));
    const whileHeld = events.length;
    released = true;
    release.open();
    const answered = await now;
    await loopRun;
    expect(answered).toMatchObject({ ok: true });
    expect(whileHeld).toBe(0);
    const answer = value(answered);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    const receipts = await entriesOf(gated, 'sync.receipt');
    expect(receipts.map((r) => r.seq)).toEqual([answer.receiptSeq]);
    expect(told.map((e) => e.type)).not.toContain('synced');
    expect(told.map((e) => e.type)).toContain('progress');
  });

  it('Sync now journals no receipt when one as new is journaled already (another process synced meanwhile)', async () => {
    const other = await otherVault('synced-meanwhile');
    const client: SyncClient = {
      enrol: enrolDevice,
      sync: async (...args) => {
        const result = await syncJournal(...args);
        // breakglass sync in another process records the same receipt while this call is on its way back.
        const s = await VaultSession.open(other.vaultDir, other.secretStore, { write: true });
        try {
          await recordReceipt(s, server.url, result.receipt);
        } finally {
          await s.close();
        }
        return result;
      },
    };
    const { token } = await server.token('enroll');
    value(await invokeApp(other, 'sync.enroll', { server: server.url, token }));
    const answer = value(await invokeApp({ ...other, sync: client }, 'sync.now', {}));
    const receipts = await entriesOf(other, 'sync.receipt');
    expect(receipts).toHaveLength(1);
    expect(answer).toMatchObject({ receiptSeq: receipts[0]!.seq, receipt: { size: answer.serverSize } });
  });

  it('records an enrolment when the vault is busy while the server enrols it, once the vault is free', async () => {
    let holder: VaultSession | null = null;
    const busy = await otherVault('busy-then-free', {
      sync: {
        // Another program takes the vault while the enrol call is on the network, and lets go soon after.
        enrol: async (...args) => {
          holder = await VaultSession.open(busy.vaultDir, busy.secretStore, { write: true });
          setTimeout(() => void holder?.close(), 200);
          return enrolDevice(...args);
        },
        sync: syncJournal,
      },
    });
    const { token } = await server.token('enroll');
    const enrolled = value(await invokeApp(busy, 'sync.enroll', { server: server.url, token }));
    expect(value(await invokeApp(busy, 'sync.status', {})).enrolment).toMatchObject({ server: server.url, device: enrolled.device });
    expect(holder).not.toBeNull();
  }, 30_000);

  it('says what security must undo when the vault stays busy after the server enrolled it', async () => {
    let holder: VaultSession | null = null;
    const busy: AppContext = await otherVault('busy-for-good', {
      recordWaitMs: 0,
      sync: {
        enrol: async (...args) => {
          holder = await VaultSession.open(busy.vaultDir, busy.secretStore, { write: true });
          return enrolDevice(...args);
        },
        sync: syncJournal,
      },
    });
    const before = (await entriesOf(busy)).length;
    const { token } = await server.token('enroll');
    const r = await invokeApp(busy, 'sync.enroll', { server: server.url, token });
    await (holder as VaultSession | null)?.close();
    const journal = value(await invokeApp(busy, 'sync.status', {})).journal;
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'STATE_CONFLICT',
        message: expect.stringMatching(
          new RegExp(
            `^the server enrolled journal ${journal} as device (\\S+), but this vault could not record it because the vault stayed busy in another program, and its device credential is lost: ask security to revoke device \\1 of journal ${journal} \\("breakglass server device revoke --id \\1"\\) and give you a new enrolment token, then enrol again$`,
          ),
        ),
      },
    });
    expect(JSON.stringify(r)).not.toContain(token);
    expect((await entriesOf(busy)).length).toBe(before);
  }, 30_000);

  it('refuses a server answering with another key than the expected server key, and records nothing', async () => {
    const other = await otherVault('expects-a-key');
    const before = (await entriesOf(other)).length;
    const malformed = await invokeApp(other, 'sync.enroll', { server: server.url, token: 'bgt_x', serverKey: 'not a key' });
    expect(malformed).toEqual({
      ok: false,
      error: {
        code: 'BAD_INPUT',
        message: "bad input for sync.enroll: serverKey: paste the server key security's server printed (43 characters), or leave it empty",
      },
    });
    const { token } = await server.token('enroll');
    const r = await invokeApp(other, 'sync.enroll', { server: server.url, token, serverKey: generateSigningKeyPair().publicKey });
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'BAD_RECEIPT',
        message: `the server at ${server.url} answered with another key than the server key you gave, so nothing was recorded here; the enrolment token is spent there: tell security`,
      },
    });
    expect((await entriesOf(other)).length).toBe(before);
    expect(value(await invokeApp(other, 'sync.status', {})).enrolment).toBeNull();
    const right = await otherVault('expects-the-key');
    const { token: second } = await server.token('enroll');
    expect(
      value(await invokeApp(right, 'sync.enroll', { server: server.url, token: second, serverKey: server.key.publicKey })),
    ).toMatchObject({
      serverKey: server.key.publicKey,
    });
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
