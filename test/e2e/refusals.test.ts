/// <reference lib="dom" />
// Every refusal the CLI tests check, played through the app's windows only: `breakglass ui` on the
// crash cart and on the holders' laptops (real SQLite, the private keychain), in real Chromium. For
// each refusal: the exact sentence the page shows (the vault's message as errorSentence makes it,
// with its code), and that nothing changed. "Nothing" is what the CLI tests mean: the vault's tables,
// its keychain accounts and its journal are as before, except that a refusal that matters to
// security adds exactly one access.refused entry and the key.rotate that ends its epoch. Both are
// read twice: from the database, and as a person sees them (the journal view's count and its last
// rows, the credential's state in the vault view).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSPHRASES } from '../helpers/cli.js';
import { buildWorld, refusalPolicy, type World } from '../helpers/world.js';
import { expectRefusalJournaled, expectUnchanged, snapshot, type VaultSnapshot } from '../integration/cli/vault-state.js';
import { launchChromium, startUi, type UiProcess } from './harness.js';

/** How long a quick-expiry request is open: short, but long enough for bob to approve in time on a busy machine. */
const QUICK_EXPIRY_MINUTES = 0.15;

/** The CLI refusal tests' policy, with requests of `quick-expiry` open for QUICK_EXPIRY_MINUTES. */
const POLICY = refusalPolicy(QUICK_EXPIRY_MINUTES);

/** One laptop's app: its `breakglass ui`, its vault folder, the page a person works in and a second page that watches. */
interface Station {
  readonly ui: UiProcess;
  readonly vault: string;
  readonly page: Page;
  readonly watch: Page;
}

/** What a person can see of a vault's state, and what its database holds. */
interface Seen {
  readonly count: number;
  readonly states: string;
  readonly db: VaultSnapshot;
}

let world: World;
let browser: Browser;
let context: BrowserContext;
let cart: Station;
let bob: Station;
let carol: Station;
let dave: Station;
const uis: UiProcess[] = [];
const nav = (page: Page, name: string): Promise<void> => page.getByRole('navigation').getByRole('button', { name, exact: true }).click();

async function station(vault: string): Promise<Station> {
  const ui = await startUi(vault);
  uis.push(ui);
  const [page, watch] = await Promise.all([context.newPage(), context.newPage()]);
  await Promise.all([page.goto(ui.url), watch.goto(ui.url)]);
  return { ui, vault, page, watch };
}

/** Every credential's row in the vault view, as text. */
async function credentialRows(page: Page): Promise<string> {
  const main = page.getByRole('main');
  await nav(page, 'Vault');
  await expect.poll(() => main.getByRole('heading', { name: 'Credentials' }).count()).toBe(1);
  const rows = main.getByRole('row');
  await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(0);
  return (await rows.allInnerTexts()).join('\n');
}

/** The journal's entry count from the journal view, and every credential's row from the vault view, on the watching page. */
async function look(s: Station): Promise<Seen> {
  const main = s.watch.getByRole('main');
  // A holder's laptop seals nothing: only the cart has credentials to show. Another view in
  // between, so the journal view is mounted afresh and reads the journal again.
  const states = s === cart ? await credentialRows(s.watch) : '';
  if (s !== cart) await nav(s.watch, 'Members');
  await nav(s.watch, 'Journal');
  const status = main.getByRole('status').filter({ hasText: /^Journal verified: \d+ entries/ });
  await expect.poll(() => status.count()).toBe(1);
  const count = Number(/(\d+) entries/.exec(await status.innerText())![1]);
  await expect.poll(() => main.getByRole('row').count()).toBe(count + 1);
  return { count, states, db: await snapshot(s.vault) };
}

/** The last `n` rows of the journal view as "kind | details". */
async function lastEntries(s: Station, n: number): Promise<string[]> {
  const rows = await s.watch.getByRole('main').getByRole('row').all();
  return Promise.all(
    rows.slice(-n).map(async (r) => {
      const cells = await r.getByRole('cell').allInnerTexts();
      return `${cells[3]} | ${cells[6]}`;
    }),
  );
}

