/// <reference lib="dom" />
// The settings view in real Chromium against `breakglass ui` on a real vault and a real journal
// server on 127.0.0.1: a wrong token is refused with a sentence and changes nothing; the right one
// enrols; Sync now shows what the server holds and the receipt journaled here. axe-core in both themes.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../src/server/index.js';
import { expectStatus, laptop, tempDir } from '../helpers/cli.js';
import { startServer, type TestServer } from '../integration/server/harness.js';
import { launchChromium, seriousAxeViolations, startUi, type UiProcess } from './harness.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const { dir, cleanup } = tempDir('bgv-settings-');
const vault = laptop(dir, 'vault-laptop');
let storage: SqliteStorage;
let server: TestServer;
let ui: UiProcess;
let browser: Browser;
let page: Page;
const bodies: string[] = [];
/** Each answer's body as it is read: awaited whole before the bodies are searched. */
const reading: Promise<unknown>[] = [];
// A body that could not be read is kept as a failure, not left as a rejection nobody awaits (the browser
// closing after a failed test would otherwise add an unhandled error to the run).
const unread: string[] = [];
const allBodies = async (): Promise<string[]> => {
  await Promise.all(reading);
  expect(unread).toEqual([]);
  return bodies;
};
const WRONG_TOKEN = 'bgt_wrong-token-typed-by-hand';
const axeFindings: string[] = [];

