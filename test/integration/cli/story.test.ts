import Database from 'better-sqlite3';
/**
 * The whole story of issue 2 as CLI transcripts, on simulated laptops with the real keychain and
 * real SQLite files: set up, seal, request, approve in person and remotely (file and text code),
 * unseal, reveal, close, the refused early reseal, review, reseal; then a drill, a share check,
 * the rotation path, and a journal verify on every machine.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, laptop, tempDir, vaultInUse, type Laptop, type Transcript } from '../../helpers/cli.js';
import { examplePolicy, requestArgs, reviewArgs } from '../../helpers/world.js';
import { expectNoSecret, expectSecretEqual, expectUnchanged, journal, jsonError, jsonOk, kinds, snapshot } from './vault-state.js';

const SECRET = 'pg-root: Vq7#tLx2-story-91ae';
const ROTATED = 'pg-root: rotated-after-INC-4711-5c2d';
const MEMBERS = ['alice', 'bob', 'carol', 'dave'] as const;
const EXAMPLE = resolve(import.meta.dirname, '../../../docs/policy.example.yaml');
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d';
/** A deadline: the time and how far it is ("in 15 min"). */
const DEADLINE = `${TIME} \\(in \\d+ (s|min|h|days)\\)`;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Asserts that neither the secret nor the rotated secret appears anywhere in a transcript. */
function expectNoPlaintext(t: Transcript): void {
  expectNoSecret(t.stdout, [SECRET, ROTATED], 'stdout');
  expectNoSecret(t.stderr, [SECRET, ROTATED], 'stderr');
}

// An incident reference that tries to forge a journal line and clear the screen; shown escaped.
const FORGING_INCIDENT = 'INC-4712\n   99  2026-01-01 00:00:00 +00:00  e9  request.cancel     dave -> prod-db-root\u001b[2J';
const SHOWN_INCIDENT = 'INC-4712\\u{a}   99  2026-01-01 00:00:00 +00:00  e9  request.cancel     dave -> prod-db-root\\u{1b}[2J';