/** Asserts that the refusal changed nothing at all: database, journal view, vault view. */
async function expectNothingChanged(s: Station, before: Seen): Promise<void> {
  await expectUnchanged(s.vault, before.db);
  const after = await look(s);
  expect(after.count, 'journal entries shown').toBe(before.count);
  expect(after.states, 'credentials shown').toBe(before.states);
}

/** Asserts that the refusal was journaled (access.refused with `code`, and its key.rotate) and changed nothing else. */
async function expectJournaledOnly(s: Station, before: Seen, code: string, message: string): Promise<void> {
  await expectRefusalJournaled(s.vault, before.db, code);
  const after = await look(s);
  expect(after.count, 'journal entries shown').toBe(before.count + 2);
  expect(after.states, 'credentials shown').toBe(before.states);
  const [refused, rotate] = await lastEntries(s, 2);
  expect(refused).toBe(`access.refused | ${code}: ${message}`);
  expect(rotate).toMatch(/^key\.rotate \| epoch \d+$/);
}

/** The alert in the page's view (not the header), once it says `sentence` exactly. */
async function expectAlert(page: Page, sentence: string | RegExp): Promise<void> {
  const alerts = (): Promise<string[]> => page.getByRole('main').getByRole('alert').allInnerTexts();
  await expect.poll(alerts, { timeout: 20_000 }).toEqual([typeof sentence === 'string' ? sentence : expect.stringMatching(sentence)]);
  await expect.poll(() => page.getByRole('main').getByText('Working…').count()).toBe(0);
}

/** Opens a request (or fails to) from the break-glass form on the cart. */
async function fillRequest(page: Page, credential: string, passphrase: string): Promise<void> {
  await nav(page, 'Vault');
  await page.getByRole('button', { name: `Break glass: ${credential}` }).click();
  await page.getByLabel('Trigger (from the policy)').selectOption('network-outage');
  await page.getByLabel('Reason').fill('WAN down, IdP unreachable');
  await page.getByLabel('Incident reference').fill('INC-9');
  await page.getByLabel('Requester').selectOption('dave');
  await page.getByLabel('Passphrase of dave').fill(passphrase);
  await page.getByRole('button', { name: 'Sign and open the request' }).click();
}

/** Cancels the request shown on the cart, signed by its requester dave. */
async function cancelShown(page: Page): Promise<void> {
  const form = page.getByRole('form', { name: 'Cancel this request' });
  await form.getByLabel('Passphrase of dave').fill(PASSPHRASES['dave']!);
  await form.getByRole('button', { name: 'Cancel the request' }).click();
}

