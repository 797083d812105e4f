/**
 * The vault laptop alone can never open, re-split or reseal a credential, nor rewrite its history
 * unseen. Each test plays an attack as someone with root on the vault laptop would: raw SQL on the
 * vault's file, reads and writes of its keychain items through the keychain API, card and custody
 * swaps, entries appended with the keychain's own epoch key, folder and keychain snapshots and
 * restores. They have no holder's passphrase and no control of the holders' laptops. Each attack
 * ends refused, detected or harmless, with its exact code. Real CLI, real SQLite, real keychain.
 */
import Database from 'better-sqlite3';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalToken, MemberCard, RequestBundle, ReviewBody } from '../../../src/core/documents.js';
import type { JournalEntry } from '../../../src/core/journal.js';
import {
  TAG,
  b64,
  combineShares,
  decryptSecret,
  documentHash,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  memberFingerprint,
  memberKeyAad,
  openFromKey,
  reconstructDek,
  signDocument,
  unwrapWithPassphrase,
  wrapWithPassphrase,
  type AgreementKeyPair,
  type Envelope,
  type MemberKeys,
  type SigningKeyPair,
} from '../../../src/crypto/index.js';
import { advanceHead, makeEntry, type ChainHead } from '../../../src/journal/index.js';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import { VaultSession } from '../../../src/vault/index.js';
import { approvalContext } from '../../../src/vault/approvals.js';
import { PASSPHRASES, expectStatus, type Laptop } from '../../helpers/cli.js';
import { buildWorld, examplePolicy, requestArgs, reviewArgs, type World } from '../../helpers/world.js';
import { expectRefusalJournaled, expectUnchanged, journal, jsonError, jsonOk, snapshot } from '../cli/vault-state.js';

const store = (ns: string): Promise<KeytarSecretStore> => Promise.resolve(new KeytarSecretStore(ns));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** Raw SQL on a vault's file, as someone with the disk can run it (triggers guard only the journal). */
function sql<T = unknown>(vault: Laptop, statement: string, ...params: unknown[]): T[] {
  const db = new Database(join(vault.vault, 'vault.db'), { fileMustExist: true });
  try {
    const stmt = db.prepare(statement);
    return stmt.reader ? (stmt.all(...params) as T[]) : (stmt.run(...params), []);
  } finally {
    db.close();
  }
}

const vaultIdOf = (vault: Laptop): string => sql<{ value: string }>(vault, "SELECT value FROM meta WHERE key = 'vault_id'")[0]!.value;

/** A member's private keys, unwrapped from their custody file with their passphrase (what the test knows, not the attacker). */
async function keysOf(world: World, member: string): Promise<MemberKeys> {
  const custody = readJson<{ signingKey: string; wrapped: Parameters<typeof unwrapWithPassphrase>[1] }>(
    join(world.root, `${member}.custody`),
  );
  const plain = await unwrapWithPassphrase(PASSPHRASES[member]!, custody.wrapped, memberKeyAad(member, custody.signingKey));
  return JSON.parse(plain!.toString('utf8')) as MemberKeys;
}

/** A card and custody copy the attacker makes for `id`, with keys and a passphrase of their own. */
async function forgedMember(id: string, name: string): Promise<{ card: MemberCard; custody: string; keys: MemberKeys }> {
  const keys: MemberKeys = { signing: generateSigningKeyPair(), agreement: generateAgreementKeyPair() };
  const body = {
    format: 'breakglass.member-card' as const,
    version: 1 as const,
    id,
    name,
    signingKey: keys.signing.publicKey,
    agreementKey: keys.agreement.publicKey,
    createdAt: Date.now(),
  };
  const card: MemberCard = { ...body, sig: signDocument(TAG.memberCard, body, keys.signing) };
  const wrapped = await wrapWithPassphrase('attacker passphrase 123', Buffer.from(JSON.stringify(keys)), memberKeyAad(id, card.signingKey));
  const custodyBody = { format: 'breakglass.custody', version: 2, member: id, signingKey: card.signingKey, wrapped };
  const custody = JSON.stringify({ ...custodyBody, sig: signDocument(TAG.custody, custodyBody, keys.signing) });
  return { card, custody, keys };
}

/** Appends entries with the vault's own keychain key, as an attacker running the vault's code as root can. */
async function appendWithKeychain(
  vault: Laptop,
  ...entries: { kind: JournalEntry['kind']; actor: string; subject: string; data: Record<string, unknown> }[]
): Promise<void> {
  const session = await VaultSession.open(vault.vault, store, { write: true });
  try {
    await session.commit((append) => {
      for (const e of entries) append(e);
    });
  } finally {
    await session.close();
  }
}

/** Every keychain item of a vault's namespace (epoch keys, request keys). */
async function keychainItems(vaultId: string): Promise<Map<string, string>> {
  const ks = new KeytarSecretStore(vaultId);
  const items = new Map<string, string>();
  for (const account of await ks.list()) {
    const value = await ks.get(account);
    if (value !== null && !account.startsWith('breakglass-probe-')) items.set(account, value);
  }
  return items;
}

async function restoreKeychain(vaultId: string, items: Map<string, string>): Promise<void> {
  const ks = new KeytarSecretStore(vaultId);
  for (const account of await ks.list()) await ks.delete(account);
  for (const [account, value] of items) await ks.set(account, value);
}

async function approveInPerson(world: World, request: string, holder: string): Promise<void> {
  expectStatus(await world.vault.run(['approve', request, '--holder', holder, '--yes'], { passphraseOf: holder }), 0, `approve ${holder}`);
}

/** Exports a bundle for `holder`, approves it on their own laptop and returns the approval file. */
async function remoteApproval(world: World, request: string, holder: string, tag: string): Promise<string> {
  const bundle = join(world.root, `${tag}-${holder}.bundle`);
  const approval = join(world.root, `${tag}-${holder}.approval`);
  expectStatus(await world.vault.run(['request', 'export', request, '--holder', holder, '--out', bundle]), 0, 'request export');
  expectStatus(
    await world.laptops[holder]!.run(['approve', '--yes', '--bundle', bundle, '--out', approval], { passphraseOf: holder }),
    0,
    `approve --bundle ${holder}`,
  );
  return approval;
}

/** The active envelope of prod-db-root as the database holds it. */
const activeEnvelope = (world: World): Envelope =>
  JSON.parse(
    sql<{ body: string }>(world.vault, "SELECT body FROM envelopes WHERE credential_id = 'prod-db-root' AND slot = 'active'")[0]!.body,
  ) as Envelope;

