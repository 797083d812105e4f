// The app's side of sync: the settings view's status, enrolment and "sync now", and what the desktop
// app's sync loop (src/sync's runSyncLoop, started by the main process) reads and records. Every
// step holds a vault session only to read or to record, never while it waits on the server; a
// round (read, upload, record) holds this vault's sync lock throughout, so Sync now and the loop
// never interleave.
import { resolve } from 'node:path';
import { BreakGlassError, isBreakGlassError } from '../core/errors.js';
import type { SyncNowView, SyncStatusView } from '../core/ipc.js';
import { withSession, type AppContext, type SyncRoundResult, type SyncTargetInput } from './app-session.js';
import type { VaultSession } from './session.js';
import { exportJournal } from './journal.js';
import { lastReceipt, readSyncRound, recordEnrolment, recordReceipt, syncEnrolment, withoutNewlines, type SyncRoundInput } from './sync.js';

/** How long the app waits for the server per request: a person is watching. */
const APP_TIMEOUT_MS = 15_000;
/** How long an enrolment the server made waits for a busy vault to record it: losing it costs a new token. */
const RECORD_WAIT_MS = 30_000;

/** The tail of each vault's sync rounds in this process (by folder): the next round starts after it. */
const syncRounds = new Map<string, Promise<unknown>>();

/**
 * Runs one sync round of this vault after every other round of this process has ended. Two rounds
 * that interleave each upload what they read and journal their receipt: the older read then meets
 * a server holding more than it (a false SYNC_CONFLICT), or both journal a receipt for one upload.
 */
function exclusiveSync<T>(ctx: AppContext, round: () => Promise<T>): Promise<T> {
  const key = resolve(ctx.vaultDir);
  const run = (syncRounds.get(key) ?? Promise.resolve()).then(round);
  const tail = run.catch(() => undefined);
  syncRounds.set(key, tail);
  void tail.then(() => syncRounds.get(key) === tail && syncRounds.delete(key));
  return run;
}

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
 * Enrols this vault with a one-time token, as `breakglass enroll` does: the server's key (refused
 * when it is not `serverKey`, if given) is pinned and journaled and the device credential goes to
 * the keychain. The token is used once, here.
 */
export async function enrolApp(
  ctx: AppContext,
  input: { server: string; token: string; serverKey?: string | undefined },
): Promise<{ server: string; device: string; serverKey: string }> {
  const server = new URL(input.server).origin;
  const request = await withSession(ctx, false, async (s) => {
    const taken = alreadyEnrolled(s);
    if (taken) throw taken;
    return { journal: s.head.journal, name: s.name, genesisLine: withoutNewlines((await exportJournal(s)).lines)[0]! };
  });
  const expected = input.serverKey ? { expectServerKey: input.serverKey } : {};
  const enrolled = await ctx.sync
    .enrol({ server, timeoutMs: APP_TIMEOUT_MS }, { token: input.token, ...request, ...expected }, { attempts: 2 })
    .catch((err: unknown) => {
      if (!input.serverKey || !isBreakGlassError(err, 'BAD_RECEIPT')) throw err;
      throw new BreakGlassError(
        'BAD_RECEIPT',
        `the server at ${server} answered with another key than the server key you gave, so nothing was recorded here; the enrolment token is spent there: tell security`,
        {},
        { cause: err },
      );
    });
  await recordEnrolled(ctx, request.journal, { server, ...enrolled });
  return { server, device: enrolled.device, serverKey: enrolled.serverKey };
}

/**
 * Enrols this vault again, as `breakglass enroll --again` does: after security revoked its device
 * (or the keychain lost its credential), with a new enrolment token, to the server and key it
 * pinned (a server answering with another key is refused). The server continues from what it holds.
 */
export async function enrolAppAgain(
  ctx: AppContext,
  input: { token: string },
): Promise<{ server: string; device: string; serverKey: string; serverSize: number }> {
  const request = await withSession(ctx, false, async (s) => {
    const e = syncEnrolment(s);
    if (!e) throw new BreakGlassError('NOT_ENROLLED', 'this vault was never enrolled, so there is nothing to enrol again: enrol it first');
    const lines = withoutNewlines((await exportJournal(s)).lines);
    return { enrolment: e, journal: s.head.journal, name: s.name, genesisLine: lines[0]!, lines };
  });
  const { enrolment, ...body } = request;
  const enrolled = await ctx.sync.enrol(
    { server: enrolment.server, timeoutMs: APP_TIMEOUT_MS },
    { token: input.token, ...body, expectServerKey: enrolment.serverKey },
    { attempts: 2 },
  );
  await recordEnrolled(ctx, request.journal, { server: enrolment.server, ...enrolled, again: true });
  return { server: enrolment.server, device: enrolled.device, serverKey: enrolled.serverKey, serverSize: enrolled.receipt.body.size };
}

