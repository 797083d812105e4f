// The app's side of sync: the settings view's status, enrolment and "sync now", and what the desktop
// app's sync loop (src/sync's runSyncLoop, started by the main process) reads and records. Every
// step holds a vault session only to read or to record, never while it waits on the server.
import { BreakGlassError } from '../core/errors.js';
import type { SyncNowView, SyncStatusView } from '../core/ipc.js';
import { withSession, type AppContext, type SyncRoundResult, type SyncTargetInput } from './app-session.js';
import type { VaultSession } from './session.js';
import { exportJournal } from './journal.js';
import { lastReceipt, readSyncRound, recordEnrolment, recordReceipt, syncEnrolment, withoutNewlines, type SyncRoundInput } from './sync.js';

/** How long the app waits for the server per request: a person is watching. */
const APP_TIMEOUT_MS = 15_000;

/** This vault's sync as the journal records it; nothing leaves the machine. */
export function appSyncStatus(ctx: AppContext): Promise<SyncStatusView> {
  return withSession(ctx, false, (s) => {
    const enrolment = syncEnrolment(s);
    const last = lastReceipt(s);
    return {
      vaultDir: s.dir,
      vaultName: s.name,
      journal: s.head.journal,
      localSize: s.report.count,
      enrolment: enrolment
        ? { server: enrolment.server, serverKey: enrolment.serverKey, device: enrolment.device, enrolledAt: enrolment.time }
        : null,
      lastReceipt: last
        ? { size: last.receipt.body.size, time: last.receipt.body.time, head: last.receipt.body.head, seq: last.seq }
        : null,
      unsynced: last ? Math.max(0, s.report.count - last.receipt.body.size) : null,
    };
  });
}

function alreadyEnrolled(s: VaultSession): BreakGlassError | null {
  const e = syncEnrolment(s);
  return e
    ? new BreakGlassError('ALREADY_EXISTS', `this vault is enrolled with ${e.server} already (as device ${e.device}); nothing was changed`)
    : null;
}

/**
 * Enrols this vault with a one-time token, as `breakglass enroll` does: the server's key is pinned
 * and journaled and the device credential goes to the keychain. The token is used once, here.
 */
export async function enrolApp(
  ctx: AppContext,
  input: { server: string; token: string },
): Promise<{ server: string; device: string; serverKey: string }> {
  const server = new URL(input.server).origin;
  const request = await withSession(ctx, false, async (s) => {
    const taken = alreadyEnrolled(s);
    if (taken) throw taken;
    return { journal: s.head.journal, name: s.name, genesisLine: withoutNewlines((await exportJournal(s)).lines)[0]! };
  });
  const enrolled = await ctx.sync.enrol({ server, timeoutMs: APP_TIMEOUT_MS }, { token: input.token, ...request }, { attempts: 2 });
  await withSession(ctx, true, (s) => recordEnrolment(s, { server, ...enrolled }));
  return { server, device: enrolled.device, serverKey: enrolled.serverKey };
}

const targetOf = (round: SyncRoundInput): SyncTargetInput & { timeoutMs: number } => ({
  server: round.enrolment.server,
  serverKey: round.enrolment.serverKey,
  journal: round.journal,
  credential: round.credential,
  timeoutMs: APP_TIMEOUT_MS,
});

/** One sync round on request (the settings view's "Sync now"), its receipt journaled as `breakglass sync` does. */
export async function syncNow(ctx: AppContext): Promise<SyncNowView> {
  const round = await withSession(ctx, false, readSyncRound);
  const result = await ctx.sync.sync(targetOf(round), round.lines, {
    ...(round.commonSize !== undefined ? { commonSize: round.commonSize } : {}),
    attempts: 2,
    onProgress: (progress) => ctx.onSyncEvent?.({ type: 'progress', progress }),
  });
  const receiptSeq = await withSession(ctx, true, (s) => recordReceipt(s, round.enrolment.server, result.receipt));
  ctx.onSyncEvent?.({ type: 'synced', result });
  const { size, time } = result.receipt.body;
  return {
    uploaded: result.uploaded,
    serverSize: result.serverSize,
    localSize: result.localSize,
    receipt: { size, time, key: result.receipt.key },
    receiptSeq,
  };
}

/**
 * True when a receipt proves nothing the journal's last receipt does not: it covers no entry beyond
 * that receipt's own commit (its `sync.receipt` and `key.rotate`). Journaling it would add two
 * entries for the next round to upload, so an idle vault's loop would grow its journal forever.
 */
function coversOnlyLastReceipt(s: VaultSession, result: SyncRoundResult): boolean {
  const last = lastReceipt(s);
  return last !== null && result.receipt.body.size <= last.seq + 2 && last.receipt.body.size >= last.seq;
}

/**
 * What the desktop app's sync loop needs from this vault: each round's source (null while the vault
 * is not enrolled) and the recorder of its receipt. Pass them to src/sync's `runSyncLoop`.
 */
export function appSyncLoop(ctx: AppContext): {
  source: () => Promise<{ target: SyncTargetInput; lines: readonly string[]; commonSize?: number } | null>;
  record: (result: SyncRoundResult) => Promise<void>;
} {
  return {
    source: () =>
      withSession(ctx, false, async (s) => {
        if (!syncEnrolment(s)) return null;
        const round = await readSyncRound(s);
        return { target: targetOf(round), lines: round.lines, ...(round.commonSize !== undefined ? { commonSize: round.commonSize } : {}) };
      }),
    record: (result) =>
      withSession(ctx, true, async (s) => {
        const enrolment = syncEnrolment(s);
        if (!enrolment || coversOnlyLastReceipt(s, result)) return;
        await recordReceipt(s, enrolment.server, result.receipt);
      }),
  };
}