describe('the vault laptop alone: a card swapped to redirect the next split', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 120_000);
  afterAll(() => world.cleanup());

  it("a holder's card and custody swapped by SQL: no request is signed for it, nothing is sealed to it (INTEGRITY_FAILURE, exit 4)", async () => {
    const fake = await forgedMember('bob', 'Bob');
    const genuine = sql<{ card: string; custody: string }>(world.vault, "SELECT card, custody FROM members WHERE id = 'bob'")[0]!;
    sql(world.vault, "UPDATE members SET card = ?, custody = ? WHERE id = 'bob'", JSON.stringify(fake.card), fake.custody);
    const before = await snapshot(world.vault.vault);
    const refused = jsonError(
      await world.vault.run(
        [
          '--json',
          'request',
          '--credential',
          'prod-db-root',
          '--trigger',
          'network-outage',
          '--reason',
          'r',
          '--incident',
          'INC-1',
          '--requester',
          'dave',
        ],
        { passphraseOf: 'dave' },
      ),
      4,
    );
    expect(refused.code).toBe('INTEGRITY_FAILURE');
    expect(refused.message).toMatch(/^the card of bob in this vault's database \(fingerprint .{19}\) is not the card its journal enrolled/);
    await expectUnchanged(world.vault.vault, before);
    // member list shows it too.
    const list = expectStatus(await world.vault.run(['member', 'list']), 0, 'member list');
    expect(list.stdout).toContain('bob\tBob\tcustody copy here\tCARD DOES NOT MATCH THE JOURNAL');
    sql(world.vault, "UPDATE members SET card = ?, custody = ? WHERE id = 'bob'", genuine.card, genuine.custody);
  });

  it('swapped after the request was signed: the quorum cannot seal the next split to it, the approval is refused (exit 4)', async () => {
    const request = await world.request();
    await approveInPerson(world, request, 'alice');
    const fake = await forgedMember('bob', 'Bob');
    const genuine = sql<{ card: string; custody: string }>(world.vault, "SELECT card, custody FROM members WHERE id = 'bob'")[0]!;
    sql(world.vault, "UPDATE members SET card = ?, custody = ? WHERE id = 'bob'", JSON.stringify(fake.card), fake.custody);
    const before = await snapshot(world.vault.vault);
    const refused = jsonError(
      await world.vault.run(['--json', 'approve', request, '--holder', 'carol', '--yes'], { passphraseOf: 'carol' }),
      4,
    );
    expect(refused.code).toBe('INTEGRITY_FAILURE');
    expect(refused.message).toMatch(/^the card of bob in this vault's database/);
    await expectUnchanged(world.vault.vault, before);
    sql(world.vault, "UPDATE members SET card = ?, custody = ? WHERE id = 'bob'", genuine.card, genuine.custody);
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('a second member.add for bob under other keys, appended with the keychain: the journal keeps the first keys (exit 4)', async () => {
    const fake = await forgedMember('bob', 'Bob');
    await appendWithKeychain(world.vault, { kind: 'member.add', actor: 'vault', subject: 'bob', data: { card: fake.card, custody: true } });
    sql(world.vault, "UPDATE members SET card = ?, custody = ? WHERE id = 'bob'", JSON.stringify(fake.card), fake.custody);
    const refused = jsonError(
      await world.vault.run(
        [
          '--json',
          'request',
          '--credential',
          'prod-db-root',
          '--trigger',
          'network-outage',
          '--reason',
          'r',
          '--incident',
          'INC-1',
          '--requester',
          'dave',
        ],
        { passphraseOf: 'dave' },
      ),
      4,
    );
    expect(refused).toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: expect.stringMatching(/enrols member bob a second time under other keys/),
    });
  });
});

describe("the vault laptop alone: a request that names another key for a holder, caught on the holder's own laptop", () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 120_000);
  afterAll(() => world.cleanup());

  it("bob's laptop refuses a signed request whose next split names a key that is not bob's (INTEGRITY_FAILURE, exit 4), and journals it", async () => {
    const request = await world.request();
    const file = join(world.root, 'genuine-bob.bundle');
    expectStatus(await world.vault.run(['request', 'export', request, '--holder', 'bob', '--out', file]), 0, 'export');
    // What a vault whose cards were replaced from the start would produce: dave signs what his vault
    // shows him, and bob's next share goes to the attacker's key.
    const bundle = readJson<RequestBundle>(file);
    const fake = await forgedMember('bob', 'Bob');
    const at = bundle.request.nextHolders.indexOf('bob');
    const body = {
      ...bundle.request,
      nextHolderKeys: bundle.request.nextHolderKeys.map((k, i) => (i === at ? memberFingerprint(fake.card) : k)),
    };
    const dave = await keysOf(world, 'dave');
    const forged: RequestBundle = {
      ...bundle,
      request: body,
      requestHash: b64(documentHash(TAG.request, body)),
      requesterSignature: signDocument(TAG.request, body, dave.signing),
    };
    const forgedFile = join(world.root, 'forged-bob.bundle');
    writeFileSync(forgedFile, JSON.stringify(forged));
    const bob = world.laptops['bob']!;
    const before = await snapshot(bob.vault);
    const t = await bob.run(['--json', 'approve', '--yes', '--bundle', forgedFile, '--out', join(world.root, 'forged-bob.approval')], {
      passphraseOf: 'bob',
    });
    const error = jsonError(t, 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      /^the request names key .{19} for bob after the unseal, but bob's key is .{19}: the vault would seal bob's share to a key that is not theirs/,
    );
    const refusal = await expectRefusalJournaled(bob.vault, before, 'INTEGRITY_FAILURE');
    expect(refusal.data).toMatchObject({ request: request, vault: bundle.request.vault });
    // The approval screen showed every holder's key before anything was asked.
    expect(t.stderr).toMatch(/afterwards {2}split again among 2 of 3: alice \[.{19}\], bob \[.{19}\], carol \[.{19}\]/);
  });
});

