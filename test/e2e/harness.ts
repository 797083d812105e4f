/// <reference lib="dom" />
// The e2e harness: real `breakglass ui` processes on real vaults (SQLite, the private OS keychain),
// driven by Debian's real Chromium through playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BIN } from '../helpers/cli.js';

/**
 * Chromium as Debian ships it, with everything that would reach the network switched off; `args`
 * adds switches (such as a fake camera) after these.
 */
export function launchChromium(options: { args?: readonly string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(options.args ?? []),
    ],
  });
}

/** One running `breakglass ui`: its page URL (token in the fragment) and everything it printed. */
export interface UiProcess {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  /** stdout and stderr so far, for the log scans. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `breakglass --vault DIR ui --no-open --port 0` and waits for its URL. */
export function startUi(vault: string): Promise<UiProcess> {
  const child: ChildProcess = spawn(process.execPath, [BIN, '--vault', vault, 'ui', '--no-open', '--port', '0'], {
    env: { ...process.env, BREAKGLASS_HOME: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`breakglass ui printed no URL:\n${out}`)), 30_000);
    const take = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[0],
          origin: m[1]!,
          token: m[2]!,
          output: () => out,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`breakglass ui exited with ${code}:\n${out}`));
    });
  });
}

/** One vault's app in its own Chromium: `breakglass ui` on `vault`, a page open at its URL, and how to end both. */
export async function openApp(vault: string): Promise<{ browser: Browser; ui: UiProcess; page: Page; close(): Promise<void> }> {
  const [browser, ui] = await Promise.all([launchChromium(), startUi(vault)]);
  const page = await (await browser.newContext()).newPage();
  await page.goto(ui.url);
  return {
    browser,
    ui,
    page,
    close: async () => {
      await browser.close();
      await ui.stop();
    },
  };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in the page and returns its serious and critical violations (ids and targets). */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's strict CSP stays as it is.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.targets.join(', ')}`);
}
