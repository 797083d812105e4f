// The preload: one method per IPC channel, never ipcRenderer itself. Sandboxed preloads are CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload must be CommonJS
import electron = require('electron');
import type { BreakGlassApi, BreakGlassWindowApi, IpcChannel, SyncEventView } from '../src/core/ipc.js';

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
  'rotate.complete': true,
  'extension.ask': true,
  'extension.approve': true,
  'shares.check': true,
  'journal.verify': true,
  'journal.show': true,
  'journal.export': true,
  'sync.status': true,
  'sync.enroll': true,
  'sync.enrollAgain': true,
  'sync.now': true,
} satisfies Record<IpcChannel, true>;

const api = Object.fromEntries(
  Object.keys(channels).map((channel) => [channel, (input: unknown) => electron.ipcRenderer.invoke(`breakglass:${channel}`, input)]),
) as BreakGlassApi;

// The sync loop's events, one way (main to window); the listener sees the event only, never the IPC event.
// Literal, since a sandboxed preload cannot require the core module; its type keeps it equal to SYNC_EVENT_CHANNEL.
const SYNC_EVENTS: typeof import('../src/core/ipc.js').SYNC_EVENT_CHANNEL = 'breakglass:sync.event';
const onSyncEvent = (listener: (event: SyncEventView) => void): (() => void) => {
  const forward = (_event: unknown, sync: SyncEventView): void => listener(sync);
  electron.ipcRenderer.on(SYNC_EVENTS, forward);
  return () => electron.ipcRenderer.removeListener(SYNC_EVENTS, forward);
};

const windowApi: BreakGlassWindowApi = { ...api, onSyncEvent };

electron.contextBridge.exposeInMainWorld('breakglass', windowApi);