describe('the vault laptop alone: a drill, or a request cancelled after its quorum, never hands it the data key unseen', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 120_000);
  afterAll(() => world.cleanup());

  it("a drill's approvals carry no share: the request key copied from the keychain opens nothing", async () => {
    const started = jsonOk<{ request: string }>(
      await world.vault.run(['--json', 'drill', '--credential', 'prod-db-root', '--requester', 'dave'], { passphraseOf: 'dave' }),
    );
    const drill = started.request;
    const stolen = JSON.parse((await new KeytarSecretStore(vaultIdOf(world.vault)).get(`request:${drill}`))!) as AgreementKeyPair;
    const files = [await remoteApproval(world, drill, 'bob', 'drill'), await remoteApproval(world, drill, 'carol', 'drill')];
    // The holder's screen said what a drill does, first.
    for (const f of files) {
      const token = readJson<ApprovalToken>(f);
      expect(token.body.format).toBe('breakglass.drill-proof');
      expect(JSON.stringify(token)).not.toContain('sealedShare');
      expectStatus(await world.vault.run(['approval', 'import', f]), 0, 'approval import');
    }
    expectStatus(await world.vault.run(['drill', '--credential', 'prod-db-root']), 0, 'drill complete');
    // Everything the vault holds of the drill, tried with the stolen key: no ciphertext to open.
    const tokens = sql<{ token: string }>(world.vault, 'SELECT token FROM approvals WHERE request_id = ?', drill).map(
      (r) => JSON.parse(r.token) as ApprovalToken,
    );
    expect(tokens).toHaveLength(2);
    for (const token of tokens) {
      expect(token.body.format).toBe('breakglass.drill-proof');
      expect('sealedShare' in token.body).toBe(false);
    }
    expect(stolen.publicKey).toHaveLength(43);
    const list = expectStatus(await world.vault.run(['list']), 0, 'list');
    expect(list.stdout).toMatch(/^prod-db-root\tSEALED\t2 of 3\tv1\t/m);
  });

  it('the drill screen on a holder laptop says first and plainly what a drill does', async () => {
    const started = jsonOk<{ request: string }>(
      await world.vault.run(['--json', 'drill', '--credential', 'prod-db-root', '--requester', 'dave'], { passphraseOf: 'dave' }),
    );
    const bundle = join(world.root, 'screen-alice.bundle');
    expectStatus(await world.vault.run(['request', 'export', started.request, '--holder', 'alice', '--out', bundle]), 0, 'export');
    const t = await world.laptops['alice']!.run(['approve', '--bundle', bundle, '--out', join(world.root, 'screen-alice.approval')], {
      passphraseOf: 'alice',
    });
    // Without a terminal and without --yes nothing is approved; the screen was shown all the same.
    expect(t.status).toBe(2);
    expect(t.stderr.split('\n').slice(0, 2)).toEqual([
      'DRILL: a practice run for prod-db-root. Your approval proves, signed, that your share opens with your key and',
      'matches its commitment. No share leaves your keys in a form the vault can open: the credential stays sealed.',
    ]);
    expectStatus(await world.vault.run(['request', 'cancel', started.request], { passphraseOf: 'dave' }), 0, 'cancel drill');
  });

  it('a request cancelled after its quorum: exposed, next envelope taken, review required; the data key learnt opens nothing new', async () => {
    const request = await world.request();
    const vaultId = vaultIdOf(world.vault);
    const stolen = JSON.parse((await new KeytarSecretStore(vaultId).get(`request:${request}`))!) as AgreementKeyPair;
    await approveInPerson(world, request, 'alice');
    expectStatus(await world.vault.run(['approval', 'import', await remoteApproval(world, request, 'bob', 'cancel')]), 0, 'import bob');
    const oldEnvelope = activeEnvelope(world);
    // The attacker rebuilds the data key from the approvals with the copied key...
    const tokens = sql<{ token: string }>(world.vault, 'SELECT token FROM approvals WHERE request_id = ?', request).map(
      (r) => JSON.parse(r.token) as ApprovalToken,
    );
    const shares = tokens.map((t) =>
      openFromKey(stolen, (t.body as unknown as { sealedShare: never }).sealedShare, approvalContext(t.body as never))!,
    );
    const dek = (await reconstructDek(oldEnvelope, shares))!;
    expect(decryptSecret(oldEnvelope, dek)!.toString()).toBe(world.secret);
    // ...and cancels, as if nothing happened. The journal says the credential was exposed.
    const cancel = jsonOk<{ exposed: boolean }>(await world.vault.run(['--json', 'request', 'cancel', request], { passphraseOf: 'dave' }));
    expect(cancel.exposed).toBe(true);
    const kinds = journal(world.vault.vault).map((e) => e.kind);
    expect(kinds).toContain('request.quorum');
    expect(journal(world.vault.vault).find((e) => e.kind === 'request.cancel' && e.data['request'] === request)!.data).toEqual({
      request,
      exposed: true,
      cancel: expect.objectContaining({ format: 'breakglass.cancel', request, by: 'dave' }),
      cancelHash: expect.any(String),
      signature: expect.any(String),
    });
    const list = expectStatus(await world.vault.run(['list']), 0, 'list');
    expect(list.stdout).toMatch(/^prod-db-root\tREVIEW_PENDING \(exposed\)\t2 of 3\tv1\t/m);
    expect(jsonError(await world.vault.run(['--json', 'reseal', 'prod-db-root']), 3).code).toBe('REVIEW_REQUIRED');
    expectStatus(await world.vault.run(reviewArgs('cancelled after quorum', 'none'), { passphraseOf: 'carol' }), 0, 'review');
    expectStatus(await world.vault.run(['reseal', 'prod-db-root']), 0, 'reseal');
    // The resealed credential is under a fresh data key and split: what the attacker learnt opens nothing.
    const resealed = activeEnvelope(world);
    expect(resealed.context.version).toBe(2);
    expect(decryptSecret(resealed, dek)).toBeNull();
    expect(await combineShares(shares)).toEqual(dek);
  });
});

