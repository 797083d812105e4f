/// <reference lib="dom" />
// QR codes read from a camera, in real Chromium against real `breakglass ui` processes: Chromium's
// fake camera plays a YUV4MPEG2 file of the real request's (or approval's) QR codes, rendered here
// with qrcode, and the page imports what it reads exactly as a pasted code or an image file.
import { join, resolve } from 'node:path';
import QRCode from 'qrcode';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qrParts } from '../../renderer/app/shared/qr-sequence.js';
import { expectStatus } from '../helpers/cli.js';
import { buildWorld, type World } from '../helpers/world.js';
import { launchChromium, seriousAxeViolations, startUi, type UiProcess } from './harness.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const SIDE = 480;
const FPS = 5;

/** One 4:2:0 frame of a QR code: dark modules at luma 16, light at 235, a quiet zone, no colour. */
function qrFrame(text: string): Buffer {
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const scale = Math.floor(SIDE / (size + 8));
  const offset = Math.floor((SIDE - size * scale) / 2);
  const frame = Buffer.alloc(SIDE * SIDE * 1.5, 128);
  frame.fill(235, 0, SIDE * SIDE);
  for (let y = 0; y < size * scale; y++) {
    for (let x = 0; x < size * scale; x++) {
      if (data[Math.floor(y / scale) * size + Math.floor(x / scale)]) frame[(offset + y) * SIDE + offset + x] = 16;
    }
  }
  return frame;
}

/**
 * A fake camera's video of a text code's QR codes: the first for `firstSeconds` (time to look at
 * the preview with one part read), then each other part for a second; Chromium plays it in a loop.
 */
function cameraFile(world: World, name: string, code: string, firstSeconds: number): string {
  const parts = qrParts(code);
  const chunks: Buffer[] = [Buffer.from(`YUV4MPEG2 W${SIDE} H${SIDE} F${FPS}:1 Ip A1:1 C420jpeg\n`)];
  parts.forEach((part, i) => {
    const frame = qrFrame(part);
    for (let f = 0; f < FPS * (i === 0 ? firstSeconds : 1); f++) chunks.push(Buffer.from('FRAME\n'), frame);
  });
  return world.file(`${name}.y4m`, Buffer.concat(chunks));
}

