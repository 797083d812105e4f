/// <reference lib="dom" />
/**
 * The app as `breakglass ui` serves it, in Debian's Chromium through playwright-core (the e2e
 * harness): the renderer's JavaScript gzipped, the first render of the vault view, and the whole
 * break-glass story's machine time through the app beside the CLI's.
 *
 * Machine time is a story's wall time less its passphrase KDF: the scrypt runs are counted in the
 * story's own processes (bench/scrypt-meter.ts) and each is charged at one derivation measured
 * here at the vault's parameters, interleaved with the stories so both see the same load.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { RENDERER_DIR } from '../src/cli/ui-server.js';
import { deriveKey, freshKdf } from '../src/crypto/index.js';
import { launchChromium } from '../test/e2e/harness.js';
import { buildBenchWorld, startBenchUi, type BenchWorld } from './bench-world.js';
import { fmt, header, info, median, now, report, tempDir } from './lib.js';
import { cliStory, playInterleaved, STEPS, uiStory, type Story, type StoryTime } from './ui-story.js';

/** Issue 12's budget for the renderer's JavaScript, gzipped; 1 KB = 1000 bytes. */
const JS_BUDGET_KB = 250;
const FIRST_RENDER_MS = 300;
const FIRST_RENDERS = 7;
/**
 * No target is given for the story; 3x the CLI's machine time is ours. Both paths do the same vault
 * work: each app call opens the vault and verifies its journal, as each CLI command does. What
 * differs is Node's start-up per command on one side, and on the other the app's two start-ups, a
 * render per step, the calls a view makes besides the one that does the step (vault.overview after
 * every change), and the harness driving the page. 3x leaves room for those; a story that made the
 * vault do several times the CLI's work would miss it.
 */
const STORY_TARGET_X = 3;

/** Every .js file under `dir`, with its size and its size gzipped at level 9. */
function gzippedScripts(dir: string): { file: string; raw: number; gzip: number }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => {
      const bytes = readFileSync(join(e.parentPath, e.name));
      return { file: join(e.parentPath, e.name).slice(dir.length + 1), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    });
}

function benchJsSize(): void {
  // Vite writes every chunk to its assetsDir (renderer/vite.config.ts leaves it at assets/). The
  // rest of the folder is index.html, and whatever tsc emits for the tests that import renderer code.
  const assets = join(RENDERER_DIR, 'assets');
  const files = gzippedScripts(assets);
  if (files.length === 0) throw new Error(`no .js files in ${assets}: run npm run build:renderer first`);
  for (const f of files) info(`${f.file}: ${fmt(f.raw / 1000, 1)} KB, ${fmt(f.gzip / 1000, 1)} KB gzipped (node:zlib level 9)`);
  const kb = files.reduce((a, f) => a + f.gzip, 0) / 1000;
  report({
    name: 'ui.js-gzip',
    value: kb,
    unit: 'KB',
    limit: JS_BUDGET_KB,
    limitUnit: 'KB',
    ratio: kb / JS_BUDGET_KB,
    target: `<${JS_BUDGET_KB}KB`,
    pass: kb < JS_BUDGET_KB,
  });
}

/** Milliseconds of one scrypt derivation at the parameters the vault writes. */
async function kdfMillis(): Promise<number> {
  const t0 = now();
  (await deriveKey('bench passphrase, not a member', freshKdf())).fill(0);
  return now() - t0;
}

/**
 * Run in the page before its own scripts: notes performance.now() (milliseconds since navigation
 * start) at the first frame after a table row naming `credential` is laid out and visible.
 */
function watchForRow(credential: string): void {
  const w = window as unknown as { bgvRowVisible?: number };
  const observer = new MutationObserver(() => {
    const rows = Array.from(document.querySelectorAll('table tr'));
    if (!rows.some((r) => r.textContent?.includes(credential) && r.checkVisibility())) return;
    observer.disconnect();
    requestAnimationFrame(() => (w.bgvRowVisible = performance.now()));
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}

/** Milliseconds from navigation start: the row visible, and the responses it waited for. */
interface FirstRender {
  readonly row: number;
  readonly html: number;
  readonly script: number;
  readonly list: number;
}

/** Navigation start to the row being visible, in a fresh browser context (no cache, no storage). */
async function timeToRow(browser: Browser, url: string): Promise<FirstRender> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    await context.addInitScript(watchForRow, 'prod-db-root');
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { bgvRowVisible?: number }).bgvRowVisible !== undefined);
    return await page.evaluate(() => {
      const ended = (match: (name: string) => boolean): number =>
        (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) => match(e.name))?.responseEnd ?? NaN;
      return {
        row: (window as unknown as { bgvRowVisible: number }).bgvRowVisible,
        html: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd,
        script: ended((n) => n.endsWith('.js')),
        list: ended((n) => n.endsWith('/api/credentials.list')),
      };
    });
  } finally {
    await context.close();
  }
}

/** The floor: the same row in a static page from a bare loopback server, in the same browser. */
function bareServer(): Promise<{ url: string; server: Server }> {
  const page = '<!doctype html><html lang="en"><title>floor</title><table><tr><th>prod-db-root</th><td>Sealed</td></tr></table></html>';
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server })),
  );
}