/**
 * Records an enrolment the server has made, waiting out a busy vault for a while: the token is spent
 * and the server has pinned the journal, so an enrolment not recorded here cannot be made again
 * without security. If it still fails, the sentence says what security must undo.
 */
async function recordEnrolled(ctx: AppContext, journal: string, enrolled: Parameters<typeof recordEnrolment>[1]): Promise<void> {
  const deadline = Date.now() + (ctx.recordWaitMs ?? RECORD_WAIT_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      return await withSession(ctx, true, (s) => recordEnrolment(s, enrolled));
    } catch (err) {
      if (isBreakGlassError(err, 'VAULT_BUSY') && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, Math.min(1_000, 100 * 2 ** attempt)));
        continue;
      }
      const why = isBreakGlassError(err, 'VAULT_BUSY')
        ? 'the vault stayed busy in another program'
        : `of ${isBreakGlassError(err) ? err.code : 'an unexpected error'}`;
      throw new BreakGlassError(
        'STATE_CONFLICT',
        `the server enrolled journal ${journal} as device ${enrolled.device}, but this vault could not record it because ${why}, and its device credential is lost: ask security to revoke device ${enrolled.device} of journal ${journal} ("breakglass server device revoke --id ${enrolled.device}") and give you a new enrolment token, then enrol again`,
        { journal, device: enrolled.device },
        { cause: err },
      );
    }
  }
}

const targetOf = (round: SyncRoundInput): SyncTargetInput & { timeoutMs: number } => ({
  server: round.enrolment.server,
  serverKey: round.enrolment.serverKey,
  journal: round.journal,
  credential: round.credential,
  timeoutMs: APP_TIMEOUT_MS,
});

/**
 * One sync round on request (the settings view's "Sync now"), its receipt journaled as `breakglass
 * sync` does. Its progress goes to `ctx.onSyncEvent`; its outcome is the answer, not a `synced`
 * event, which is the loop's own ("synced by itself").
 */
export function syncNow(ctx: AppContext): Promise<SyncNowView> {
  return exclusiveSync(ctx, async () => {
    const round = await withSession(ctx, false, readSyncRound);
    const result = await ctx.sync.sync(targetOf(round), round.lines, {
      ...(round.commonSize !== undefined ? { commonSize: round.commonSize } : {}),
      attempts: 2,
      onProgress: (progress) => ctx.onSyncEvent?.({ type: 'progress', progress }),
    });
    const recorded = await withSession(ctx, true, async (s) => {
      // Another process (breakglass sync) may have journaled a receipt as new meanwhile: keep that one.
      const last = lastReceipt(s);
      if (last && last.receipt.body.size >= result.receipt.body.size) return last;
      return { seq: await recordReceipt(s, round.enrolment.server, result.receipt), receipt: result.receipt };
    });
    const { size, time } = recorded.receipt.body;
    return {
      uploaded: result.uploaded,
      serverSize: result.serverSize,
      localSize: result.localSize,
      receipt: { size, time, key: recorded.receipt.key },
      receiptSeq: recorded.seq,
    };
  });
}

/**
 * True when a receipt proves nothing the journal's last receipt does not: it covers no more than
 * that receipt, or nothing beyond that receipt's own commit (its `sync.receipt` and `key.rotate`).
 * Journaling it would add two entries for the next round to upload, so an idle vault's loop would
 * grow its journal forever.
 */
function coversOnlyLastReceipt(s: VaultSession, result: SyncRoundResult): boolean {
  const last = lastReceipt(s);
  return (
    last !== null &&
    (last.receipt.body.size >= result.receipt.body.size || (result.receipt.body.size <= last.seq + 2 && last.receipt.body.size >= last.seq))
  );
}

/**
 * What the desktop app's sync loop needs from this vault: each round's source (null while the vault
 * is not enrolled), the recorder of its receipt, and this vault's sync lock, which each round holds
 * from source to record. Pass them to src/sync's `runSyncLoop`.
 */
export function appSyncLoop(ctx: AppContext): {
  source: () => Promise<{ target: SyncTargetInput; lines: readonly string[]; commonSize?: number } | null>;
  record: (result: SyncRoundResult) => Promise<void>;
  exclusive: <T>(round: () => Promise<T>) => Promise<T>;
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
    exclusive: (round) => exclusiveSync(ctx, round),
  };
}
