/**
 * `unseal --copy` against a real X server (Xvfb) and the real xclip: the secret reaches the
 * clipboard, is journaled as a copy, and is cleared after --clear-after seconds unless something else
 * was copied meanwhile. Without a display, --copy is refused before anything is journaled.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, run } from '../../helpers/cli.js';
import { requireTool } from '../../helpers/tools.js';
import { buildWorld, type World } from '../../helpers/world.js';
import { expectUnchanged, journal, jsonError, snapshot } from './vault-state.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('unseal --copy with a real clipboard (Xvfb + xclip)', () => {
  let xvfb: ChildProcess | undefined;
  let display = '';
  let world: World;
  let req = '';

  /** The clipboard's current text, as another program on the desktop would read it. */
  function clipboard(): string {
    const r = spawnSync('xclip', ['-o', '-selection', 'clipboard'], { env: { ...process.env, DISPLAY: display }, timeout: 5000 });
    return r.status === 0 ? r.stdout.toString('utf8') : '';
  }

  /** Polls until the clipboard holds `text` (xclip takes the selection just after the CLI returns). */
  async function waitForClipboard(text: string, ms = 1500): Promise<boolean> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (clipboard() === text) return true;
    return clipboard() === text;
  }

  function copy(seconds: number): ReturnType<typeof run> {
    return run(['--vault', world.vault.vault, 'unseal', req, '--copy', '--clear-after', String(seconds)], {
      env: { DISPLAY: display, WAYLAND_DISPLAY: undefined },
    });
  }

  beforeAll(async () => {
    requireTool('Xvfb', 'xvfb');
    requireTool('xclip', 'xclip');
    // -displayfd lets Xvfb pick a free display and tell us its number.
    const server = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '640x480x24'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    xvfb = server;
    display = await new Promise<string>((resolve, reject) => {
      let got = '';
      const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 10 s')), 10_000);
      (server.stdio[3] as Readable).on('data', (d: Buffer) => {
        got += d.toString('utf8');
        if (got.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${got.trim()}`);
        }
      });
      server.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    });
    world = await buildWorld();
    req = await world.request();
    for (const h of ['alice', 'bob'])
      expectStatus(await world.vault.run(['approve', req, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    expectStatus(await world.vault.run(['unseal', req]), 0, 'unseal');
  }, 120_000);

  afterAll(() => {
    if (xvfb?.pid !== undefined && xvfb.exitCode === null) xvfb.kill('SIGTERM');
    world?.cleanup();
  });

  it('copies the secret, journals the copy, and clears the clipboard after --clear-after seconds', async () => {
    const before = journal(world.vault.vault).length;
    const t = expectStatus(await copy(2), 0, 'unseal --copy');
    expect(t.stdout).toBe('');
    expect(t.stderr).toBe('copied; the clipboard is cleared in 2 s\n');
    expect(journal(world.vault.vault, before).map((e) => [e.kind, e.data['request']])).toEqual([
      ['credential.copy', req],
      ['key.rotate', undefined],
    ]);
    const copied = Date.now();
    expect(await waitForClipboard(world.secret), 'the clipboard does not hold the secret').toBe(true);
    // Cleared after about 2 s (the clearer starts just before the CLI exits): not at once, not never.
    let cleared = -1;
    for (const end = copied + 8000; Date.now() < end; await sleep(100)) {
      if (clipboard() !== world.secret) {
        cleared = Date.now() - copied;
        break;
      }
    }
    expect(cleared, 'the clipboard still held the secret after 8 s').toBeGreaterThanOrEqual(1000);
    expect(clipboard()).toBe('');
  });

  it('leaves the clipboard alone when something else was copied meanwhile', async () => {
    expectStatus(await copy(2), 0, 'unseal --copy');
    expect(await waitForClipboard(world.secret), 'the clipboard does not hold the secret').toBe(true);
    const other = spawnSync('xclip', ['-selection', 'clipboard'], {
      input: 'something else',
      env: { ...process.env, DISPLAY: display },
      timeout: 5000,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    expect(other.status).toBe(0);
    expect(await waitForClipboard('something else')).toBe(true);
    await sleep(4500);
    expect(clipboard()).toBe('something else');
  });

  it('--copy without a display: exit 5 CLIPBOARD_UNAVAILABLE, nothing journaled', async () => {
    const before = await snapshot(world.vault.vault);
    const t = await run(['--vault', world.vault.vault, '--json', 'unseal', req, '--copy'], {
      env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined },
    });
    expect(jsonError(t, 5)).toMatchObject({
      code: 'CLIPBOARD_UNAVAILABLE',
      message: 'no clipboard is reachable (needs a desktop session with xclip or wl-clipboard); use --reveal or --out FILE instead',
    });
    await expectUnchanged(world.vault.vault, before);
  });
});