describe('the vault laptop alone: reseal without a genuine review', () => {
  let world: World;
  let request = '';
  beforeAll(async () => {
    world = await buildWorld();
    request = await world.request();
    await approveInPerson(world, request, 'alice');
    await approveInPerson(world, request, 'bob');
    expectStatus(await world.vault.run(['unseal', request]), 0, 'unseal');
    expectStatus(await world.vault.run(['close', 'prod-db-root']), 0, 'close');
  }, 180_000);
  afterAll(() => world.cleanup());

  it('state set to REVIEWED by raw SQL: reseal refuses (INTEGRITY_FAILURE, exit 4) and changes nothing', async () => {
    sql(world.vault, "UPDATE credentials SET state = 'REVIEWED' WHERE id = 'prod-db-root'");
    const before = await snapshot(world.vault.vault);
    const error = jsonError(await world.vault.run(['--json', 'reseal', 'prod-db-root']), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(/^the database says prod-db-root is REVIEWED .*but its signed journal says REVIEW_PENDING/);
    await expectUnchanged(world.vault.vault, before);
    sql(world.vault, "UPDATE credentials SET state = 'REVIEW_PENDING' WHERE id = 'prod-db-root'");
  });

  it("carol's card and custody swapped for the attacker's: the review is refused before it is signed (exit 4)", async () => {
    const fake = await forgedMember('carol', 'Carol');
    sql(world.vault, "UPDATE members SET card = ?, custody = ? WHERE id = 'carol'", JSON.stringify(fake.card), fake.custody);
    const pw = join(world.root, '.pw-attacker');
    writeFileSync(pw, 'attacker passphrase 123');
    const error = jsonError(await world.vault.run(['--json', '--passphrase-file', pw, ...reviewArgs('fine', 'none')]), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(/^the card of carol in this vault's database/);
  });

  it('an unseal window re-opened by SQL after close: no reveal (exit 4)', async () => {
    sql(world.vault, "UPDATE requests SET status = 'unsealed', window_ends_at = ? WHERE id = ?", Date.now() + 3_600_000, request);
    const error = jsonError(await world.vault.run(['--json', 'unseal', request, '--out', join(world.root, 'leak.txt')]), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(
        `^request ${request} in this vault's database \\(access, unsealed\\) is not what its signed journal recorded \\(access, closed\\)`,
      ),
    );
  });
  it("a review entry appended with the keychain, signed by a key that is not carol's: reseal refuses (exit 4)", async () => {
    const attacker = generateSigningKeyPair();
    const body: ReviewBody = {
      format: 'breakglass.review',
      version: 1,
      vault: vaultIdOf(world.vault),
      credential: 'prod-db-root',
      request,
      requestHash: sql<{ hash: string }>(world.vault, 'SELECT hash FROM requests WHERE id = ?', request)[0]!.hash,
      reviewer: 'carol',
      warranted: true,
      summary: 'all fine',
      changes: 'none',
      incident: 'INC-4711',
      followUp: '',
      rotated: false,
      envelope: 'A'.repeat(43),
      signedAt: Date.now(),
    };
    await appendWithKeychain(world.vault, {
      kind: 'review.sign',
      actor: 'carol',
      subject: 'prod-db-root',
      data: { review: 'rev-000000000000', body, signature: signDocument(TAG.review, body, attacker) },
    });
    sql(world.vault, "UPDATE credentials SET state = 'REVIEWED' WHERE id = 'prod-db-root'");
    const before = await snapshot(world.vault.vault);
    const error = jsonError(await world.vault.run(['--json', 'reseal', 'prod-db-root']), 4);
    expect(error).toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: expect.stringMatching(
        /^the journal of credential prod-db-root cannot be trusted: its entry \d+ \(review\.sign\) holds a review of req-[0-9a-f]{12} that is not signed by carol's enrolled key/,
      ),
    });
    await expectUnchanged(world.vault.vault, before);
  });
});

describe('the vault laptop alone: lifecycle entries appended with its own keychain key', () => {
  let world: World;
  const credentials = [
    'c-reseal',
    'c-drill',
    'c-quorum',
    'c-review',
    'c-standin',
    'c-one',
    'c-two',
    'c-extend',
    'c-extend-aside',
    'c-cancel',
    'c-cancel-replay',
    'c-rotate',
    'c-rotate-replay',
    'c-expire',
    'c-approver',
    'c-rotate-twice',
  ];
  beforeAll(async () => {
    const extra = credentials
      .map(
        (c) => `  ${c}:
    holders: [alice, bob, carol]
    threshold: 2
    triggers: [network-outage]
    requesters: [dave]
    unseal_minutes: 30
    request_expiry_minutes: 15
`,
      )
      .join('');
    world = await buildWorld({ policy: examplePolicy({ 'drills:': `${extra}drills:` }) });
    for (const c of credentials)
      expectStatus(
        await world.vault.run(['seal', '--credential', c, '--label', c, '--secret-file', '-'], { stdin: `${c}-secret` }),
        0,
        `seal ${c}`,
      );
  }, 180_000);
  afterAll(() => world.cleanup());

  const requestFor = async (credential: string): Promise<string> =>
    jsonOk<{ request: string }>(await world.vault.run(['--json', ...requestArgs({ credential })], { passphraseOf: 'dave' })).request;
  /** A request for `credential`, approved by alice and bob and unsealed: its id and window end. */
  const unsealedFor = async (credential: string): Promise<{ request: string; windowEndsAt: number }> => {
    const request = await requestFor(credential);
    await approveInPerson(world, request, 'alice');
    await approveInPerson(world, request, 'bob');
    return { request, windowEndsAt: jsonOk<{ windowEndsAt: number }>(await world.vault.run(['--json', 'unseal', request])).windowEndsAt };
  };

  it('a credential.reseal appended to skip the review: the credential is refused from then on (exit 4)', async () => {
    await unsealedFor('c-reseal');
    expectStatus(await world.vault.run(['close', 'c-reseal']), 0, 'close');
    await appendWithKeychain(world.vault, {
      kind: 'credential.reseal',
      actor: 'vault',
      subject: 'c-reseal',
      data: { version: 2, rotated: false, review: null },
    });
    // The rows made to agree, as a careful attacker would.
    sql(world.vault, "UPDATE credentials SET state = 'SEALED', version = 2, exposed = 0, active_request = NULL WHERE id = 'c-reseal'");
    sql(world.vault, "DELETE FROM envelopes WHERE credential_id = 'c-reseal' AND slot = 'active'");
    sql(world.vault, "UPDATE envelopes SET slot = 'active' WHERE credential_id = 'c-reseal' AND slot = 'next'");
    const error = jsonError(await world.vault.run(['--json', ...requestArgs({ credential: 'c-reseal' })], { passphraseOf: 'dave' }), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      /^the journal of credential c-reseal cannot be trusted: its entry \d+ \(credential\.reseal\) is not a step its lifecycle allows from REVIEW_PENDING/,
    );
  });

  /** Ends `request` as the journal's appended entry says, with the rows made to agree. */
  const forgeCancel = async (credential: string, request: string, data: Record<string, unknown>): Promise<void> => {
    await appendWithKeychain(world.vault, {
      kind: 'request.cancel',
      actor: 'dave',
      subject: credential,
      data: { request, exposed: false, ...data },
    });
    sql(world.vault, "UPDATE requests SET status = 'cancelled' WHERE id = ?", request);
    sql(world.vault, 'UPDATE credentials SET state = ?, active_request = NULL WHERE id = ?', 'SEALED', credential);
  };

  it('a request.cancel appended without a signed cancel (to end a request nobody cancelled): refused from then on (exit 4)', async () => {
    const request = await requestFor('c-cancel');
    await forgeCancel('c-cancel', request, {});
    const error = jsonError(await world.vault.run(['--json', ...requestArgs({ credential: 'c-cancel' })], { passphraseOf: 'dave' }), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(new RegExp(`its entry \\d+ \\(request\\.cancel\\) cancels ${request} without a signed cancel`));
  });

  it('a genuine signed cancel replayed for the next request: refused, it was signed for another (exit 4)', async () => {
    const first = await requestFor('c-cancel-replay');
    expectStatus(await world.vault.run(['request', 'cancel', first], { passphraseOf: 'dave' }), 0, 'cancel');
    const genuine = journal(world.vault.vault).findLast((e) => e.kind === 'request.cancel')!.data;
    const second = await requestFor('c-cancel-replay');
    await forgeCancel('c-cancel-replay', second, {
      cancel: genuine['cancel'],
      cancelHash: genuine['cancelHash'],
      signature: genuine['signature'],
    });
    const error = jsonError(
      await world.vault.run(['--json', ...requestArgs({ credential: 'c-cancel-replay' })], { passphraseOf: 'dave' }),
      4,
    );
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(`its entry \\d+ \\(request\\.cancel\\) cancels ${second} with a cancel signed for another request`),
    );
  });

  it('a request.expire appended before the expiry its requester signed (an unsigned way to end it): refused from then on (exit 4)', async () => {
    const request = await requestFor('c-expire');
    await appendWithKeychain(world.vault, {
      kind: 'request.expire',
      actor: 'system',
      subject: 'c-expire',
      data: { request, exposed: false },
    });
    sql(world.vault, "UPDATE requests SET status = 'expired' WHERE id = ?", request);
    sql(world.vault, "UPDATE credentials SET state = 'SEALED', active_request = NULL WHERE id = 'c-expire'");
    const error = jsonError(await world.vault.run(['--json', ...requestArgs({ credential: 'c-expire' })], { passphraseOf: 'dave' }), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(`its entry \\d+ \\(request\\.expire\\) expires ${request} before the expiry its requester signed`),
    );
  });

  it('an approval.accept appended for someone who holds no share (to make them an "approver" who may cancel): refused (exit 4)', async () => {
    const request = await requestFor('c-approver');
    await appendWithKeychain(world.vault, {
      kind: 'approval.accept',
      actor: 'mallory',
      subject: 'c-approver',
      data: { request, approval: 'AAAA', purpose: 'access' },
    });
    const error = jsonError(await world.vault.run(['--json', 'request', 'cancel', request, '--by', 'mallory']), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(`its entry \\d+ \\(approval\\.accept\\) accepts an approval of ${request} by mallory, who holds no share it names`),
    );
  });

  /** Opens a rotation of `credential` (dave, in person) and returns its id. */
  const rotationFor = async (credential: string): Promise<string> =>
    jsonOk<{ request: string }>(
      await world.vault.run(['--json', 'rotate', '--credential', credential, '--requester', 'dave', '--reason', 'routine'], {
        passphraseOf: 'dave',
      }),
    ).request;
  /** Appends a credential.rotate with the vault's key, and makes the rows agree, as a careful attacker would. */
  const forgeRotation = async (credential: string, request: string, proofs: unknown[]): Promise<void> => {
    await appendWithKeychain(world.vault, {
      kind: 'credential.rotate',
      actor: 'dave',
      subject: credential,
      data: { request, holders: ['alice', 'bob'], proofs, version: 2, holderKeys: [], threshold: 2, envelope: 'attacker-envelope' },
    });
    sql(world.vault, "UPDATE requests SET status = 'rotated' WHERE id = ?", request);
    sql(world.vault, "UPDATE credentials SET state = 'SEALED', version = 2, active_request = NULL WHERE id = ?", credential);
  };

  it("a credential.rotate appended with the keychain's key and no holder's proof (to replace the secret): refused from then on (exit 4)", async () => {
    const request = await rotationFor('c-rotate');
    await forgeRotation('c-rotate', request, []);
    const error = jsonError(await world.vault.run(['--json', ...requestArgs({ credential: 'c-rotate' })], { passphraseOf: 'dave' }), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(`its entry \\d+ \\(credential\\.rotate\\) rotates on ${request} with 0 of the 2 proofs it needs`),
    );
  });

  it('a finished rotation replayed (its request, approvals and rotate entry appended again, to seal a value of its own): refused (exit 4)', async () => {
    const request = await rotationFor('c-rotate-twice');
    await approveInPerson(world, request, 'alice');
    await approveInPerson(world, request, 'bob');
    expectStatus(
      await world.vault.run(['rotate', '--credential', 'c-rotate-twice', '--secret-file', '-'], {
        stdin: 'genuine new value',
        passphraseOf: 'dave',
      }),
      0,
      'rotate',
    );
    const entries = journal(world.vault.vault);
    const mine = (kind: string) =>
      entries.filter((e) => e.kind === kind && (e.data['request'] as { id?: string } | string | undefined) !== undefined);
    const created = mine('request.create').find((e) => (e.data['request'] as { id: string }).id === request)!;
    const accepted = mine('approval.accept').filter((e) => e.data['request'] === request);
    const rotated = mine('credential.rotate').find((e) => e.data['request'] === request)!;
    await appendWithKeychain(
      world.vault,
      { kind: 'request.create', actor: 'dave', subject: 'c-rotate-twice', data: created.data },
      ...accepted.map((e) => ({ kind: 'approval.accept' as const, actor: e.actor, subject: 'c-rotate-twice', data: e.data })),
      { kind: 'credential.rotate', actor: 'dave', subject: 'c-rotate-twice', data: { ...rotated.data, version: 3 } },
    );
    sql(world.vault, "UPDATE credentials SET version = 3 WHERE id = 'c-rotate-twice'");
    const error = jsonError(
      await world.vault.run(['--json', ...requestArgs({ credential: 'c-rotate-twice' })], { passphraseOf: 'dave' }),
      4,
    );
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(new RegExp(`its entry \\d+ \\(request\\.create\\) opens request ${request} a second time`));
  });

  it('a rotation forged with the genuine proofs of an earlier drill: refused, they were signed for another request (exit 4)', async () => {
    const drill = jsonOk<{ request: string }>(
      await world.vault.run(['--json', 'drill', '--credential', 'c-rotate-replay', '--requester', 'dave'], { passphraseOf: 'dave' }),
    ).request;
    await approveInPerson(world, drill, 'alice');
    await approveInPerson(world, drill, 'bob');
    expectStatus(await world.vault.run(['drill', '--credential', 'c-rotate-replay']), 0, 'drill complete');
    const proofs = sql<{ token: string }>(world.vault, 'SELECT token FROM approvals WHERE request_id = ?', drill).map(
      (r) => JSON.parse(r.token) as unknown,
    );
    expect(proofs).toHaveLength(2);
    const request = await rotationFor('c-rotate-replay');
    await forgeRotation('c-rotate-replay', request, proofs);
    const error = jsonError(
      await world.vault.run(['--json', ...requestArgs({ credential: 'c-rotate-replay' })], { passphraseOf: 'dave' }),
      4,
    );
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(
        `its entry \\d+ \\(credential\\.rotate\\) rotates on ${request} with a proof of alice that is not the one signed and accepted for it`,
      ),
    );
  });

  it('a drill.complete appended to end an exposed access request without review: refused (exit 4)', async () => {
    const request = await requestFor('c-drill');
    await approveInPerson(world, request, 'alice');
    await approveInPerson(world, request, 'bob');
    await appendWithKeychain(world.vault, {
      kind: 'drill.complete',
      actor: 'vault',
      subject: 'c-drill',
      data: { request, holders: ['alice', 'bob'], ok: true },
    });
    sql(world.vault, "UPDATE credentials SET state = 'SEALED', exposed = 0, active_request = NULL WHERE id = 'c-drill'");
    sql(world.vault, "UPDATE requests SET status = 'drilled' WHERE id = ?", request);
    const error = jsonError(await world.vault.run(['--json', ...requestArgs({ credential: 'c-drill' })], { passphraseOf: 'dave' }), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(`its entry \\d+ \\(drill\\.complete\\) completes ${request} as a drill, but it was opened for access`),
    );
  });

  it("an unseal window extended with the keychain's key, past one holder's approval: refused from then on (exit 4)", async () => {
    const { request } = await unsealedFor('c-extend');
    // A genuine extension, asked by dave and approved by alice alone: one approval short of its quorum.
    const ext = jsonOk<{ extension: string; newWindowEndsAt: number }>(
      await world.vault.run(['--json', 'extend', request, '--requester', 'dave', '--reason', 'more time'], { passphraseOf: 'dave' }),
    );
    expectStatus(await world.vault.run(['approve', ext.extension, '--holder', 'alice', '--yes'], { passphraseOf: 'alice' }), 0, 'alice');
    await appendWithKeychain(world.vault, {
      kind: 'window.extend',
      actor: 'vault',
      subject: 'c-extend',
      data: { request, extension: ext.extension, number: 1, holders: ['alice', 'bob'], windowEndsAt: ext.newWindowEndsAt },
    });
    sql(world.vault, 'UPDATE requests SET window_ends_at = ? WHERE id = ?', ext.newWindowEndsAt, request);
    const error = jsonError(await world.vault.run(['--json', 'unseal', request, '--out', join(world.root, 'c-extend.out')]), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(`its entry \\d+ \\(window\\.extend\\) extends the window of ${request} without the quorum of extension ${ext.extension}`),
    );
  });

  it('an extension forged with the keychain under another subject (its taint aimed elsewhere): the credential is refused all the same (exit 4)', async () => {
    const unsealed = await unsealedFor('c-extend-aside');
    const { request } = unsealed;
    const row = sql<{ hash: string }>(world.vault, 'SELECT hash FROM requests WHERE id = ?', request)[0]!;
    const body = {
      format: 'breakglass.extension',
      version: 1,
      id: 'ext-forged0000',
      vault: vaultIdOf(world.vault),
      credential: 'c-extend-aside',
      request,
      requestHash: row.hash,
      requester: 'dave',
      reason: 'more time',
      number: 1,
      windowEndsAt: unsealed.windowEndsAt,
      newWindowEndsAt: unsealed.windowEndsAt + 365 * 86_400_000,
      createdAt: Date.now(),
    };
    await appendWithKeychain(
      world.vault,
      {
        kind: 'extension.create',
        actor: 'dave',
        subject: 'zz',
        data: { extension: body, extensionHash: 'A'.repeat(43), signature: 'B'.repeat(86) },
      },
      {
        kind: 'window.extend',
        actor: 'vault',
        subject: 'zz',
        data: { request, extension: body.id, number: 1, holders: ['alice', 'bob'], windowEndsAt: body.newWindowEndsAt },
      },
    );
    sql(world.vault, 'UPDATE requests SET window_ends_at = ? WHERE id = ?', body.newWindowEndsAt, request);
    const error = jsonError(await world.vault.run(['--json', 'unseal', request, '--out', join(world.root, 'c-extend-aside.out')]), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(
      new RegExp(
        `^the journal of credential c-extend-aside cannot be trusted: its entry \\d+ \\(extension\\.create\\) names credential zz for request ${request}, which is for c-extend-aside`,
      ),
    );
  });

  it('a quorum appended without the holders (approval.accept and request.quorum): no review is signed for it (exit 4)', async () => {
    const request = await requestFor('c-quorum');
    await appendWithKeychain(
      world.vault,
      { kind: 'approval.accept', actor: 'alice', subject: 'c-quorum', data: { request, approval: 'A'.repeat(43) } },
      { kind: 'approval.accept', actor: 'bob', subject: 'c-quorum', data: { request, approval: 'B'.repeat(43) } },
      { kind: 'request.quorum', actor: 'vault', subject: 'c-quorum', data: { request, nextEnvelope: 'C'.repeat(43) } },
    );
    const cancelled = jsonOk<{ exposed: boolean }>(
      await world.vault.run(['--json', 'request', 'cancel', request], { passphraseOf: 'dave' }),
    );
    expect(cancelled.exposed).toBe(true);
    const before = await snapshot(world.vault.vault);
    const error = jsonError(
      await world.vault.run(['--json', ...reviewArgs('fine', 'none').map((a) => (a === 'prod-db-root' ? 'c-quorum' : a))], {
        passphraseOf: 'carol',
      }),
      4,
    );
    expect(error).toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: `the approval of alice for ${request} that the journal accepted is missing from this vault's database: it was deleted by hand`,
    });
    await expectUnchanged(world.vault.vault, before);
  });

  it('a genuine review appended again (to point reseal at another envelope): refused (exit 4)', async () => {
    await unsealedFor('c-review');
    expectStatus(await world.vault.run(['close', 'c-review']), 0, 'close');
    const review = (args: string[]): string[] => args.map((a) => (a === 'prod-db-root' ? 'c-review' : a));
    expectStatus(await world.vault.run(review(reviewArgs('fine', 'none')), { passphraseOf: 'carol' }), 0, 'review');
    const genuine = journal(world.vault.vault)
      .filter((e) => e.kind === 'review.sign')
      .at(-1)!;
    await appendWithKeychain(world.vault, {
      kind: 'review.sign',
      actor: 'carol',
      subject: 'c-review',
      data: { ...genuine.data, nextEnvelope: 'C'.repeat(43) },
    });
    const error = jsonError(await world.vault.run(['--json', 'reseal', 'c-review']), 4);
    expect(error.code).toBe('INTEGRITY_FAILURE');
    expect(error.message).toMatch(/its entry \d+ \(review\.sign\) repeats a review already in the journal/);
  });

  it('a reviewer added to the policy after the request (a stand-in enrolled at the vault laptop): refused (exit 3)', async () => {
    await unsealedFor('c-standin');
    expectStatus(await world.vault.run(['close', 'c-standin']), 0, 'close');
    // dave, who opened the request, makes himself a reviewer in the (local) policy.
    const policy = readFileSync(join(world.root, 'policy.yaml'), 'utf8').replace('  dave: [requester]', '  dave: [requester, reviewer]');
    expectStatus(await world.vault.run(['policy', 'set', world.file('standin.yaml', policy)]), 0, 'policy set');
    const before = await snapshot(world.vault.vault);
    const args = reviewArgs('fine', 'none').map((a) => (a === 'prod-db-root' ? 'c-standin' : a === 'carol' ? 'dave' : a));
    const error = jsonError(await world.vault.run(['--json', ...args], { passphraseOf: 'dave' }), 3);
    expect(error).toMatchObject({ code: 'POLICY_DENIED', message: 'dave is not a reviewer in the policy this request was opened under' });
    await expectRefusalJournaled(world.vault.vault, before, 'POLICY_DENIED');
  });

  it('honest use: a holder approves a newer request first, then an older one, from bundles made after both', async () => {
    const one = await requestFor('c-one');
    const two = await requestFor('c-two');
    const bundles = [] as string[];
    for (const r of [two, one]) {
      const file = join(world.root, `order-${r}.bundle`);
      expectStatus(await world.vault.run(['request', 'export', r, '--holder', 'bob', '--out', file]), 0, 'export');
      bundles.push(file);
    }
    for (const file of bundles)
      expectStatus(
        await world.laptops['bob']!.run(['approve', '--yes', '--bundle', file, '--out', `${file}.approval`], { passphraseOf: 'bob' }),
        0,
        `approve ${file}`,
      );
  });
});

