/**
 * Routine rotation with the quorum an unseal needs: asked by a requester in person, approved by the
 * holders the way a drill is (one in person, one from a bundle on their own laptop), then the new
 * secret is sealed in place of the old one. Nothing is decrypted, no review is owed, and the next
 * unseal opens the new secret. Every refusal with its code and message, and nothing changed.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../../helpers/cli.js';
import { buildWorld, reviewArgs, type World } from '../../helpers/world.js';
import { expectSecretEqual, expectUnchanged, journal, jsonError, jsonOk, snapshot } from './vault-state.js';

const NEW_SECRET = 'N3w-r00t-pw-after-rotation-42';

describe('rotate: a new secret sealed on a quorum, nothing decrypted', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 180_000);
  afterAll(() => world.cleanup());

  const ask = (requester = 'dave', reason = 'quarterly rotation') =>
    world.vault.run(['--json', 'rotate', '--credential', 'prod-db-root', '--requester', requester, '--reason', reason], {
      passphraseOf: requester,
    });
  // The new secret on stdin, dave's passphrase from a file: he signs what is sealed.
  const seal = (secret: string) =>
    world.vault.run(['--json', 'rotate', '--credential', 'prod-db-root', '--secret-file', '-'], { stdin: secret, passphraseOf: 'dave' });

  it('asked, approved in person and from a bundle, sealed: version 2, the proofs journaled whole, the next unseal gives the new secret', async () => {
    const asked = await world.vault.run(
      ['rotate', '--credential', 'prod-db-root', '--requester', 'dave', '--reason', 'quarterly rotation'],
      {
        passphraseOf: 'dave',
      },
    );
    expectStatus(asked, 0, 'rotate ask');
    const request = /^request (rot-[0-9a-f]+) for prod-db-root \(rotate\): open, 0 of 2 approvals$/m.exec(asked.stdout)![1]!;
    // alice in person: her screen says what a rotation is.
    const alice = expectStatus(
      await world.vault.run(['approve', request, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }),
      0,
      'approve alice',
    );
    expect(alice.stderr).toContain('ROTATION: this approval lets dave REPLACE the sealed secret of prod-db-root with a new value.');
    // bob on his own laptop, from a bundle.
    const bundle = join(world.root, 'rot-bob.bundle');
    const approval = join(world.root, 'rot-bob.approval');
    expectStatus(await world.vault.run(['request', 'export', request, '--holder', 'bob', '--out', bundle]), 0, 'export');
    expectStatus(
      await world.laptops['bob']!.run(['approve', '--yes', '--bundle', bundle, '--out', approval], { passphraseOf: 'bob' }),
      0,
      'approve bob',
    );
    const imported = expectStatus(await world.vault.run(['approval', 'import', approval]), 0, 'import');
    expect(imported.stderr).toContain(
      `next: the quorum is reached: "breakglass rotate --credential prod-db-root --secret-file FILE|-" seals the new secret`,
    );
    // Nothing was decrypted and nothing exposed on the way.
    expect(journal(world.vault.vault).map((e) => e.kind)).not.toContain('request.quorum');

    const done = jsonOk<{ version: number; holders: string[] }>(await seal(NEW_SECRET));
    expect(done).toMatchObject({ version: 2, holders: ['alice', 'bob'] });
    const entry = journal(world.vault.vault).findLast((e) => e.kind === 'credential.rotate')!;
    expect(entry).toMatchObject({
      actor: 'dave',
      subject: 'prod-db-root',
      data: { request, version: 2, holders: ['alice', 'bob'], threshold: 2 },
    });
    expect(entry.data['sealing']).toMatchObject({ format: 'breakglass.rotation-seal', by: 'dave', request, credentialVersion: 2 });
    expect((entry.data['proofs'] as unknown[]).length).toBe(2);
    expect(JSON.stringify(entry)).not.toContain(NEW_SECRET);
    const list = jsonOk<{ credentials: { id: string; state: string; version: number; exposed: boolean }[] }>(
      await world.vault.run(['--json', 'list']),
    ).credentials.find((c) => c.id === 'prod-db-root')!;
    expect(list).toMatchObject({ state: 'SEALED', version: 2, exposed: false });
    expectStatus(await world.vault.run(['journal', 'verify']), 0, 'journal verify');

    // The next break-glass opens the new secret, under the new envelope.
    const access = await world.request();
    for (const h of ['alice', 'carol'])
      expectStatus(await world.vault.run(['approve', access, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
    const t = expectStatus(await world.vault.run(['unseal', access, '--reveal']), 0, 'reveal');
    expectSecretEqual(t.stdout.trimEnd(), NEW_SECRET, 'the secret after rotation');
    expectStatus(await world.vault.run(['close', 'prod-db-root']), 0, 'close');
    expectStatus(await world.vault.run(reviewArgs('after rotation', 'none'), { passphraseOf: 'carol' }), 0, 'review');
    expectStatus(await world.vault.run(['reseal', 'prod-db-root']), 0, 'reseal');
  });

  it('refusals before the secret is read, each with its code and nothing changed', async () => {
    let before = await snapshot(world.vault.vault);
    expect(jsonError(await seal(NEW_SECRET), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message:
        'no rotation is open for prod-db-root; ask for one first ("breakglass rotate --credential prod-db-root --requester ID --reason TEXT")',
    });
    expect(jsonError(await world.vault.run(['--json', 'rotate', '--credential', 'prod-db-root']), 2)).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message:
        'give --requester ID --reason TEXT to ask for a rotation of prod-db-root, or --secret-file FILE|- to complete the one that was approved',
    });
    expect(
      jsonError(
        await world.vault.run(
          ['--json', 'rotate', '--credential', 'prod-db-root', '--requester', 'dave', '--reason', 'r', '--secret-file', '-'],
          {
            stdin: NEW_SECRET,
          },
        ),
        2,
      ),
    ).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: '--requester asks for a rotation and --secret-file completes one: give one of them',
    });
    expect(
      jsonError(
        await world.vault.run(['--json', 'rotate', '--credential', 'prod-db-root', '--reason', 'r', '--secret-file', '-'], {
          stdin: NEW_SECRET,
        }),
        2,
      ),
    ).toMatchObject({ code: 'BAD_ARGUMENTS', message: '--reason and --incident go with --requester, when the rotation is asked for' });
    await expectUnchanged(world.vault.vault, before);
    // A member the policy does not let request the credential.
    const denied = jsonError(await ask('carol'), 3);
    expect(denied).toMatchObject({ code: 'POLICY_DENIED', message: 'member carol may not rotate prod-db-root; the policy allows: dave' });
    before = await snapshot(world.vault.vault);
    const { request } = jsonOk<{ request: string }>(await ask());
    expectStatus(await world.vault.run(['approve', request, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 0, 'approve alice');
    before = await snapshot(world.vault.vault);
    expect(jsonError(await seal(NEW_SECRET), 3)).toMatchObject({
      code: 'THRESHOLD_NOT_MET',
      message: `rotation ${request} has 1 of the 2 approvals it needs; waiting for bob, carol`,
    });
    await expectUnchanged(world.vault.vault, before);
    // A rotation is not a drill, and a drill's command says so.
    expect(jsonError(await world.vault.run(['--json', 'drill', '--credential', 'prod-db-root']), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message: 'prod-db-root has an open rotation, not a drill',
    });
    expectStatus(await world.vault.run(['approve', request, '--holder', 'bob', '--yes'], { passphraseOf: 'bob' }), 0, 'approve bob');
    before = await snapshot(world.vault.vault);
    expect(jsonError(await seal(''), 2).code).toBe('BAD_INPUT');
    await expectUnchanged(world.vault.vault, before);
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel the rotation');
    const after = jsonOk<{ credentials: { id: string; state: string; version: number }[] }>(await world.vault.run(['--json', 'list']));
    expect(after.credentials.find((c) => c.id === 'prod-db-root')).toMatchObject({ state: 'SEALED', version: 3 });
  });
});
