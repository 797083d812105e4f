/// <reference lib="dom" />
// The whole break-glass story played through the app's windows only: two `breakglass ui` instances
// (the crash cart and Bob's laptop) on real vaults, in real Chromium. The request and Bob's approval
// travel once as QR images (rendered by the app, decoded with jsQR) and once as text codes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import jsQRModule from 'jsqr';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinQrParts } from '../../renderer/app/shared/qr-sequence.js';
import { PASSPHRASES } from '../helpers/cli.js';
import { buildWorld, type World } from '../helpers/world.js';
import { launchChromium, seriousAxeViolations, startUi, type UiProcess } from './harness.js';

// jsqr is CommonJS: under Node its default import is the function itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

let world: World;
let cart: UiProcess;
let bobUi: UiProcess;
let browser: Browser;
let context: BrowserContext;
let a: Page;
let b: Page;
/** Every API response body either page received, with its channel. */
const responses: { channel: string; body: string }[] = [];
const axeFindings: string[] = [];

async function record(response: Response): Promise<void> {
  const url = new URL(response.url());
  if (!url.pathname.startsWith('/api/')) return;
  let body: string;
  try {
    body = await response.text();
  } catch (err) {
    body = `unreadable: ${(err as Error).message}`;
  }
  responses.push({ channel: url.pathname.slice(5), body });
}