async function look(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
    for (const v of await seriousAxeViolations(page)) axeFindings.push(`${name} (${scheme}): ${v}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const fact = (label: string) =>
  page
    .locator('.fact', { has: page.getByText(label, { exact: true }) })
    .locator('dd > span')
    .first();

beforeAll(async () => {
  expectStatus(await vault.run(['init', '--name', 'crash cart']), 0, 'init');
  storage = SqliteStorage.open(join(dir, 'server.db'));
  await storage.migrate();
  server = await startServer(storage);
  [ui, browser] = await Promise.all([startUi(vault.vault), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/'))
      reading.push(
        r.text().then(
          (t) => void bodies.push(t),
          (e: unknown) => void unread.push(`${r.url()}: ${String(e)}`),
        ),
      );
  });
  await page.goto(ui.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await server?.close();
  await storage?.close();
  cleanup();
});

describe.sequential('the settings view', () => {
  let entries = '';

  it('shows a vault that is not enrolled, and refuses a wrong token with a sentence, changing nothing', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => page.getByText(/is not enrolled with a journal server/).count()).toBe(1);
    expect(await fact('Vault name').innerText()).toBe('crash cart');
    expect(await fact('Vault folder').innerText()).toBe(vault.vault);
    entries = await fact('Journal entries here').innerText();
    await look('settings-not-enrolled');

    await page.getByLabel('Server address').fill(server.url);
    await page.getByLabel('Enrolment token').fill(WRONG_TOKEN);
    await page.getByRole('button', { name: 'Enrol this vault' }).click();
    await expect
      .poll(() => page.getByRole('alert').innerText(), { timeout: 20_000 })
      .toContain('The server did not accept the token. Check that you pasted it whole, or ask security for a new one.');
    expect(await page.getByLabel('Enrolment token').inputValue()).toBe('');
    expect(await page.getByLabel('Server address').inputValue()).toBe(server.url);
    expect(await fact('Journal entries here').innerText()).toBe(entries);
    expect(await page.getByText(/is not enrolled with a journal server/).count()).toBe(1);

    await page.getByLabel('Server address').fill('ftp://journal.example');
    await page.getByLabel('Enrolment token').fill('bgt_anything');
    await page.getByRole('button', { name: 'Enrol this vault' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('use an https:// address');
    expect(await fact('Journal entries here').innerText()).toBe(entries);
  });

  it('enrols with a real token, then Sync now shows what the server holds and the receipt journaled here', async () => {
    const { token } = await server.token('enroll');
    await page.getByLabel('Server address').fill(server.url);
    await page.getByLabel('Enrolment token').fill(token);
    await page.getByLabel('Expected server key (optional)').fill(server.key.publicKey);
    await page.getByRole('button', { name: 'Enrol this vault' }).click();
    await expect.poll(() => page.getByText(/^Enrolled as device /).count(), { timeout: 20_000 }).toBe(1);
    expect(await fact('Server key (pinned)').innerText()).toBe(server.key.publicKey);
    expect(await fact('Server address').innerText()).toBe(server.url);
    expect(await fact('Last receipt').innerText()).toBe('No receipt yet: sync to get one.');
    expect(await page.getByLabel('Enrolment token').count()).toBe(0);

    server.now = Date.now(); // the test server's clock stands still otherwise
    await page.getByRole('button', { name: 'Sync now' }).click();
    const synced = page.getByText(/^Synced: uploaded \d+ entries/);
    await expect.poll(() => synced.count(), { timeout: 20_000 }).toBe(1);
    // The view reloads its facts after the answer shows: wait for the reload before reading the count.
    await expect.poll(() => fact('Not on the server at the last receipt').innerText()).toBe('2 entries');
    const local = Number(await fact('Journal entries here').innerText()) - 2;
    expect(await synced.innerText()).toMatch(
      new RegExp(
        `^Synced: uploaded ${local - 1} entries; the server holds ${local} of this journal's ${local}\\. Its receipt, signed at .+ [+-]\\d\\d:\\d\\d, is journaled here as entry ${local}\\.$`,
      ),
    );
    await expect
      .poll(() => fact('Last receipt').innerText())
      .toMatch(new RegExp(`^The server held ${local} entries at .+ \\(journaled here as entry ${local}\\)\\.$`));
    expect(await fact('Not on the server at the last receipt').innerText()).toBe('2 entries');
    expect(await storage.entries((await fact('Journal').innerText()).trim(), 0, 1e9)).toHaveLength(local);
    // The header's journal count follows what the view journaled.
    expect(await page.getByText(`Journal verified: ${local + 2} entries`).count()).toBe(1);
    await look('settings');
    expect(axeFindings).toEqual([]);
    // The token crossed once, in the enrol call's request: no answer and no line the UI printed holds it.
    const answers = await allBodies();
    expect(answers.length).toBeGreaterThan(5);
    for (const secret of [token, WRONG_TOKEN]) {
      expect(answers.filter((b) => b.includes(secret))).toEqual([]);
      expect(ui.output()).not.toContain(secret);
    }
  }, 60_000);

  it('says what to do when security revoked this device, and enrols it again with a new token', async () => {
    const device = (await fact('Device').innerText()).trim();
    const admin = await server.token('admin');
    const revoked = await server.request('DELETE', `/api/v1/devices/${device}`, { auth: admin.token });
    expect(revoked.status, revoked.text).toBe(200);
    const entriesBefore = await fact('Journal entries here').innerText();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect
      .poll(() => page.getByRole('alert').innerText(), { timeout: 20_000 })
      .toBe(
        `The journal server no longer accepts this device (its credential is unknown or revoked). Ask security to revoke this device on the server and give you a new enrolment token, then use "Enrol again" below. The server refused: device ${device} has been revoked; the laptop syncs again once security gives it a new enrolment token (breakglass enroll --again) (UNAUTHENTICATED)`,
      );
    expect(await page.getByText('Check that you pasted it whole').count()).toBe(0);
    expect(await fact('Journal entries here').innerText()).toBe(entriesBefore);

    const { token } = await server.token('enroll', 3_600_000, (await fact('Journal').innerText()).trim());
    await page.getByText('Enrol again', { exact: true }).first().click();
    await page.getByLabel('Token for enrolling again').fill(token);
    await page.getByRole('button', { name: 'Enrol again' }).click();
    const held = (await server.storage.journal((await fact('Journal').innerText()).trim()))!.size;
    await expect.poll(() => page.getByText(/^Enrolled again as device /).count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByText(/^Enrolled again as device /).innerText()).toBe(
      `Enrolled again as device ${device}. The server holds ${held} entries of this journal; Sync now uploads the rest.`,
    );
    expect(await page.getByLabel('Token for enrolling again').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.getByText(/^Synced: uploaded \d+ entries/).count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => fact('Not on the server at the last receipt').innerText()).toBe('2 entries');
    const local = Number(await fact('Journal entries here').innerText());
    expect((await server.storage.journal((await fact('Journal').innerText()).trim()))!.size).toBe(local - 2);
    await look('settings-enrol-again');
    expect(axeFindings).toEqual([]);
    const answers = await allBodies();
    expect(answers.filter((b) => b.includes(token))).toEqual([]);
    expect(ui.output()).not.toContain(token);
  }, 90_000);
});
