// The preload: one method per IPC channel, never ipcRenderer itself. Sandboxed preloads are CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload must be CommonJS
import electron = require('electron');
import type { BreakGlassApi, IpcChannel } from '../src/core/ipc.js';

// Kept in step with IPC_CHANNELS by the type below: a missing or extra channel fails the typecheck.
const channels = {
  'vault.overview': true,
  'credentials.list': true,
  'credential.detail': true,
  'members.list': true,
  'policy.show': true,
  'policy.check': true,
  'request.open': true,
  'request.show': true,
  'request.export': true,
  'request.cancel': true,
  'approve.inPerson': true,
  'approval.import': true,
  'holder.read': true,
  'holder.approve': true,
  'unseal.open': true,
  'unseal.reveal': true,
  'window.close': true,
  'review.sign': true,
  'credential.reseal': true,
  'drill.start': true,
  'drill.complete': true,
  'shares.check': true,
  'journal.verify': true,
  'journal.show': true,
  'journal.export': true,
} satisfies Record<IpcChannel, true>;

const api = Object.fromEntries(
  Object.keys(channels).map((channel) => [channel, (input: unknown) => electron.ipcRenderer.invoke(`breakglass:${channel}`, input)]),
) as BreakGlassApi;

electron.contextBridge.exposeInMainWorld('breakglass', api);
