import type { IpcMainInvokeEvent } from 'electron';
import type { IpcChannel, IpcOutput, IpcResult } from '../src/core/ipc.js';
import { invokeApp, type AppContext } from '../src/vault/index.js';

/** What the handlers need from the composition root. */
export interface IpcDeps extends AppContext {
  /** True when the event comes from our own window and page. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
}

/**
 * Handles one invocation: checks the sender, then hands the call to the app's one implementation of
 * validation and routing (shared with `breakglass ui`), which returns a result value, never a thrown
 * error (whose details Electron would drop).
 */
export async function handleInvoke<C extends IpcChannel>(
  deps: IpcDeps,
  channel: C,
  event: IpcMainInvokeEvent,
  input: unknown,
): Promise<IpcResult<IpcOutput<C>>> {
  if (!deps.isTrustedSender(event)) return { ok: false, error: { code: 'POLICY_DENIED', message: 'IPC from an untrusted frame' } };
  return invokeApp(deps, channel, input);
}
