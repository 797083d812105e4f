// The one way a view reaches the vault: the IPC contract, through the preload in Electron or over
// HTTP to `breakglass ui`, with the same typed methods either way.
import type { BreakGlassApi, BreakGlassWindowApi, IpcChannel, IpcInput, IpcOutput, IpcResult, SyncEventView } from '../../src/core/ipc.js';
import { UI_TOKEN_HEADER } from '../../src/core/ui.js';

declare global {
  interface Window {
    breakglass?: BreakGlassWindowApi;
  }
}

const TOKEN_KEY = 'breakglass-token';

/** Takes the per-run token from the URL fragment once, and clears it from the address bar. */
function takeToken(): string {
  const match = /^#token=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]!);
    history.replaceState(null, '', window.location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpApi(): BreakGlassApi {
  const token = takeToken();
  const call = async (channel: string, input: unknown): Promise<IpcResult<unknown>> => {
    try {
      const res = await fetch(`./api/${channel}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [UI_TOKEN_HEADER]: token },
        body: JSON.stringify(input),
        credentials: 'omit',
        cache: 'no-store',
      });
      return (await res.json()) as IpcResult<unknown>;
    } catch {
      return { ok: false, error: { code: 'IO_ERROR', message: 'the vault did not answer; is "breakglass ui" still running?' } };
    }
  };
  // Every channel is a method: a Proxy, so the bundle needs no list of channels (nor the schemas).
  return new Proxy({} as BreakGlassApi, { get: (_t, channel: string) => (input: unknown) => call(channel, input) });
}

/** The API of this window: the preload's in Electron, HTTP to `breakglass ui` in a browser. */
export const api: BreakGlassApi = window.breakglass ?? httpApi();

/**
 * Listens to the desktop app's sync loop; returns how to stop listening, or null where no loop runs
 * (`breakglass ui`: there the page learns what each call did from its answer).
 */
export function onSyncEvent(listener: (event: SyncEventView) => void): (() => void) | null {
  return window.breakglass?.onSyncEvent?.(listener) ?? null;
}

/** Calls one channel. */
export function call<C extends IpcChannel>(channel: C, input: IpcInput<C>): Promise<IpcResult<IpcOutput<C>>> {
  return (api[channel] as (input: IpcInput<C>) => Promise<IpcResult<IpcOutput<C>>>)(input);
}
