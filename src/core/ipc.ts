import { z } from 'zod';
import type { RequestBody } from './documents.js';
import type { ErrorCode } from './errors.js';
import type { JournalEntry, VerifyReport } from './journal.js';
import type { CredentialState } from './lifecycle.js';
import type { PolicyProblem } from './policy.js';
import type { Receipt } from './sync-api.js';
import { isServerToken, parseServerAddress, TOKEN_RULE } from './sync-input.js';

/** An extension of an unseal window, as the CLI prints it and the UI shows it. */
export interface ExtensionView {
  readonly id: string;
  readonly request: string;
  readonly credential: string;
  readonly number: number;
  readonly maxExtensions: number;
  /** The window's end when it was asked, and its end once granted. */
  readonly windowEndsAt: number;
  readonly newWindowEndsAt: number;
  /** Who may approve it (the split's holders but its requester), how many must, and who did. */
  readonly holders: readonly string[];
  readonly threshold: number;
  readonly approvals: readonly string[];
  readonly granted: boolean;
}

/** A credential as the UI shows it: never any key or secret material. */
export interface CredentialView {
  readonly id: string;
  readonly label: string;
  readonly state: CredentialState;
  readonly exposed: boolean;
  readonly version: number;
  readonly holders: readonly string[];
  readonly threshold: number;
  readonly request: string | null;
  readonly updatedAt: number;
  /** When it was last unsealed, and when its last drill passed, from the journal (null: never). */
  readonly lastActivation: number | null;
  readonly lastDrill: number | null;
}

/** What the break-glass form offers for one credential, from the policy in force. */
export interface CredentialDetail {
  readonly credential: CredentialView;
  readonly triggers: readonly { readonly name: string; readonly description: string }[];
  readonly requesters: readonly string[];
  readonly inPersonApproval: boolean;
  readonly unsealMinutes: number;
  readonly requireRotation: boolean;
}

/** An enrolled member as the UI shows it: no key material, only the card's fingerprint. */
export interface MemberView {
  readonly id: string;
  readonly name: string;
  readonly custody: boolean;
  readonly fingerprint: string | null;
  readonly roles: readonly string[];
}

/** An open or past request with its signed body, so every screen shows the same facts as the CLI. */
export interface RequestView {
  readonly id: string;
  readonly credential: string;
  readonly purpose: 'access' | 'drill' | 'rotate';
  readonly status: string;
  readonly expiresAt: number;
  readonly approvals: readonly string[];
  readonly threshold: number;
  readonly body: RequestBody;
  readonly requesterName: string;
}

/** A request bundle as a holder's laptop sees it before approving: the signed request and what this laptop witnessed. */
export interface HolderView {
  readonly body: RequestBody;
  readonly holder: string;
  readonly requesterName: string;
  readonly requesterKey: string;
  readonly anchor: { readonly journal: string; readonly seq: number };
  readonly witness: {
    readonly requester: 'first' | 'same' | 'changed';
    readonly genesis: 'first' | 'same' | 'changed';
    readonly anchor: 'first' | 'ahead' | 'same' | 'behind' | 'fork';
    readonly seen: { readonly seq: number } | null;
  };
}

/** A document handed to another laptop: a one-line text code and the same document as a file. */
export interface HandOver {
  readonly code: string;
  readonly fileName: string;
  readonly fileText: string;
}

/** The vault this window shows, and whether its journal verifies. */
export interface VaultOverview {
  readonly name: string;
  readonly vaultId: string;
  readonly journal: { readonly ok: boolean; readonly count: number; readonly failure: string | null };
  readonly policy: { readonly hash: string; readonly setAt: number; readonly local: true } | null;
}

/** Where this vault syncs and how far, as the settings view shows it: no credential, no token. */
export interface SyncStatusView {
  readonly vaultDir: string;
  readonly vaultName: string;
  readonly journal: string;
  /** Entries in this vault's journal now. */
  readonly localSize: number;
  readonly enrolment: {
    readonly server: string;
    /** The server's public key, pinned and journaled at enrolment: compare it with the one the server printed. */
    readonly serverKey: string;
    readonly device: string;
    readonly enrolledAt: number;
  } | null;
  readonly lastReceipt: { readonly size: number; readonly time: number; readonly head: string | null; readonly seq: number } | null;
  /** Local entries the server did not hold at the last receipt (null before the first receipt). */
  readonly unsynced: number | null;
}

/** One sync round's outcome: what was uploaded, what the server holds, and the receipt journaled here. */
export interface SyncNowView {
  readonly uploaded: number;
  readonly serverSize: number;
  readonly localSize: number;
  readonly receipt: { readonly size: number; readonly time: number; readonly key: string };
  readonly receiptSeq: number;
}

