/// <reference lib="dom" />
/**
 * The break-glass story played twice for the ui benchmark, step by step with the same steps: once
 * as CLI commands (each a process, as a person types them) and once through the app's windows
 * (`breakglass ui` for the vault laptop and for Bob's laptop, in real Chromium). Seal, request,
 * Alice in person, Bob remote by text code, unseal and reveal, close, review, reseal.
 *
 * The app has no seal view (DESIGN.md, "The app"): a credential is sealed with `breakglass seal`,
 * so both stories start with that same command. The stories take turns step by step; every step
 * is timed on its own, and the scrypt derivations its processes ran are counted by
 * bench/scrypt-meter.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { expectOk, startBenchUi, type BenchUi, type BenchWorld, type Laptop } from './bench-world.js';
import { now } from './lib.js';
import { SCRYPT_LOG_ENV } from './scrypt-meter.js';

/** The steps of the story, in order; the app's own start-ups are steps only it has. */
export const STEPS = [
  'seal (the CLI in both)',
  'open the app at the vault laptop',
  'request, signed by dave',
  'alice approves in person',
  'hand the request to bob',
  "open the app on bob's laptop",
  'bob approves on his laptop',
  "import bob's approval",
  'unseal and reveal',
  'close the window',
  'review, signed by carol',
  'reseal',
] as const;
export type Step = (typeof STEPS)[number];

/** One step as timed: its wall time, and the scrypt runs (and their time) inside it. */
export interface StepTime {
  readonly ms: number;
  readonly kdfs: number;
  readonly kdfMs: number;
}

/** One played story. */
export interface StoryTime {
  readonly steps: ReadonlyMap<Step, StepTime>;
  readonly ms: number;
  readonly kdfs: number;
  /** The scrypt time the story's processes measured themselves (a cross-check, not subtracted). */
  readonly kdfMs: number;
}

const METER = pathToFileURL(join(import.meta.dirname, 'scrypt-meter.js')).href;

/** A story as its steps, each a closure over the story's state (request id, codes, pages). */
export interface Story {
  readonly name: string;
  /** Where the story's processes log their scrypt runs. */
  readonly log: string;
  readonly steps: ReadonlyMap<Step, () => Promise<void>>;
  /** Stops what the story started (untimed). */
  close(): Promise<void>;
}

function scryptLog(world: BenchWorld, name: string): string {
  const log = join(world.root, `scrypt-${name}.log`);
  writeFileSync(log, '');
  return log;
}

function readLog(log: string): { n: number; ms: number } {
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { n: lines.length, ms: lines.reduce((a, l) => a + (JSON.parse(l) as { ms: number }).ms, 0) };
}

/**
 * Plays the stories step by step, alternating between them, so a burst of load from another
 * process lands on both; `between` runs (untimed) after each step every story has played. Every
 * process a story starts is given the meter and that story's log.
 */
export async function playInterleaved(stories: readonly Story[], between: () => Promise<void>): Promise<StoryTime[]> {
  const nodeOptions = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = `${nodeOptions ?? ''} --import=${METER}`.trim();
  const times = stories.map(() => new Map<Step, StepTime>());
  try {
    for (const step of STEPS) {
      for (const [i, story] of stories.entries()) {
        const run = story.steps.get(step);
        if (!run) continue;
        process.env[SCRYPT_LOG_ENV] = story.log;
        const before = readLog(story.log);
        const t0 = now();
        await run();
        const ms = now() - t0;
        const after = readLog(story.log);
        times[i]!.set(step, { ms, kdfs: after.n - before.n, kdfMs: after.ms - before.ms });
      }
      await between();
    }
  } finally {
    delete process.env[SCRYPT_LOG_ENV];
    if (nodeOptions === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = nodeOptions;
  }
  return times.map((steps) => {
    const all = [...steps.values()];
    return {
      steps,
      ms: all.reduce((a, s) => a + s.ms, 0),
      kdfs: all.reduce((a, s) => a + s.kdfs, 0),
      kdfMs: all.reduce((a, s) => a + s.kdfMs, 0),
    };
  });
}

const REQUEST = [
  'request',
  '--credential',
  'prod-db-root',
  '--trigger',
  'network-outage',
  '--reason',
  'WAN down, IdP unreachable',
  '--incident',
  'INC-4711',
  '--requester',
  'dave',
];
const REVIEW = [
  'review',
  'prod-db-root',
  '--reviewer',
  'carol',
  '--warranted',
  'yes',
  '--summary',
  'restored the replica with the root account',
  '--changes',
  'root password to be rotated',
];

/** The first line of stdout that starts with `prefix` (the codes the CLI prints for a person to pass on). */
function lineStarting(stdout: string, prefix: string, what: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`${what} printed no ${prefix} line`);
  return line;
}

