/**
 * `member passphrase --id ID` and a journaled `member export-key`: a new passphrase over a member's
 * keys wherever this machine holds them (their own laptop's keychain, the custody copy at a vault),
 * after which the old passphrase opens nothing there and the new one does what the old did; bad
 * input refused with its code and nothing changed; a wrong passphrase journaled; no passphrase in
 * any output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSPHRASES, expectStatus, recordTranscripts, type Laptop, type Transcript } from '../../helpers/cli.js';
import { runOnTerminal } from '../../helpers/terminal.js';
import { buildWorld, type World } from '../../helpers/world.js';
import { TAG, b64, documentHash } from '../../../src/crypto/index.js';
import { expectNoSecret, expectRefusalJournaled, expectUnchanged, journal, jsonError, jsonOk, snapshot } from './vault-state.js';

const NEW: Record<string, string> = {
  erin: 'erin brand new staple passphrase',
  alice: 'alice brand new staple passphrase',
  bob: 'bob brand new staple passphrase',
  carol: 'carol brand new staple passphrase',
};

describe('member passphrase and a journaled export-key', () => {
  let world: World;
  let vault: Laptop;
  const recorder = recordTranscripts();
  const file = (name: string, text: string): string => world.file(name, text);
  /** Runs with the passphrase in `passphrase` read from a file (the test never puts one in argv). */
  const withFile = (on: Laptop, args: readonly string[], passphrase: string): Promise<Transcript> =>
    on.run(['--passphrase-file', file(`.typed-${on.name}`, passphrase), ...args]);
  const newFile = (member: string): string => file(`.new-${member}`, NEW[member]!);
  const change = (on: Laptop, member: string, old: string): Promise<Transcript> =>
    withFile(on, ['--json', 'member', 'passphrase', '--id', member, '--new-passphrase-file', newFile(member)], old);

  beforeAll(async () => {
    world = await buildWorld();
    vault = world.vault;
  }, 180_000);
  afterAll(() => {
    recorder.stop();
    world?.cleanup();
  });

  it('bad input on the member laptop: its code and message, nothing changed', async () => {
    const alice = world.laptops['alice']!;
    const before = await snapshot(alice.vault);
    // No new passphrase from anywhere: no terminal, no --new-passphrase-file.
    expect(jsonError(await alice.run(['--json', 'member', 'passphrase', '--id', 'alice'], { passphraseOf: 'alice' }), 2)).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message:
        'the new passphrase of alice is needed; run in a terminal or pass --new-passphrase-file FILE (- for standard input); nothing was changed',
    });
    expect(jsonError(await alice.run(['--json', 'member', 'passphrase', '--id', 'Alice!']), 2)).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: 'id "Alice!" is not a valid id: use 1-64 of a-z, 0-9, ".", "_", "-"',
    });
    // Both from one pipe: refused before anything is read, and no wrong try is journaled for alice.
    expect(
      jsonError(
        await alice.run(['--json', '--passphrase-file', '-', 'member', 'passphrase', '--id', 'alice', '--new-passphrase-file', '-'], {
          stdin: `${PASSPHRASES['alice']!}\nanother passphrase 123\n`,
        }),
        2,
      ),
    ).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message:
        '--passphrase-file - and --new-passphrase-file - would both read standard input; give one of them as a file; nothing was changed',
    });
    // Too short: refused after the current passphrase was checked, before anything is written.
    const short = file('.short', 'too short');
    expect(
      jsonError(
        await alice.run(['--json', 'member', 'passphrase', '--id', 'alice', '--new-passphrase-file', short], { passphraseOf: 'alice' }),
        2,
      ),
    ).toMatchObject({ code: 'BAD_INPUT', message: 'the new passphrase must have at least 10 characters; nothing was changed' });
    // Keys this laptop does not hold.
    expect(jsonError(await change(alice, 'bob', PASSPHRASES['bob']!), 2)).toMatchObject({
      code: 'NOT_FOUND',
      message:
        'this machine holds no keys of bob: none in its keychain (made with "breakglass member create") and no custody copy at this vault; change the passphrase on the machine that holds them; nothing was changed',
    });
    await expectUnchanged(alice.vault, before);
    // The old passphrase still opens the keys: an export with it works.
    expectStatus(
      await alice.run(['member', 'export-key', '--id', 'alice', '--out', join(world.root, 'alice-still.custody')], {
        passphraseOf: 'alice',
      }),
      0,
    );
  });

  it('a wrong current passphrase is refused (WRONG_PASSPHRASE, exit 3) and journaled; nothing else changes', async () => {
    const alice = world.laptops['alice']!;
    const before = await snapshot(alice.vault);
    const error = jsonError(await change(alice, 'alice', NEW['alice']!), 3);
    expect(error).toMatchObject({ code: 'WRONG_PASSPHRASE', message: "that is not Alice's passphrase (member alice)" });
    const refusal = await expectRefusalJournaled(alice.vault, before, 'WRONG_PASSPHRASE');
    expect(refusal).toMatchObject({ actor: 'alice', subject: 'alice', data: { action: 'change passphrase' } });
  });

  it("on the member's laptop: the keychain copy re-wrapped, journaled; the old passphrase opens nothing, the new one approves a bundle", async () => {
    const alice = world.laptops['alice']!;
    const since = (await snapshot(alice.vault)).journalCount;
    const t = await change(alice, 'alice', PASSPHRASES['alice']!);
    expect(jsonOk(t)).toEqual({ ok: true, member: 'alice', keychain: true, custody: false });
    expect(t.stderr).toBe(
      'note: custody copies of alice at vault laptops still open with the old passphrase: export a fresh one ("breakglass member export-key --id alice --out FILE") and enrol it there ("breakglass member add CARD --custody FILE" replaces the copy)\n',
    );
    const added = journal(alice.vault, since);
    expect(added.map((e) => e.kind)).toEqual(['member.passphrase', 'key.rotate']);
    expect(added[0]).toMatchObject({ actor: 'alice', subject: 'alice', data: { keychain: true, custody: false } });
    expect(Object.keys(added[0]!.data).sort()).toEqual(['custody', 'fingerprint', 'keychain']);

    // The old passphrase no longer opens alice's keys here: refused and journaled, no file written.
    const out = join(world.root, 'alice-old.custody');
    const before = await snapshot(alice.vault);
    expect(
      jsonError(await alice.run(['--json', 'member', 'export-key', '--id', 'alice', '--out', out], { passphraseOf: 'alice' }), 3),
    ).toMatchObject({
      code: 'WRONG_PASSPHRASE',
    });
    expect((await expectRefusalJournaled(alice.vault, before, 'WRONG_PASSPHRASE')).data).toMatchObject({ action: 'export a custody copy' });
    expect(existsSync(out)).toBe(false);

    // The new one approves a request bundle on alice's laptop.
    const req = await world.request();
    const bundle = join(world.root, 'alice.bundle');
    expectStatus(await vault.run(['request', 'export', req, '--holder', 'alice', '--out', bundle]), 0, 'request export');
    const approve = ['approve', '--yes', '--bundle', bundle, '--out', join(world.root, 'alice.approval')];
    expect(jsonError(await alice.run(['--json', ...approve], { passphraseOf: 'alice' }), 3).code).toBe('WRONG_PASSPHRASE');
    expectStatus(await withFile(alice, approve, NEW['alice']!), 0, 'approve the bundle with the new passphrase');
    expectStatus(await alice.run(['journal', 'verify']), 0, 'journal verify');
    expectStatus(await vault.run(['request', 'cancel', req], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('export-key is journaled on the member laptop (member.export, the custody hash, never the wrapped keys)', async () => {
    const alice = world.laptops['alice']!;
    const since = (await snapshot(alice.vault)).journalCount;
    const out = join(world.root, 'alice-fresh.custody');
    const t = jsonOk<{ custodyHash: string }>(
      await withFile(alice, ['--json', 'member', 'export-key', '--id', 'alice', '--out', out], NEW['alice']!),
    );
    const custody = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const { sig: _sig, ...body } = custody;
    const hash = b64(documentHash(TAG.custody, body));
    expect(t.custodyHash).toBe(hash);
    const added = journal(alice.vault, since);
    expect(added.map((e) => e.kind)).toEqual(['member.export', 'key.rotate']);
    expect(added[0]).toMatchObject({ actor: 'alice', subject: 'alice', data: { custodyHash: hash } });
    expect(Object.keys(added[0]!.data).sort()).toEqual(['custodyHash', 'fingerprint']);
    // The file already there: refused before the passphrase is asked, nothing journaled.
    const before = await snapshot(alice.vault);
    expect(
      jsonError(await withFile(alice, ['--json', 'member', 'export-key', '--id', 'alice', '--out', out], NEW['alice']!), 2),
    ).toMatchObject({
      code: 'BAD_INPUT',
      message: `${out} already exists; choose another file or remove it first`,
    });
    await expectUnchanged(alice.vault, before);

    // The vault replaces alice's custody copy with it: in person, the old passphrase is refused, the new one approves.
    expectStatus(await vault.run(['member', 'add', join(world.root, 'alice.card'), '--custody', out]), 0, 'replace the custody copy');
    const req = await world.request();
    const approve = ['--json', 'approve', req, '--holder', 'alice', '--yes'];
    expect(jsonError(await vault.run(approve, { passphraseOf: 'alice' }), 3).code).toBe('WRONG_PASSPHRASE');
    expectStatus(await withFile(vault, approve, NEW['alice']!), 0, 'approve in person with the new passphrase');
    expectStatus(await vault.run(['request', 'cancel', req], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('at the vault: the custody copy re-wrapped and re-signed, journaled; in person the new passphrase approves', async () => {
    const before = await snapshot(vault.vault);
    // A member not enrolled here: NOT_FOUND, nothing changed.
    expect(jsonError(await change(vault, 'erin', 'whatever passphrase'), 2).code).toBe('NOT_FOUND');
    await expectUnchanged(vault.vault, before);
    const t = await change(vault, 'bob', PASSPHRASES['bob']!);
    expect(jsonOk(t)).toEqual({ ok: true, member: 'bob', keychain: false, custody: true });
    expect(t.stderr).toBe(
      `note: the keys on bob's own laptop keep the old passphrase until it is changed there ("breakglass member passphrase --id bob")\n`,
    );
    const added = journal(vault.vault, before.journalCount);
    expect(added.map((e) => e.kind)).toEqual(['member.passphrase', 'key.rotate']);
    expect(added[0]).toMatchObject({ actor: 'bob', subject: 'bob', data: { keychain: false, custody: true } });
    expect(Object.keys(added[0]!.data).sort()).toEqual(['custody', 'custodyHash', 'fingerprint', 'keychain']);

    const req = await world.request();
    const approve = ['--json', 'approve', req, '--holder', 'bob', '--yes'];
    const refused = await snapshot(vault.vault);
    expect(jsonError(await vault.run(approve, { passphraseOf: 'bob' }), 3).code).toBe('WRONG_PASSPHRASE');
    await expectRefusalJournaled(vault.vault, refused, 'WRONG_PASSPHRASE');
    expectStatus(await withFile(vault, approve, NEW['bob']!), 0, 'approve in person with the new passphrase');
    // The re-signed copy reads as bob's (member list), and the journal verifies.
    const members = jsonOk<{ members: { id: string; custody: boolean; fingerprint: string | null }[] }>(
      await vault.run(['--json', 'member', 'list']),
    ).members;
    expect(members.find((m) => m.id === 'bob')).toMatchObject({ custody: true, fingerprint: expect.any(String) });
    expectStatus(await vault.run(['journal', 'verify']), 0, 'journal verify');
    expectStatus(await vault.run(['request', 'cancel', req], { passphraseOf: 'dave' }), 0, 'cancel');
    // bob's own laptop still has the old passphrase: an export with it works there.
    expectStatus(
      await world.laptops['bob']!.run(['member', 'export-key', '--id', 'bob', '--out', join(world.root, 'bob-old.custody')], {
        passphraseOf: 'bob',
      }),
      0,
    );
  });

  it('at a terminal: the rule stated, a wrong try asked again and journaled, the new passphrase typed twice; nothing shown', async () => {
    const carol = world.laptops['carol']!;
    const args = ['--vault', carol.vault, 'member', 'passphrase', '--id', 'carol'];
    const before = await snapshot(carol.vault);
    const differ = await runOnTerminal(args, [
      { prompt: 'current passphrase of Carol (carol): ', type: 'not carols passphrase\r' },
      { prompt: 'that was not the passphrase; try 2 of 3: current passphrase of Carol (carol): ', type: `${PASSPHRASES['carol']!}\r` },
      { prompt: 'new passphrase for carol (at least 10 characters): ', type: `${NEW['carol']!}\r` },
      { prompt: 'repeat the new passphrase: ', type: `${NEW['carol']!}x\r` },
    ]);
    expect(differ.status, differ.screen).toBe(2);
    expect(differ.screen).toContain('BAD_INPUT: the two new passphrases differ; nothing was changed');
    // Only the wrong try is journaled.
    await expectRefusalJournaled(carol.vault, before, 'WRONG_PASSPHRASE');

    const short = await runOnTerminal(args, [
      { prompt: 'current passphrase of Carol (carol): ', type: `${PASSPHRASES['carol']!}\r` },
      { prompt: 'new passphrase for carol (at least 10 characters): ', type: 'short\r' },
    ]);
    expect(short.status, short.screen).toBe(2);
    expect(short.screen).toContain('BAD_INPUT: the new passphrase must have at least 10 characters; nothing was changed');
    expect(short.screen).not.toContain('repeat the new passphrase');

    const since = (await snapshot(carol.vault)).journalCount;
    const done = await runOnTerminal(args, [
      { prompt: 'current passphrase of Carol (carol): ', type: `${PASSPHRASES['carol']!}\r` },
      { prompt: 'new passphrase for carol (at least 10 characters): ', type: `${NEW['carol']!}\r` },
      { prompt: 'repeat the new passphrase: ', type: `${NEW['carol']!}\r` },
    ]);
    expect(done.status, done.screen).toBe(0);
    expect(done.screen).toContain("passphrase of carol changed in this machine's keychain");
    expect(journal(carol.vault, since).map((e) => [e.kind, e.actor])).toEqual([
      ['member.passphrase', 'carol'],
      ['key.rotate', 'vault'],
    ]);
    for (const screen of [differ.screen, short.screen, done.screen])
      expectNoSecret(screen, [PASSPHRASES['carol']!, NEW['carol']!, 'not carols passphrase'], 'the terminal');
    // The new passphrase opens carol's keys, the old one does not.
    const out = join(world.root, 'carol.fresh.custody');
    expect(
      jsonError(await carol.run(['--json', 'member', 'export-key', '--id', 'carol', '--out', out], { passphraseOf: 'carol' }), 3).code,
    ).toBe('WRONG_PASSPHRASE');
    expectStatus(await withFile(carol, ['member', 'export-key', '--id', 'carol', '--out', out], NEW['carol']!), 0);
  }, 60_000);

  it('no passphrase, old or new, in any output of any run', () => {
    const secrets = [...Object.values(PASSPHRASES), ...Object.values(NEW)];
    for (const { args, transcript } of recorder.runs) {
      expectNoSecret(transcript.stdout, secrets, `stdout of ${args.join(' ')}`);
      expectNoSecret(transcript.stderr, secrets, `stderr of ${args.join(' ')}`);
    }
    expect(recorder.runs.length).toBeGreaterThan(20);
  });
});
