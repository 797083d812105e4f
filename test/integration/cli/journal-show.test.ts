/**
 * `journal show` for an auditor: kinds left out with a repeatable --hide (checked, with "did you
 * mean"), and --activations, one line per activation from request to reseal with times and who.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_KINDS, type JournalEntry } from '../../../src/core/journal.js';
import { formatTime } from '../../../src/core/time.js';
import { expectStatus, type Laptop } from '../../helpers/cli.js';
import { buildWorld, reviewArgs, type World } from '../../helpers/world.js';
import { expectUnchanged, jsonError, jsonOk, snapshot } from './vault-state.js';

describe('journal show --hide and --activations', () => {
  let world: World;
  let vault: Laptop;
  let first: string;
  let second: string;
  let entries: JournalEntry[];

  /** The time of the one entry of `kind` for `request` (or the first of several: `nth`). */
  const at = (kind: string, request: string, nth = 0): string => {
    const found = entries.filter(
      (e) =>
        e.kind === kind &&
        ((e.data as { request?: unknown }).request === request ||
          ((e.data as { request?: { id?: string } }).request as { id?: string } | undefined)?.id === request ||
          (e.data as { body?: { request?: string } }).body?.request === request),
    );
    return formatTime(found[nth]!.time);
  };

  beforeAll(async () => {
    world = await buildWorld();
    vault = world.vault;
    // One activation through to its reseal.
    first = await world.request();
    for (const holder of ['alice', 'bob']) {
      expectStatus(await vault.run(['approve', first, '--holder', holder, '--yes'], { passphraseOf: holder }), 0, `approve ${holder}`);
    }
    expectStatus(await vault.run(['unseal', first]), 0, 'unseal');
    expectStatus(await vault.run(['close', 'prod-db-root']), 0, 'close');
    expectStatus(await vault.run(reviewArgs('restored access', 'none'), { passphraseOf: 'carol' }), 0, 'review');
    expectStatus(await vault.run(['reseal', 'prod-db-root']), 0, 'reseal');
    // One cancelled before its quorum, with a refusal (alice twice).
    second = await world.request({ trigger: 'database-lockout' });
    expectStatus(await vault.run(['approve', second, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 0, 'approve alice');
    expectStatus(await vault.run(['approve', second, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 3, 'alice again');
    expectStatus(await vault.run(['request', 'cancel', second], { passphraseOf: 'dave' }), 0, 'cancel');
    entries = jsonOk<{ entries: JournalEntry[] }>(await vault.run(['--json', 'journal', 'show'])).entries;
  }, 180_000);
  afterAll(() => world?.cleanup());

  it('--activations: one line per activation, each step with its time and who acted', async () => {
    const before = await snapshot(vault.vault);
    const t = expectStatus(await vault.run(['journal', 'show', '--activations']), 0, 'show --activations');
    expect(t.stdout.split('\n').filter(Boolean)).toEqual([
      `${first} prod-db-root: requested by dave at ${at('request.create', first)} (network-outage, INC-4711)` +
        ` → approved by alice at ${at('approval.accept', first)}, by bob at ${at('approval.accept', first, 1)}` +
        ` → quorum at ${at('request.quorum', first)} (alice+bob)` +
        ` → unsealed at ${at('credential.unseal', first)}` +
        ` → closed by dave at ${at('window.close', first)} (closed)` +
        ` → reviewed by carol at ${at('review.sign', first)} (warranted)` +
        ` → resealed by carol at ${at('credential.reseal', first)} (v2)`,
      `${second} prod-db-root: requested by dave at ${at('request.create', second)} (database-lockout, INC-4711)` +
        ` → approved by alice at ${at('approval.accept', second)}` +
        ` → cancelled by dave at ${at('request.cancel', second)}` +
        '; 1 refusal(s) journaled ("journal show --kind access.refused")',
    ]);
    expect(t.stderr).toBe('');
    // --json: exactly one object, the activations with their steps.
    const json = jsonOk<{ activations: { request: string; requester: string; steps: { step: string; by: string }[] }[] }>(
      await vault.run(['--json', 'journal', 'show', '--activations']),
    );
    expect(json.activations.map((a) => [a.request, a.steps.map((s) => `${s.step}:${s.by}`)])).toEqual([
      [first, ['approve:alice', 'approve:bob', 'quorum:vault', 'unseal:vault', 'close:dave', 'review:carol', 'reseal:carol']],
      [second, ['approve:alice', 'cancel:dave']],
    ]);
    await expectUnchanged(vault.vault, before);
  });

  it('--hide is repeatable (and takes commas): those kinds are left out, the rest in order', async () => {
    const shown = jsonOk<{ entries: JournalEntry[] }>(
      await vault.run(['--json', 'journal', 'show', '--hide', 'key.rotate', '--hide', 'access.refused,member.add']),
    ).entries;
    const left = new Set(['key.rotate', 'access.refused', 'member.add']);
    expect(shown.map((e) => e.seq)).toEqual(entries.filter((e) => !left.has(e.kind)).map((e) => e.seq));
    const text = expectStatus(await vault.run(['journal', 'show', '--hide', 'key.rotate', '--hide', 'access.refused']), 0, 'text');
    expect(text.stdout).not.toMatch(/ key\.rotate | access\.refused /);
    expect(text.stdout.split('\n').filter(Boolean)).toHaveLength(
      entries.filter((e) => e.kind !== 'key.rotate' && e.kind !== 'access.refused').length,
    );
  });

  it('a mistyped or contradictory --hide is refused before the vault is read: exit 2 BAD_ARGUMENTS, with the nearest kind', async () => {
    const before = await snapshot(vault.vault);
    const cases: [string[], string][] = [
      [
        ['--hide', 'key.rotate', '--hide', 'aproval.accept'],
        `--hide "aproval.accept" is not a kind of journal entry; did you mean "approval.accept"? the kinds are ${ENTRY_KINDS.join(', ')}`,
      ],
      [
        ['--kind', 'review.sign', '--hide', 'review.sign'],
        '--kind review.sign and --hide review.sign together show nothing; give one of them',
      ],
      [['--activations', '--hide', 'key.rotate'], '--activations shows whole activations; it takes no --since, --kind or --hide'],
    ];
    for (const [args, message] of cases) {
      expect(jsonError(await vault.run(['--json', 'journal', 'show', ...args]), 2), args.join(' ')).toMatchObject({
        code: 'BAD_ARGUMENTS',
        message,
      });
    }
    // Other flags are still refused when repeated.
    expect(jsonError(await vault.run(['--json', 'journal', 'show', '--kind', 'review.sign', '--kind', 'review.sign']), 2).message).toMatch(
      /^--kind is given twice; give it once; /,
    );
    await expectUnchanged(vault.vault, before);
  });

  it("a holder's laptop shows the vault head it saw at its approval, and the vault's export holds that hash at that seq", async () => {
    const request = await world.request();
    const bundle = world.file('head-bob.bundle', '');
    rmSync(bundle);
    expectStatus(await vault.run(['request', 'export', request, '--holder', 'bob', '--out', bundle]), 0, 'request export');
    const bob = world.laptops['bob']!;
    const approval = world.file('head-bob.approval', '');
    rmSync(approval);
    expectStatus(
      await bob.run(['approve', '--bundle', bundle, '--out', approval, '--yes'], { passphraseOf: 'bob' }),
      0,
      'approve --bundle',
    );
    const shown = expectStatus(await bob.run(['journal', 'show', '--kind', 'approval.give']), 0, 'journal show on bob').stdout;
    const seen = /at vault (\S+), whose journal was then at seq (\d+), hash ([A-Za-z0-9_-]{43})$/m.exec(shown);
    expect(seen, shown).not.toBeNull();
    const out = world.file('head.export', '');
    rmSync(out);
    const exported = expectStatus(await vault.run(['journal', 'export', '--out', out]), 0, 'journal export');
    expect(exported.stdout).toContain('"breakglass journal show --kind approval.give" on that laptop shows both');
    const line = JSON.parse(readFileSync(out, 'utf8').split('\n')[Number(seen![2])]!) as { entry: { seq: number }; hash: string };
    expect({ seq: line.entry.seq, hash: line.hash }).toEqual({ seq: Number(seen![2]), hash: seen![3] });
    expectStatus(await vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });
});