/** What the desktop app's sync loop reports to the window (src/sync's SyncEvent has this shape). */
export type SyncEventView =
  | { readonly type: 'offline'; readonly message: string }
  | { readonly type: 'online' }
  | { readonly type: 'progress'; readonly progress: { readonly uploaded: number; readonly serverSize: number; readonly localSize: number } }
  | {
      readonly type: 'synced';
      readonly result: { readonly uploaded: number; readonly serverSize: number; readonly localSize: number; readonly receipt: Receipt };
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'use 1-64 of a-z, 0-9, ".", "_", "-"');
const text = (max: number) => z.string().trim().min(1, 'this field is required').max(max);
/** A passphrase crosses only inside the call that needs it. */
const passphrase = z.string().min(1, 'the passphrase is required').max(1024);
/** A pasted text code or the JSON text of a file. */
const code = z
  .string()
  .min(1, 'paste the code or open the file')
  .max(1 << 20);
const none = z.strictObject({});

const out = <T>(): T => null as unknown as T;

/**
 * The one IPC contract between the renderer and the main process (or `breakglass ui`): channel name
 * -> input schema and output type. Every front end parses every input against it.
 */
export const IPC_CONTRACT = {
  'vault.overview': { input: none, output: out<VaultOverview>() },
  'credentials.list': { input: none, output: out<readonly CredentialView[]>() },
  'credential.detail': { input: z.strictObject({ credential: id }), output: out<CredentialDetail>() },
  'members.list': { input: none, output: out<readonly MemberView[]>() },
  'policy.show': { input: none, output: out<{ text: string; hash: string; setAt: number; local: true }>() },
  'policy.check': {
    input: z.strictObject({ text: z.string().max(1 << 20) }),
    output: out<{ ok: boolean; problems: readonly PolicyProblem[] }>(),
  },
  'request.open': {
    input: z.strictObject({
      credential: id,
      trigger: text(64),
      reason: text(2000),
      incident: text(200),
      requester: id,
      passphrase,
    }),
    output: out<RequestView>(),
  },
  'request.show': { input: z.strictObject({ request: id }), output: out<RequestView>() },
  'request.export': { input: z.strictObject({ request: id, holder: id }), output: out<HandOver>() },
  /** Signed in person by the requester or a holder who approved (`by`, the requester when not given). */
  'request.cancel': {
    input: z.strictObject({ request: id, by: id.optional(), passphrase }),
    output: out<{ exposed: boolean; by: string }>(),
  },
  'approve.inPerson': { input: z.strictObject({ request: id, holder: id, passphrase }), output: out<RequestView>() },
  'approval.import': { input: z.strictObject({ code }), output: out<RequestView>() },
  'holder.read': { input: z.strictObject({ code }), output: out<HolderView>() },
  'holder.approve': { input: z.strictObject({ code, passphrase }), output: out<HandOver>() },
  /** The window as it stands: its end, who may ask for more time and how many times more, and an extension waiting for approvals. */
  'unseal.open': {
    input: z.strictObject({ request: id }),
    output: out<{ credential: string; windowEndsAt: number; requester: string; extensionsLeft: number; pending: ExtensionView | null }>(),
  },
  /** More time in the window: asked by its requester in person (signed), then approved by each holder in person. */
  'extension.ask': {
    input: z.strictObject({ request: id, reason: z.string().min(1).max(2000), passphrase }),
    output: out<ExtensionView>(),
  },
  'extension.approve': { input: z.strictObject({ extension: id, holder: id, passphrase }), output: out<ExtensionView>() },
  /**
   * The one call whose result holds the secret: made only on an explicit press. `operator`, the
   * member the journal names as acting (the request's requester when not given), as for `window.close`.
   */
  'unseal.reveal': {
    input: z.strictObject({ request: id, mode: z.enum(['reveal', 'copy']), operator: id.optional() }),
    output: out<{ secret: string; windowEndsAt: number }>(),
  },
  'window.close': { input: z.strictObject({ credential: id, operator: id.optional() }), output: out<{ credential: string }>() },
  'review.sign': {
    input: z.strictObject({
      credential: id,
      reviewer: id,
      warranted: z.boolean(),
      summary: text(4000),
      changes: text(4000),
      incident: z.string().trim().max(200).optional(),
      followUp: z.string().trim().max(4000).optional(),
      rotatedSecret: z
        .string()
        .min(1)
        .max(64 * 1024)
        .optional(),
      passphrase,
    }),
    output: out<{ review: string; rotated: boolean }>(),
  },
  'credential.reseal': { input: z.strictObject({ credential: id }), output: out<{ version: number; rotated: boolean }>() },
  'drill.start': { input: z.strictObject({ credential: id, requester: id, passphrase }), output: out<RequestView>() },
  'drill.complete': {
    input: z.strictObject({ credential: id }),
    output: out<{ holders: readonly string[]; requestToQuorumMs: number; verifyMs: number }>(),
  },
  /** The requester seals the new secret of a rotation a quorum approved (signed with their passphrase): the secret crosses only inside this call. */
  'rotate.complete': {
    input: z.strictObject({
      credential: id,
      secret: z
        .string()
        .min(1, 'the new secret is required')
        .refine((v) => new TextEncoder().encode(v).length <= 65_536, 'the new secret may be at most 64 KiB'),
      passphrase,
    }),
    output: out<{ version: number; holders: readonly string[] }>(),
  },
  'shares.check': { input: z.strictObject({ credential: id, holder: id, passphrase }), output: out<{ ok: true }>() },
  'journal.verify': { input: none, output: out<VerifyReport>() },
  'journal.show': {
    input: z.strictObject({ kind: z.string().max(64).optional() }),
    output: out<readonly JournalEntry[]>(),
  },
  'journal.export': { input: none, output: out<{ text: string; entries: number; tailProven: boolean }>() },
  'sync.status': { input: none, output: out<SyncStatusView>() },
  /** The enrolment token crosses only inside this call: it is used once and kept nowhere. */
  'sync.enroll': {
    input: z.strictObject({
      server: z
        .string()
        .trim()
        .min(1, { message: 'the server address is required', abort: true })
        .max(2048, { abort: true })
        .superRefine((address, check) => {
          const parsed = parseServerAddress(address);
          if (!parsed.ok) check.addIssue({ code: 'custom', message: parsed.problem });
        }),
      // Refused before it is sent: fetch quotes a header it will not send (a line break, a NUL) whole.
      token: z
        .string()
        .trim()
        .min(1, { message: 'paste the enrolment token security gave you', abort: true })
        .refine(isServerToken, `paste the enrolment token security gave you: ${TOKEN_RULE}`),
      /** The key the server printed, if security gave it: any other key is refused (the CLI's --server-key). */
      serverKey: z
        .string()
        .trim()
        .refine(
          (key) => key === '' || /^[A-Za-z0-9_-]{43}$/.test(key),
          "paste the server key security's server printed (43 characters), or leave it empty",
        )
        .optional(),
    }),
    output: out<{ server: string; device: string; serverKey: string }>(),
  },
  /** Enrols this vault again with the server and key it pinned, after security revoked its device (`breakglass enroll --again`). */
  'sync.enrollAgain': {
    input: z.strictObject({
      token: z
        .string()
        .trim()
        .min(1, { message: 'paste the new enrolment token security gave you', abort: true })
        .refine(isServerToken, `paste the new enrolment token security gave you: ${TOKEN_RULE}`),
    }),
    output: out<{ server: string; device: string; serverKey: string; serverSize: number }>(),
  },
  'sync.now': { input: none, output: out<SyncNowView>() },
} as const;