describe('the vault laptop alone: approvals and bundles', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  }, 120_000);
  afterAll(() => world.cleanup());

  it('the label and vault name are signed: a bundle that changes them no longer matches its hash (BAD_BUNDLE, exit 2)', async () => {
    const request = await world.request();
    const file = join(world.root, 'label-bob.bundle');
    expectStatus(await world.vault.run(['request', 'export', request, '--holder', 'bob', '--out', file]), 0, 'export');
    const bundle = readJson<RequestBundle>(file);
    writeFileSync(file, JSON.stringify({ ...bundle, request: { ...bundle.request, credentialLabel: 'test DB (harmless)' } }));
    const error = jsonError(
      await world.laptops['bob']!.run(['--json', 'approve', '--yes', '--bundle', file, '--out', join(world.root, 'label-bob.approval')], {
        passphraseOf: 'bob',
      }),
      2,
    );
    expect(error).toMatchObject({ code: 'BAD_BUNDLE', message: "the bundle's request does not match its hash; it was altered" });
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('an approval whose anchor is not the one the vault recorded is refused at import (APPROVAL_REPLAYED, exit 3)', async () => {
    const request = await world.request();
    const file = join(world.root, 'anchor-bob.bundle');
    expectStatus(await world.vault.run(['request', 'export', request, '--holder', 'bob', '--out', file]), 0, 'export');
    const bundle = readJson<RequestBundle>(file);
    writeFileSync(file, JSON.stringify({ ...bundle, anchor: { ...bundle.anchor, hash: 'A'.repeat(43) } }));
    const approval = join(world.root, 'anchor-bob.approval');
    expectStatus(
      await world.laptops['bob']!.run(['approve', '--yes', '--bundle', file, '--out', approval], { passphraseOf: 'bob' }),
      0,
      'approve',
    );
    const before = await snapshot(world.vault.vault);
    const error = jsonError(await world.vault.run(['--json', 'approval', 'import', approval]), 3);
    expect(error.code).toBe('APPROVAL_REPLAYED');
    expect(error.message).toMatch(
      /^the approval names the request at seq (\d+) \(entry AAAAAAAA…\) of journal j-[0-9a-f]{16}, but this vault recorded it at seq \1 \(entry .{8}…\) of j-[0-9a-f]{16}: the bundle the holder saw was not this vault's$/,
    );
    await expectRefusalJournaled(world.vault.vault, before, 'APPROVAL_REPLAYED');
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('an approval row deleted by SQL (to keep the quorum from being recorded): the next approval is refused (exit 4)', async () => {
    const request = await world.request();
    await approveInPerson(world, request, 'alice');
    sql(world.vault, 'DELETE FROM approvals WHERE request_id = ?', request);
    const approval = await remoteApproval(world, request, 'bob', 'deleted');
    const before = await snapshot(world.vault.vault);
    const error = jsonError(await world.vault.run(['--json', 'approval', 'import', approval]), 4);
    expect(error).toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: `the approval of alice for ${request} that the journal accepted is missing from this vault's database: it was deleted by hand`,
    });
    await expectUnchanged(world.vault.vault, before);
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('the label and the vault name a request signs come from the journal, not from editable rows', async () => {
    sql(world.vault, "UPDATE meta SET value = 'STAGING sandbox' WHERE key = 'name'");
    const request = await world.request();
    const file = join(world.root, 'name-bob.bundle');
    expectStatus(await world.vault.run(['request', 'export', request, '--holder', 'bob', '--out', file]), 0, 'export');
    expect(readJson<RequestBundle>(file).request).toMatchObject({ vaultName: 'crash cart', credentialLabel: 'prod DB root' });
    sql(world.vault, "UPDATE meta SET value = 'crash cart' WHERE key = 'name'");
    sql(world.vault, "UPDATE credentials SET label = 'test DB (harmless)' WHERE id = 'prod-db-root'");
    const list = await world.vault.run(['list']);
    expect(list.stdout).toMatch(/^prod-db-root\tINTEGRITY_FAILURE \(as the database says: REQUESTED\)/m);
    expect(list.stderr).toMatch(/^warning: prod-db-root: INTEGRITY_FAILURE: the database says prod-db-root is REQUESTED/m);
    expect(
      jsonError(await world.vault.run(['--json', 'request', 'export', request, '--holder', 'bob', '--out', `${file}-2`]), 4).code,
    ).toBe('INTEGRITY_FAILURE');
    sql(world.vault, "UPDATE credentials SET label = 'prod DB root' WHERE id = 'prod-db-root'");
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  });

  it('an approval row inserted by SQL does not count towards the quorum (exit 4)', async () => {
    const request = await world.request();
    await approveInPerson(world, request, 'alice');
    const [row] = sql<{ token: string }>(world.vault, 'SELECT token FROM approvals WHERE request_id = ?', request);
    const token = JSON.parse(row!.token) as ApprovalToken;
    sql(
      world.vault,
      'INSERT INTO approvals (request_id, holder, token, token_hash, accepted_at) VALUES (?, ?, ?, ?, ?)',
      request,
      'carol',
      JSON.stringify({ ...token, body: { ...token.body, holder: 'carol' } }),
      'x',
      Date.now(),
    );
    const error = jsonError(await world.vault.run(['--json', 'unseal', request]), 4);
    expect(error).toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: expect.stringMatching(
        /^the approval of carol for req-[0-9a-f]{12} in this vault's database is not one its journal accepted/,
      ),
    });
  });
});

