// What the app's calls share: where the vault is, the sync client the composition root hands in
// (vault/ may not import sync/, so it is a port here), and one vault session at a time per process.
import type { SyncEventView } from '../core/ipc.js';
import type { Receipt } from '../core/sync-api.js';
import { applyTimeLimits } from './unseal.js';
import { VaultSession, type SecretStoreFactory } from './session.js';

/** Where and as whom a journal syncs (the shape of the sync client's target). */
export interface SyncTargetInput {
  readonly server: string;
  readonly serverKey: string;
  readonly journal: string;
  readonly credential: string;
}

/** What a sync round ends with: the server's verified receipt and the sizes it was checked against. */
export interface SyncRoundResult {
  readonly uploaded: number;
  readonly serverSize: number;
  readonly localSize: number;
  readonly receipt: Receipt;
}

/**
 * The sync client as the app's use cases need it: `enrolDevice` and `syncJournal` of src/sync fit it
 * as they are (the composition root passes `{ enrol: enrolDevice, sync: syncJournal }`).
 */
export interface SyncClient {
  enrol(
    conn: { readonly server: string; readonly timeoutMs?: number },
    input: { token: string; journal: string; genesisLine: string; name: string; expectServerKey?: string; lines?: readonly string[] },
    options?: { attempts?: number },
  ): Promise<{ device: string; credential: string; serverKey: string; receipt: Receipt }>;
  sync(
    target: SyncTargetInput,
    lines: readonly string[],
    options?: {
      commonSize?: number;
      attempts?: number;
      onProgress?: (p: { uploaded: number; serverSize: number; localSize: number }) => void;
    },
  ): Promise<SyncRoundResult>;
}

/** Where the app's vault is, how its keychain opens, and (optionally) how it reaches the journal server. */
export interface AppContext {
  readonly vaultDir: string;
  readonly secretStore: SecretStoreFactory;
  readonly sync: SyncClient;
  /** Where a sync round started from a call reports its progress (Electron forwards it to the window). */
  readonly onSyncEvent?: (event: SyncEventView) => void;
  /** How long an enrolment the server has made waits for a busy vault to record it (30 s when absent). */
  readonly recordWaitMs?: number;
}

/** One vault session at a time per process: a second write session in this process would meet its own lock. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Opens the vault for one step, after every other step of this process has closed its session; a
 * write session first applies expiries and window limits, as the CLI does. Callers keep network
 * waits outside `fn`, so neither the lock nor the queue waits on the server.
 */
export function withSession<T>(ctx: AppContext, write: boolean, fn: (s: VaultSession) => Promise<T> | T): Promise<T> {
  const run = queue.then(async () => {
    const session = await VaultSession.open(ctx.vaultDir, ctx.secretStore, { write });
    try {
      if (write && session.report.ok) {
        await session.assertSigningKey();
        await applyTimeLimits(session);
      }
      return await fn(session);
    } finally {
      await session.close();
    }
  });
  queue = run.catch(() => undefined);
  return run;
}