export type IpcChannel = keyof typeof IPC_CONTRACT;
export type IpcInput<C extends IpcChannel> = z.input<(typeof IPC_CONTRACT)[C]['input']>;
export type IpcOutput<C extends IpcChannel> = (typeof IPC_CONTRACT)[C]['output'];

/** What crosses the IPC boundary: Electron passes only a thrown error's message, so errors are values. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** The renderer's API, derived from the contract so the two sides cannot drift. */
export type BreakGlassApi = { [C in IpcChannel]: (input: IpcInput<C>) => Promise<IpcResult<IpcOutput<C>>> };

/** The window's API in Electron: the contract's methods, and the sync loop's events (none under `breakglass ui`). */
export type BreakGlassWindowApi = BreakGlassApi & {
  /** Calls `listener` with each sync event; returns a function that stops it. */
  readonly onSyncEvent?: (listener: (event: SyncEventView) => void) => () => void;
};

/** The channel names, for the preload and the main process to iterate. */
export const IPC_CHANNELS = Object.keys(IPC_CONTRACT) as IpcChannel[];

/** True when `name` is a channel of the contract (an own key, so "toString" is not one). */
export function isIpcChannel(name: string): name is IpcChannel {
  return Object.hasOwn(IPC_CONTRACT, name);
}

/** The Electron channel the main process sends sync events on (to the window, never from it). */
export const SYNC_EVENT_CHANNEL = 'breakglass:sync.event';
