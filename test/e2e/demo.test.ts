// `breakglass ui --demo`: one command gives a new user a whole world to try the app on.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { launchChromium } from './harness.js';

describe('breakglass ui --demo', () => {
  it('serves a fresh demo world with a sealed credential, and removes it when stopped', async () => {
    const child = spawn(process.execPath, [BIN, 'ui', '--demo', '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    await expect.poll(() => /#token=/.test(out), { timeout: 45_000 }).toBe(true);
    const url = /http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/.exec(out)![0];
    const root = /demo world in (\S+):/.exec(out)![1]!;
    expect(out).toContain('breakglass ui --vault ');
    expect(out).toContain('laptop-bob');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await expect.poll(() => page.getByRole('row', { name: /prod-db-root/ }).innerText()).toContain('Sealed');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('crash cart');
      await page.getByRole('button', { name: 'Members' }).click();
      await expect.poll(() => page.getByRole('row').count()).toBe(5);
    } finally {
      await browser.close();
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(root)).toBe(false);
  }, 90_000);
});