describe('the vault laptop alone: the journal rewritten, cut or rolled back', () => {
  let world: World;
  let genesis = '';
  let vaultId = '';
  beforeAll(async () => {
    world = await buildWorld();
    vaultId = vaultIdOf(world.vault);
    genesis = (journal(world.vault.vault)[0]!.data['key'] as string) ?? '';
    // Bob approves one activation from his own laptop: from now on his laptop witnesses this vault.
    const request = await world.request();
    expectStatus(await world.vault.run(['approval', 'import', await remoteApproval(world, request, 'bob', 'witness')]), 0, 'import');
    expectStatus(await world.vault.run(['request', 'cancel', request], { passphraseOf: 'dave' }), 0, 'cancel');
  }, 180_000);
  afterAll(() => world.cleanup());

  it('epoch keys erased from the keychain: verify exits 4 TAIL_UNPROVEN; export refuses unless --force, and then says so', async () => {
    const items = await keychainItems(vaultId);
    const ks = new KeytarSecretStore(vaultId);
    for (const account of items.keys()) if (account.startsWith('journal-epoch:')) await ks.delete(account);
    try {
      const verify = jsonError(await world.vault.run(['--json', 'journal', 'verify']), 4);
      expect(verify.code).toBe('TAIL_UNPROVEN');
      expect(verify.message).toMatch(/nothing proves that the journal ends at seq \d+: entries may have been cut from its end/);
      const out = join(world.root, 'unproven.jsonl');
      expect(jsonError(await world.vault.run(['--json', 'journal', 'export', '--out', out]), 4).code).toBe('TAIL_UNPROVEN');
      const forced = await world.vault.run(['--json', 'journal', 'export', '--out', out, '--force']);
      expect(jsonOk<{ tailProven: boolean }>(forced).tailProven).toBe(false);
      expect(forced.stderr).toMatch(/^WARNING: the end of this journal is UNPROVEN/);
      // A write is refused with the same code, not blamed on the environment.
      expect(jsonError(await world.vault.run(['--json', 'member', 'add', join(world.root, 'alice.card')]), 4).code).toBe('TAIL_UNPROVEN');
    } finally {
      await restoreKeychain(vaultId, items);
    }
  });

  it("the whole journal re-signed under a fresh genesis key: verify --genesis-key fails (BAD_KEY), and bob's laptop refuses the next request", async () => {
    const folder = join(world.root, 'before-rewrite');
    const items = await keychainItems(vaultId);
    cpSync(world.vault.vault, folder, { recursive: true });
    try {
      await rewriteJournal(world.vault, vaultId);
      const unpinned = await world.vault.run(['journal', 'verify']);
      expect(unpinned.status).toBe(0);
      expect(unpinned.stderr).toMatch(
        /^note: not pinned to a genesis key: this journal starts from key [A-Za-z0-9_-]{43}, which it says itself/,
      );
      expect(unpinned.stderr).not.toContain(genesis);
      const pinned = jsonError(await world.vault.run(['--json', 'journal', 'verify', '--genesis-key', genesis]), 4);
      expect(pinned).toMatchObject({ code: 'JOURNAL_TAMPERED', details: { seq: 0, failure: 'BAD_KEY' } });
      const request = await world.request();
      const bundle = join(world.root, 'rewritten-bob.bundle');
      expectStatus(await world.vault.run(['request', 'export', request, '--holder', 'bob', '--out', bundle]), 0, 'export');
      const bob = world.laptops['bob']!;
      const before = await snapshot(bob.vault);
      const error = jsonError(
        await bob.run(['--json', 'approve', '--yes', '--bundle', bundle, '--out', join(world.root, 'rewritten-bob.approval')], {
          passphraseOf: 'bob',
        }),
        4,
      );
      expect(error.code).toBe('JOURNAL_TAMPERED');
      expect(error.message).toMatch(
        /now starts from another genesis key .* than the one this laptop saw when it approved before: its journal was rewritten/,
      );
      await expectRefusalJournaled(bob.vault, before, 'JOURNAL_TAMPERED');
    } finally {
      rmSync(world.vault.vault, { recursive: true, force: true });
      cpSync(folder, world.vault.vault, { recursive: true });
      await restoreKeychain(vaultId, items);
    }
  });

  it("an older copy of the vault folder and keychain restored: bob's laptop names the rollback at the next approval", async () => {
    const folder = join(world.root, 'snapshot');
    const items = await keychainItems(vaultId);
    cpSync(world.vault.vault, folder, { recursive: true });
    // An activation the attacker wants to erase: bob approves it from his laptop.
    const request = await world.request();
    expectStatus(await world.vault.run(['approval', 'import', await remoteApproval(world, request, 'bob', 'erased')]), 0, 'import');
    await approveInPerson(world, request, 'alice');
    expectStatus(await world.vault.run(['unseal', request]), 0, 'unseal');
    // Restore the folder and the keychain as they were before it.
    rmSync(world.vault.vault, { recursive: true, force: true });
    cpSync(folder, world.vault.vault, { recursive: true });
    await restoreKeychain(vaultId, items);
    expectStatus(await world.vault.run(['journal', 'verify', '--genesis-key', genesis]), 0, 'the restored copy verifies on its own');
    const again = await world.request();
    const bundle = join(world.root, 'rollback-bob.bundle');
    expectStatus(await world.vault.run(['request', 'export', again, '--holder', 'bob', '--out', bundle]), 0, 'export');
    const bob = world.laptops['bob']!;
    const before = await snapshot(bob.vault);
    const t = await bob.run(['--json', 'approve', '--yes', '--bundle', bundle, '--out', join(world.root, 'rollback-bob.approval')], {
      passphraseOf: 'bob',
    });
    const error = jsonError(t, 4);
    expect(error.code).toBe('JOURNAL_TAMPERED');
    expect(error.message).toMatch(
      /^the journal of vault v-[0-9a-f]{16} (ends at seq \d+ in this bundle, but this laptop saw it at seq \d+ before: the vault was rolled back|has another entry at seq \d+ than the one this laptop saw there before: its journal was forked)/,
    );
    await expectRefusalJournaled(bob.vault, before, 'JOURNAL_TAMPERED');
  });
});

