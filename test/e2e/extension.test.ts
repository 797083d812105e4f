/// <reference lib="dom" />
// More time in an unseal window, through the app only once the credential is unsealed: the requester
// asks with his passphrase, a wrong holder passphrase is refused with its sentence and journaled,
// two holders approve in person, and the window's countdown moves to the new end. Real `breakglass
// ui`, real SQLite and keychain, headless Chromium.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSPHRASES, expectStatus } from '../helpers/cli.js';
import { buildWorld, type World } from '../helpers/world.js';
import { journal, jsonOk } from '../integration/cli/vault-state.js';
import { openApp, seriousAxeViolations } from './harness.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

describe('the app: more time in an unseal window, asked and approved in person', () => {
  let world: World;
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let request: string;
  let windowEndsAt: number;

  beforeAll(async () => {
    world = await buildWorld();
    request = await world.request();
    for (const h of ['alice', 'bob'])
      expectStatus(await world.vault.run(['approve', request, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    windowEndsAt = jsonOk<{ windowEndsAt: number }>(await world.vault.run(['--json', 'unseal', request])).windowEndsAt;
    app = await openApp(world.vault.vault);
    ({ page } = app);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    world?.cleanup();
  });

  it('asked by dave, refused for a wrong passphrase, approved by alice and bob: the window ends one unseal length later', async () => {
    const main = page.getByRole('main');
    await main.getByRole('button', { name: 'Use prod-db-root' }).click();
    const ask = main.getByRole('form', { name: 'Ask for more time' });
    await expect.poll(() => ask.count(), { timeout: 20_000 }).toBe(1);
    await ask.getByLabel('Why more time is needed').fill('the restore is still running');
    await ask.getByLabel('Passphrase of dave').fill(PASSPHRASES['dave']!);
    await ask.getByRole('button', { name: 'Sign and ask for more time' }).click();
    const approve = main.getByRole('form', { name: 'Approve more time' });
    await expect
      .poll(() => approve.getByRole('status').innerText(), { timeout: 20_000 })
      .toMatch(/^Extension 1 of 1 asked: 0 of 2 approvals\./);

    // A mistyped passphrase: the sentence says so, the try is journaled, nothing is approved.
    const refusedBefore = journal(world.vault.vault).filter((e) => e.kind === 'access.refused').length;
    await approve.getByLabel('Holder').selectOption('alice');
    await approve.getByLabel('Passphrase of alice').fill('not alices passphrase');
    await approve.getByRole('button', { name: 'Approve more time with my passphrase' }).click();
    await expect
      .poll(() => main.getByRole('alert').allInnerTexts(), { timeout: 20_000 })
      .toEqual([expect.stringMatching(/WRONG_PASSPHRASE/)]);
    expect(journal(world.vault.vault).filter((e) => e.kind === 'access.refused').length).toBe(refusedBefore + 1);
    expect(await approve.getByRole('status').innerText()).toMatch(/0 of 2 approvals/);

    await approve.getByLabel('Passphrase of alice').fill(PASSPHRASES['alice']!);
    await approve.getByRole('button', { name: 'Approve more time with my passphrase' }).click();
    await expect.poll(() => approve.getByRole('status').innerText(), { timeout: 20_000 }).toMatch(/1 of 2 approvals/);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'more-time-light.png'), fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await approve.getByLabel('Holder').selectOption('bob');
    await approve.getByLabel('Passphrase of bob').fill(PASSPHRASES['bob']!);
    await approve.getByRole('button', { name: 'Approve more time with my passphrase' }).click();
    await expect.poll(() => main.getByText(/^More time granted: the window now ends /).count(), { timeout: 20_000 }).toBe(1);

    const extended = journal(world.vault.vault).findLast((e) => e.kind === 'window.extend')!;
    expect(extended).toMatchObject({ data: { request, number: 1, holders: ['alice', 'bob'] } });
    expect(extended.data['windowEndsAt']).toBe(windowEndsAt + 30 * 60_000);
    // No more extension is allowed: the view says so, in words.
    expect(await main.getByText(/^This window cannot be extended/).count()).toBe(1);
    expectStatus(await world.vault.run(['journal', 'verify']), 0, 'journal verify');
  }, 120_000);
});
