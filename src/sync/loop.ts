/**
 * The sync loop for the desktop app's main process: it waits until the server is reachable, syncs,
 * records the receipt through the caller, and reports everything as events. It never throws; it
 * stops when its signal aborts.
 */
import { isBreakGlassError } from '../core/errors.js';
import { z } from 'zod';
import { callServer, pause, type ServerConnection } from './http.js';
import { syncJournal, type SyncOptions, type SyncProgress, type SyncResult, type SyncTarget } from './client.js';

/** What the loop reports. */
export type SyncEvent =
  | { readonly type: 'offline'; readonly message: string }
  | { readonly type: 'online' }
  | { readonly type: 'progress'; readonly progress: SyncProgress }
  | { readonly type: 'synced'; readonly result: SyncResult }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** What one round syncs: the target and this journal's export lines, read fresh each round. */
export interface SyncRound {
  readonly target: SyncTarget;
  readonly lines: readonly string[];
  readonly commonSize?: number;
}

export interface SyncLoopOptions {
  /** Reads the journal and where it syncs; null when this vault is not enrolled. */
  readonly source: () => Promise<SyncRound | null>;
  /** Records the receipt in the journal (a new epoch). */
  readonly record: (result: SyncResult) => Promise<void>;
  /** Told everything the loop does; a listener that throws is ignored, so the loop outlives a closed window. */
  readonly onEvent: (event: SyncEvent) => void;
  /**
   * Runs each round, from `source` to `record`, under the caller's lock: another sync of the same
   * journal in this process (a person's "Sync now") must not read, upload and record in between.
   */
  readonly exclusive?: <T>(round: () => Promise<T>) => Promise<T>;
  readonly signal: AbortSignal;
  /** Pause between rounds when synced, and while offline. */
  readonly intervalMs?: number;
  readonly offlineMs?: number;
  readonly sync?: Omit<SyncOptions, 'onProgress' | 'signal'>;
}

const HealthSchema = z.object({ ok: z.literal(true) });

/** True when the server answers /healthz. */
export async function serverReachable(conn: ServerConnection, signal?: AbortSignal): Promise<boolean> {
  try {
    await callServer({ ...conn, timeoutMs: conn.timeoutMs ?? 5_000 }, 'GET', '/healthz', HealthSchema, signal ? { signal } : {});
    return true;
  } catch {
    return false;
  }
}

/** Runs until `signal` aborts: detect reachability, sync, record, report, wait. */
export async function runSyncLoop(options: SyncLoopOptions): Promise<void> {
  const { signal } = options;
  const onEvent = (event: SyncEvent): void => {
    try {
      options.onEvent(event);
    } catch {
      // The events are for a window that may be gone; the journal's sync must not stop with it.
    }
  };
  const exclusive = options.exclusive ?? ((round) => round());
  let online: boolean | null = null;
  while (!signal.aborted) {
    const wait = await exclusive(async (): Promise<number> => {
      try {
        const round = await options.source();
        if (!round || signal.aborted) return options.intervalMs ?? 60_000;
        if (!(await serverReachable(round.target, signal))) {
          if (online !== false) onEvent({ type: 'offline', message: `the server at ${round.target.server} is not reachable` });
          online = false;
          return options.offlineMs ?? 15_000;
        }
        if (online !== true) onEvent({ type: 'online' });
        online = true;
        const result = await syncJournal(round.target, round.lines, {
          ...options.sync,
          ...(round.commonSize !== undefined ? { commonSize: round.commonSize } : {}),
          signal,
          onProgress: (progress) => onEvent({ type: 'progress', progress }),
        });
        await options.record(result);
        onEvent({ type: 'synced', result });
      } catch (err) {
        if (!signal.aborted) {
          const code = isBreakGlassError(err) ? err.code : 'INTERNAL';
          onEvent({ type: 'error', code, message: isBreakGlassError(err) ? err.message : 'unexpected error in the sync loop' });
        }
      }
      return options.intervalMs ?? 60_000;
    });
    await pause(wait, signal);
  }
}
