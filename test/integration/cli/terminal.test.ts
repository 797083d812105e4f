/**
 * The CLI on a real terminal (a pseudo-terminal from util-linux `script`): a secret or passphrase
 * given as "-" is typed at a prompt that does not show it, and Ctrl-C there stops the command.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { silentServer } from '../../helpers/silent-server.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, PASSPHRASES, expectStatus, vaultInUse, type Transcript } from '../../helpers/cli.js';
import { runOnTerminal, type TerminalStep } from '../../helpers/terminal.js';
import { buildWorld, refusalPolicy, requestArgs, reviewArgs, type World } from '../../helpers/world.js';
import { expectNoSecret, expectRefusalJournaled, expectSecretEqual, expectUnchanged, journal, snapshot } from './vault-state.js';

describe('typing at a terminal', () => {
  let world: World;
  const secret = 'typed-root-pw-8e41c0';
  const seal = ['seal', '--credential', 'prod-db-root', '--label', 'prod DB root', '--secret-file', '-'];

  beforeAll(async () => {
    world = await buildWorld({ seal: false });
  }, 180_000);
  afterAll(() => world.cleanup());

  const onVault = (args: readonly string[], steps: TerminalStep[]) => runOnTerminal(['--vault', world.vault.vault, ...args], steps);

  it('seal --secret-file -: two entries that differ are refused (exit 2), and nothing is sealed', async () => {
    const before = await snapshot(world.vault.vault);
    const t = await onVault(seal, [
      { prompt: 'the secret (not shown; one line): ', type: `${secret}\r` },
      { prompt: 'the secret again: ', type: `${secret}x\r` },
    ]);
    expect(t.status, t.screen).toBe(2);
    expect(t.screen).toContain('BAD_INPUT: the two entries of the secret differ; nothing was changed');
    expectNoSecret(t.screen, [secret], 'the terminal');
    await expectUnchanged(world.vault.vault, before);
  });

  it('seal --secret-file -: an empty entry is refused (exit 2), and nothing is sealed', async () => {
    const before = await snapshot(world.vault.vault);
    const t = await onVault(seal, [
      { prompt: 'the secret (not shown; one line): ', type: '\r' },
      { prompt: 'the secret again: ', type: '\r' },
    ]);
    expect(t.status, t.screen).toBe(2);
    expect(t.screen).toContain('BAD_INPUT: the secret is empty; nothing was changed');
    await expectUnchanged(world.vault.vault, before);
  });

  it('seal --secret-file -: refused before the secret prompt when it cannot be sealed (no policy entry), nothing asked or changed', async () => {
    const before = await snapshot(world.vault.vault);
    const t = await onVault(['seal', '--credential', 'not-in-policy', '--label', 'x', '--secret-file', '-'], []);
    expect(t.status, t.screen).toBe(3);
    expect(t.screen).toContain('POLICY_DENIED: the policy has no entry for credential not-in-policy; add it under credentials');
    expect(t.screen).not.toContain('the secret (not shown');
    await expectUnchanged(world.vault.vault, before);
  });

  it('Ctrl-C at the prompt stops the command: exit 130 CANCELLED, nothing changed', async () => {
    const before = await snapshot(world.vault.vault);
    const t = await onVault(seal, [{ prompt: 'the secret (not shown; one line): ', type: '\x03' }]);
    expect(t.status, t.screen).toBe(130);
    expect(t.screen).toContain('CANCELLED: cancelled at the prompt');
    await expectUnchanged(world.vault.vault, before);
  });

  it('a prompt nobody answers ends the command (CANCELLED, exit 130) and frees the vault', async () => {
    const before = await snapshot(world.vault.vault);
    process.env['BREAKGLASS_PROMPT_TIMEOUT'] = '1';
    let t: Awaited<ReturnType<typeof onVault>>;
    try {
      t = await onVault(seal, []);
    } finally {
      delete process.env['BREAKGLASS_PROMPT_TIMEOUT'];
    }
    expect(t.status, t.screen).toBe(130);
    expect(t.screen).toContain('CANCELLED: no answer at the prompt within 1 s; the command stopped, so the vault is free again');
    await expectUnchanged(world.vault.vault, before);
    expectStatus(await world.vault.run(['list']), 0, 'list after the unanswered prompt');
  });

  it('Ctrl-C while a command waits (here for a server that never answers): exit 130 CANCELLED on a line of its own; the vault is free again', async () => {
    const before = await snapshot(world.vault.vault);
    const server = await silentServer();
    const tokenFile = join(world.root, '.enrol-token');
    writeFileSync(tokenFile, 'abcdefghijklmnop\n', { mode: 0o600 });
    try {
      const child = spawn(
        process.execPath,
        [BIN, '--vault', world.vault.vault, 'enroll', '--server', server.url, '--token-file', tokenFile],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const status = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await server.arrived;
      child.kill('SIGINT');
      expect({ status: await status, stderr }).toEqual({
        status: 130,
        stderr: `\nbreakglass: CANCELLED: interrupted (Ctrl-C) before it finished; what it had already committed stays in the journal\n${vaultInUse('crash cart', world.vault.vault)}`,
      });
    } finally {
      server.close();
    }
    await expectUnchanged(world.vault.vault, before);
    // Its write lock went with it, and so did the note naming it: the next command runs.
    expect(existsSync(join(world.vault.vault, 'vault.lock.holder'))).toBe(false);
    expectStatus(await world.vault.run(['list']), 0, 'list after the interrupted enroll');
  });

  it('what is typed while a command works, before any prompt, is not echoed (a passphrase typed ahead stays hidden)', async () => {
    const server = await silentServer();
    const tokenFile = join(world.root, '.enrol-token-typed');
    writeFileSync(tokenFile, 'abcdefghijklmnop\n', { mode: 0o600 });
    const typedAhead = 'typed-ahead-pw-3c9f';
    try {
      // The command waits for a server that never answers: typed then, and again half a second on, then Ctrl-C.
      const t = await onVault(
        ['enroll', '--server', server.url, '--token-file', tokenFile],
        [
          { prompt: '', type: async () => (await server.arrived, typedAhead) },
          { prompt: '', type: async () => (await new Promise((r) => setTimeout(r, 500)), `${typedAhead}\r`) },
          { prompt: '', type: async () => (await new Promise((r) => setTimeout(r, 300)), '\x03') },
        ],
      );
      expect(t.status, t.screen).toBe(130);
      expect(t.screen).toContain('CANCELLED: interrupted (Ctrl-C)');
      expectNoSecret(t.screen, [typedAhead], 'the terminal');
    } finally {
      server.close();
    }
  });

  it('seal --secret-file -: typed twice, not shown, sealed; and a quorum opens exactly what was typed', async () => {
    const t = await onVault(seal, [
      { prompt: 'the secret (not shown; one line): ', type: `${secret}\r` },
      { prompt: 'the secret again: ', type: `${secret}\r` },
    ]);
    expect(t.status, t.screen).toBe(0);
    expect(t.screen).toContain('sealed prod-db-root (prod DB root): 2 of 3 holders');
    expectNoSecret(t.screen, [secret], 'the terminal');

    // --passphrase-file - on a terminal is a hidden prompt as well.
    const request = await onVault(['--passphrase-file', '-', ...requestArgs()], [{ prompt: ': ', type: `${PASSPHRASES['dave']!}\r` }]);
    expect(request.status, request.screen).toBe(0);
    expectNoSecret(request.screen, [PASSPHRASES['dave']!], 'the terminal');
    const id = journal(world.vault.vault).findLast((e) => e.kind === 'request.create')!.data['request'] as { id: string };
    // alice mistypes her passphrase at the vault laptop: asked again (try 2 of 3), not thrown out;
    // the wrong try is journaled all the same.
    const refusalsBefore = journal(world.vault.vault).filter((e) => e.kind === 'access.refused').length;
    const alice = await onVault(
      ['approve', id.id, '--holder', 'alice', '--yes'],
      [
        { prompt: `(alice) passphrase to approve request ${id.id}: `, type: 'not-alices-passphrase\r' },
        { prompt: `that was not the passphrase; try 2 of 3: `, type: `${PASSPHRASES['alice']!}\r` },
      ],
    );
    expect(alice.status, alice.screen).toBe(0);
    expectNoSecret(alice.screen, [PASSPHRASES['alice']!, 'not-alices-passphrase'], 'the terminal');
    const refusals = journal(world.vault.vault).filter((e) => e.kind === 'access.refused');
    expect(refusals.length - refusalsBefore).toBe(1);
    // About the credential and request it was for, so an auditor finds it with its activation.
    expect(refusals.at(-1)!).toMatchObject({ actor: 'alice', subject: 'prod-db-root', data: { code: 'WRONG_PASSPHRASE', request: id.id } });

    // Three wrong tries end the command: WRONG_PASSPHRASE (exit 3), each try journaled.
    const carolBefore = journal(world.vault.vault).filter((e) => e.kind === 'access.refused').length;
    const carol = await onVault(
      ['approve', id.id, '--holder', 'carol', '--yes'],
      [
        { prompt: `(carol) passphrase to approve request ${id.id}: `, type: 'wrong-one-1\r' },
        { prompt: 'try 2 of 3: ', type: 'wrong-one-2\r' },
        { prompt: 'try 3 of 3: ', type: 'wrong-one-3\r' },
      ],
    );
    expect(carol.status, carol.screen).toBe(3);
    expect(carol.screen).toContain('WRONG_PASSPHRASE: that is not');
    expect(journal(world.vault.vault).filter((e) => e.kind === 'access.refused').length - carolBefore).toBe(3);

    // bob approves from a bundle on his laptop: asked on his terminal; "n" writes nothing, "y" approves.
    const bundle = join(world.root, 'terminal-bob.bundle');
    expectStatus(await world.vault.run(['request', 'export', id.id, '--holder', 'bob', '--out', bundle]), 0, 'request export');
    const bob = world.laptops['bob']!;
    const pw = join(world.root, '.pw-terminal-bob');
    writeFileSync(pw, PASSPHRASES['bob']!, { mode: 0o600 });
    const approval = join(world.root, 'terminal-bob.approval');
    const approve = ['--vault', bob.vault, '--passphrase-file', pw, 'approve', '--bundle', bundle, '--out', approval];
    const bobBefore = await snapshot(bob.vault);
    // Ctrl-C at the question is CANCELLED (130), as at any prompt; the reserved --out goes with it.
    const interrupted = await runOnTerminal(approve, [{ prompt: 'Approve this request? [y/N] ', type: '\x03' }]);
    expect(interrupted.status, interrupted.screen).toBe(130);
    expect(interrupted.screen).toContain('CANCELLED: cancelled at the prompt');
    expect(existsSync(approval)).toBe(false);
    expect(readdirSync(world.root).filter((n) => n.includes('terminal-bob.approval'))).toEqual([]);
    await expectUnchanged(bob.vault, bobBefore);
    const declined = await runOnTerminal(approve, [{ prompt: 'Approve this request? [y/N] ', type: 'n\r' }]);
    expect(declined.status, declined.screen).toBe(3);
    expect(declined.screen).toContain('DECLINED: not approved; nothing was written or journaled');
    expect(existsSync(approval)).toBe(false);
    await expectUnchanged(bob.vault, bobBefore);
    const accepted = await runOnTerminal(approve, [{ prompt: 'Approve this request? [y/N] ', type: 'y\r' }]);
    expect(accepted.status, accepted.screen).toBe(0);
    expectStatus(await world.vault.run(['approval', 'import', approval]), 0, 'approval import');
    const reveal = expectStatus(await world.vault.run(['unseal', id.id, '--reveal']), 0, 'unseal --reveal');
    expectSecretEqual(reveal.stdout, `${secret}\n`, 'the secret a quorum opened');
  });

  it('review --rotated-secret-file -: a review the policy refuses is refused before the secret prompt (journaled); an allowed one asks for it', async () => {
    expectStatus(await world.vault.run(['close', 'prod-db-root']), 0, 'close');
    const review = (reviewer: string) => [
      ...reviewArgs('restored', 'none').map((a) => (a === 'carol' ? reviewer : a)),
      '--rotated-secret-file',
      '-',
    ];
    const before = await snapshot(world.vault.vault);
    // dave is no reviewer in the policy.
    const refused = await onVault(review('dave'), []);
    expect(refused.status, refused.screen).toBe(3);
    expect(refused.screen).toContain('POLICY_DENIED: dave is not a reviewer in the policy this request was opened under');
    expect(refused.screen).not.toContain('the rotated secret');
    await expectRefusalJournaled(world.vault.vault, before, 'POLICY_DENIED');
    const rotated = 'rotated-root-pw-51d2aa';
    const signed = await onVault(review('carol'), [
      { prompt: 'the rotated secret (not shown; one line): ', type: `${rotated}\r` },
      { prompt: 'the rotated secret again: ', type: `${rotated}\r` },
      { prompt: '(carol) passphrase to sign the review of prod-db-root: ', type: `${PASSPHRASES['carol']!}\r` },
    ]);
    expect(signed.status, signed.screen).toBe(0);
    expect(signed.screen).toContain('the rotated secret will be sealed at reseal');
    expectNoSecret(signed.screen, [rotated, PASSPHRASES['carol']!], 'the terminal');
  });
});

describe('a person at a passphrase prompt does not hold the vault', () => {
  let world: World;
  let request = '';
  beforeAll(async () => {
    world = await buildWorld({ policy: refusalPolicy(15) });
  }, 180_000);
  afterAll(() => world.cleanup());

  const approveAtTerminal = (holder: string, meanwhile: () => Promise<void>, typed: string) =>
    runOnTerminal(
      ['--vault', world.vault.vault, 'approve', request, '--holder', holder, '--yes'],
      [{ prompt: `(${holder}) passphrase to approve request ${request}: `, type: async () => (await meanwhile(), `${typed}\r`) }],
    );
  const entries = (kind: string) => journal(world.vault.vault).filter((e) => e.kind === kind && JSON.stringify(e.data).includes(request));

  it('another command writes the vault while alice types; her approval is then made and journaled', async () => {
    request = await world.request();
    const secret = world.file('ops-root.secret', 'ops-root-secret-5d2a');
    let meanwhile: Transcript | null = null;
    const alice = await approveAtTerminal(
      'alice',
      async () => {
        meanwhile = await world.vault.run(['seal', '--credential', 'ops-root', '--label', 'ops root', '--secret-file', secret]);
      },
      PASSPHRASES['alice']!,
    );
    expectStatus(meanwhile!, 0, 'seal while alice is at her prompt');
    expect(alice.status, alice.screen).toBe(0);
    expect(alice.screen).toContain(`request ${request} for prod-db-root (access): open, 1 of 2 approvals (alice)`);
    expectNoSecret(alice.screen, [PASSPHRASES['alice']!], 'the terminal');
    expect(entries('approval.accept').map((e) => e.actor)).toEqual(['alice']);
    expect(journal(world.vault.vault).filter((e) => e.kind === 'credential.seal' && e.subject === 'ops-root')).toHaveLength(1);
  });

  it('what changed while bob typed is checked again: a request cancelled meanwhile refuses his approval, and nothing of his is written', async () => {
    const before = journal(world.vault.vault).length;
    const bob = await approveAtTerminal(
      'bob',
      async () =>
        void expectStatus(
          await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }),
          0,
          'request cancel while bob is at his prompt',
        ),
      PASSPHRASES['bob']!,
    );
    expect(bob.status, bob.screen).toBe(3);
    expect(bob.screen).toContain(`STATE_CONFLICT: request ${request} is cancelled; only an open request can be approved`);
    const after = journal(world.vault.vault).slice(before);
    expect(after.map((e) => e.kind)).toEqual(['request.cancel', 'key.rotate']);
    expect(after.filter((e) => e.actor === 'bob')).toEqual([]);
  });

  it('a wrong passphrase is journaled as it is typed (a commit of its own), then the right one approves', async () => {
    request = await world.request();
    const t = await runOnTerminal(
      ['--vault', world.vault.vault, 'approve', request, '--holder', 'carol', '--yes'],
      [
        { prompt: `(carol) passphrase to approve request ${request}: `, type: 'not-carols-passphrase\r' },
        { prompt: 'that was not the passphrase; try 2 of 3: ', type: `${PASSPHRASES['carol']!}\r` },
      ],
    );
    expect(t.status, t.screen).toBe(0);
    const refused = entries('access.refused');
    expect(refused.map((e) => [e.actor, e.data['code']])).toEqual([['carol', 'WRONG_PASSPHRASE']]);
    const accepted = entries('approval.accept');
    expect(accepted.map((e) => e.actor)).toEqual(['carol']);
    // The refusal comes first, as it happened.
    expect(refused[0]!.seq).toBeLessThan(accepted[0]!.seq);

    // carol again: refused before the request is shown or y/N asked, not after she has read it.
    const again = await runOnTerminal(['--vault', world.vault.vault, 'approve', request, '--holder', 'carol'], []);
    expect(again.status, again.screen).toBe(3);
    expect(again.screen).toContain(`DUPLICATE_APPROVAL: carol has already approved request ${request}; one approval per holder`);
    expect(again.screen).not.toContain('Approve this request?');
    expect(again.screen).not.toContain('BREAK GLASS');

    // alice mistypes, then presses Ctrl-C: the wrong try is journaled (as it was typed), the stop stays a stop.
    const stopped = await runOnTerminal(
      ['--vault', world.vault.vault, 'approve', request, '--holder', 'alice', '--yes'],
      [
        { prompt: `(alice) passphrase to approve request ${request}: `, type: 'not-alices-passphrase\r' },
        { prompt: 'that was not the passphrase; try 2 of 3: ', type: '\x03' },
      ],
    );
    expect(stopped.status, stopped.screen).toBe(130);
    expect(stopped.screen).toContain('CANCELLED: cancelled at the prompt');
    expect(entries('access.refused').map((e) => [e.actor, e.data['code']])).toEqual([
      ['carol', 'WRONG_PASSPHRASE'],
      ['carol', 'DUPLICATE_APPROVAL'],
      ['alice', 'WRONG_PASSPHRASE'],
    ]);
    expect(entries('approval.accept').map((e) => e.actor)).toEqual(['carol']);
  });
});
