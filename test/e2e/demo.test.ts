// `breakglass ui --demo`: one command gives a new user a whole world to try the app on.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
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
      // Keyboard only: Tab to the break-glass button, Enter, and the form is there with its fields labelled.
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Break glass: prod-db-root') break;
      }
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByLabel('Reason').count()).toBe(1);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(await page.getByLabel('Reason').getAttribute('id'));
      // 200% zoom is a window half as wide in CSS pixels: the form still reads, one column.
      await page.setViewportSize({ width: 550, height: 900 });
      await page.screenshot({ path: resolve(import.meta.dirname, '../../docs/screenshots/break-glass-zoom200-light.png'), fullPage: true });
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