async function seal(vault: Laptop, secret: string): Promise<void> {
  expectOk(
    await vault.run(['seal', '--credential', 'prod-db-root', '--label', 'prod DB root', '--secret-file', '-'], { stdin: secret }),
    'seal',
  );
}

/** The story as CLI transcripts on the world's vault laptop and Bob's laptop. */
export function cliStory(world: BenchWorld, secret: string): Story {
  const vault = world.vault;
  const bob = world.laptops.bob;
  let req = '';
  let requestCode = '';
  let approvalCode = '';
  const steps = new Map<Step, () => Promise<void>>([
    ['seal (the CLI in both)', () => seal(vault, secret)],
    [
      'request, signed by dave',
      async () => {
        const t = expectOk(await vault.run(['--json', ...REQUEST], { passphraseOf: 'dave' }), 'request');
        req = (JSON.parse(t.stdout) as { request: string }).request;
      },
    ],
    [
      'alice approves in person',
      async () => {
        expectOk(await vault.run(['approve', req, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 'approve alice');
      },
    ],
    [
      'hand the request to bob',
      async () => {
        const t = expectOk(
          await vault.run(['request', 'export', req, '--holder', 'bob', '--out', join(world.root, 'bob.bundle')]),
          'request export',
        );
        requestCode = lineStarting(t.stdout, 'BGV1-REQUEST:', 'request export');
      },
    ],
    [
      'bob approves on his laptop',
      async () => {
        const t = expectOk(
          await bob.run(['approve', '--yes', '--bundle', requestCode, '--out', join(world.root, 'bob.approval')], { passphraseOf: 'bob' }),
          'approve --bundle',
        );
        approvalCode = lineStarting(t.stdout, 'BGV1-APPROVAL:', 'approve --bundle');
      },
    ],
    [
      "import bob's approval",
      async () => {
        expectOk(await vault.run(['approval', 'import', approvalCode]), 'approval import');
      },
    ],
    [
      'unseal and reveal',
      async () => {
        const t = expectOk(await vault.run(['unseal', req, '--reveal']), 'unseal --reveal');
        // Compared here, never printed.
        if (t.stdout.trim() !== secret) throw new Error('unseal --reveal did not print the sealed secret');
      },
    ],
    [
      'close the window',
      async () => {
        expectOk(await vault.run(['close', 'prod-db-root']), 'close');
      },
    ],
    [
      'review, signed by carol',
      async () => {
        expectOk(await vault.run(REVIEW, { passphraseOf: 'carol' }), 'review');
      },
    ],
    [
      'reseal',
      async () => {
        expectOk(await vault.run(['reseal', 'prod-db-root']), 'reseal');
      },
    ],
  ]);
  return { name: 'cli', log: scryptLog(world, 'cli'), steps, close: () => Promise.resolve() };
}

/** Starts `breakglass ui` on a vault and opens it in a fresh page, until its header names the vault. */
async function openApp(browser: Browser, vault: string, name: string): Promise<{ ui: BenchUi; page: Page }> {
  const ui = await startBenchUi(vault);
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(ui.url);
  await page.getByRole('heading', { level: 1 }).filter({ hasText: name }).waitFor();
  return { ui, page };
}

/**
 * The story through the app's windows, as test/e2e/story.test.ts plays it with text codes; it
 * checks only each step's outcome, by role and label. Every wait is Playwright's own polling.
 */
export function uiStory(world: BenchWorld, secret: string, browser: Browser): Story {
  const uis: BenchUi[] = [];
  const pages: Page[] = [];
  let cart: Page;
  let laptop: Page;
  let requestCode = '';
  let approvalCode = '';
  const steps = new Map<Step, () => Promise<void>>([
    ['seal (the CLI in both)', () => seal(world.vault, secret)],
    [
      'open the app at the vault laptop',
      async () => {
        const opened = await openApp(browser, world.vault.vault, 'crash cart');
        uis.push(opened.ui);
        pages.push((cart = opened.page));
        await cart
          .getByRole('row', { name: /prod-db-root/ })
          .filter({ hasText: 'Sealed' })
          .waitFor();
      },
    ],
    [
      'request, signed by dave',
      async () => {
        await cart.getByRole('button', { name: 'Break glass: prod-db-root' }).click();
        await cart.getByLabel('Trigger (from the policy)').selectOption('network-outage');
        await cart.getByLabel('Reason').fill('WAN down, IdP unreachable');
        await cart.getByLabel('Incident reference').fill('INC-4711');
        await cart.getByLabel('Requester').selectOption('dave');
        await cart.getByLabel('Passphrase of dave').fill(world.passphrases.dave);
        await cart.getByRole('button', { name: 'Sign and open the request' }).click();
        await cart.getByText('0 of 2 approvals').waitFor();
      },
    ],
    [
      'alice approves in person',
      async () => {
        await cart.getByLabel('Passphrase of alice').fill(world.passphrases.alice);
        await cart.getByRole('button', { name: 'Approve in person' }).click();
        await cart.getByText('1 of 2 approvals').waitFor();
      },
    ],
    [
      'hand the request to bob',
      async () => {
        await cart
          .getByRole('region', { name: 'Hand the request to a holder on their own laptop' })
          .getByLabel('Holder')
          .selectOption('bob');
        await cart.getByRole('button', { name: 'Make the request code' }).click();
        requestCode = await cart.getByLabel('Text code').inputValue();
        if (!requestCode.startsWith('BGV1-REQUEST:')) throw new Error('the app made no request code');
      },
    ],
    [
      "open the app on bob's laptop",
      async () => {
        const opened = await openApp(browser, world.laptops.bob.vault, "bob's laptop");
        uis.push(opened.ui);
        pages.push((laptop = opened.page));
      },
    ],
    [
      'bob approves on his laptop',
      async () => {
        await laptop.getByRole('button', { name: 'Approve as holder' }).click();
        await laptop.getByLabel('Request code').fill(requestCode);
        await laptop.getByRole('button', { name: 'Show the request' }).click();
        await laptop.getByText('BREAK GLASS: this approval OPENS prod-db-root').first().waitFor();
        await laptop.getByLabel('Passphrase of bob').fill(world.passphrases.bob);
        await laptop.getByRole('button', { name: 'Approve with my passphrase' }).click();
        approvalCode = await laptop.getByLabel('Text code').inputValue();
        if (!approvalCode.startsWith('BGV1-APPROVAL:')) throw new Error('the app made no approval code');
      },
    ],
    [
      "import bob's approval",
      async () => {
        await cart.getByLabel('Approval code (or the file, below)').fill(approvalCode);
        await cart.getByRole('button', { name: 'Import the approval' }).click();
        await cart.getByText('The threshold is met.').waitFor();
      },
    ],
    [
      'unseal and reveal',
      async () => {
        await cart.getByRole('button', { name: 'Unseal now' }).click();
        await cart.getByRole('button', { name: 'Reveal' }).click();
        // Compared here, never printed (nor put in a selector, which an error message would quote).
        if ((await cart.getByLabel('Secret').innerText()) !== secret) throw new Error('Reveal did not show the sealed secret');
      },
    ],
    [
      'close the window',
      async () => {
        await cart.getByRole('button', { name: 'Close the window now' }).click();
        await cart.getByRole('heading', { name: 'Post-incident review of prod-db-root' }).waitFor();
      },
    ],
    [
      'review, signed by carol',
      async () => {
        await cart.getByLabel('Reviewer').selectOption('carol');
        await cart.getByRole('radio', { name: 'Yes' }).check();
        await cart.getByLabel('What was done').fill('restored the replica with the root account');
        await cart.getByLabel('What changed').fill('root password to be rotated');
        await cart.getByLabel('Passphrase of carol').fill(world.passphrases.carol);
        await cart.getByRole('button', { name: 'Sign the review' }).click();
        await cart.getByText('Review signed.').waitFor();
      },
    ],
    [
      'reseal',
      async () => {
        await cart.getByRole('button', { name: 'Reseal' }).click();
        await cart.getByText(/Resealed as version \d+/).waitFor();
      },
    ],
  ]);
  return {
    name: 'ui',
    log: scryptLog(world, 'ui'),
    steps,
    async close() {
      for (const page of pages) await page.context().close();
      await Promise.all(uis.map((ui) => ui.stop()));
    },
  };
}