async function openRequest(page: Page, credential: string): Promise<string> {
  await fillRequest(page, credential, PASSPHRASES['dave']!);
  await expect.poll(() => page.getByText('0 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
  const facts = page.getByRole('region', { name: /^Request req-[0-9a-f]+, signed by its requester$/ });
  return /^Request (req-[0-9a-f]+),/.exec((await facts.getAttribute('aria-label')) ?? (await facts.innerText()))![1]!;
}

/** The request's text code for `holder`, made on the cart. */
async function requestCodeFor(page: Page, holder: string): Promise<string> {
  await page.getByRole('region', { name: 'Hand the request to a holder on their own laptop' }).getByLabel('Holder').selectOption(holder);
  await page.getByRole('button', { name: 'Make the request code' }).click();
  await expect.poll(() => page.getByLabel('Text code').inputValue(), { timeout: 20_000 }).toMatch(/^BGV1-REQUEST:/);
  return page.getByLabel('Text code').inputValue();
}

/** On a holder's laptop: shows the request of `code`. */
async function showRequest(page: Page, code: string): Promise<void> {
  await nav(page, 'Approve as holder');
  await page.getByLabel('Request code').fill(code);
  await page.getByRole('button', { name: 'Show the request' }).click();
}

/** On a holder's laptop: approves the request shown with `passphrase`. */
async function approveShown(page: Page, holder: string, passphrase: string): Promise<void> {
  await expect.poll(() => page.getByLabel(`Passphrase of ${holder}`).count(), { timeout: 20_000 }).toBe(1);
  await page.getByLabel(`Passphrase of ${holder}`).fill(passphrase);
  await page.getByRole('button', { name: 'Approve with my passphrase' }).click();
}

/** On a holder's laptop: approves `code` and returns the approval's text code. */
async function approveRemotely(s: Station, holder: string, code: string): Promise<string> {
  await showRequest(s.page, code);
  await approveShown(s.page, holder, PASSPHRASES[holder]!);
  await expect.poll(() => s.page.getByLabel('Text code').count(), { timeout: 20_000 }).toBe(1);
  return s.page.getByLabel('Text code').inputValue();
}

async function importApproval(page: Page, code: string): Promise<void> {
  await page.getByLabel('Approval code (or the file, below)').fill(code);
  await page.getByRole('button', { name: 'Import the approval' }).click();
}

async function approveInPerson(page: Page, holder: string, passphrase: string): Promise<void> {
  await page.getByRole('form', { name: 'Approve in person at this laptop' }).getByLabel('Holder').selectOption(holder);
  await page.getByLabel(`Passphrase of ${holder}`).fill(passphrase);
  await page.getByRole('button', { name: 'Approve in person' }).click();
}

const optionsOf = async (page: Page, form: string): Promise<string[]> =>
  page
    .getByRole(form === 'in person' ? 'form' : 'region', {
      name: form === 'in person' ? 'Approve in person at this laptop' : 'Hand the request to a holder on their own laptop',
    })
    .getByLabel('Holder')
    .locator('option')
    .allInnerTexts();

beforeAll(async () => {
  world = await buildWorld({ policy: POLICY });
  for (const id of ['quick-expiry', 'ops-root']) {
    const t = await world.vault.run(['seal', '--credential', id, '--label', id, '--secret-file', '-'], { stdin: `${world.secret}-${id}` });
    if (t.status !== 0) throw new Error(`seal ${id}: ${t.stderr}`);
  }
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  [cart, bob, carol, dave] = await Promise.all([
    station(world.vault.vault),
    station(world.laptops['bob']!.vault),
    station(world.laptops['carol']!.vault),
    station(world.laptops['dave']!.vault),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(uis.map((u) => u.stop()));
  world?.cleanup();
});

describe.sequential('every refusal in the app shows its sentence and changes nothing', () => {
  let r1 = '';
  let bobR1 = '';
  let carolR1 = '';
  let bundleBobR1 = '';

  it('a wrong passphrase at the request: WRONG_PASSPHRASE, journaled, still sealed, the field emptied', async () => {
    const a = cart.page;
    const before = await look(cart);
    await fillRequest(a, 'prod-db-root', 'not daves passphrase at all');
    await expectAlert(
      a,
      "That passphrase did not open the key. Check it and try again. That is not Dave's passphrase (member dave) (WRONG_PASSPHRASE)",
    );
    expect(await a.getByLabel('Passphrase of dave').inputValue()).toBe('');
    await expectJournaledOnly(cart, before, 'WRONG_PASSPHRASE', "that is not Dave's passphrase (member dave)");
    expect(before.states).toMatch(/prod-db-root[\s\S]*Sealed/);
    r1 = await openRequest(a, 'prod-db-root');
  }, 120_000);

  it("on bob's laptop: a damaged code, an approval code, an unknown file, no QR code, then a wrong passphrase; nothing written", async () => {
    bundleBobR1 = await requestCodeFor(cart.page, 'bob');
    const b = bob.page;
    let before = await look(bob);
    await nav(b, 'Approve as holder');
    await b.getByRole('button', { name: 'Show the request' }).click();
    await expectAlert(b, 'Paste the code first, or choose its file or QR image(s).');
    await showRequest(b, bundleBobR1.slice(0, -12));
    await expectAlert(
      b,
      'The code or file could not be read. Copy it again, whole. The request bundle code is damaged (a character may be missing); copy it again (BAD_BUNDLE)',
    );
    // An approval's prefix: read as what it says it is, and found damaged.
    await showRequest(b, 'BGV1-APPROVAL:abc');
    await expectAlert(
      b,
      'The code or file could not be read. Copy it again, whole. The approval code is damaged (a character may be missing); copy it again (BAD_BUNDLE)',
    );
    await b.getByLabel('Request code').fill('');
    await b.getByLabel('Request file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, world\n') });
    await expect.poll(() => b.getByLabel('Request code').inputValue()).toBe('hello, world\n');
    await b.getByRole('button', { name: 'Show the request' }).click();
    await expectAlert(
      b,
      'The code or file could not be read. Copy it again, whole. The request bundle is neither a text code nor JSON (BAD_BUNDLE)',
    );
    await b
      .getByLabel('Request file')
      .setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"breakglass.policy"}') });
    await expect.poll(() => b.getByLabel('Request code').inputValue()).toBe('{"format":"breakglass.policy"}');
    await b.getByRole('button', { name: 'Show the request' }).click();
    await expectAlert(
      b,
      'The code or file could not be read. Copy it again, whole. Request bundle is not valid: format: Invalid input: expected "breakglass.request-bundle" (and 9 more) (BAD_BUNDLE)',
    );
    const picture = join(world.root, 'no-qr.png');
    writeFileSync(picture, await b.screenshot({ clip: { x: 0, y: 0, width: 120, height: 120 } }));
    await b.getByLabel('Request code').fill('');
    await b.getByLabel('Request QR image(s)').setInputFiles(picture);
    await expectAlert(b, 'No QR code could be read in no-qr.png. Choose a sharper image of the code, or paste the text code instead.');
    expect(await b.getByLabel('Request code').inputValue()).toBe('');
    await expectNothingChanged(bob, before);

    before = await look(bob);
    await showRequest(b, bundleBobR1);
    await approveShown(b, 'bob', 'bob wrong horse battery');
    await expectAlert(
      b,
      "That passphrase did not open the key. Check it and try again. That is not Bob's passphrase (member bob) (WRONG_PASSPHRASE)",
    );
    expect(await b.getByLabel('Text code').count()).toBe(0);
    await expectJournaledOnly(bob, before, 'WRONG_PASSPHRASE', "that is not Bob's passphrase (member bob)");
    bobR1 = await approveRemotely(bob, 'bob', bundleBobR1);
  }, 120_000);

  it("bob's request on carol's laptop: refused before anything is signed, naming whose laptop it belongs on", async () => {
    const c = carol.page;
    const before = await look(carol);
    await showRequest(c, bundleBobR1);
    // Refused as it is read, before any screen or passphrase field, saying whose laptop it goes to.
    await expectAlert(
      c,
      /^This request is not for anyone whose keys are on this laptop; nothing was shown to approve\. This bundle is for bob; this machine holds keys for carol; .* \(FOREIGN_INPUT\)$/,
    );
    expect(await c.getByLabel('Passphrase of bob').count()).toBe(0);
    expect(await c.getByLabel('Text code').count()).toBe(0);
    await expectNothingChanged(carol, before);
  }, 60_000);

  it('the same approval code pasted twice: DUPLICATE_APPROVAL, journaled; a holder who approved is offered no more', async () => {
    const a = cart.page;
    await importApproval(a, bobR1);
    await expect.poll(() => a.getByText('1 of 2 approvals').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => optionsOf(a, 'in person')).toEqual(['alice', 'carol']);
    await expect.poll(() => optionsOf(a, 'remote')).toEqual(['alice', 'carol']);
    const before = await look(cart);
    await importApproval(a, bobR1);
    await expectAlert(a, `This holder has approved already. This approval from bob was already accepted for ${r1} (DUPLICATE_APPROVAL)`);
    expect(await a.getByText('1 of 2 approvals').count()).toBe(1);
    await expectJournaledOnly(cart, before, 'DUPLICATE_APPROVAL', `this approval from bob was already accepted for ${r1}`);
  }, 60_000);

  it('a wrong passphrase in person: WRONG_PASSPHRASE, journaled, still 1 of 2', async () => {
    const a = cart.page;
    const before = await look(cart);
    await approveInPerson(a, 'alice', 'alice wrong horse battery');
    await expectAlert(
      a,
      "That passphrase did not open the key. Check it and try again. That is not Alice's passphrase (member alice) (WRONG_PASSPHRASE)",
    );
    expect(await a.getByText('1 of 2 approvals').count()).toBe(1);
    await expectJournaledOnly(cart, before, 'WRONG_PASSPHRASE', "that is not Alice's passphrase (member alice)");
  }, 60_000);

  it('at the cart: a request code, a damaged code, an unknown file, an empty field; nothing changed', async () => {
    const a = cart.page;
    const before = await look(cart);
    await importApproval(a, bundleBobR1);
    await expectAlert(
      a,
      /^That is not the code or file this step takes\. This is a request bundle for bob \(request req-\w+\), not an approval; take it to bob's laptop .* \(FOREIGN_INPUT\)$/,
    );
    await importApproval(a, bobR1.slice(0, -10));
    await expectAlert(
      a,
      'The code or file could not be read. Copy it again, whole. The approval code is damaged (a character may be missing); copy it again (BAD_BUNDLE)',
    );
    await a.getByLabel('Approval code (or the file, below)').fill('');
    await a.getByLabel('Approval file').setInputFiles(join(world.root, 'no-qr.png'));
    await expect.poll(() => a.getByLabel('Approval code (or the file, below)').inputValue()).not.toBe('');
    await a.getByRole('button', { name: 'Import the approval' }).click();
    await expectAlert(
      a,
      'The code or file could not be read. Copy it again, whole. The approval is neither a text code nor JSON (BAD_BUNDLE)',
    );
    await importApproval(a, '  \n');
    await expectAlert(a, 'Paste the code first, or choose its file or QR image(s).');
    expect(await a.getByText('1 of 2 approvals').count()).toBe(1);
    await expectNothingChanged(cart, before);
  }, 60_000);

  it('an approval replayed into another request (its own cancelled): APPROVAL_REPLAYED, journaled, 0 of 2', async () => {
    const a = cart.page;
    carolR1 = await approveRemotely(carol, 'carol', await requestCodeFor(a, 'carol'));
    await cancelShown(a);
    await expect.poll(() => a.getByText('Request cancelled.').count(), { timeout: 20_000 }).toBe(1);
    const r2 = await openRequest(a, 'prod-db-root');
    expect(r2).not.toBe(r1);
    const before = await look(cart);
    await importApproval(a, carolR1);
    await expectAlert(
      a,
      `This approval belongs to another request. Request ${r1} is cancelled; approvals for it are no longer accepted (APPROVAL_REPLAYED)`,
    );
    expect(await a.getByText('0 of 2 approvals').count()).toBe(1);
    await expectJournaledOnly(cart, before, 'APPROVAL_REPLAYED', `request ${r1} is cancelled; approvals for it are no longer accepted`);
  }, 120_000);

  it('a reseal before the review: no reseal is offered while unsealed or waiting for review, and the vault refuses one (REVIEW_REQUIRED)', async () => {
    const a = cart.page;
    for (const holder of ['alice', 'carol']) {
      await approveInPerson(a, holder, PASSPHRASES[holder]!);
      await expect.poll(() => a.getByText(/Approved by .*\./).innerText(), { timeout: 20_000 }).toContain(holder);
    }
    await a.getByRole('button', { name: 'Unseal now' }).click();
    await expect.poll(() => a.getByRole('heading', { name: 'prod-db-root is unsealed' }).count(), { timeout: 20_000 }).toBe(1);
    expect(await a.getByRole('button', { name: /reseal/i }).count()).toBe(0);
    await a.getByRole('button', { name: 'Close the window now' }).click();
    await expect.poll(() => a.getByRole('heading', { name: 'Post-incident review of prod-db-root' }).count(), { timeout: 20_000 }).toBe(1);
    expect(await a.getByRole('button', { name: /reseal/i }).count()).toBe(0);
    await expect.poll(() => a.getByText('Reseal becomes possible once the review is signed.').count()).toBe(1);
    const before = await look(cart);
    expect(before.states).toMatch(/prod-db-root[\s\S]*Waiting for review \(exposed until resealed\)/);
    // Asked for anyway through the page's own client (no button makes this call): refused.
    const refused = await a.evaluate(async () => {
      const res = await fetch('./api/credential.reseal', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-breakglass-token': sessionStorage.getItem('breakglass-token') ?? '' },
        body: JSON.stringify({ credential: 'prod-db-root' }),
      });
      return (await res.json()) as unknown;
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'REVIEW_REQUIRED' } });
    await expectNothingChanged(cart, before);
  }, 120_000);

  it('self-approval: the requester is offered to no one as an approver, and refused on their own laptop (SELF_APPROVAL), nothing written', async () => {
    const a = cart.page;
    const req = await openRequest(a, 'ops-root');
    await expect.poll(() => optionsOf(a, 'in person')).toEqual(['alice', 'bob']);
    await expect.poll(() => optionsOf(a, 'remote')).toEqual(['alice', 'bob']);
    expect(await a.getByText('dave opened this request and cannot approve it.').count()).toBe(1);
    // A bundle for dave made anyway, through the page's own client (no control offers it).
    const daveCode = await a.evaluate(async (request) => {
      const res = await fetch('./api/request.export', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-breakglass-token': sessionStorage.getItem('breakglass-token') ?? '' },
        body: JSON.stringify({ request, holder: 'dave' }),
      });
      return ((await res.json()) as { value: { code: string } }).value.code;
    }, req);
    const before = await look(dave);
    await showRequest(dave.page, daveCode);
    await approveShown(dave.page, 'dave', PASSPHRASES['dave']!);
    await expectAlert(
      dave.page,
      'A requester cannot approve their own request. Dave opened this request and cannot also approve it (SELF_APPROVAL)',
    );
    expect(await dave.page.getByLabel('Text code').count()).toBe(0);
    await expectNothingChanged(dave, before);
    await cancelShown(a);
    await expect.poll(() => a.getByText('Request cancelled.').count(), { timeout: 20_000 }).toBe(1);
  }, 120_000);

  it('after expiry: the cart says so; a late approval, in person or imported, is REQUEST_EXPIRED (journaled); bob approves nothing', async () => {
    const a = cart.page;
    const q = await openRequest(a, 'quick-expiry');
    const bundle = await requestCodeFor(a, 'bob');
    const late = await approveRemotely(bob, 'bob', bundle);
    await expect.poll(() => a.getByText('This request has expired. Open a new one.').count(), { timeout: 30_000 }).toBe(1);
    // The vault view applies the clock: the request ends as expired (journaled), the credential is sealed.
    const before = await look(cart);
    expect(before.states).toMatch(/quick-expiry[\s\S]*Sealed/);
    const expired = new RegExp(
      `^The request has expired\\. Open a new one\\. Request ${q} expired at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d \\((?:\\d+ s ago|now)\\); open a new request \\(REQUEST_EXPIRED\\)$`,
    );
    await importApproval(a, late);
    await expectAlert(a, expired);
    await expectRefusalJournaled(cart.vault, before.db, 'REQUEST_EXPIRED');
    const between = await look(cart);
    expect(between.count).toBe(before.count + 2);
    await approveInPerson(a, 'alice', PASSPHRASES['alice']!);
    await expectAlert(a, expired);
    await expectRefusalJournaled(cart.vault, between.db, 'REQUEST_EXPIRED');
    expect((await look(cart)).states).toBe(before.states);

    const onLaptop = await look(bob);
    await showRequest(bob.page, bundle);
    await approveShown(bob.page, 'bob', PASSPHRASES['bob']!);
    await expectAlert(
      bob.page,
      new RegExp(
        `^The request has expired\\. Open a new one\\. Request ${q} expired at .* \\((?:\\d+ s ago|now)\\); ask for a new bundle \\(REQUEST_EXPIRED\\)$`,
      ),
    );
    expect(await bob.page.getByLabel('Text code').count()).toBe(0);
    await expectNothingChanged(bob, onLaptop);
  }, 120_000);

  it('printed no passphrase', () => {
    for (const u of uis) for (const p of Object.values(PASSPHRASES)) expect(u.output().includes(p)).toBe(false);
  });
});