const fakeCamera = (file: string): string[] => [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-video-capture=${file}`,
];

/** Records every stream the page is given and what it asked for, without touching the app's code. */
async function watchCamera(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const md = navigator.mediaDevices;
    const ask = md.getUserMedia.bind(md);
    const seen = { asked: [] as string[], tracks: [] as MediaStreamTrack[], refused: [] as string[] };
    (window as unknown as { camera: typeof seen }).camera = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.refused.push(e.violatedDirective));
    md.getUserMedia = async (constraints) => {
      seen.asked.push(JSON.stringify(constraints));
      const stream = await ask(constraints);
      seen.tracks.push(...stream.getTracks());
      return stream;
    };
  });
}

/** The tracks the page was given so far, as readyStates, and what it asked for. */
const cameraLog = (page: Page): Promise<{ asked: string[]; states: string[] }> =>
  page.evaluate(() => {
    const seen = (window as unknown as { camera: { asked: string[]; tracks: MediaStreamTrack[] } }).camera;
    return { asked: seen.asked, states: seen.tracks.map((t) => `${t.kind}:${t.readyState}`) };
  });

/** The CSP directives the page broke so far (none: the camera needs no change to the one CSP). */
const cspRefusals = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { camera: { refused: string[] } }).camera.refused);

const videoCount = (page: Page): Promise<number> => page.locator('video').count();

let world: World;
let requestId: string;
let requestCode: string;
let approvalCode: string;
let cart: UiProcess;
let bobUi: UiProcess;
const browsers: Browser[] = [];
const axeFindings: string[] = [];

async function openBrowser(args: string[] = [], watch = true): Promise<{ page: Page; context: BrowserContext }> {
  const browser = await launchChromium({ args });
  browsers.push(browser);
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  if (watch) await watchCamera(context);
  return { page: await context.newPage(), context };
}

beforeAll(async () => {
  world = await buildWorld();
  requestId = await world.request();
  const exported = async (holder: string): Promise<string> => {
    const t = expectStatus(
      await world.vault.run(['--json', 'request', 'export', requestId, '--holder', holder, '--out', join(world.root, `${holder}.bundle`)]),
      0,
      `request export ${holder}`,
    );
    return t.json<{ code: string }>().code;
  };
  requestCode = await exported('bob');
  const carolBundle = await exported('carol');
  const approved = expectStatus(
    await world.laptops['carol']!.run(
      ['--json', 'approve', '--bundle', carolBundle, '--out', join(world.root, 'carol.approval'), '--yes'],
      {
        passphraseOf: 'carol',
      },
    ),
    0,
    'approve carol',
  );
  approvalCode = approved.json<{ code: string }>().code;
  [cart, bobUi] = await Promise.all([startUi(world.vault.vault), startUi(world.laptops['bob']!.vault)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await Promise.all([cart?.stop(), bobUi?.stop()]);
  world?.cleanup();
});

describe.sequential('reading QR codes from a camera', () => {
  it('imports a multi-part request in holder mode as an image file would, asks for video only, sends nothing, and stops the camera', async () => {
    expect(qrParts(requestCode).length, 'the request is a numbered sequence').toBeGreaterThan(1);
    const total = qrParts(requestCode).length;
    const { page } = await openBrowser(fakeCamera(cameraFile(world, 'request', requestCode, 6)));
    await page.goto(bobUi.url);
    await page.getByRole('button', { name: 'Approve as holder' }).click();
    // Every request the page makes while the camera runs, but the app's own script chunks it loads
    // (the QR reader is fetched when first used): those carry nothing from the page.
    const requests: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      const ownChunk = r.method() === 'GET' && url.origin === new URL(bobUi.url).origin && /^\/assets\/[\w-]+\.js$/.test(url.pathname);
      if (!ownChunk) requests.push(`${r.method()} ${r.url()}`);
    });

    await page.getByRole('button', { name: 'Scan with camera' }).click();
    const preview = page.getByRole('group', { name: 'Camera' });
    await expect.poll(() => preview.getByLabel('Live camera picture: nothing is recorded, kept or sent').count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.textContent), 'focus is on Stop').toBe('Stop the camera');
    await expect
      .poll(() => preview.getByRole('status').innerText(), { timeout: 20_000 })
      .toBe(`1 of ${total} read. Show the others, in any order.`);
    expect(await page.getByLabel('Request code').inputValue(), 'nothing is filled in before every part is read').toBe('');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(SHOTS, `holder-camera-${scheme}.png`), fullPage: true });
      for (const v of await seriousAxeViolations(page)) axeFindings.push(`holder camera (${scheme}): ${v}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    await expect.poll(() => page.getByLabel('Request code').inputValue(), { timeout: 30_000 }).toBe(requestCode);
    expect(await page.getByRole('status').filter({ hasText: 'Read from the camera' }).innerText()).toBe(
      'Read from the camera; the camera is off.',
    );
    expect(await videoCount(page), 'the preview is gone').toBe(0);
    expect(await cameraLog(page)).toEqual({ asked: ['{"video":true,"audio":false}'], states: ['video:ended'] });
    expect(requests, 'nothing went anywhere while the camera ran').toEqual([]);
    expect(await cspRefusals(page), 'getUserMedia and a video with a MediaStream work under the CSP as it is').toEqual([]);
    expect(await page.evaluate(() => document.activeElement?.textContent), 'focus is back on Scan').toBe('Scan with camera');

    // The same path as a pasted code: the request, exactly as signed.
    await page.getByRole('button', { name: 'Show the request' }).click();
    const facts = page.getByRole('region', { name: /^Request .*, signed by its requester$/ });
    await expect.poll(() => facts.innerText(), { timeout: 20_000 }).toContain('WAN down, IdP unreachable');
    expect(await facts.innerText()).toContain('BREAK GLASS: this approval OPENS prod-db-root');
    expect(await page.getByLabel('Passphrase of bob').count()).toBe(1);
  }, 90_000);

  it('stops the camera on Stop and on leaving the view, and fills in nothing', async () => {
    const { page } = await openBrowser(fakeCamera(cameraFile(world, 'request-slow', requestCode, 30)));
    await page.goto(bobUi.url);
    await page.getByRole('button', { name: 'Approve as holder' }).click();
    await page.getByRole('button', { name: 'Scan with camera' }).click();
    await expect.poll(async () => (await cameraLog(page)).states).toEqual(['video:live']);
    await page.keyboard.press('Enter'); // on Stop, where the focus went
    await expect.poll(async () => (await cameraLog(page)).states).toEqual(['video:ended']);
    expect(await videoCount(page)).toBe(0);
    expect(await page.getByLabel('Request code').inputValue()).toBe('');

    await page.getByRole('button', { name: 'Scan with camera' }).click();
    await expect.poll(async () => (await cameraLog(page)).states).toEqual(['video:ended', 'video:live']);
    await page.getByRole('button', { name: 'Vault', exact: true }).click();
    await expect.poll(async () => (await cameraLog(page)).states).toEqual(['video:ended', 'video:ended']);
    expect(await videoCount(page)).toBe(0);
  }, 60_000);

  it("takes a holder's approval back at the vault laptop from the camera, through the same import", async () => {
    const { page } = await openBrowser(fakeCamera(cameraFile(world, 'approval', approvalCode, 2)));
    await page.goto(cart.url);
    await page.getByRole('button', { name: 'Approvals: prod-db-root' }).click();
    await expect.poll(() => page.getByText('0 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
    await page.getByRole('form', { name: "Take back a holder's approval" }).getByRole('button', { name: 'Scan with camera' }).click();
    await expect.poll(() => page.getByLabel('Approval code (or the file, below)').inputValue(), { timeout: 30_000 }).toBe(approvalCode);
    expect((await cameraLog(page)).states).toEqual(['video:ended']);
    await page.getByRole('button', { name: 'Import the approval' }).click();
    await expect.poll(() => page.getByText('1 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.getByText('Approved by carol.').count()).toBe(1);
    expect(await cspRefusals(page)).toEqual([]);
  }, 60_000);

  it('says plainly what to do when the camera is not allowed or there is none, and imports nothing', async () => {
    const cases = [
      {
        args: ['--use-fake-device-for-media-stream'],
        sentence: 'The camera was not allowed. Use an image file or paste the text code instead.',
      },
      { args: [], sentence: 'No camera was found. Use an image file or paste the text code instead.' },
    ];
    for (const { args, sentence } of cases) {
      const { page } = await openBrowser(args);
      await page.goto(bobUi.url);
      await page.getByRole('button', { name: 'Approve as holder' }).click();
      await page.getByRole('button', { name: 'Scan with camera' }).click();
      await expect.poll(() => page.getByRole('alert').innerText(), { timeout: 20_000 }).toBe(sentence);
      expect(await videoCount(page)).toBe(0);
      expect(await page.getByLabel('Request code').inputValue()).toBe('');
      expect((await cameraLog(page)).states).toEqual([]);
      expect(await page.getByRole('button', { name: 'Scan with camera' }).count(), 'it can be tried again').toBe(1);
    }
  }, 60_000);

  it('passed axe-core with the camera open, in light and dark', () => {
    expect(axeFindings).toEqual([]);
  });
});
