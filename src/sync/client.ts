/**
 * The sync client: enrol once, then upload what the server lacks in batches. It resumes exactly (it
 * asks the head and starts there, never re-sending what is stored and never skipping), retries with
 * jittered backoff when the server is unreachable, and checks every receipt against the pinned key.
 * Nothing local changes because of a sync; the caller records the receipt in the journal.
 */
import { BreakGlassError } from '../core/errors.js';
import {
  EnrolResponseSchema,
  HeadResponseSchema,
  MAX_BATCH_LINES,
  UploadResponseSchema,
  type HeadResponse,
  type Receipt,
  type UploadResponse,
} from '../core/sync-api.js';
import { backoffDelay, callServer, isTransient, pause, type ServerConnection } from './http.js';
import { lineHash, verifyReceipt } from './receipts.js';

/** Where and as whom a journal syncs. */
export interface SyncTarget extends ServerConnection {
  readonly serverKey: string;
  readonly journal: string;
  readonly credential: string;
}

/** Progress of one sync, for a terminal bar or the app's events. */
export interface SyncProgress {
  readonly uploaded: number;
  readonly serverSize: number;
  readonly localSize: number;
}

export interface SyncOptions {
  /** Lines per batch (at most the server's limit) and bytes per batch. */
  readonly batchLines?: number;
  readonly batchBytes?: number;
  /** Attempts per request while the server is unreachable, and the backoff between them. */
  readonly attempts?: number;
  readonly backoffMs?: { readonly base: number; readonly max: number };
  /** A size both sides are known to share (the last recorded receipt), where a diverged sync starts comparing. */
  readonly commonSize?: number;
  readonly onProgress?: (p: SyncProgress) => void;
  readonly signal?: AbortSignal;
}

export interface SyncResult {
  readonly uploaded: number;
  readonly serverSize: number;
  readonly localSize: number;
  readonly receipt: Receipt;
}

const DEFAULT_BATCH_LINES = 500;
const DEFAULT_BATCH_BYTES = 2 * 1024 * 1024;
/** A sync that keeps meeting conflicts (another copy uploading at once) gives up after this many. */
const MAX_CONFLICTS = 8;

/** Runs `call`, retrying transient failures with full-jitter backoff. */
async function withRetry<T>(options: SyncOptions, call: () => Promise<T>): Promise<T> {
  const attempts = options.attempts ?? 6;
  const { base, max } = options.backoffMs ?? { base: 200, max: 10_000 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransient(err) || attempt + 1 >= attempts || options.signal?.aborted) throw err;
      await pause(backoffDelay(attempt, base, max), options.signal);
    }
  }
}

/** The enrolment answer, its receipt checked against the key the server sent (or the one expected). */
export interface Enrolled {
  readonly device: string;
  readonly credential: string;
  readonly serverKey: string;
  readonly receipt: Receipt;
}

/** Enrols this journal with a one-time enrolment token; the caller pins the key and stores the credential. */
export async function enrolDevice(
  conn: ServerConnection,
  input: {
    token: string;
    journal: string;
    genesisLine: string;
    name: string;
    expectServerKey?: string;
    /** The whole local journal: a journal enrolled again is answered with a receipt for what the server holds of it. */
    lines?: readonly string[];
  },
  options: SyncOptions = {},
): Promise<Enrolled> {
  const res = await withRetry(options, () =>
    callServer(conn, 'POST', '/api/v1/enroll', EnrolResponseSchema, {
      auth: input.token,
      body: { journal: input.journal, genesis: input.genesisLine, name: input.name },
    }),
  );
  if (input.expectServerKey !== undefined && res.serverKey !== input.expectServerKey) {
    throw new BreakGlassError(
      'BAD_RECEIPT',
      input.lines
        ? 'the server answered with another key than the one this vault pinned; nothing was recorded here'
        : 'the server answered with another key than the one expected (--server-key)',
    );
  }
  const lines = input.lines ?? [input.genesisLine];
  const size = res.receipt.body.size;
  // A re-enrolment's receipt is for what the server holds: this copy of the vault must lead to it.
  // If not, the server enrolled the device again all the same, with a credential nobody holds now.
  const diverged = (why: string): never => {
    throw new BreakGlassError(
      'SYNC_CONFLICT',
      `${why}: is this an older copy of the vault folder, restored and used? The server enrolled device ${res.device} again, but nothing was recorded here: tell security, who must revoke that device again and compare this vault's export with what the server holds`,
      { serverSize: size, localSize: lines.length, device: res.device },
    );
  };
  // Signed by the pinned key, for this journal, before anything it says is believed (no head checked yet).
  verifyReceipt(res.receipt, { serverKey: res.serverKey, journal: input.journal, size: Math.max(size, 1), lines: [] });
  if (size > lines.length) diverged(`the server holds ${size} entries of journal ${input.journal} and this vault only ${lines.length}`);
  if (input.lines && size > 1 && lineHash(lines[size - 1]!) !== res.receipt.body.head) {
    diverged(`the server's entry ${size - 1} of journal ${input.journal} is not this vault's`);
  }
  verifyReceipt(res.receipt, { serverKey: res.serverKey, journal: input.journal, size: Math.max(size, 1), lines });
  return { device: res.device, credential: res.credential, serverKey: res.serverKey, receipt: res.receipt };
}

