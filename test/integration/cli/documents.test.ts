/**
 * A document handed to the wrong command, or opened on the wrong laptop: the CLI reads its
 * `format` and says in words what it is and where it goes (FOREIGN_INPUT, exit 2), before any
 * screen or passphrase prompt. An honest mix-up changes nothing and is not journaled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, vaultInUse, type Laptop } from '../../helpers/cli.js';
import { buildWorld, type World } from '../../helpers/world.js';
import { expectUnchanged, jsonError, jsonOk, snapshot } from './vault-state.js';

describe('documents given to the wrong command or on the wrong laptop', () => {
  let world: World;
  let vault: Laptop;
  let alice: Laptop;
  let bob: Laptop;
  let req: string;
  let bundle: { file: string; code: string };
  let approval: { file: string; code: string };
  const path = (name: string): string => join(world.root, name);

  beforeAll(async () => {
    world = await buildWorld();
    vault = world.vault;
    alice = world.laptops['alice']!;
    bob = world.laptops['bob']!;
    req = await world.request();
    const exported = jsonOk<{ code: string }>(
      await vault.run(['--json', 'request', 'export', req, '--holder', 'bob', '--out', path('bob.bundle')]),
    );
    bundle = { file: path('bob.bundle'), code: exported.code };
    const approved = jsonOk<{ code: string }>(
      await bob.run(['--json', 'approve', '--yes', '--bundle', bundle.file, '--out', path('bob.approval')], { passphraseOf: 'bob' }),
    );
    approval = { file: path('bob.approval'), code: approved.code };
  }, 120_000);
  afterAll(() => world?.cleanup());

  const bundleSays = (): string =>
    `a request bundle for bob (request ${req}), not an approval; take it to bob's laptop and run "breakglass approve --bundle FILE --out FILE" there`;

  it('approval import given a bundle (file or code): what it is and where it goes, exit 2 FOREIGN_INPUT, nothing journaled', async () => {
    const before = await snapshot(vault.vault);
    for (const arg of [bundle.file, bundle.code]) {
      const error = jsonError(await vault.run(['--json', 'approval', 'import', arg]), 2);
      expect(error).toMatchObject({ code: 'FOREIGN_INPUT', message: `this is ${bundleSays()}` });
    }
    const t = await vault.run(['approval', 'import', bundle.file]);
    expect([t.status, t.stdout, t.stderr]).toEqual([
      2,
      '',
      `breakglass: FOREIGN_INPUT: this is ${bundleSays()}\n${vaultInUse('crash cart', vault.vault)}`,
    ]);
    await expectUnchanged(vault.vault, before);
  });

  it('approve --bundle given an approval (file or code): take it to the vault laptop, before the screen and the passphrase', async () => {
    const before = await snapshot(bob.vault);
    const out = path('never.approval');
    const message = `this is bob's approval of request ${req}, not a request bundle; take it to the vault laptop and run "breakglass approval import FILE" there`;
    for (const arg of [approval.file, approval.code]) {
      const t = await bob.run(['--json', 'approve', '--yes', '--bundle', arg, '--out', out], { passphraseOf: 'bob' });
      expect(jsonError(t, 2)).toMatchObject({ code: 'FOREIGN_INPUT', message });
      expect(t.stderr).toBe('');
    }
    await expectUnchanged(bob.vault, before);
  });

  it('member add with the card and custody file swapped, or a bundle as the card: each file named, what it is, where it goes', async () => {
    const before = await snapshot(vault.vault);
    const card = path('alice.card');
    const custody = path('alice.custody');
    const cases: [string[], string][] = [
      [
        ['member', 'add', custody],
        `${custody} is a custody file (the passphrase-wrapped keys of alice), not a member card; give it with --custody, next to alice's card: "breakglass member add CARD --custody FILE"`,
      ],
      [
        ['member', 'add', card, '--custody', card],
        `${card} is the member card of alice, not a custody file; enrol it at the vault laptop with "breakglass member add CARD" (a custody copy goes with --custody FILE)`,
      ],
      [['member', 'add', bundle.file], `${bundle.file} is ${bundleSays().replace('not an approval', 'not a member card')}`],
    ];
    for (const [args, message] of cases) {
      expect(jsonError(await vault.run(['--json', ...args]), 2), args.join(' ')).toMatchObject({ code: 'FOREIGN_INPUT', message });
    }
    await expectUnchanged(vault.vault, before);
  });

  it('policy check and policy set given a card: a card, not a policy; the policy in force unchanged', async () => {
    const before = await snapshot(vault.vault);
    const message = `this is the member card of alice, not a policy; enrol it at the vault laptop with "breakglass member add CARD" (a custody copy goes with --custody FILE)`;
    for (const verb of ['check', 'set']) {
      expect(jsonError(await vault.run(['--json', 'policy', verb, path('alice.card')]), 2)).toMatchObject({
        code: 'FOREIGN_INPUT',
        message,
      });
    }
    await expectUnchanged(vault.vault, before);
  });

  it("a bundle for bob opened on alice's laptop: said before the request is shown or a passphrase asked for; not journaled", async () => {
    const before = await snapshot(alice.vault);
    const out = path('alice-wrong.approval');
    const message = `this bundle is for bob; this machine holds keys for alice; take it to bob's laptop and run "breakglass approve --bundle FILE --out FILE" there; nothing was recorded`;
    const t = await alice.run(['approve', '--yes', '--bundle', bundle.code, '--out', out], { passphraseOf: 'alice' });
    // Nothing of the request screen: the first and only line is the refusal.
    expect([t.status, t.stdout, t.stderr]).toEqual([
      2,
      '',
      `breakglass: FOREIGN_INPUT: ${message}\n${vaultInUse("alice's laptop", alice.vault)}`,
    ]);
    await expectUnchanged(alice.vault, before);
  });

  it('a bundle opened on the vault laptop that made it: take it to the holder, or approve in person here', async () => {
    const before = await snapshot(vault.vault);
    const t = await vault.run(['--json', 'approve', '--yes', '--bundle', bundle.file, '--out', path('vault-wrong.approval')], {
      passphraseOf: 'bob',
    });
    expect(jsonError(t, 2)).toMatchObject({
      code: 'FOREIGN_INPUT',
      message: `this bundle is for bob; this machine holds no member's keys (it is the vault laptop that made the bundle); take it to bob's laptop and run "breakglass approve --bundle FILE --out FILE" there, or approve in person here: "breakglass approve ${req} --holder bob"; nothing was recorded`,
    });
    expect(t.stderr).toBe('');
    await expectUnchanged(vault.vault, before);
  });

  it("an approval imported on the holder's own laptop, where it was made: take it to the vault laptop; not journaled as an attack", async () => {
    const before = await snapshot(bob.vault);
    const vaultId = (JSON.parse(readFileSync(approval.file, 'utf8')) as { body: { vault: string } }).body.vault;
    const error = jsonError(await bob.run(['--json', 'approval', 'import', approval.code]), 2);
    expect(error).toMatchObject({
      code: 'FOREIGN_INPUT',
      message: `this is bob's approval of request ${req} for vault ${vaultId}, and this machine holds bob's keys: it is where the approval was made, not the vault laptop; take it to the vault laptop and run "breakglass approval import FILE" there; nothing was recorded`,
    });
    await expectUnchanged(bob.vault, before);
    // At the vault laptop the same approval is accepted.
    expectStatus(await vault.run(['approval', 'import', approval.file]), 0, 'import at the vault');
  });
});