describe('breakglass, the full story on four laptops and a vault laptop', () => {
  const { dir, cleanup } = tempDir('bgv-story-');
  const vault = laptop(dir, 'vault-laptop');
  const laptops = Object.fromEntries(MEMBERS.map((m) => [m, laptop(dir, `laptop-${m}`)])) as Record<(typeof MEMBERS)[number], Laptop>;
  const path = (name: string): string => join(dir, name);
  let vaultId = '';
  let vaultGenesis = '';
  let req = '';

  beforeAll(() => {
    if (process.env['BREAKGLASS_KEYCHAIN_READY'] !== '1') throw new Error('run through `bash scripts/with-keychain.sh npx vitest run ...`');
  });
  afterAll(() => cleanup());

  it('init: each machine gets a vault, its journal and genesis key', async () => {
    const t = expectStatus(await vault.run(['init', '--name', 'crash cart']), 0, 'init');
    // The genesis key printed here is the one people keep and verify against later.
    vaultGenesis = / genesis key ([A-Za-z0-9_-]{43})$/.exec(lines(t.stdout)[1] ?? '')?.[1] ?? '';
    expect(lines(t.stdout)).toEqual([
      `vault "crash cart" created at ${vault.vault}`,
      expect.stringMatching(/^journal j-[0-9a-f]{16}, genesis key [A-Za-z0-9_-]{43}$/),
      expect.stringMatching(/^keep the genesis key outside this machine .*journal verify --genesis-key KEY/),
    ]);
    // Separate machines: their inits run side by side.
    const inits = await Promise.all(MEMBERS.map((m) => laptops[m].run(['--json', 'init', '--name', `${m}'s laptop`])));
    for (const t of inits) {
      const init = jsonOk<{ vault: string; journal: string; genesisKey: string }>(t);
      expect(init.vault).toMatch(/^v-[0-9a-f]{16}$/);
      expect(init.genesisKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    vaultId = journal(vault.vault)[0]!.subject;
    expect(vaultId).toMatch(/^v-[0-9a-f]{16}$/);
    // A second init on the same folder is refused and changes nothing.
    const before = await snapshot(vault.vault);
    expect(jsonError(await vault.run(['--json', 'init', '--name', 'again']), 2).code).toBe('ALREADY_EXISTS');
    await expectUnchanged(vault.vault, before);
  });

  it('member create and export-key on their own laptop; member add and list at the vault', async () => {
    const nameOf = (m: string): string => m[0]!.toUpperCase() + m.slice(1);
    // Each person on their own laptop, side by side.
    const onLaptops = await Promise.all(
      MEMBERS.map(async (m) => {
        const created = await laptops[m].run(['member', 'create', '--id', m, '--name', nameOf(m), '--out', path(`${m}.card`)], {
          passphraseOf: m,
        });
        return {
          created,
          exported: await laptops[m].run(['member', 'export-key', '--id', m, '--out', path(`${m}.custody`)], { passphraseOf: m }),
        };
      }),
    );
    for (const [i, m] of MEMBERS.entries()) {
      const name = nameOf(m);
      const created = expectStatus(onLaptops[i]!.created, 0, `member create ${m}`);
      expect(lines(created.stdout)).toEqual([`member ${m} (${name}) created; card written to ${path(`${m}.card`)}`]);
      const card = JSON.parse(readFileSync(path(`${m}.card`), 'utf8')) as Record<string, unknown>;
      // The card is public: ids, public keys and a self-signature, nothing private.
      expect(Object.keys(card).sort()).toEqual(['agreementKey', 'createdAt', 'format', 'id', 'name', 'sig', 'signingKey', 'version']);
      expect(card).toMatchObject({ format: 'breakglass.member-card', id: m, name });

      const exported = expectStatus(onLaptops[i]!.exported, 0, `export-key ${m}`);
      expect(lines(exported.stdout)).toEqual([`custody copy of ${m} written to ${path(`${m}.custody`)} (still wrapped by the passphrase)`]);
      expect(statSync(path(`${m}.custody`)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(path(`${m}.custody`), 'utf8'))).toMatchObject({
        format: 'breakglass.custody',
        member: m,
        signingKey: card['signingKey'],
        wrapped: { kdf: { name: 'scrypt' } },
      });

      const added = expectStatus(
        await vault.run(['member', 'add', path(`${m}.card`), '--custody', path(`${m}.custody`)]),
        0,
        `member add ${m}`,
      );
      expect(lines(added.stdout)).toEqual([`member ${m} (${name}) enrolled with a custody copy`]);
    }
    const list = expectStatus(await vault.run(['member', 'list']), 0, 'member list');
    // Each with the start of their card's fingerprint: what a request signs for each holder's key.
    expect(lines(list.stdout)).toEqual(
      ['alice\tAlice', 'bob\tBob', 'carol\tCarol', 'dave\tDave'].map((m) =>
        expect.stringMatching(new RegExp(`^${m}\tcustody copy here\tkey [A-Za-z0-9_-]{16}$`)),
      ),
    );
  });

  it('policy check, set and show', async () => {
    const check = expectStatus(await vault.run(['policy', 'check', EXAMPLE]), 0, 'policy check');
    // Given --vault, it also checks that every member the policy names is enrolled there.
    const checked = /^(.*): ok \(1 credential\(s\); every member enrolled at (.*)\), hash ([A-Za-z0-9_-]{43})$/.exec(
      lines(check.stdout).join('\n'),
    );
    expect(checked?.[1]).toBe(EXAMPLE);
    expect(checked?.[2]).toBe(vault.vault);

    const set = expectStatus(await vault.run(['policy', 'set', EXAMPLE]), 0, 'policy set');
    const hash = /^policy set \(1 credential\(s\)\), hash ([A-Za-z0-9_-]{43})$/.exec(set.stdout.trim())?.[1];
    expect(hash).toBeDefined();
    // The hash check printed (no vault needed) is the one policy set journals: the reviewed file is tied to its entry.
    expect(checked?.[3]).toBe(hash);
    expect(journal(vault.vault).findLast((e) => e.kind === 'policy.set')?.data['hash']).toBe(hash);

    const shown = expectStatus(await vault.run(['policy', 'show']), 0, 'policy show');
    expect(JSON.parse(shown.stdout)).toEqual(parseYaml(readFileSync(EXAMPLE, 'utf8')));
    const json = jsonOk<{ hash: string; policy: { credentials: Record<string, { threshold: number }> } }>(
      await vault.run(['--json', 'policy', 'show']),
    );
    expect(json.hash).toBe(hash);
    expect(json.policy.credentials['prod-db-root']!.threshold).toBe(2);
  });

  it('seal reads the secret from stdin; list shows it SEALED v1', async () => {
    const sealed = expectStatus(
      await vault.run(['seal', '--credential', 'prod-db-root', '--label', 'prod DB root', '--secret-file', '-'], { stdin: SECRET }),
      0,
      'seal',
    );
    expect(lines(sealed.stdout)).toEqual(['sealed prod-db-root (prod DB root): 2 of 3 holders (alice, bob, carol)']);
    expectNoPlaintext(sealed);
    const list = expectStatus(await vault.run(['list']), 0, 'list');
    expect(lines(list.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^prod-db-root\tSEALED\t2 of 3\tv1\tprod DB root\tdrill due ${DEADLINE}$`)),
    ]);
  });

  it('request: signed by dave, prints the request id and its expiry', async () => {
    const started = Date.now();
    const t = expectStatus(await vault.run(requestArgs(), { passphraseOf: 'dave' }), 0, 'request');
    const [first, second] = lines(t.stdout);
    req = /^request (req-[0-9a-f]{12}) for prod-db-root \(access\): open, 0 of 2 approvals$/.exec(first ?? '')?.[1] ?? '';
    expect(req, t.stdout).not.toBe('');
    expect(second).toMatch(new RegExp(`^expires ${DEADLINE}$`));
    expect(second).toMatch(/\(in 15 min\)$/);
    // 15 minutes (request_expiry_minutes), to the second.
    const [date, time, offset] = second!.slice('expires '.length).split(' ');
    const expires = Date.parse(`${date}T${time}${offset}`);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 + 15 * 60_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 15 * 60_000);

    const created = journal(vault.vault).filter((e) => e.kind === 'request.create');
    expect(created.map((e) => [e.actor, (e.data['request'] as { id: string }).id])).toEqual([['dave', req]]);
    const list = expectStatus(await vault.run(['list']), 0, 'list');
    // An open request shows how far it got and when it expires, as request show does.
    expect(lines(list.stdout)).toEqual([
      `prod-db-root\tREQUESTED\t2 of 3\tv1\tprod DB root\trequest ${req} (0 of 2 approvals, expires ${second!.slice('expires '.length)})`,
    ]);
  });

  it('approve in person at the vault laptop (custody copy + passphrase)', async () => {
    const t = expectStatus(await vault.run(['approve', req, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 0, 'approve alice');
    // The whole request, as on a holder's own laptop, before the passphrase.
    const screen = lines(t.stderr);
    expect(screen[0]).toBe('BREAK GLASS: this approval OPENS prod-db-root. With enough approvals the vault decrypts it for the requester,');
    expect(screen).toContain('  requester   Dave (dave)');
    expect(screen).toContain('  reason      WAN down, IdP unreachable');
    expect(screen.some((l) => /^ {2}afterwards {2}split again among 2 of 3: alice \[/.test(l))).toBe(true);
    expect(screen.at(-2)).toBe('  as holder   alice, in person at this vault laptop');
    expect(lines(t.stdout)).toEqual([
      `request ${req} for prod-db-root (access): open, 1 of 2 approvals (alice)`,
      expect.stringMatching(new RegExp(`^expires ${DEADLINE}$`)),
    ]);
    expect(
      journal(vault.vault)
        .filter((e) => e.kind === 'approval.accept')
        .map((e) => [e.actor, e.data['request']]),
    ).toEqual([['alice', req]]);
    expect(lines(t.stderr).at(-1)).toBe(
      `next: 1 more approval(s) from bob, carol: in person "breakglass approve ${req} --holder ID", or remote "breakglass request export ${req} --holder ID --out FILE"`,
    );
    // Who approved and who has not, at any time, without changing anything.
    const shown = expectStatus(await vault.run(['request', 'show', req]), 0, 'request show');
    expect(lines(shown.stdout)).toEqual([
      `request ${req} for prod-db-root (access): open, 1 of 2 approvals (alice)`,
      expect.stringMatching(new RegExp(`^expires ${DEADLINE}$`)),
      'requester dave, trigger network-outage, incident INC-4711',
      'approved by alice; not yet: bob, carol',
    ]);
  });

  let bobApprovalCode = '';
  it("request export writes a bundle file and prints a text code; approve --bundle FILE on bob's laptop", async () => {
    const exported = expectStatus(
      await vault.run(['request', 'export', req, '--holder', 'bob', '--out', path('bob.bundle')]),
      0,
      'request export',
    );
    const [said, code] = lines(exported.stdout);
    expect(said).toBe(`bundle for bob written to ${path('bob.bundle')}; or paste this code on their laptop:`);
    expect(code).toMatch(/^BGV1-REQUEST:[A-Za-z0-9_-]+$/);
    expect(statSync(path('bob.bundle')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path('bob.bundle'), 'utf8'))).toMatchObject({
      format: 'breakglass.request-bundle',
      holder: 'bob',
      request: { id: req, vault: vaultId, requester: 'dave' },
    });

    const bobBefore = journal(laptops.bob.vault).length;
    const approved = expectStatus(
      await laptops.bob.run(['approve', '--yes', '--bundle', path('bob.bundle'), '--out', path('bob.approval')], { passphraseOf: 'bob' }),
      0,
      'approve --bundle file',
    );
    // What bob is asked to approve, on stderr; the approval as file and code on stdout.
    // The purpose first; then every field from the signed request, with each holder's key; the
    // journal position marked as the vault's word.
    const key = '\\[[A-Za-z0-9_-]{4} [A-Za-z0-9_-]{4} [A-Za-z0-9_-]{4} [A-Za-z0-9_-]{4}\\]';
    expect(lines(approved.stderr)).toEqual([
      'BREAK GLASS: this approval OPENS prod-db-root. With enough approvals the vault decrypts it for the requester,',
      'and the credential counts as exposed until it is reviewed and resealed.',
      `request ${req}, signed by its requester:`,
      expect.stringMatching(
        new RegExp(`^  vault       crash cart \\(${vaultId}\\), journal j-[0-9a-f]{16}, genesis key [A-Za-z0-9_-]{16}…$`),
      ),
      '  credential  prod-db-root - prod DB root (version 1; 2 approvals needed)',
      expect.stringMatching(
        /^ {2}requester {3}Dave \(dave\), key [A-Za-z0-9_-]{16}… \(first time this laptop sees dave's key: compare it with their card if in doubt\)$/,
      ),
      '  trigger     network-outage',
      '  reason      WAN down, IdP unreachable',
      '  incident    INC-4711',
      expect.stringMatching(new RegExp(`^  opened      ${TIME}$`)),
      expect.stringMatching(new RegExp(`^  expires     ${DEADLINE}$`)),
      '  window      30 min once unsealed',
      expect.stringMatching(new RegExp(`^  holders     2 of 3: alice ${key}, bob ${key}, carol ${key}$`)),
      expect.stringMatching(new RegExp(`^  afterwards  split again among 2 of 3: alice ${key}, bob ${key}, carol ${key}$`)),
      '  journal     first approval for this vault on this laptop: its genesis key is pinned now (compare it with the one security holds)',
      expect.stringMatching(
        /^ {2}position {4}request at seq \d+, journal ends at seq \d+ \(the vault's word, not signed by the requester\)$/,
      ),
      '  as holder   bob (this laptop checks its own key in both splits before it signs)',
    ]);
    const [written, approvalCode] = lines(approved.stdout);
    expect(written).toBe(`approval written to ${path('bob.approval')}; or give this code to the vault laptop:`);
    expect(approvalCode).toMatch(/^BGV1-APPROVAL:[A-Za-z0-9_-]+$/);
    bobApprovalCode = approvalCode!;
    expect(JSON.parse(readFileSync(path('bob.approval'), 'utf8'))).toMatchObject({
      body: { format: 'breakglass.approval', holder: 'bob', request: req, vault: vaultId },
    });
    // Bob's own journal records the approval he gave (the cross-reference).
    const given = journal(laptops.bob.vault, bobBefore);
    expect(given.map((e) => e.kind)).toEqual(['approval.give', 'key.rotate']);
    expect(given[0]!.data).toMatchObject({
      vault: vaultId,
      request: req,
      requester: 'dave',
      trigger: 'network-outage',
      incident: 'INC-4711',
    });
  });

  it('approval import CODE at the vault laptop reaches the threshold', async () => {
    const t = expectStatus(await vault.run(['approval', 'import', bobApprovalCode]), 0, 'approval import code');
    expect(lines(t.stdout)[0]).toBe(`request ${req} for prod-db-root (access): open, 2 of 2 approvals (alice, bob)`);
  });

  it('unseal without a flag opens the window and prints no plaintext', async () => {
    const before = journal(vault.vault).length;
    const t = expectStatus(await vault.run(['unseal', req]), 0, 'unseal');
    expectNoPlaintext(t);
    expect(lines(t.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^prod-db-root unsealed; window ends ${DEADLINE}; every reveal is journaled; more time, if needed before then: "breakglass extend ${req} --requester dave --reason TEXT" and the holders' approval$`,
        ),
      ),
    ]);
    expect(lines(t.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^prod-db-root is unsealed until ${DEADLINE}; use --reveal, --copy or --out FILE to use it$`)),
    ]);
    const added = journal(vault.vault, before);
    expect(added.map((e) => e.kind)).toEqual(['credential.unseal', 'key.rotate']);
    expect(added[0]!.data).toMatchObject({ request: req, holders: ['alice', 'bob'], version: 1, nextVersion: 2 });
    const list = expectStatus(await vault.run(['list']), 0, 'list');
    expect(lines(list.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(`^prod-db-root\tUNSEALED \\(exposed\\)\t2 of 3\tv1\tprod DB root\trequest ${req}\treview due ${DEADLINE}$`),
      ),
    ]);
  });

  it('unseal --reveal prints exactly the secret on stdout, again and again while the window is open, each time journaled', async () => {
    const before = journal(vault.vault).length;
    for (let i = 0; i < 2; i++) {
      const t = expectStatus(await vault.run(['unseal', req, '--reveal']), 0, 'unseal --reveal');
      expectSecretEqual(t.stdout, `${SECRET}\n`, 'stdout of --reveal');
      expect(t.stderr).toBe('');
    }
    expect(kinds(vault.vault, before)).toEqual(['credential.reveal', 'key.rotate', 'credential.reveal', 'key.rotate']);
  });

  it('unseal --out FILE writes the secret with mode 0600, and refuses to overwrite (exit 2, journal unchanged)', async () => {
    const out = path('secret.out');
    const t = expectStatus(await vault.run(['unseal', req, '--out', out]), 0, 'unseal --out');
    expectNoPlaintext(t);
    expect(t.stdout).toBe('');
    expect(lines(t.stderr)).toEqual([`written to ${out} (mode 0600); delete it when done`]);
    expectSecretEqual(readFileSync(out), SECRET, 'the --out file');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(journal(vault.vault).at(-2)!.kind).toBe('credential.export');

    const before = await snapshot(vault.vault);
    const again = await vault.run(['--json', 'unseal', req, '--out', out]);
    expect(jsonError(again, 2)).toMatchObject({
      code: 'BAD_INPUT',
      message: `${out} already exists; choose another file or remove it first`,
    });
    expectNoPlaintext(again);
    await expectUnchanged(vault.vault, before);
    expectSecretEqual(readFileSync(out), SECRET, 'the --out file');
  });

  it('--json unseal gives one JSON object and no plaintext', async () => {
    const t = await vault.run(['--json', 'unseal', req]);
    expect(jsonOk(t)).toMatchObject({ credential: 'prod-db-root', request: req, mode: 'none', windowEndsAt: expect.any(Number) });
    expectNoPlaintext(t);
    expect(jsonError(await vault.run(['--json', 'unseal', req, '--reveal']), 2).code).toBe('BAD_ARGUMENTS');
  });

  it('close ends the window; no reveal after it', async () => {
    const t = expectStatus(await vault.run(['close', 'prod-db-root']), 0, 'close');
    expect(lines(t.stdout)).toEqual(['prod-db-root closed; it needs a signed review before it can be resealed']);
    const list = expectStatus(await vault.run(['list']), 0, 'list');
    expect(lines(list.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(`^prod-db-root\tREVIEW_PENDING \\(exposed\\)\t2 of 3\tv1\tprod DB root\trequest ${req}\treview due ${DEADLINE}$`),
      ),
    ]);
    const reveal = await vault.run(['unseal', req, '--reveal']);
    expect(reveal.status).toBe(3);
    expect(reveal.stderr).toBe(
      `breakglass: WINDOW_CLOSED: the unseal window of prod-db-root has ended; it is waiting for review; next: "breakglass review prod-db-root --reviewer ID --warranted yes|no --summary TEXT --changes TEXT", "breakglass reseal prod-db-root", and, if the work is not done, a new request ("breakglass request --credential prod-db-root --trigger TRIGGER --reason TEXT --incident REF --requester ID")\n${vaultInUse('crash cart', vault.vault)}`,
    );
    expectNoPlaintext(reveal);
  });

  it('reseal before the review is refused: exit 3 REVIEW_REQUIRED, nothing changed', async () => {
    const before = await snapshot(vault.vault);
    const t = await vault.run(['reseal', 'prod-db-root']);
    expect(t.status).toBe(3);
    expect(t.stdout).toBe('');
    expect(t.stderr).toBe(
      `breakglass: REVIEW_REQUIRED: cannot reseal prod-db-root: a post-incident review must be signed first (breakglass review prod-db-root ...)\n${vaultInUse('crash cart', vault.vault)}`,
    );
    expect(jsonError(await vault.run(['--json', 'reseal', 'prod-db-root']), 3).code).toBe('REVIEW_REQUIRED');
    await expectUnchanged(vault.vault, before);
  });

  it('review by carol, then reseal: list shows SEALED v2', async () => {
    const review = expectStatus(
      await vault.run(reviewArgs('restarted the primary after the WAN outage', 'none', '--follow-up', 'add a second uplink'), {
        passphraseOf: 'carol',
      }),
      0,
      'review',
    );
    expect(lines(review.stdout)).toEqual([
      expect.stringMatching(/^review rev-[0-9a-f]{12} signed by carol; now "breakglass reseal prod-db-root"$/),
    ]);
    const signed = journal(vault.vault).filter((e) => e.kind === 'review.sign');
    expect(
      signed.map((e) => [
        e.actor,
        (e.data['body'] as Record<string, unknown>)['warranted'],
        (e.data['body'] as Record<string, unknown>)['incident'],
      ]),
    ).toEqual([['carol', true, 'INC-4711']]);

    const resealed = jsonOk<{ version: number; rotated: boolean }>(await vault.run(['--json', 'reseal', 'prod-db-root']));
    expect(resealed).toMatchObject({ credential: 'prod-db-root', version: 2, rotated: false });
    // The old request's window is long closed, and the credential sealed again: the error says so.
    const old = await vault.run(['unseal', req, '--reveal']);
    expect([old.status, old.stdout, old.stderr]).toEqual([
      3,
      '',
      `breakglass: WINDOW_CLOSED: request ${req} has ended, and prod-db-root has been resealed since (now SEALED); open a new request to unseal it again\n${vaultInUse('crash cart', vault.vault)}`,
    ]);
    const list = expectStatus(await vault.run(['list']), 0, 'list');
    expect(lines(list.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^prod-db-root\tSEALED\t2 of 3\tv2\tprod DB root\tdrill due ${DEADLINE}$`)),
    ]);
    const json = jsonOk<{ credentials: { id: string; state: string; version: number; exposed: boolean }[] }>(
      await vault.run(['--json', 'list']),
    );
    expect(json.credentials).toEqual([
      expect.objectContaining({ id: 'prod-db-root', state: 'SEALED', version: 2, exposed: false, request: null }),
    ]);
  });

  it('a drill: real approvals, the holders prove their shares, no share reaches the vault, the secret is never decrypted', async () => {
    const before = journal(vault.vault).length;
    const started = expectStatus(
      await vault.run(['drill', '--credential', 'prod-db-root', '--requester', 'dave'], { passphraseOf: 'dave' }),
      0,
      'drill start',
    );
    const out = lines(started.stdout);
    const drill = /^request (drill-[0-9a-f]{12}) for prod-db-root \(drill\): open, 0 of 2 approvals$/.exec(out[0] ?? '')?.[1] ?? '';
    expect(drill, started.stdout).not.toBe('');
    expect(out[2]).toBe(
      `collect 2 approvals ("breakglass approve ${drill} --holder ID" or bundles), then run this command again without --requester`,
    );
    for (const h of ['bob', 'carol'])
      expectStatus(await vault.run(['approve', drill, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve drill ${h}`);

    let done: Transcript;
    try {
      done = expectStatus(await vault.run(['drill', '--credential', 'prod-db-root']), 0, 'drill complete');
    } finally {
      // If the drill failed, cancel it so the rest of the story still runs on a sealed credential.
      if (journal(vault.vault).every((e) => e.kind !== 'drill.complete'))
        await vault.run(['request', 'cancel', drill], { passphraseOf: 'dave' });
    }
    expect(lines(done.stdout)).toEqual([
      'drill passed: bob + carol proved their shares of prod-db-root; no share reached this vault, nothing was decrypted',
      expect.stringMatching(/^request to quorum \d+\.\d s; proofs checked in \d+\.\d ms$/),
    ]);
    for (const t of [started, done]) expectNoPlaintext(t);

    const added = journal(vault.vault, before);
    expect(added.filter((e) => e.kind !== 'key.rotate').map((e) => e.kind)).toEqual([
      'request.create',
      'approval.accept',
      'approval.accept',
      'drill.complete',
    ]);
    expect(added.find((e) => e.kind === 'drill.complete')!.data).toMatchObject({ request: drill, holders: ['bob', 'carol'], ok: true });
    // What the vault holds of the drill's approvals: signed proofs, no share in any form.
    const db = new Database(join(vault.vault, 'vault.db'), { readonly: true });
    try {
      const tokens = (db.prepare('SELECT token FROM approvals WHERE request_id = ?').all(drill) as { token: string }[]).map((r) => r.token);
      expect(tokens).toHaveLength(2);
      for (const token of tokens) {
        expect(JSON.parse(token)).toMatchObject({ body: { format: 'breakglass.drill-proof', request: drill } });
        expect(token).not.toContain('sealedShare');
      }
    } finally {
      db.close();
    }
    const list = expectStatus(await vault.run(['list']), 0, 'list');
    expect(lines(list.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^prod-db-root\tSEALED\t2 of 3\tv2\tprod DB root\tdrill due ${DEADLINE}$`)),
    ]);
    // A drill can never be used to unseal.
    const unseal = await vault.run(['--json', 'unseal', drill, '--out', path('drill.out')]);
    expect(jsonError(unseal, 3).code).toBe('STATE_CONFLICT');
  });

  it('shares check: carol proves her share against its commitment', async () => {
    const t = expectStatus(
      await vault.run(['shares', 'check', '--credential', 'prod-db-root', '--holder', 'carol'], { passphraseOf: 'carol' }),
      0,
      'shares check',
    );
    expect(lines(t.stdout)).toEqual(['the share of carol for prod-db-root is good']);
    const last = journal(vault.vault).at(-2)!;
    expect(last).toMatchObject({ kind: 'share.check', actor: 'carol', subject: 'prod-db-root', data: { version: 2, ok: true } });
  });

  it('rotation: with require_rotation a review without the new secret is refused (exit 3 ROTATION_REQUIRED); with it, reseal seals the new secret', async () => {
    const strict = path('policy-rotation.yaml');
    writeFileSync(strict, examplePolicy({ 'require_rotation: false': 'require_rotation: true' }));
    expectStatus(await vault.run(['policy', 'set', strict]), 0, 'policy set require_rotation');

    const r = jsonOk<{ request: string; expiresAt: number }>(
      await vault.run(
        ['--json', ...requestArgs({ trigger: 'database-lockout', reason: 'every account locked out', incident: FORGING_INCIDENT })],
        {
          passphraseOf: 'dave',
        },
      ),
    ).request;
    // Carol approves from a text code on her laptop; the vault imports her approval file.
    const exported = expectStatus(
      await vault.run(['request', 'export', r, '--holder', 'carol', '--out', path('carol.bundle')]),
      0,
      'export carol',
    );
    const bundleCode = lines(exported.stdout)[1]!;
    const approved = expectStatus(
      await laptops.carol.run(['approve', '--yes', '--bundle', bundleCode, '--out', path('carol.approval')], { passphraseOf: 'carol' }),
      0,
      'approve --bundle code',
    );
    expect(lines(approved.stderr)).toContain(`request ${r}, signed by its requester:`);
    // Text from the bundle cannot forge a line of the approval screen, nor send escape sequences.
    expect(lines(approved.stderr)).toContain(`  incident    ${SHOWN_INCIDENT}`);
    expect(approved.stderr).not.toContain('\u001b');
    const shown = expectStatus(await vault.run(['journal', 'show', '--kind', 'request.create']), 0, 'journal show');
    expect(lines(shown.stdout)).toHaveLength(
      jsonOk<{ entries: unknown[] }>(await vault.run(['--json', 'journal', 'show', '--kind', 'request.create'])).entries.length,
    );
    expect(lines(shown.stdout).at(-1)).toContain(`incident=${SHOWN_INCIDENT} reason=`);
    expect(shown.stdout).not.toContain('\u001b');
    // An auditor leaves the key rotations (half of every journal) out, and a mistyped kind is named.
    const all = jsonOk<{ entries: { kind: string }[] }>(await vault.run(['--json', 'journal', 'show'])).entries;
    const hidden = jsonOk<{ entries: { kind: string }[] }>(
      await vault.run(['--json', 'journal', 'show', '--hide', 'key.rotate, access.refused']),
    ).entries;
    expect(hidden.map((e) => e.kind)).toEqual(all.map((e) => e.kind).filter((k) => k !== 'key.rotate' && k !== 'access.refused'));
    expect(hidden.length).toBeLessThan(all.length);
    expect(jsonError(await vault.run(['--json', 'journal', 'show', '--hide', 'key.rotaet']), 2)).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringMatching(
        /^--hide "key\.rotaet" is not a kind of journal entry; did you mean "key\.rotate"\? the kinds are journal\.genesis, /,
      ) as unknown,
    });
    expect(kinds(laptops.carol.vault).filter((k) => k === 'approval.give')).toHaveLength(1);
    const imported = jsonOk<{ approvals: string[] }>(await vault.run(['--json', 'approval', 'import', path('carol.approval')]));
    expect(imported.approvals).toEqual(['carol']);
    const inPerson = jsonOk<{ approvals: string[]; threshold: number }>(
      await vault.run(['--json', 'approve', r, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }),
    );
    expect(inPerson).toMatchObject({ approvals: ['carol', 'alice'], threshold: 2 });
    expectNoPlaintext(expectStatus(await vault.run(['unseal', r]), 0, 'unseal'));
    expectStatus(await vault.run(['close', 'prod-db-root']), 0, 'close');

    const reviewCommand = reviewArgs('unlocked the accounts', 'password rotated');
    const before = await snapshot(vault.vault);
    const refused = await vault.run(['--json', ...reviewCommand], { passphraseOf: 'carol' });
    expect(jsonError(refused, 3)).toMatchObject({ code: 'ROTATION_REQUIRED' });
    await expectUnchanged(vault.vault, before);

    writeFileSync(path('rotated.secret'), ROTATED, { mode: 0o600 });
    const review = expectStatus(
      await vault.run([...reviewCommand, '--rotated-secret-file', path('rotated.secret')], { passphraseOf: 'carol' }),
      0,
      'review rotated',
    );
    expect(lines(review.stdout)).toEqual([
      expect.stringMatching(
        /^review rev-[0-9a-f]{12} signed by carol; the rotated secret will be sealed at reseal; now "breakglass reseal prod-db-root"$/,
      ),
    ]);
    expectNoPlaintext(review);
    const resealed = expectStatus(await vault.run(['reseal', 'prod-db-root']), 0, 'reseal rotated');
    expect(lines(resealed.stdout)).toEqual([
      'prod-db-root resealed as version 3 with the rotated secret; old shares and approvals are void',
    ]);
    expect(journal(vault.vault).at(-2)).toMatchObject({ kind: 'credential.reseal', data: { version: 3, rotated: true } });

    // The next activation opens the new secret.
    const next = jsonOk<{ request: string }>(
      await vault.run(['--json', ...requestArgs({ reason: 'check the rotation', incident: 'INC-4713' })], {
        passphraseOf: 'dave',
      }),
    ).request;
    for (const h of ['alice', 'bob'])
      expectStatus(await vault.run(['approve', next, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    const reveal = expectStatus(await vault.run(['unseal', next, '--reveal']), 0, 'unseal --reveal rotated');
    expectSecretEqual(reveal.stdout, `${ROTATED}\n`, 'stdout of --reveal after rotation');
    expectNoSecret(reveal.stderr, [SECRET, ROTATED], 'stderr of --reveal');
  });

  it('journal verify passes on every machine (text and --json), and a third party verifies the export', async () => {
    for (const l of [vault, ...Object.values(laptops)]) {
      const t = expectStatus(await l.run(['journal', 'verify']), 0, `journal verify ${l.name}`);
      const count = journal(l.vault).length;
      expect(lines(t.stdout)).toEqual([
        expect.stringMatching(new RegExp(`^ok: ${count} entries verify \\(journal j-[0-9a-f]{16}, epoch \\d+, head [A-Za-z0-9_-]{43}\\)$`)),
      ]);
    }
    // Unpinned, verify says the genesis key is only the journal's own word; pinned to the key printed at init, it is not.
    const unpinned = expectStatus(await vault.run(['journal', 'verify']), 0, 'journal verify');
    expect(lines(unpinned.stderr)).toEqual([
      `note: not pinned to a genesis key: this journal starts from key ${vaultGenesis}, which it says itself; compare it with the key printed at init, or pass --genesis-key KEY`,
    ]);
    const pinned = expectStatus(await vault.run(['journal', 'verify', '--genesis-key', vaultGenesis]), 0, 'journal verify --genesis-key');
    expect(pinned.stderr).toBe('');
    const json = jsonOk<{ report: { ok: boolean; count: number }; genesisPinned: boolean }>(
      await vault.run(['--json', 'journal', 'verify', '--genesis-key', vaultGenesis]),
    );
    expect(json).toMatchObject({ report: { ok: true, count: journal(vault.vault).length }, genesisPinned: true });
    const exported = jsonOk<{ entries: number; journalGenesisKey: string; tailProven: boolean; headSeq: number; headHash: string }>(
      await vault.run(['--json', 'journal', 'export', '--out', path('vault.jsonl')]),
    );
    const entries = journal(vault.vault);
    expect(exported).toMatchObject({
      entries: entries.length,
      tailProven: true,
      journalGenesisKey: vaultGenesis,
      headSeq: entries.length - 1,
    });
    // The head it names is the last line's: what to compare with the server's and the holders' copies.
    const lastLine = JSON.parse(readFileSync(path('vault.jsonl'), 'utf8').trimEnd().split('\n').at(-1)!) as { hash: string };
    expect(exported.headHash).toBe(lastLine.hash);
    const plain = expectStatus(await vault.run(['journal', 'export', '--out', path('vault-2.jsonl')]), 0, 'journal export');
    expect(plain.stdout).toContain(`head: seq ${entries.length - 1}, hash `);
    expect(plain.stdout).toContain('"breakglass sync status"');
    const third = expectStatus(
      await vault.run(['journal', 'verify', '--file', path('vault.jsonl'), '--genesis-key', vaultGenesis]),
      0,
      'verify export',
    );
    expect(third.stdout).toMatch(new RegExp(`^ok: ${exported.entries} entries verify`));
  });
});