/** The server's head of the target journal. */
export function fetchHead(target: SyncTarget, options: SyncOptions = {}): Promise<HeadResponse> {
  return withRetry(options, () =>
    callServer(target, 'GET', `/api/v1/journals/${target.journal}/head`, HeadResponseSchema, {
      auth: target.credential,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
}

/** The next batch from `base`, within the line and byte limits (always at least one line). */
function batchAt(lines: readonly string[], base: number, options: SyncOptions): string[] {
  const maxLines = Math.min(options.batchLines ?? DEFAULT_BATCH_LINES, MAX_BATCH_LINES);
  const maxBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const out: string[] = [];
  let bytes = 0;
  for (let i = base; i < lines.length && out.length < maxLines; i++) {
    bytes += lines[i]!.length + 3;
    if (out.length > 0 && bytes > maxBytes) break;
    out.push(lines[i]!);
  }
  return out;
}

/** Uploads what the server lacks of `lines` (this journal's export, in seq order) and returns the last receipt. */
export async function syncJournal(target: SyncTarget, lines: readonly string[], options: SyncOptions = {}): Promise<SyncResult> {
  let uploaded = 0;
  for (let conflicts = 0; ; conflicts++) {
    const head = await fetchHead(target, options);
    if (head.frozen) {
      throw new BreakGlassError('JOURNAL_FROZEN', `the server has frozen journal ${target.journal} (a fork); security must examine it`, {
        size: head.size,
      });
    }
    // The server's head is this journal's entry at that size: carry on from there. Otherwise the two
    // have diverged (or this copy is older), and the batches from the last shared size tell which.
    const agrees = head.size <= lines.length && (head.size === 0 ? head.head === null : lineHash(lines[head.size - 1]!) === head.head);
    let base = agrees ? head.size : Math.min(options.commonSize ?? 0, head.size, lines.length);
    let last: UploadResponse | null = null;
    let conflict = false;
    do {
      const batch = batchAt(lines, base, options);
      let res: UploadResponse;
      try {
        res = await withRetry(options, () =>
          callServer(target, 'POST', `/api/v1/journals/${target.journal}/entries`, UploadResponseSchema, {
            auth: target.credential,
            body: { base, lines: batch },
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        );
      } catch (err) {
        if (err instanceof BreakGlassError && err.code === 'SYNC_CONFLICT' && conflicts + 1 < MAX_CONFLICTS) {
          conflict = true;
          break;
        }
        throw err;
      }
      verifyReceipt(res.receipt, { serverKey: target.serverKey, journal: target.journal, size: res.size, lines });
      uploaded += res.accepted;
      // A stored batch (accepted) moves to the server's size; an identical re-send moves past itself.
      base = res.accepted > 0 ? res.size : base + batch.length;
      last = res;
      options.onProgress?.({ uploaded, serverSize: res.size, localSize: lines.length });
    } while (base < lines.length);
    if (conflict) continue;
    if (last === null) throw new Error('unreachable: a sync sends at least one batch');
    if (last.size > lines.length) {
      throw new BreakGlassError(
        'SYNC_CONFLICT',
        `the server holds ${last.size} entries of journal ${target.journal} but this machine only ${lines.length}: this vault folder is older than the one synced before (restored from a copy?)`,
        { size: last.size, local: lines.length },
      );
    }
    return { uploaded, serverSize: last.size, localSize: lines.length, receipt: last.receipt };
  }
}
