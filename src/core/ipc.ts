import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { VerifyReport } from './journal.js';
import type { CredentialState } from './lifecycle.js';

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
}

/**
 * The one IPC contract between the renderer and the main process: channel name -> input schema and
 * output type. The preload exposes one method per channel; the main process parses every input.
 */
export const IPC_CONTRACT = {
  'credentials.list': { input: z.strictObject({}), output: null as unknown as readonly CredentialView[] },
  'journal.verify': { input: z.strictObject({}), output: null as unknown as VerifyReport },
} as const;

export type IpcChannel = keyof typeof IPC_CONTRACT;
export type IpcInput<C extends IpcChannel> = z.input<(typeof IPC_CONTRACT)[C]['input']>;
export type IpcOutput<C extends IpcChannel> = (typeof IPC_CONTRACT)[C]['output'];

/** What crosses the IPC boundary: Electron passes only a thrown error's message, so errors are values. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** The renderer's API, derived from the contract so the two sides cannot drift. */
export type BreakGlassApi = { [C in IpcChannel]: (input: IpcInput<C>) => Promise<IpcResult<IpcOutput<C>>> };

/** The channel names, for the preload and the main process to iterate. */
export const IPC_CHANNELS = Object.keys(IPC_CONTRACT) as IpcChannel[];
