// `breakglass ui`: the app's window in a browser, for machines without the desktop shell and for tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BreakGlassError } from '../core/errors.js';
import { enrolDevice, syncJournal } from '../sync/index.js';
import type { Command } from './commands.js';
import { buildDemoWorld, demoPassphrase, DEMO_MEMBERS } from './ui-demo.js';
import { startUiServer } from './ui-server.js';

/**
 * Opens the page without putting the token in any process's argv: a private file that forwards
 * to the URL is opened instead, and removed a minute later.
 */
function openBrowser(url: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'breakglass-ui-'));
  const file = join(dir, 'open.html');
  const escaped = url.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  writeFileSync(file, `<!doctype html><meta http-equiv="refresh" content="0;url=${escaped}"><title>Break Glass Vault</title>\n`, {
    mode: 0o600,
  });
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [file], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
  setTimeout(() => rmSync(dir, { recursive: true, force: true }), 60_000).unref();
}

function parsePort(value: string | boolean | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new BreakGlassError('BAD_ARGUMENTS', '--port must be a number from 0 to 65535 (0 picks a free port)');
  return port;
}

/** `breakglass ui`: serves the renderer and the IPC contract on 127.0.0.1 until interrupted. */
export const UI_COMMANDS: readonly Command[] = [
  {
    words: ['ui'],
    handlesInterrupt: true,
    usage: 'ui [--port N] [--no-open] [--demo]',
    summary: 'the app in a browser, served on 127.0.0.1 with a per-run token; --demo on a fresh demo world',
    options: { port: { type: 'string' }, 'no-open': { type: 'boolean' }, demo: { type: 'boolean' } },
    positionals: [],
    explain: {
      port: 'the port on 127.0.0.1, 0-65535; default: 0, a free port',
      'no-open': 'do not open a browser; the URL, with its token, is printed either way; default: the browser opens',
      demo: 'on a fresh demo world in a temporary folder, removed when this stops; default: this vault (--vault, or the default folder)',
    },
    examples: ['ui', 'ui --port 8080 --no-open', 'ui --demo'],
    async run(ctx, v) {
      const port = parsePort(typeof v['port'] === 'string' ? v['port'] : undefined);
      let vaultDir = ctx.vaultDir;
      let demoRoot: string | null = null;
      if (v['demo'] === true) {
        const world = await buildDemoWorld(ctx.secretStore);
        vaultDir = world.vault;
        demoRoot = world.root;
        ctx.note(`demo world in ${world.root}: the crash cart, and a laptop per member (${DEMO_MEMBERS.join(', ')})`);
        ctx.note(`each demo member's passphrase is "<id> demo passphrase", e.g. "${demoPassphrase('alice')}"`);
        ctx.note(`Bob approves from his own laptop: breakglass ui --vault ${world.laptops['bob']!}`);
        ctx.note('the demo folder is removed when this stops');
      }
      // The settings view enrols and syncs on request; no loop runs here (the page shows each call's outcome).
      const sync = { enrol: enrolDevice, sync: syncJournal };
      const server = await startUiServer({ vaultDir, secretStore: ctx.secretStore, sync }, { port });
      // The only place the token is shown: for the person who started this, on their own terminal.
      ctx.say(`Break Glass Vault for ${vaultDir} at ${server.url}`);
      ctx.note('keep this URL to yourself; stop with Ctrl-C');
      if (v['no-open'] !== true) openBrowser(server.url);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      if (demoRoot) rmSync(demoRoot, { recursive: true, force: true });
      return { origin: server.origin };
    },
  },
];