/** Screenshots of the view in light and dark, and axe-core's verdict on each. */
async function look(page: Page, name: string): Promise<void> {
  const t0 = Date.now();
  mkdirSync(SHOTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
    for (const v of await seriousAxeViolations(page)) axeFindings.push(`${name} (${scheme}): ${v}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  lookMs += Date.now() - t0;
}
let lookMs = 0;

/** The QR codes the page shows, decoded with jsQR from the pixels the browser drew. */
async function decodeQrImages(page: Page): Promise<{ texts: string[]; pngs: Buffer[] }> {
  const images = page.locator('img.qr');
  await expect.poll(() => images.count()).toBeGreaterThan(0);
  const texts: string[] = [];
  const pngs: Buffer[] = [];
  for (const img of await images.all()) {
    const src = (await img.getAttribute('src'))!;
    pngs.push(Buffer.from(src.slice(src.indexOf(',') + 1), 'base64'));
    const pixels = await img.evaluate((el: HTMLImageElement) => {
      const canvas = document.createElement('canvas');
      canvas.width = el.naturalWidth;
      canvas.height = el.naturalHeight;
      const g = canvas.getContext('2d')!;
      g.drawImage(el, 0, 0);
      const d = g.getImageData(0, 0, canvas.width, canvas.height);
      return { w: d.width, h: d.height, data: Array.from(d.data) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(pixels.data), pixels.w, pixels.h);
    expect(decoded, 'every QR code the app shows decodes').not.toBeNull();
    texts.push(decoded!.data);
  }
  return { texts, pngs };
}

function writePngs(name: string, pngs: Buffer[]): string[] {
  return pngs.map((png, i) => {
    const path = join(world.root, `${name}-${i + 1}.png`);
    writeFileSync(path, png);
    return path;
  });
}

const domHasSecret = async (page: Page): Promise<boolean> => (await page.content()).includes(world.secret);

beforeAll(async () => {
  world = await buildWorld();
  [cart, bobUi, browser] = await Promise.all([startUi(world.vault.vault), startUi(world.laptops['bob']!.vault), launchChromium()]);
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cart.origin });
  a = await context.newPage();
  b = await context.newPage();
  a.on('response', (r) => void record(r));
  b.on('response', (r) => void record(r));
  await a.goto(cart.url);
  await b.goto(bobUi.url);
}, 120_000);

afterAll(async () => {
  console.log(`screenshots and axe took ${lookMs} ms`);
  await browser?.close();
  await Promise.all([cart?.stop(), bobUi?.stop()]);
  world?.cleanup();
});

describe.sequential('the break-glass story in the app', () => {
  for (const carrier of ['qr', 'text'] as const) {
    it(`breaks the glass with one in-person and one remote approval carried by ${carrier === 'qr' ? 'QR images' : 'text codes'}, then reviews and reseals`, async () => {
      const first = carrier === 'qr';
      // The vault view: sealed, journal verified, the token gone from the address bar.
      await a.getByRole('button', { name: 'Vault', exact: true }).click();
      await expect.poll(() => a.getByRole('row', { name: /prod-db-root/ }).innerText()).toContain('Sealed');
      await expect.poll(() => a.getByText(/Journal verified: \d+ entries/).count()).toBe(1);
      expect(a.url()).not.toContain('token');
      if (first) await look(a, 'vault');

      // Break glass: the request is signed by Dave in person.
      await a.getByRole('button', { name: 'Break glass: prod-db-root' }).click();
      await a.getByLabel('Trigger (from the policy)').selectOption('network-outage');
      await a.getByLabel('Reason').fill(`WAN down, IdP unreachable (${carrier})`);
      await a.getByLabel('Incident reference').fill('INC-4711');
      await a.getByLabel('Requester').selectOption('dave');
      if (first) await look(a, 'break-glass');
      await a.getByLabel('Passphrase of dave').fill(PASSPHRASES['dave']!);
      await a.getByRole('button', { name: 'Sign and open the request' }).click();
      await expect.poll(() => a.getByText('0 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
      expect(await a.getByLabel('Passphrase of alice').inputValue()).toBe('');

      // In person: a wrong passphrase is refused with a sentence and changes nothing; then Alice approves.
      await a.getByLabel('Passphrase of alice').fill('not alice passphrase');
      await a.getByRole('button', { name: 'Approve in person' }).click();
      await expect.poll(() => a.getByRole('alert').innerText(), { timeout: 20_000 }).toContain('That passphrase did not open the key');
      expect(await a.getByText('0 of 2 approvals').count()).toBe(1);
      await a.getByLabel('Passphrase of alice').fill(PASSPHRASES['alice']!);
      await a.getByRole('button', { name: 'Approve in person' }).click();
      await expect.poll(() => a.getByText('1 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
      await expect.poll(() => a.getByText('Approved by alice.').count()).toBe(1);

      // The request for Bob, as a text code and QR code(s); each QR decodes back to the exact code.
      await a.getByRole('region', { name: 'Hand the request to a holder on their own laptop' }).getByLabel('Holder').selectOption('bob');
      await a.getByRole('button', { name: 'Make the request code' }).click();
      const requestCode = await a.getByLabel('Text code').inputValue();
      expect(requestCode).toMatch(/^BGV1-REQUEST:/);
      const requestQr = await decodeQrImages(a);
      expect(joinQrParts(requestQr.texts)).toEqual({ ok: true, code: requestCode });
      if (first) await look(a, 'approvals');

      // Bob's laptop: a damaged code is refused plainly; then the request, exactly as signed.
      await b.getByRole('button', { name: 'Approve as holder' }).click();
      if (first) {
        await b.getByLabel('Request code').fill(requestCode.slice(0, -8));
        await b.getByRole('button', { name: 'Show the request' }).click();
        await expect.poll(() => b.getByRole('alert').innerText()).toContain('could not be read');
        await b.getByLabel('Request code').fill('');
        await b.getByLabel('Request QR image(s)').setInputFiles(writePngs(`request-${carrier}`, requestQr.pngs));
        await expect.poll(() => b.getByLabel('Request code').inputValue()).toBe(requestCode);
      } else {
        await b.getByLabel('Request code').fill(requestCode);
      }
      await b.getByRole('button', { name: 'Show the request' }).click();
      const facts = b.getByRole('region', { name: /^Request .*, signed by its requester$/ });
      // Polled for this round's own reason: the previous round's request can still be on screen
      // (with the same warning) until the new one renders, which takes a while on a loaded machine.
      await expect.poll(() => facts.innerText(), { timeout: 20_000 }).toContain(`WAN down, IdP unreachable (${carrier})`);
      await expect.poll(() => facts.innerText()).toContain('BREAK GLASS: this approval OPENS prod-db-root');
      const shown = await facts.innerText();
      for (const fact of [
        `WAN down, IdP unreachable (${carrier})`,
        'INC-4711',
        'network-outage',
        '2 of 3: alice [',
        'split again among',
        'dave',
      ]) {
        expect(shown).toContain(fact);
      }
      if (first) await look(b, 'holder');
      await b.getByLabel('Passphrase of bob').fill(PASSPHRASES['bob']!);
      await b.getByRole('button', { name: 'Approve with my passphrase' }).click();
      await expect.poll(() => b.getByLabel('Text code').count(), { timeout: 20_000 }).toBe(1);
      const approvalCode = await b.getByLabel('Text code').inputValue();
      expect(approvalCode).toMatch(/^BGV1-APPROVAL:/);
      const approvalQr = await decodeQrImages(b);
      expect(joinQrParts(approvalQr.texts)).toEqual({ ok: true, code: approvalCode });
      if (first) await look(b, 'holder-approved');

      // Back at the crash cart: Bob's approval meets the threshold.
      if (first) {
        await a.getByLabel('Approval QR image(s)').setInputFiles(writePngs(`approval-${carrier}`, approvalQr.pngs));
        await expect.poll(() => a.getByLabel('Approval code (or the file, below)').inputValue()).toBe(approvalCode);
      } else {
        // A request code where an approval belongs is refused with a sentence, and changes nothing.
        await a.getByLabel('Approval code (or the file, below)').fill(requestCode);
        await a.getByRole('button', { name: 'Import the approval' }).click();
        await expect
          .poll(() => a.getByRole('alert').innerText(), { timeout: 20_000 })
          .toMatch(
            /^That is not the code or file this step takes\. This is a request bundle for bob \(request req-\w+\), not an approval; take it to bob's laptop .* \(FOREIGN_INPUT\)$/,
          );
        expect(await a.getByText('1 of 2 approvals').count()).toBe(1);
        await a.getByLabel('Approval code (or the file, below)').fill(approvalCode);
      }
      await a.getByRole('button', { name: 'Import the approval' }).click();
      await expect.poll(() => a.getByText('The threshold is met.').count(), { timeout: 20_000 }).toBe(1);
      expect(await domHasSecret(a)).toBe(false);

      // Unsealed: nothing secret in the page until Reveal is pressed.
      await a.getByRole('button', { name: 'Unseal now' }).click();
      await expect.poll(() => a.getByRole('heading', { name: 'prod-db-root is unsealed' }).count(), { timeout: 20_000 }).toBe(1);
      await expect.poll(() => a.getByText('Window closes in').count()).toBe(1);
      expect(await domHasSecret(a)).toBe(false);
      if (first) await look(a, 'unsealed');
      await a.getByRole('button', { name: 'Reveal' }).click();
      await expect.poll(() => a.getByLabel('Secret').innerText(), { timeout: 20_000 }).toBe(world.secret);
      if (first) await look(a, 'unsealed-revealed');
      await a.getByRole('button', { name: 'Hide' }).click();
      expect(await domHasSecret(a)).toBe(false);

      // Copy: the clipboard gets the secret, the page does not show it.
      await a.getByRole('button', { name: 'Copy to clipboard' }).click();
      await expect.poll(() => a.getByText(/Copied; the clipboard is cleared in \d+ s/).count(), { timeout: 20_000 }).toBe(1);
      expect(await a.evaluate(() => navigator.clipboard.readText())).toBe(world.secret);
      expect(await domHasSecret(a)).toBe(false);
      await a.evaluate(() => navigator.clipboard.writeText(''));

      // Close now: the credential waits for its review, and no reseal button exists yet.
      await a.getByRole('button', { name: 'Close the window now' }).click();
      await expect
        .poll(() => a.getByRole('heading', { name: 'Post-incident review of prod-db-root' }).count(), { timeout: 20_000 })
        .toBe(1);
      expect(await domHasSecret(a)).toBe(false);
      expect(await a.getByRole('button', { name: 'Reseal' }).count()).toBe(0);
      // A reseal asked for anyway (through the page's own client) is refused: REVIEW_REQUIRED.
      const refused = await a.evaluate(async (origin) => {
        const res = await fetch(`${origin}/api/credential.reseal`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'x-breakglass-token': sessionStorage.getItem('breakglass-token') ?? '' },
          body: JSON.stringify({ credential: 'prod-db-root' }),
        });
        return (await res.json()) as { ok: boolean; error?: { code: string } };
      }, cart.origin);
      expect(refused).toMatchObject({ ok: false, error: { code: 'REVIEW_REQUIRED' } });

      // The review, signed by Carol; then the reseal.
      await a.getByLabel('Reviewer').selectOption('carol');
      await a.getByRole('radio', { name: 'Yes' }).check();
      await a.getByLabel('What was done').fill('restored the replica with the root account');
      await a.getByLabel('What changed').fill('root password to be rotated in the next window');
      if (first) await look(a, 'review');
      await a.getByLabel('Passphrase of carol').fill(PASSPHRASES['carol']!);
      await a.getByRole('button', { name: 'Sign the review' }).click();
      await expect.poll(() => a.getByText('Review signed.').count(), { timeout: 20_000 }).toBe(1);
      await a.getByRole('button', { name: 'Reseal' }).click();
      await expect.poll(() => a.getByText(/Resealed as version \d+/).count(), { timeout: 20_000 }).toBe(1);

      // The journal shows it all, verified.
      await a.getByRole('button', { name: 'Journal', exact: true }).click();
      await expect.poll(() => a.getByText(/Journal verified: \d+ entries, signed and chained/).count()).toBeGreaterThan(0);
      await expect.poll(() => a.getByRole('table').innerText()).toContain('credential.reseal');
      const journal = await a.getByRole('table').innerText();
      for (const kind of [
        'request.create',
        'approval.accept',
        'credential.unseal',
        'credential.reveal',
        'credential.copy',
        'window.close',
        'review.sign',
        'credential.reseal',
      ]) {
        expect(journal).toContain(kind);
      }
      // The refused in-person approval is journaled as such, with its code.
      expect(journal).toContain('WRONG_PASSPHRASE');
      if (first) await look(a, 'journal');
    }, 240_000);
  }

  it('runs a drill through the app: real approvals and timings, nothing decrypted', async () => {
    await a.getByRole('button', { name: 'Vault', exact: true }).click();
    await a.getByRole('button', { name: 'Start a drill: prod-db-root' }).click();
    await a.getByLabel('Passphrase of dave').fill(PASSPHRASES['dave']!);
    await a.getByRole('button', { name: 'Sign and start the drill' }).click();
    await expect.poll(() => a.getByText('0 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
    expect(await a.getByText('DRILL: a practice run for prod-db-root').count()).toBe(1);
    for (const holder of ['alice', 'carol']) {
      await a.getByRole('form', { name: 'Approve in person at this laptop' }).getByLabel('Holder').selectOption(holder);
      await a.getByLabel(`Passphrase of ${holder}`).fill(PASSPHRASES[holder]!);
      await a.getByRole('button', { name: 'Approve in person' }).click();
      await expect.poll(() => a.getByText(/Approved by .*\./).innerText(), { timeout: 20_000 }).toContain(holder);
    }
    await a.getByRole('button', { name: 'Complete the drill' }).click();
    await expect
      .poll(() => a.getByText(/^Drill passed: alice \+ carol proved their shares; nothing was decrypted/).count(), { timeout: 20_000 })
      .toBe(1);
    expect(await domHasSecret(a)).toBe(false);
    await a.getByRole('button', { name: 'Vault', exact: true }).first().click();
    await expect
      .poll(() => a.getByRole('row', { name: /prod-db-root/ }).innerText())
      .toMatch(/Sealed[\s\S]*[+-]\d\d:\d\d[\s\S]*[+-]\d\d:\d\d/);
  }, 120_000);

  it('shows members and the policy (said to be local), and every view passed axe-core', async () => {
    await a.getByRole('button', { name: 'Members' }).click();
    await expect.poll(() => a.getByRole('row', { name: /carol/ }).innerText()).toContain('reviewer');
    await look(a, 'members');
    await a.getByRole('button', { name: 'Policy' }).click();
    await expect.poll(() => a.getByText('Local policy, not signed by security.').count()).toBeGreaterThan(0);
    await a.getByRole('textbox', { name: 'Check a policy (YAML or JSON)' }).fill('version: 1\ntriggers: {}\n');
    await a.getByRole('button', { name: 'Check', exact: true }).click();
    await expect.poll(() => a.getByRole('alert').count()).toBeGreaterThan(0);
    // Each problem with where it is, as `policy check` prints it.
    await expect
      .poll(() => a.getByRole('main').getByRole('alert').getByRole('listitem').allInnerTexts())
      .toEqual(['line 1, column 1: members: required', 'line 1, column 1: credentials: required']);
    await look(a, 'policy');
    expect(axeFindings).toEqual([]);
  }, 60_000);

  it('sent the secret in no HTTP response but the reveal calls, and printed no secret or passphrase', () => {
    expect(responses.filter((r) => r.body.startsWith('unreadable')).map((r) => r.body)).toEqual([]);
    const carrying = responses.filter((r) => r.body.includes(world.secret)).map((r) => r.channel);
    expect(carrying.length).toBeGreaterThan(0);
    expect(new Set(carrying)).toEqual(new Set(['unseal.reveal']));
    for (const r of responses) for (const p of Object.values(PASSPHRASES)) expect(r.body).not.toContain(p);
    for (const log of [cart.output(), bobUi.output()]) {
      expect(log).not.toContain(world.secret);
      for (const p of Object.values(PASSPHRASES)) expect(log).not.toContain(p);
      // The token appears once: in the URL printed for the person who started the server.
      expect(log.split('#token=').length - 1).toBe(1);
    }
  });
});
