// The Electron composition root: tray, window, hardening and IPC registration. It stays thin; all
// logic lives in src/ and is tested in plain Node; the window is the renderer built to dist/renderer.
import { app, BrowserWindow, Menu, Tray, ipcMain, nativeImage, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { IPC_CHANNELS, SYNC_EVENT_CHANNEL, type SyncEventView } from '../src/core/ipc.js';
import { RENDERER_CSP } from '../src/core/ui.js';
import { openSecretStore, probeSecretStore } from '../src/keychain/index.js';
import { enrolDevice, runSyncLoop, syncJournal } from '../src/sync/index.js';
import { appSyncLoop, defaultVaultDir, type AppContext } from '../src/vault/index.js';
import { handleInvoke, type IpcDeps } from './ipc.js';

const RENDERER_URL = new URL(`file://${join(import.meta.dirname, '../renderer/index.html')}`);
const CSP = RENDERER_CSP;

let tray: Tray | null = null;
let window: BrowserWindow | null = null;
/** Stops the sync loop when the app quits. */
const stopSync = new AbortController();

/** Our own window showing our own page: the one sender IPC is taken from and the camera is given to. */
const isOurPage = (contents: WebContents, url: string | undefined): boolean =>
  url === RENDERER_URL.href && contents === window?.webContents;

/** Sync events go to our window only, as plain data; a window closed or closing gets none. */
function sendSyncEvent(event: SyncEventView): void {
  if (window && !window.isDestroyed() && !window.webContents.isDestroyed()) window.webContents.send(SYNC_EVENT_CHANNEL, event);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 900,
    height: 640,
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadURL(RENDERER_URL.href);
  win.once('ready-to-show', () => win.show());
  return win;
}

function harden(): void {
  // Every permission is refused except the camera (video only, never the microphone) for our own
  // page, which reads QR codes from it; the page stops every track when it is done.
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback, details) => {
    const videoOnly = 'mediaTypes' in details && details.mediaTypes?.length === 1 && details.mediaTypes[0] === 'video';
    callback(permission === 'media' && videoOnly && isOurPage(contents, details.requestingUrl));
  });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function registerIpc(deps: IpcDeps): void {
  for (const channel of IPC_CHANNELS) {
    ipcMain.handle(`breakglass:${channel}`, (event, input: unknown) => handleInvoke(deps, channel, event, input));
  }
}

async function start(): Promise<void> {
  await app.whenReady();
  harden();
  const ctx: AppContext = {
    vaultDir: defaultVaultDir(),
    secretStore: async (namespace) => {
      const store = await openSecretStore(undefined, namespace, () => Promise.reject(new Error('the OS keychain needs no passphrase')));
      await probeSecretStore(store);
      return store;
    },
    sync: { enrol: enrolDevice, sync: syncJournal },
    onSyncEvent: sendSyncEvent,
  };
  registerIpc({
    ...ctx,
    isTrustedSender: (event) => isOurPage(event.sender, event.senderFrame?.url),
  });
  // The same sync client as `breakglass sync`, as a loop: it waits for the server, syncs, journals receipts.
  void runSyncLoop({ ...appSyncLoop(ctx), onEvent: sendSyncEvent, signal: stopSync.signal });
  tray = new Tray(nativeImage.createFromPath(join(import.meta.dirname, '../../build/icons/tray.png')));
  tray.setToolTip('Break Glass Vault');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open vault', click: () => (window ??= createWindow()).show() },
      { type: 'separator' },
      { label: 'Quit', role: 'quit' },
    ]),
  );
}

app.on('before-quit', () => stopSync.abort());

app.on('window-all-closed', () => {
  // A tray app keeps running with no window open.
  window = null;
});

void start();
