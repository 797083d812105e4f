/// <reference lib="dom" />
// A routine rotation finished in the app: asked and approved at the crash cart's CLI (the holders
// in person), then the operator opens the credential in the vault view, reads that it is a rotation
// (not a break glass: nothing is decrypted), types the new secret and seals it. Real `breakglass ui`,
// real SQLite and keychain, headless Chromium; the new secret is then what an unseal opens.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSPHRASES, expectStatus } from '../helpers/cli.js';
import { buildWorld, type World } from '../helpers/world.js';
import { expectSecretEqual, journal, jsonOk } from '../integration/cli/vault-state.js';
import { openApp, seriousAxeViolations, type UiProcess } from './harness.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const NEW_SECRET = 'R0tated-in-the-app-9c2e';

describe('the app: a rotation approved by the quorum, its new secret sealed from the approvals view', () => {
  let world: World;
  let app: Awaited<ReturnType<typeof openApp>>;
  let ui: UiProcess;
  let page: Page;
  const responses: string[] = [];

  beforeAll(async () => {
    world = await buildWorld();
    const asked = jsonOk<{ request: string }>(
      await world.vault.run(['--json', 'rotate', '--credential', 'prod-db-root', '--requester', 'dave', '--reason', 'quarterly rotation'], {
        passphraseOf: 'dave',
      }),
    );
    for (const h of ['alice', 'bob'])
      expectStatus(await world.vault.run(['approve', asked.request, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    app = await openApp(world.vault.vault);
    ({ ui, page } = app);
    page.on(
      'response',
      (r) =>
        void r.text().then(
          (t) => responses.push(t),
          (err: Error) => responses.push(`unreadable: ${err.message}`),
        ),
    );
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    world?.cleanup();
  });

  it('says it is a rotation, seals the typed secret as version 2, and the next unseal opens it', async () => {
    const main = page.getByRole('main');
    await main.getByRole('button', { name: 'Approvals: prod-db-root' }).click();
    await expect.poll(() => main.getByRole('heading', { name: 'Rotation: prod-db-root' }).count(), { timeout: 20_000 }).toBe(1);
    expect(await main.getByText(/^ROTATION: this approval lets dave REPLACE the sealed secret of prod-db-root/).count()).toBe(1);
    expect(await main.getByRole('button', { name: 'Unseal now' }).count()).toBe(0);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'rotation-light.png'), fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);

    const form = main.getByRole('form', { name: 'Seal the new secret' });
    await form.getByLabel('New secret (not shown)').fill(NEW_SECRET);
    await form.getByLabel('Passphrase of dave').fill(PASSPHRASES['dave']!);
    await form.getByRole('button', { name: 'Seal it in place of the old one' }).click();
    await expect
      .poll(
        () =>
          main
            .getByRole('status')
            .filter({ hasText: /^Rotated: version 2 is sealed/ })
            .count(),
        { timeout: 20_000 },
      )
      .toBe(1);
    // The typed secret is gone from the page, and no response carried it.
    expect(await page.content()).not.toContain(NEW_SECRET);
    expect(responses.filter((r) => r.includes(NEW_SECRET))).toEqual([]);
    expect(ui.output()).not.toContain(NEW_SECRET);
    expect(journal(world.vault.vault).findLast((e) => e.kind === 'credential.rotate')).toMatchObject({
      actor: 'dave',
      data: { version: 2, holders: ['alice', 'bob'], sealing: { by: 'dave', credentialVersion: 2 } },
    });

    const access = await world.request();
    for (const h of ['alice', 'carol'])
      expectStatus(await world.vault.run(['approve', access, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    const t = expectStatus(await world.vault.run(['unseal', access, '--reveal']), 0, 'reveal');
    expectSecretEqual(t.stdout.trimEnd(), NEW_SECRET, 'the secret after a rotation in the app');
  }, 120_000);
});