async function benchFirstRender(browser: Browser, world: BenchWorld): Promise<void> {
  const ui = await startBenchUi(world.vault.vault);
  const bare = await bareServer();
  const app: FirstRender[] = [];
  const floor: number[] = [];
  try {
    // Interleaved, so a burst of load from another process hits both.
    for (let i = 0; i < FIRST_RENDERS; i++) {
      floor.push((await timeToRow(browser, bare.url)).row);
      app.push(await timeToRow(browser, ui.url));
    }
  } finally {
    bare.server.close();
    await ui.stop();
  }
  const rows = app.map((r) => r.row);
  const p50 = median(rows);
  const worst = Math.max(...rows);
  const floorMs = median(floor);
  info(`vault view, navigation start to the credential's row visible: ${rows.map((x) => fmt(x, 0)).join(' ')} ms`);
  const column = (pick: (r: FirstRender) => number): string => app.map((r) => fmt(pick(r), 0)).join(' ');
  info(`  responses ended: HTML ${column((r) => r.html)}; script ${column((r) => r.script)}; credentials.list ${column((r) => r.list)} ms`);
  info(`  median ${fmt(p50, 1)} ms, worst ${fmt(worst, 1)} ms (${FIRST_RENDERS} fresh browser contexts, one breakglass ui)`);
  info(`floor, a static page with that row from a bare loopback server: ${floor.map((x) => fmt(x, 0)).join(' ')} ms`);
  report({
    name: 'ui.first-render.p50',
    value: p50,
    unit: 'ms',
    limit: floorMs,
    limitUnit: 'ms',
    ratio: p50 / floorMs,
    target: `<${FIRST_RENDER_MS}ms`,
    pass: p50 < FIRST_RENDER_MS,
  });
}

function printStories(cli: StoryTime, ui: StoryTime, kdfMs: number): void {
  info(`${'step'.padEnd(34)}${'cli ms'.padStart(9)}${'ui ms'.padStart(9)}   scrypt runs cli/ui`);
  for (const step of STEPS) {
    const c = cli.steps.get(step);
    const u = ui.steps.get(step);
    const ms = (s: typeof c): string => (s ? fmt(s.ms, 0) : '-').padStart(9);
    info(`${step.padEnd(34)}${ms(c)}${ms(u)}   ${c?.kdfs ?? '-'}/${u?.kdfs ?? '-'}`);
  }
  for (const [name, s] of [
    ['cli', cli],
    ['ui', ui],
  ] as const) {
    info(
      `${name} story: wall ${fmt(s.ms, 0)} ms, ${s.kdfs} scrypt runs x ${fmt(kdfMs, 0)} ms = ${fmt(s.kdfs * kdfMs, 0)} ms ` +
        `(its processes timed them at ${fmt(s.kdfMs, 0)} ms)`,
    );
  }
}

/** Runs the ui benchmark and reports its three targets. */
export async function benchUi(): Promise<void> {
  header('ui', `breakglass ui in Chromium: renderer JS gzipped, first render of the vault view, the story vs the CLI's`);
  benchJsSize();

  const { dir, cleanup } = tempDir('ui');
  let browser: Browser | undefined;
  try {
    const t0 = now();
    browser = await launchChromium();
    const [cliWorld, uiWorld] = await Promise.all([buildBenchWorld(join(dir, 'cli')), buildBenchWorld(join(dir, 'ui'))]);
    info(`setup: two worlds of 4 members (by the CLI, with their KDF runs) and Chromium in ${fmt((now() - t0) / 1000, 1)} s`);
    const secret = `bench-root-pw-${randomBytes(12).toString('hex')}`;
    const kdf: number[] = [await kdfMillis(), await kdfMillis()];
    const stories: Story[] = [cliStory(cliWorld, secret), uiStory(uiWorld, secret, browser)];
    let cli: StoryTime;
    let ui: StoryTime;
    try {
      // One derivation after each round of steps, so the KDF is measured under the stories' load.
      [cli, ui] = (await playInterleaved(stories, async () => void kdf.push(await kdfMillis()))) as [StoryTime, StoryTime];
    } finally {
      for (const story of stories) await story.close();
    }
    const kdfMs = median(kdf);
    const k = freshKdf();
    info(
      `one scrypt derivation at N=2^${Math.log2(k.N)} r=${k.r} p=${k.p}: ${kdf.map((x) => fmt(x, 0)).join(' ')} ms (median ${fmt(kdfMs, 0)})`,
    );
    printStories(cli, ui, kdfMs);

    // The first render on the CLI's world after its story: a sealed credential with a history.
    await benchFirstRender(browser, cliWorld);

    const cliMachine = cli.ms - cli.kdfs * kdfMs;
    const uiMachine = ui.ms - ui.kdfs * kdfMs;
    const starts = ['open the app at the vault laptop', "open the app on bob's laptop"] as const;
    const uiWithoutStarts = uiMachine - starts.reduce((a, s) => a + (ui.steps.get(s)?.ms ?? 0), 0);
    info(`ui machine time ${fmt(uiMachine, 0)} ms vs cli machine time ${fmt(cliMachine, 0)} ms: ${fmt(uiMachine / cliMachine, 2)}x`);
    info(`  without the app's two start-ups: ${fmt(uiWithoutStarts, 0)} ms, ${fmt(uiWithoutStarts / cliMachine, 2)}x`);
    report({
      name: 'ui.story-machine-time',
      value: uiMachine,
      unit: 'ms',
      limit: cliMachine,
      limitUnit: 'ms',
      ratio: uiMachine / cliMachine,
      target: `<=${STORY_TARGET_X}x`,
      pass: uiMachine <= STORY_TARGET_X * cliMachine,
    });
  } finally {
    await browser?.close();
    cleanup();
  }
}
