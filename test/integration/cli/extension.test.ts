/**
 * More time in an unseal window, granted by the quorum that opened it: asked by the requester in
 * person, approved by each holder, granted by the approval that completes the quorum. Every refusal
 * with its exact message, its exit status, and that nothing changed (or only the refusal was
 * journaled); a window that cannot be extended says which commands come next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../../helpers/cli.js';
import { buildWorld, examplePolicy, type World } from '../../helpers/world.js';
import { expectRefusalJournaled, expectUnchanged, journal, jsonError, jsonOk, snapshot } from './vault-state.js';

const NEXT_STEPS = (c: string): string =>
  `"breakglass review ${c} --reviewer ID --warranted yes|no --summary TEXT --changes TEXT", "breakglass reseal ${c}", and, if the work is not done, a new request ("breakglass request --credential ${c} --trigger TRIGGER --reason TEXT --incident REF --requester ID")`;
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d \\([^)]*\\)';

describe('extending an unseal window', () => {
  let world: World;
  const credential = (id: string, unsealMinutes: number, maxExtensions: number): string => `  ${id}:
    holders: [alice, bob, carol]
    threshold: 2
    triggers: [network-outage]
    requesters: [dave]
    unseal_minutes: ${unsealMinutes}
    max_extensions: ${maxExtensions}
    request_expiry_minutes: 15
`;
  beforeAll(async () => {
    const extra = credential('no-more-time', 30, 0) + credential('short-window', 0.02, 1) + credential('more-time', 30, 2);
    world = await buildWorld({ policy: examplePolicy({ 'drills:': `${extra}drills:` }) });
    for (const c of ['no-more-time', 'short-window', 'more-time'])
      expectStatus(await world.vault.run(['seal', '--credential', c, '--label', c, '--secret-file', '-'], { stdin: `${c}-secret` }), 0, c);
  }, 180_000);
  afterAll(() => world.cleanup());

  const run = (args: string[], passphraseOf?: string) => world.vault.run(['--json', ...args], passphraseOf ? { passphraseOf } : {});
  const unsealed = async (credentialId: string): Promise<string> => {
    const request = jsonOk<{ request: string }>(
      await run(
        [
          'request',
          '--credential',
          credentialId,
          '--trigger',
          'network-outage',
          '--reason',
          'WAN down',
          '--incident',
          'INC-9',
          '--requester',
          'dave',
        ],
        'dave',
      ),
    ).request;
    for (const h of ['alice', 'bob']) jsonOk(await run(['approve', request, '--holder', h, '--yes'], h));
    jsonOk(await run(['unseal', request]));
    return request;
  };
  const extend = (request: string, requester = 'dave', reason = 'the restore is still running') =>
    run(['extend', request, '--requester', requester, '--reason', reason], requester);

  it('asked by the requester, approved by two holders: the window ends one unseal length later, journaled with every signature', async () => {
    const request = await unsealed('prod-db-root');
    const windowBefore = journal(world.vault.vault).findLast((e) => e.kind === 'credential.unseal')!.data['windowEndsAt'] as number;
    const asked = await world.vault.run(['extend', request, '--requester', 'dave', '--reason', 'the restore is still running'], {
      passphraseOf: 'dave',
    });
    expectStatus(asked, 0, 'extend');
    const ext = /^extension (ext-[0-9a-f]{12}) /.exec(asked.stdout)![1]!;
    expect(asked.stdout).toMatch(
      new RegExp(
        `^extension ${ext} \\(1 of 1\\) of prod-db-root: 0 of 2 approvals; once granted the window ends ${TIME} instead of ${TIME}\\n$`,
      ),
    );
    expect(asked.stderr).toMatch(
      new RegExp(
        `^next: 2 more approval\\(s\\) from alice, bob, carol, in person at this vault laptop before ${TIME}: "breakglass approve ${ext} --holder ID"\\n$`,
      ),
    );
    const shown = await world.vault.run(['request', 'show', request]);
    expect(shown.stdout).toMatch(
      new RegExp(`\\nunsealed until ${TIME}; 0 of 1 extension\\(s\\) granted; extension ${ext} has 0 of 2 approvals\\n$`),
    );
    expect(shown.stderr).toMatch(new RegExp(`next: "breakglass approve ${ext} --holder ID" \\(in person\\), before ${TIME}\\n$`));
    const alice = await world.vault.run(['approve', ext, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' });
    expectStatus(alice, 0, 'approve alice');
    expect(alice.stderr.split('\n')[0]).toMatch(
      new RegExp(`^EXTENSION: this approval keeps prod-db-root unsealed 30 min longer, until ${TIME} \\(now ${TIME}\\)\\.$`),
    );
    expect(alice.stdout).toContain(`extension ${ext} (1 of 1) of prod-db-root: 1 of 2 approvals (alice);`);
    const bob = jsonOk<{ granted: boolean; windowEndsAt: number }>(await run(['approve', ext, '--holder', 'bob', '--yes'], 'bob'));
    expect(bob.granted).toBe(true);
    expect(bob.windowEndsAt).toBe(windowBefore + 30 * 60_000);
    const entries = journal(world.vault.vault).filter((e) => e.kind.startsWith('extension.') || e.kind === 'window.extend');
    expect(entries.map((e) => [e.kind, e.actor])).toEqual([
      ['extension.create', 'dave'],
      ['extension.approve', 'alice'],
      ['extension.approve', 'bob'],
      ['window.extend', 'vault'],
    ]);
    expect(entries[3]!.data).toMatchObject({
      request,
      extension: ext,
      number: 1,
      holders: ['alice', 'bob'],
      windowEndsAt: windowBefore + 1_800_000,
    });
    expect(jsonOk<{ window: unknown }>(await run(['request', 'show', request])).window).toEqual({
      endsAt: windowBefore + 1_800_000,
      extensions: 1,
      maxExtensions: 1,
      pending: null,
    });
    // The vault itself now says the later end, and the journal still verifies.
    const again = jsonOk<{ windowEndsAt: number }>(await run(['unseal', request]));
    expect(again.windowEndsAt).toBe(windowBefore + 1_800_000);
    expectStatus(await world.vault.run(['journal', 'verify']), 0, 'journal verify');
    const activations = await world.vault.run(['journal', 'show', '--activations']);
    expect(activations.stdout).toContain(`more time asked by dave at`);
    expect(activations.stdout).toMatch(/extension approved by alice at .+, by bob at .+ → window extended at .+ \(until .+\)/);

    // The request allowed one extension: a second is refused, with the way on.
    const before = await snapshot(world.vault.vault);
    const refused = jsonError(await extend(request), 3);
    expect(refused.code).toBe('POLICY_DENIED');
    expect(refused.message).toMatch(
      new RegExp(
        `^the unseal window of prod-db-root cannot be extended: its 1 extension\\(s\\) are used; it closes at ${TIME}: finish what must be done with it before then; afterwards: `,
      ),
    );
    expect(refused.message.endsWith(NEXT_STEPS('prod-db-root'))).toBe(true);
    await expectUnchanged(world.vault.vault, before);
    jsonOk(await run(['close', 'prod-db-root']));
  });

  it('refused before any passphrase, changing nothing: not unsealed yet, not the requester, a blank reason, one already waiting', async () => {
    const request = jsonOk<{ request: string }>(
      await run(
        ['request', '--credential', 'more-time', '--trigger', 'network-outage', '--reason', 'r', '--incident', 'I', '--requester', 'dave'],
        'dave',
      ),
    ).request;
    let before = await snapshot(world.vault.vault);
    expect(jsonError(await extend(request), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message: `request ${request} is not unsealed yet; its window (30 min) starts at the unseal`,
    });
    await expectUnchanged(world.vault.vault, before);
    for (const h of ['alice', 'bob']) jsonOk(await run(['approve', request, '--holder', h, '--yes'], h));
    jsonOk(await run(['unseal', request]));
    before = await snapshot(world.vault.vault);
    expect(jsonError(await extend(request, 'alice'), 3)).toMatchObject({
      code: 'POLICY_DENIED',
      message: `only dave, who opened request ${request}, may ask to extend its window (with --requester dave)`,
    });
    expect(jsonError(await extend(request, 'dave', '   '), 2)).toMatchObject({
      code: 'BAD_INPUT',
      message: 'give a reason for the extension: it is the evidence a reviewer reads',
    });
    expect(jsonError(await run(['approve', 'ext-000000000000', '--holder', 'alice', '--yes'], 'alice'), 2)).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no extension ext-000000000000 was asked for at this vault',
    });
    await expectUnchanged(world.vault.vault, before);

    const ext = jsonOk<{ extension: string }>(await extend(request)).extension;
    before = await snapshot(world.vault.vault);
    expect(jsonError(await extend(request), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message: `extension ${ext} of this window is waiting for approvals; each holder approves it with "breakglass approve ${ext} --holder ID"`,
    });
    await expectUnchanged(world.vault.vault, before);

    // The requester cannot approve their own extension, nor a holder twice: journaled refusals.
    const self = jsonError(await run(['approve', ext, '--holder', 'dave', '--yes'], 'dave'), 3);
    expect(self).toMatchObject({ code: 'SELF_APPROVAL', message: `dave asked for extension ${ext} and cannot also approve it` });
    await expectRefusalJournaled(world.vault.vault, before, 'SELF_APPROVAL');
    jsonOk(await run(['approve', ext, '--holder', 'carol', '--yes'], 'carol'));
    before = await snapshot(world.vault.vault);
    expect(jsonError(await run(['approve', ext, '--holder', 'carol', '--yes'], 'carol'), 3)).toMatchObject({
      code: 'DUPLICATE_APPROVAL',
      message: `carol has already approved extension ${ext}; one approval per holder`,
    });
    await expectRefusalJournaled(world.vault.vault, before, 'DUPLICATE_APPROVAL');
    // Granted by a second holder; once granted, another approval is refused and changes nothing.
    expect(jsonOk<{ granted: boolean }>(await run(['approve', ext, '--holder', 'bob', '--yes'], 'bob')).granted).toBe(true);
    before = await snapshot(world.vault.vault);
    expect(jsonError(await run(['approve', ext, '--holder', 'alice', '--yes'], 'alice'), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message: `extension ${ext} is granted already`,
    });
    await expectUnchanged(world.vault.vault, before);
    // The policy allows two: the second one is asked as number 2.
    const second = jsonOk<{ number: number }>(await extend(request, 'dave', 'still not done'));
    expect(second.number).toBe(2);
  });

  it('a policy without extensions says so, and what comes next', async () => {
    const request = await unsealed('no-more-time');
    const before = await snapshot(world.vault.vault);
    const refused = jsonError(await extend(request), 3);
    expect(refused.code).toBe('POLICY_DENIED');
    expect(refused.message).toMatch(
      new RegExp(
        `^the unseal window of no-more-time cannot be extended: the policy it was requested under allows no extension \\(max_extensions\\); it closes at ${TIME}: finish what must be done with it before then; afterwards: `,
      ),
    );
    expect(refused.message.endsWith(NEXT_STEPS('no-more-time'))).toBe(true);
    await expectUnchanged(world.vault.vault, before);
  });

  it('a window that has ended cannot be extended; unseal and extend both name the next commands', async () => {
    const request = await unsealed('short-window');
    await new Promise((r) => setTimeout(r, 1500));
    const reveal = jsonError(await run(['unseal', request]), 3);
    expect(reveal).toMatchObject({
      code: 'WINDOW_CLOSED',
      message: `the unseal window of short-window has ended; it is waiting for review; next: ${NEXT_STEPS('short-window')}`,
    });
    const before = await snapshot(world.vault.vault);
    expect(jsonError(await extend(request), 3)).toMatchObject({
      code: 'WINDOW_CLOSED',
      message: `the unseal window of short-window has ended, so it cannot be extended; next: ${NEXT_STEPS('short-window')}`,
    });
    await expectUnchanged(world.vault.vault, before);
  });
});
