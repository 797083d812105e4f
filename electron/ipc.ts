import type { IpcMainInvokeEvent } from 'electron';
import { BreakGlassError } from '../src/core/errors.js';
import { IPC_CONTRACT, type IpcChannel, type IpcOutput, type IpcResult } from '../src/core/ipc.js';
import { listCredentials, verifyJournal, VaultSession, type SecretStoreFactory } from '../src/vault/index.js';

/** What the handlers need from the composition root. */
export interface IpcDeps {
  readonly vaultDir: string;
  readonly secretStore: SecretStoreFactory;
  /** True when the event comes from our own window and page. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
}

type Handlers = { [C in IpcChannel]: (deps: IpcDeps) => Promise<IpcOutput<C>> };

async function withSession<T>(deps: IpcDeps, write: boolean, fn: (s: VaultSession) => Promise<T> | T): Promise<T> {
  const session = await VaultSession.open(deps.vaultDir, deps.secretStore, { write });
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

const HANDLERS: Handlers = {
  'credentials.list': (deps) => withSession(deps, false, (s) => listCredentials(s)),
  'journal.verify': (deps) => withSession(deps, false, (s) => verifyJournal(s, { checkKeychain: true })),
};

/**
 * Handles one invocation: checks the sender, parses the input against the contract, calls the vault
 * use case and returns a result value (never a thrown error, whose details Electron would drop).
 */
export async function handleInvoke<C extends IpcChannel>(
  deps: IpcDeps,
  channel: C,
  event: IpcMainInvokeEvent,
  input: unknown,
): Promise<IpcResult<IpcOutput<C>>> {
  if (!deps.isTrustedSender(event)) return { ok: false, error: { code: 'POLICY_DENIED', message: 'IPC from an untrusted frame' } };
  const parsed = IPC_CONTRACT[channel].input.safeParse(input);
  if (!parsed.success) return { ok: false, error: { code: 'BAD_INPUT', message: `bad input for ${channel}` } };
  try {
    return { ok: true, value: await HANDLERS[channel](deps) };
  } catch (err) {
    if (err instanceof BreakGlassError) return { ok: false, error: { code: err.code, message: err.message } };
    return { ok: false, error: { code: 'INTERNAL', message: 'an unexpected error occurred' } };
  }
}
