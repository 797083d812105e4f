/**
 * Every entry names the person who acted. A request is cancelled by hand only with a signature: its requester's, or that of a holder who
 * approved it, typed in person at the vault laptop. The signed cancel is journaled whole and names
 * who acted; anyone else is refused before any passphrase with nothing changed, and a wrong
 * passphrase is journaled like any other. Reveals, copies, exports and closes name the operator: the
 * member given with --operator, or the request's requester. A change nobody signs (policy set,
 * member add and remove, seal, reseal) names the member given with --by, else the login account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userInfo } from 'node:os';
import { expectStatus, laptop } from '../../helpers/cli.js';
import { buildWorld, examplePolicy, reviewArgs, type World } from '../../helpers/world.js';
import { expectRefusalJournaled, expectSecretEqual, expectUnchanged, journal, jsonError, jsonOk, snapshot } from './vault-state.js';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

describe('request cancel, signed by the requester or an approver', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 180_000);
  afterAll(() => world.cleanup());

  const lastCancel = () => journal(world.vault.vault).findLast((e) => e.kind === 'request.cancel')!;

  it('by its requester (the default): signed, journaled whole with dave as the actor, the credential sealed again', async () => {
    const request = await world.request();
    const t = expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
    expect(t.stdout).toBe(`request ${request} cancelled by dave\n`);
    const e = lastCancel();
    expect(e.actor).toBe('dave');
    expect(e.data).toMatchObject({
      request,
      exposed: false,
      cancel: { format: 'breakglass.cancel', version: 1, request, credential: 'prod-db-root', by: 'dave' },
    });
    const list = jsonOk<{ credentials: { id: string; state: string }[] }>(await world.vault.run(['--json', 'list']));
    expect(list.credentials.find((c) => c.id === 'prod-db-root')!.state).toBe('SEALED');
    expectStatus(await world.vault.run(['journal', 'verify']), 0, 'journal verify');
  });

  it('by a holder who approved it: alice signs, the journal names her', async () => {
    const request = await world.request();
    expectStatus(await world.vault.run(['approve', request, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 0, 'approve');
    const out = jsonOk<{ by: string; exposed: boolean }>(
      await world.vault.run(['--json', 'request', 'cancel', request, '--by', 'alice'], { passphraseOf: 'alice' }),
    );
    expect(out).toMatchObject({ by: 'alice', exposed: false });
    expect(lastCancel()).toMatchObject({ actor: 'alice', data: { cancel: { by: 'alice' } } });
  });

  it('by a holder who has not approved: POLICY_DENIED before any passphrase, nothing changed, nothing journaled', async () => {
    const request = await world.request();
    const before = await snapshot(world.vault.vault);
    // No passphrase file is given: the refusal comes before anyone would be asked.
    const err = jsonError(await world.vault.run(['--json', 'request', 'cancel', request, '--by', 'bob']), 3);
    expect(err).toMatchObject({
      code: 'POLICY_DENIED',
      message: `bob may not cancel request ${request}: only its requester (dave) or a holder who approved it (none yet) may; nothing was changed`,
    });
    await expectUnchanged(world.vault.vault, before);
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it("with the requester's wrong passphrase: WRONG_PASSPHRASE, journaled as such, and the request stays open", async () => {
    const request = await world.request();
    const before = await snapshot(world.vault.vault);
    const err = jsonError(await world.vault.run(['--json', 'request', 'cancel', request], { passphraseOf: 'not-daves-passphrase' }), 3);
    expect(err.code).toBe('WRONG_PASSPHRASE');
    const refusal = await expectRefusalJournaled(world.vault.vault, before, 'WRONG_PASSPHRASE');
    expect(refusal).toMatchObject({ actor: 'dave', subject: 'prod-db-root', data: { action: `cancel request ${request}`, request } });
    const shown = jsonOk<{ request: { status: string } }>(await world.vault.run(['--json', 'request', 'show', request]));
    expect(shown.request.status).toBe('open');
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('an unknown member or a request that is not open: the precise error, nothing changed', async () => {
    const request = await world.request();
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
    const before = await snapshot(world.vault.vault);
    expect(jsonError(await world.vault.run(['--json', 'request', 'cancel', request], { passphraseOf: 'dave' }), 3)).toMatchObject({
      code: 'STATE_CONFLICT',
      message: `request ${request} is cancelled, not open`,
    });
    expect(jsonError(await world.vault.run(['--json', 'request', 'cancel', request, '--by', 'Bob!']), 2).code).toBe('BAD_ARGUMENTS');
    await expectUnchanged(world.vault.vault, before);
  });
});

describe('reveals, exports and closes name the operator', () => {
  let world: World;
  let request: string;
  beforeAll(async () => {
    world = await buildWorld();
    request = await world.request();
    for (const h of ['alice', 'bob'])
      expectStatus(await world.vault.run(['approve', request, '--holder', h, '--yes'], { passphraseOf: h }), 0, `approve ${h}`);
  }, 180_000);
  afterAll(() => world.cleanup());

  const last = (kind: string) => journal(world.vault.vault).findLast((e) => e.kind === kind)!;

  it('a reveal with no --operator names the requester; --operator carol names carol', async () => {
    const t = expectStatus(await world.vault.run(['unseal', request, '--reveal']), 0, 'reveal');
    expectSecretEqual(t.stdout.trimEnd(), world.secret, 'the revealed secret');
    expect(last('credential.reveal')).toMatchObject({ actor: 'dave', data: { request } });
    const out = join(world.root, 'secret.out');
    expectStatus(await world.vault.run(['unseal', request, '--out', out, '--operator', 'carol']), 0, 'export');
    expectSecretEqual(readFileSync(out, 'utf8'), world.secret, 'the exported secret');
    expect(last('credential.export')).toMatchObject({ actor: 'carol', data: { request } });
  });

  it('an operator who is not a member here: NOT_FOUND before anything is decrypted, journaled or written', async () => {
    const before = await snapshot(world.vault.vault);
    const out = join(world.root, 'not-written.out');
    const err = jsonError(await world.vault.run(['--json', 'unseal', request, '--out', out, '--operator', 'mallory']), 2);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/^no member mallory/);
    expect(existsSync(out)).toBe(false);
    expect(jsonError(await world.vault.run(['--json', 'close', 'prod-db-root', '--operator', 'mallory']), 2).code).toBe('NOT_FOUND');
    await expectUnchanged(world.vault.vault, before);
  });

  it('close --operator bob: the window.close entry names bob', async () => {
    expectStatus(await world.vault.run(['close', 'prod-db-root', '--operator', 'bob']), 0, 'close');
    expect(last('window.close')).toMatchObject({ actor: 'bob', data: { request, reason: 'closed' } });
  });
});

describe('a change nobody signs names who made it: --by, else the login account', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 180_000);
  afterAll(() => world.cleanup());

  const entries = (kind: string) => journal(world.vault.vault).filter((e) => e.kind === kind);
  const login = `login:${userInfo().username}`;

  it('without --by: member add, policy set and seal name the account the command ran as', () => {
    expect(entries('member.add').map((e) => e.actor)).toEqual([login, login, login, login]);
    expect(entries('policy.set').map((e) => e.actor)).toEqual([login]);
    expect(entries('credential.seal').map((e) => e.actor)).toEqual([login]);
  });

  it('policy set --by carol, member add --by the new member herself, member remove --by carol: each entry names them', async () => {
    expectStatus(await world.vault.run(['policy', 'set', world.file('same.yaml', examplePolicy()), '--by', 'carol']), 0, 'policy set');
    expect(entries('policy.set').at(-1)!.actor).toBe('carol');
    const erin = laptop(world.root, 'laptop-erin');
    expectStatus(await erin.run(['init', '--name', "erin's laptop"]), 0, 'init erin');
    const card = join(world.root, 'erin.card');
    expectStatus(
      await erin.run(['member', 'create', '--id', 'erin', '--name', 'Erin', '--out', card], { passphraseOf: 'erin' }),
      0,
      'create',
    );
    expectStatus(await world.vault.run(['member', 'add', card, '--by', 'erin']), 0, 'member add erin');
    expect(entries('member.add').at(-1)).toMatchObject({ actor: 'erin', subject: 'erin' });
    expectStatus(await world.vault.run(['member', 'remove', 'erin', '--by', 'carol']), 0, 'member remove erin');
    expect(entries('member.remove').at(-1)).toMatchObject({ actor: 'carol', subject: 'erin' });
    expectStatus(await world.vault.run(['journal', 'verify']), 0, 'journal verify');
  });

  it('--by someone not enrolled here: NOT_FOUND naming them, before the secret is read, and nothing changed', async () => {
    const before = await snapshot(world.vault.vault);
    const cases: [string[], string?][] = [
      [['policy', 'set', world.file('again.yaml', examplePolicy()), '--by', 'zed']],
      [['member', 'add', join(world.root, 'alice.card'), '--by', 'zed']],
      [['member', 'remove', 'erin', '--by', 'zed']],
      [['seal', '--credential', 'prod-db-root', '--label', 'again', '--secret-file', '-', '--by', 'zed'], 'never-read-secret'],
      [['reseal', 'prod-db-root', '--by', 'zed']],
    ];
    for (const [args, stdin] of cases) {
      const err = jsonError(await world.vault.run(['--json', ...args], stdin === undefined ? {} : { stdin }), 2);
      expect({ args, err }).toEqual({
        args,
        err: expect.objectContaining({
          code: 'NOT_FOUND',
          message: 'no member zed is enrolled at this vault; add their card with "breakglass member add"',
        }),
      });
    }
    await expectUnchanged(world.vault.vault, before);
  });

  it('reseal names the reviewer who signed the review, or the member given with --by; request show says what the ended request still owes', async () => {
    for (const by of [undefined, 'alice']) {
      const request = await world.request();
      for (const holder of ['alice', 'bob'])
        expectStatus(await world.vault.run(['approve', request, '--holder', holder, '--yes'], { passphraseOf: holder }), 0, 'approve');
      expectStatus(await world.vault.run(['unseal', request]), 0, 'unseal');
      expectStatus(await world.vault.run(['close', 'prod-db-root']), 0, 'close');
      // request show on the ended request: how it ended (no stale expiry) and what it still owes.
      const show = async () => expectStatus(await world.vault.run(['request', 'show', request]), 0, 'request show');
      let t = await show();
      expect(t.stdout.split('\n')[1]).toBe('ended: its unseal window closed');
      expect(t.stdout).not.toContain('expires');
      expect(t.stderr).toBe(
        'next: prod-db-root counts as exposed: "breakglass review prod-db-root --reviewer ID --warranted yes|no --summary TEXT --changes TEXT", then "breakglass reseal prod-db-root"\n',
      );
      expectStatus(await world.vault.run(reviewArgs('restored access', 'none'), { passphraseOf: 'carol' }), 0, 'review');
      t = await show();
      expect(t.stderr).toBe('next: the review is signed: "breakglass reseal prod-db-root"\n');
      expectStatus(await world.vault.run(['reseal', 'prod-db-root', ...(by ? ['--by', by] : [])]), 0, 'reseal');
      t = await show();
      expect(t.stderr).toBe('next: nothing; this request is over (prod-db-root is SEALED, "breakglass list" shows it)\n');
      expect(entries('credential.reseal').at(-1)!.actor).toBe(by ?? 'carol');
    }
  });
});
