/**
 * The vault's side of sync: the server it is enrolled with and that server's pinned key (a
 * `sync.enrolled` entry), the device credential (in this vault's keychain namespace), and each
 * verified receipt (a `sync.receipt` entry, committed like any change, so a new epoch follows it).
 */
import { BreakGlassError } from '../core/errors.js';
import type { JournalEntry } from '../core/journal.js';
import type { Receipt } from '../core/sync-api.js';
import { exportJournal } from './journal.js';
import type { VaultSession } from './session.js';

/** The keychain account of the device credential, inside the vault's namespace. */
const CREDENTIAL_ACCOUNT = 'sync-device-credential';

/** Where this vault syncs, as journaled at enrolment. */
export interface SyncEnrolment {
  readonly server: string;
  readonly serverKey: string;
  readonly device: string;
  /** The seq and time of the `sync.enrolled` entry. */
  readonly seq: number;
  readonly time: number;
}

/** A receipt as recorded in this journal. */
export interface RecordedReceipt {
  readonly seq: number;
  readonly receipt: Receipt;
}

function entriesOfKind(session: VaultSession, kind: 'sync.enrolled' | 'sync.receipt'): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const stored of session.repo.entries()) {
    if (stored.seq >= session.report.count) break;
    const entry = JSON.parse(Buffer.from(stored.bytes).toString('utf8')) as JournalEntry;
    if (entry.kind === kind) out.push(entry);
  }
  return out;
}

/** The enrolment this vault's journal records, or null when it was never enrolled. */
export function syncEnrolment(session: VaultSession): SyncEnrolment | null {
  const last = entriesOfKind(session, 'sync.enrolled').pop();
  if (!last) return null;
  const d = last.data as { server: string; serverKey: string; device: string };
  return { server: d.server, serverKey: d.serverKey, device: d.device, seq: last.seq, time: last.time };
}

/** The newest receipt this journal records, or null. */
export function lastReceipt(session: VaultSession): RecordedReceipt | null {
  const last = entriesOfKind(session, 'sync.receipt').pop();
  return last ? { seq: last.seq, receipt: (last.data as { receipt: Receipt }).receipt } : null;
}

/**
 * Stores the device credential in the keychain and journals the server and its pinned key. With
 * `again` (security revoked this vault's device and gave a new enrolment token), the enrolment it
 * replaces must name the same server and key: a re-enrolment never moves the pin.
 */
export async function recordEnrolment(
  session: VaultSession,
  input: { server: string; serverKey: string; device: string; credential: string; receipt: Receipt; again?: boolean },
): Promise<void> {
  const current = syncEnrolment(session);
  if (current && !input.again) throw alreadyEnrolled(current);
  if (current && (current.server !== input.server || current.serverKey !== input.serverKey)) {
    throw new BreakGlassError(
      'BAD_RECEIPT',
      `this vault is enrolled with ${current.server} and its pinned key; an enrolment again must be with that server and key`,
    );
  }
  const secrets = await session.secrets();
  await secrets.set(CREDENTIAL_ACCOUNT, input.credential);
  await session.commit((append) =>
    append({
      kind: 'sync.enrolled',
      actor: 'operator',
      subject: session.head.journal,
      data: { server: input.server, serverKey: input.serverKey, device: input.device, receipt: input.receipt },
    }),
  );
}

/** ALREADY_EXISTS for a second enrolment, saying what to do when the first one's device was revoked. */
export function alreadyEnrolled(e: SyncEnrolment): BreakGlassError {
  return new BreakGlassError(
    'ALREADY_EXISTS',
    `this vault is enrolled with ${e.server} already (as device ${e.device}); nothing was changed. If security revoked that device, enrol again with a new enrolment token: ${ENROL_AGAIN}`,
    { server: e.server, device: e.device },
  );
}

/** The command that enrols a vault again once security has revoked its device. */
export const ENROL_AGAIN = 'breakglass enroll --again --token-file FILE';

/** The device credential from the keychain, or NOT_ENROLLED. */
export async function deviceCredential(session: VaultSession): Promise<string> {
  const credential = await (await session.secrets()).get(CREDENTIAL_ACCOUNT);
  if (!credential) {
    const device = syncEnrolment(session)?.device ?? 'of this vault';
    throw new BreakGlassError(
      'NOT_ENROLLED',
      `this vault's device credential is not in ${(await session.secrets()).description}: ask security to revoke device ${device} ("breakglass server device revoke") and give you a new enrolment token, then run ${ENROL_AGAIN}`,
    );
  }
  return credential;
}

/** Journals a receipt the sync client verified against the pinned key (a commit: a new epoch follows). */
export async function recordReceipt(session: VaultSession, server: string, receipt: Receipt): Promise<number> {
  return session.commit(
    (append) => append({ kind: 'sync.receipt', actor: 'system', subject: session.head.journal, data: { server, receipt } }).seq,
  );
}

/** What one sync round sends, read from a verified journal: where to, as whom, and which lines. */
export interface SyncRoundInput {
  readonly enrolment: SyncEnrolment;
  readonly journal: string;
  /** The export lines without their line ends, as the server takes them. */
  readonly lines: readonly string[];
  readonly credential: string;
  /** The size the last recorded receipt proves both sides share, where a diverged sync compares from. */
  readonly commonSize?: number;
}

/** The export lines without their line ends, as the server takes them. */
export const withoutNewlines = (lines: readonly string[]): string[] => lines.map((l) => l.replace(/\n$/, ''));

/**
 * Reads what `breakglass sync` and the app's sync send, or NOT_ENROLLED. A read session is enough:
 * nothing here needs the vault's lock, so none is held while the round waits on the network.
 */
export async function readSyncRound(session: VaultSession): Promise<SyncRoundInput> {
  const enrolment = syncEnrolment(session);
  if (!enrolment) throw new BreakGlassError('NOT_ENROLLED', 'this vault is not enrolled with a server; enrol it first');
  const lines = withoutNewlines((await exportJournal(session)).lines);
  const common = lastReceipt(session)?.receipt.body.size;
  return {
    enrolment,
    journal: session.head.journal,
    lines,
    credential: await deviceCredential(session),
    ...(common !== undefined ? { commonSize: common } : {}),
  };
}
