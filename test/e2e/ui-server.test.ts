// Attacks on `breakglass ui`: every request without the run's token, from another origin, or with
// another Host (DNS rebinding) is refused and changes nothing; it listens on loopback only; every
// page carries the app's one CSP, which keeps inline script out even in real Chromium.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERER_CSP } from '../../src/core/ui.js';
import { expectStatus, laptop, tempDir } from '../helpers/cli.js';
import { launchChromium, startUi, type UiProcess } from './harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request, with exactly the headers given (fetch would not let a test forge Host). */
function raw(ui: UiProcess, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { port } = new URL(ui.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const { dir, cleanup } = tempDir('bgv-ui-');
const vault = laptop(dir, 'vault-laptop');
let ui: UiProcess;
let browser: Browser;

/** A well-formed API call; `change` forges one part of it. */
function api(channel: string, change: Record<string, string | null> = {}, body = '{}'): Promise<Answer> {
  const headers: Record<string, string> = {
    host: new URL(ui.origin).host,
    origin: ui.origin,
    'content-type': 'application/json',
    'x-breakglass-token': ui.token,
  };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  return raw(ui, 'POST', `/api/${channel}`, headers, body);
}

const journalSize = async (): Promise<number> =>
  (JSON.parse((await api('journal.verify')).body) as { value: { count: number } }).value.count;

beforeAll(async () => {
  expectStatus(await vault.run(['init', '--name', 'crash cart']), 0, 'init');
  [ui, browser] = await Promise.all([startUi(vault.vault), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  cleanup();
});

describe('breakglass ui refuses what does not come from its own page', () => {
  it('answers a well-formed call', async () => {
    const a = await api('journal.verify');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ ok: true, value: { ok: true } });
  });

  it.each([
    ['no token', { 'x-breakglass-token': null }, 401, 'missing or wrong token: open the URL that "breakglass ui" printed'],
    ['a wrong token', { 'x-breakglass-token': 'A'.repeat(43) }, 401, 'missing or wrong token: open the URL that "breakglass ui" printed'],
    [
      'the token as a cookie instead of the header',
      { 'x-breakglass-token': null, cookie: 'token=TOKEN' },
      401,
      'missing or wrong token: open the URL that "breakglass ui" printed',
    ],
    ['a foreign Origin', { origin: 'http://evil.example' }, 403, 'requests from other origins are refused'],
    ['no Origin', { origin: null }, 403, 'requests from other origins are refused'],
    ['another Host (DNS rebinding)', { host: 'evil.example:80' }, 421, 'wrong Host header'],
    ['localhost as Host', { host: 'localhost' }, 421, 'wrong Host header'],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'the API takes application/json'],
  ])('refuses %s, and the journal does not change', async (_what, change, status, message) => {
    const before = await journalSize();
    const forged = Object.fromEntries(Object.entries(change).map(([k, v]) => [k, v === 'token=TOKEN' ? `token=${ui.token}` : v]));
    const a = await api('request.cancel', forged, JSON.stringify({ request: 'req-x' }));
    expect(a.status).toBe(status);
    expect(JSON.parse(a.body)).toEqual({ ok: false, error: { code: expect.any(String), message } });
    expect(a.body).not.toContain(ui.token);
    expect(await journalSize()).toBe(before);
  });

  it('refuses a static page asked for under another Host, and never serves files outside the renderer', async () => {
    expect((await raw(ui, 'GET', '/', { host: 'evil.example' })).status).toBe(421);
    expect((await raw(ui, 'GET', '/', { host: new URL(ui.origin).host, origin: 'http://evil.example' })).status).toBe(403);
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../vault.db', '/api/journal.verify']) {
      const a = await raw(ui, 'GET', path, { host: new URL(ui.origin).host });
      expect(a.status, path).toBeGreaterThanOrEqual(400);
      expect(a.body).not.toContain('"name": "break-glass-vault"');
    }
  });

  it('names bad input precisely, never echoing a passphrase, and knows no channel outside the contract', async () => {
    const bad = await api(
      'request.open',
      {},
      JSON.stringify({
        credential: 'Prod DB',
        trigger: 'x',
        reason: '',
        incident: 'i',
        requester: 'dave',
        passphrase: 'hunter2-secret',
        extra: 1,
      }),
    );
    const parsed = JSON.parse(bad.body) as { ok: false; error: { code: string; message: string } };
    expect(parsed.error.code).toBe('BAD_INPUT');
    expect(parsed.error.message).toContain('credential: use 1-64 of a-z, 0-9, ".", "_", "-"');
    expect(parsed.error.message).toContain('reason: this field is required');
    expect(parsed.error.message).not.toContain('hunter2-secret');
    for (const channel of ['toString', '__proto__', 'constructor', 'nope']) {
      expect(JSON.parse((await api(channel)).body)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    }
    expect(JSON.parse((await api('journal.verify', {}, '{not json')).body)).toMatchObject({ error: { code: 'BAD_INPUT' } });
  });

  it('serves every page with the one CSP of the app, and Chromium enforces it', async () => {
    const index = await raw(ui, 'GET', '/', { host: new URL(ui.origin).host });
    expect(index.headers['content-security-policy']).toBe(RENDERER_CSP);
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['set-cookie']).toBeUndefined();
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    await page.goto(ui.url);
    await expect.poll(() => page.getByText(/Journal verified/).count()).toBe(1);
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    expect(ran).toBe(false);
    expect(violations.some((v) => v.includes('Content Security Policy'))).toBe(true);
    await page.close();
  });

  it('a page of another origin in the same browser cannot drive it, even knowing the token', async () => {
    const page = await browser.newPage();
    await page.goto('about:blank');
    const outcome = await page.evaluate(
      async ({ origin, token }) => {
        try {
          const res = await fetch(`${origin}/api/journal.verify`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'x-breakglass-token': token },
            body: '{}',
          });
          return `answered ${res.status}`;
        } catch (err) {
          return `blocked: ${(err as Error).name}`;
        }
      },
      { origin: ui.origin, token: ui.token },
    );
    expect(outcome).toMatch(/^blocked/);
    await page.close();
  });

  it('listens on 127.0.0.1 only', async () => {
    const { port } = new URL(ui.origin);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal)
      .map((i) => i!.address);
    for (const host of ['::1', ...others]) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: Number(port) });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      expect(reached, host).toBe(false);
    }
  });
});