/**
 * Re-signs a vault's whole journal from a fresh genesis key, as someone with the file and the
 * keychain could: same entries, new keys, triggers dropped for the rewrite, keychain replaced.
 */
async function rewriteJournal(vault: Laptop, vaultId: string): Promise<void> {
  const db = new Database(join(vault.vault, 'vault.db'), { fileMustExist: true });
  try {
    const old = (db.prepare('SELECT bytes FROM journal ORDER BY seq').all() as { bytes: Buffer }[]).map(
      (r) => JSON.parse(r.bytes.toString('utf8')) as JournalEntry,
    );
    let key: SigningKeyPair = generateSigningKeyPair();
    let head: ChainHead = { journal: old[0]!.journal, nextSeq: 0, prev: '', epoch: 0 };
    const rows: { seq: number; bytes: Uint8Array; hash: Uint8Array; sig: Uint8Array }[] = [];
    let next: SigningKeyPair | null = null;
    for (const e of old) {
      let data = e.data as Record<string, unknown>;
      if (e.kind === 'journal.genesis') data = { ...data, key: key.publicKey };
      if (e.kind === 'key.rotate') {
        next = generateSigningKeyPair();
        data = { ...data, next: next.publicKey };
      }
      const entry = makeEntry(head, { kind: e.kind, actor: e.actor, subject: e.subject, data }, key);
      rows.push(entry);
      head = advanceHead(head, entry, e.kind);
      if (next) {
        key = next;
        next = null;
      }
    }
    db.exec('DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; DELETE FROM journal;');
    const insert = db.prepare('INSERT INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)');
    for (const r of rows) insert.run(r.seq, r.bytes, r.hash, r.sig);
    const ks = new KeytarSecretStore(vaultId);
    for (const account of await ks.list()) if (account.startsWith('journal-epoch:')) await ks.delete(account);
    await ks.set(`journal-epoch:${head.epoch}`, JSON.stringify(key));
    // The keychain is the attacker's too: without this, the vault's own next write session refuses
    // the rewrite (its verified head is not in the new chain), and the holder's check goes untested.
    await ks.delete('journal-verified');
  } finally {
    db.close();
  }
}
