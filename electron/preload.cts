// The preload: one method per IPC channel, never ipcRenderer itself. Sandboxed preloads are CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload must be CommonJS
import electron = require('electron');
import type { BreakGlassApi, IpcChannel } from '../src/core/ipc.js';

// Kept in step with IPC_CHANNELS by the type below: a missing or extra channel fails the typecheck.
const channels = { 'credentials.list': true, 'journal.verify': true } satisfies Record<IpcChannel, true>;

const api = Object.fromEntries(
  Object.keys(channels).map((channel) => [channel, (input: unknown) => electron.ipcRenderer.invoke(`breakglass:${channel}`, input)]),
) as BreakGlassApi;

electron.contextBridge.exposeInMainWorld('breakglass', api);
