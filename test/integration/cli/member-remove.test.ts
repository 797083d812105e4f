/**
 * `member remove MEMBER`: refused (exit 3 STATE_CONFLICT, with the way out, nothing changed) while a
 * credential depends on the member; otherwise journaled, their custody copy erased, and the member
 * gone from the roster while their past entries still verify.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, vaultInUse, type Laptop } from '../../helpers/cli.js';
import { buildWorld, requestArgs, type World } from '../../helpers/world.js';
import { expectUnchanged, journal, jsonError, jsonOk, snapshot } from './vault-state.js';

describe('member remove', () => {
  let world: World;
  let vault: Laptop;

  beforeAll(async () => {
    // erin is enrolled but in no policy: nothing depends on her.
    world = await buildWorld({ members: ['alice', 'bob', 'carol', 'dave', 'erin'] });
    vault = world.vault;
  }, 180_000);
  afterAll(() => world?.cleanup());

  it('refused while the member holds a share of a sealed credential: the way out said, nothing changed', async () => {
    const before = await snapshot(vault.vault);
    const error = jsonError(await vault.run(['--json', 'member', 'remove', 'alice']), 3);
    expect(error).toMatchObject({
      code: 'STATE_CONFLICT',
      message:
        'alice holds a share of prod-db-root, and that share stays good until prod-db-root is split again without them: set a policy whose holders of prod-db-root leave alice out ("breakglass policy set FILE"), run one activation the holders approve (request, approvals, unseal, review, reseal), then remove alice; nothing was changed',
    });
    await expectUnchanged(vault.vault, before);
  });

  it('refused while the member took part in an activation not yet resealed; removable once it ended', async () => {
    const req = await world.request();
    expectStatus(await vault.run(['approve', req, '--holder', 'carol', '--yes'], { passphraseOf: 'carol' }), 0, 'approve carol');
    const before = await snapshot(vault.vault);
    const t = await vault.run(['member', 'remove', 'dave']);
    expect([t.status, t.stdout, t.stderr]).toEqual([
      3,
      '',
      `breakglass: STATE_CONFLICT: dave opened request ${req} of prod-db-root, which is not resealed yet, and its checks read dave's card: wait until it ends, or cancel it ("breakglass request cancel ${req}"), then remove dave; nothing was changed\n${vaultInUse('crash cart', vault.vault)}`,
    ]);
    await expectUnchanged(vault.vault, before);
    expectStatus(await vault.run(['request', 'cancel', req], { passphraseOf: 'dave' }), 0, 'cancel');
    const removed = expectStatus(await vault.run(['member', 'remove', 'dave']), 0, 'remove dave');
    expect(removed.stdout).toBe('member dave removed from this vault; their custody copy here was erased\n');
    expect(removed.stderr).toBe(
      'note: the policy in force still names dave (requester, requester of prod-db-root); set one without them ("breakglass policy set FILE")\n',
    );
    // Gone from the roster: a request in dave's name is refused before any passphrase.
    const refused = jsonError(await vault.run(['--json', ...requestArgs()], { passphraseOf: 'dave' }), 2);
    expect(refused).toMatchObject({
      code: 'NOT_FOUND',
      message:
        'member dave was removed from this vault ("breakglass journal show --kind member.remove"); to enrol them again, add their card with "breakglass member add"',
    });
    // His cancelled request still reads (and verifies) under the card the journal enrolled.
    expectStatus(await vault.run(['request', 'show', req]), 0, 'show the old request');
  });

  it('journaled; the member leaves the list; the journal still verifies; the card enrols them again', async () => {
    const before = await snapshot(vault.vault);
    const t = jsonOk<{ member: string; custodyErased: boolean; stillInPolicy: string[] }>(
      await vault.run(['--json', 'member', 'remove', 'erin']),
    );
    expect([t.member, t.custodyErased, t.stillInPolicy]).toEqual(['erin', true, []]);
    const added = journal(vault.vault, before.journalCount);
    expect(added.map((e) => e.kind)).toEqual(['member.remove', 'key.rotate']);
    expect(added[0]).toMatchObject({ actor: `login:${userInfo().username}`, subject: 'erin', data: { custodyErased: true } });
    const members = jsonOk<{ members: { id: string }[] }>(await vault.run(['--json', 'member', 'list'])).members.map((m) => m.id);
    expect(members).toEqual(['alice', 'bob', 'carol']);
    expectStatus(await vault.run(['journal', 'verify']), 0, 'journal verify');
    // Removed already, or never enrolled: NOT_FOUND, nothing changed.
    const after = await snapshot(vault.vault);
    expect(jsonError(await vault.run(['--json', 'member', 'remove', 'erin']), 2).code).toBe('NOT_FOUND');
    expect(jsonError(await vault.run(['--json', 'member', 'remove', 'zed']), 2)).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no member zed is enrolled at this vault; add their card with "breakglass member add"',
    });
    await expectUnchanged(vault.vault, after);
    expectStatus(await vault.run(['member', 'add', join(world.root, 'erin.card')]), 0, 'add erin again');
    expect(jsonOk<{ members: { id: string }[] }>(await vault.run(['--json', 'member', 'list'])).members.map((m) => m.id)).toContain('erin');
  });

  it("on the machine that holds the member's own keys: refused, their keys left alone", async () => {
    const alice = world.laptops['alice']!;
    const before = await snapshot(alice.vault);
    expect(jsonError(await alice.run(['--json', 'member', 'remove', 'alice']), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message: `this machine holds alice's own keys (made here with "breakglass member create"); member remove takes a member off a vault laptop's roster, and leaves a person's own keys alone; nothing was changed`,
    });
    await expectUnchanged(alice.vault, before);
  });
});
