/**
 * Seal and unseal through the vault API (src/vault) on a real SQLite file and the real OS keychain,
 * everything but the passphrase KDF. The timed unseal is `unseal(session, request, 'reveal')` after
 * the last approval: rebuild the data key from the approvals, decrypt, seal the next envelope, and
 * commit the state change with its entries and a journal key rotation. Raw primitives (SQLite FULL
 * commit, Ed25519 sign, one keychain call) are measured in the same run beside it.
 *
 * Setup pays the passphrase KDF once per member: members are created with the vault API, their keys
 * unwrapped once, and each request and approval is then signed with those keys (see openAccessRequest).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MemberCard, RequestBody } from '../src/core/documents.js';
import type { MemberKeys } from '../src/crypto/index.js';
import { KeytarSecretStore, probeSecretStore, type SecretStore } from '../src/keychain/index.js';
import { unwrapMemberKeys } from '../src/vault/members.js';
import {
  VaultSession,
  addMember,
  approveInPerson,
  closeWindow,
  createMember,
  openRequest,
  ownMember,
  sealCredential,
  setPolicy,
  unseal,
  type SecretStoreFactory,
} from '../src/vault/index.js';
import { fmt, fmtLatency, header, info, latency, now, report, tempDir, type Latency } from './lib.js';
import { ed25519SignMicros, rawCommitter, type RawCommitter } from './primitives.js';

const BATCHES = 20;
const PER_BATCH = 10;
const HOLDERS = ['alice', 'bob', 'carol'] as const;
const REQUESTER = 'dave';
const TARGET_MS = 20;
const RAW_COMMITS_PER_BATCH = 25;
const RAW_KEYCHAIN_PER_BATCH = 3;

/** Time spent in the keychain and in SQLite transactions, accumulated while an operation runs. */
class Meter {
  keychainMs = 0;
  keychainOps = 0;
  sqlMs = 0;
  reset(): void {
    this.keychainMs = 0;
    this.keychainOps = 0;
    this.sqlMs = 0;
  }
}

/** A SecretStore that times every call to the store it wraps (the real keytar adapter). */
class TimedStore implements SecretStore {
  constructor(
    readonly inner: SecretStore,
    readonly meter: Meter,
  ) {}
  get description(): string {
    return this.inner.description;
  }
  get(account: string): Promise<string | null> {
    return this.#time(() => this.inner.get(account));
  }
  set(account: string, value: string): Promise<void> {
    return this.#time(() => this.inner.set(account, value));
  }
  delete(account: string): Promise<boolean> {
    return this.#time(() => this.inner.delete(account));
  }
  list(): Promise<string[]> {
    return this.#time(() => this.inner.list());
  }
  async #time<T>(op: () => Promise<T>): Promise<T> {
    const t0 = now();
    try {
      return await op();
    } finally {
      this.meter.keychainMs += now() - t0;
      this.meter.keychainOps += 1;
    }
  }
}

/** Times the session's SQLite transactions (writes, entries signed inside them, FULL commit). */
function meterTransactions(session: VaultSession, meter: Meter): void {
  const repo = session.repo;
  const original = repo.transaction.bind(repo);
  repo.transaction = <T>(fn: () => T): T => {
    const t0 = now();
    try {
      return original(fn);
    } finally {
      meter.sqlMs += now() - t0;
    }
  };
}

function policyText(credentials: readonly string[]): string {
  const rules = {
    holders: [...HOLDERS],
    threshold: 2,
    triggers: ['network-outage'],
    requesters: [REQUESTER],
    unseal_minutes: 30,
    request_expiry_minutes: 15,
    in_person_approval: true,
    review: { due_hours: 24, reviewer_not_requester: true, require_rotation: false },
  };
  return JSON.stringify({
    version: 1,
    triggers: { 'network-outage': 'WAN or identity provider unreachable' },
    members: { alice: ['holder'], bob: ['holder'], carol: ['holder', 'reviewer'], dave: ['requester'] },
    credentials: Object.fromEntries(credentials.map((id) => [id, rules])),
    drills: { every_days: 90 },
  });
}

/** Opens a request through the vault's own path, signed with the requester's keys unwrapped once in setup. */
async function openAccessRequest(
  session: VaultSession,
  credential: string,
  requester: MemberKeys,
): Promise<{ id: string; body: RequestBody; hash: string }> {
  const summary = await openRequest(
    session,
    { credential, trigger: 'network-outage', reason: 'WAN down, IdP unreachable (benchmark)', incident: 'BENCH-1', requester: REQUESTER },
    requester,
  );
  const row = session.repo.getRequest(summary.id)!;
  return { id: row.id, body: JSON.parse(row.body) as RequestBody, hash: row.hash };
}

/** Two holders approve in person through the vault's own path (signature, policy, share checks). */
async function approve(session: VaultSession, request: { id: string }, keys: Record<string, MemberKeys>): Promise<void> {
  for (const holder of ['alice', 'bob']) await approveInPerson(session, request.id, holder, keys[holder]!);
}

interface Sample {
  readonly total: number;
  readonly keychain: number;
  readonly keychainOps: number;
  readonly sql: number;
}

function describe(samples: readonly Sample[]): {
  total: Latency;
  keychain: Latency;
  sql: Latency;
  rest: Latency;
  noKeychain: Latency;
  ops: number;
} {
  return {
    total: latency(samples.map((s) => s.total)),
    noKeychain: latency(samples.map((s) => s.total - s.keychain)),
    keychain: latency(samples.map((s) => s.keychain)),
    sql: latency(samples.map((s) => s.sql)),
    rest: latency(samples.map((s) => s.total - s.keychain - s.sql)),
    ops: samples.reduce((a, s) => a + s.keychainOps, 0) / samples.length,
  };
}

function printBreakdown(what: string, samples: readonly Sample[]): Latency {
  const d = describe(samples);
  const share = (part: Latency): string => `${fmt((100 * part.mean) / d.total.mean, 0)}%`;
  info(`${what}: ${fmtLatency(d.total)}`);
  info(`  keychain (D-Bus, ${fmt(d.ops, 1)} calls each): ${fmtLatency(d.keychain)}, ${share(d.keychain)} of the mean`);
  info(`  SQLite transaction (writes, entries signed, FULL commit): ${fmtLatency(d.sql)}, ${share(d.sql)} of the mean`);
  info(`  the rest (Shamir, X25519, AES-GCM, next envelope, parsing): ${fmtLatency(d.rest)}, ${share(d.rest)} of the mean`);
  info(`  everything but the keychain: ${fmtLatency(d.noKeychain)}`);
  return d.total;
}

/**
 * The raw primitives beside the vault: SQLite FULL commits in the vault's folder and keychain calls
 * in a throwaway namespace (through the keytar adapter, a few microseconds over the D-Bus call; only
 * src/keychain imports keytar). Sampled a little after every batch, so
 * they see the same load from other processes as the unseals they are compared with.
 */
class RawPrimitives {
  readonly commits: number[] = [];
  readonly sets: number[] = [];
  readonly gets: number[] = [];
  readonly deletes: number[] = [];
  readonly #committer: RawCommitter;
  readonly #keychain = new KeytarSecretStore(`bench-raw-${randomBytes(4).toString('hex')}`);
  readonly #row = { bytes: randomBytes(400), hash: randomBytes(32), sig: randomBytes(64) };
  #n = 0;

  constructor(dir: string) {
    this.#committer = rawCommitter(dir);
    for (let i = 0; i < 20; i++) this.#committer.commit(this.#row.bytes, this.#row.hash, this.#row.sig);
  }

  async sample(commits: number, keychainRounds: number): Promise<void> {
    for (let i = 0; i < commits; i++) this.commits.push(this.#committer.commit(this.#row.bytes, this.#row.hash, this.#row.sig));
    // An epoch key's size: what the vault stores and erases at every commit.
    const value = randomBytes(96).toString('base64url');
    for (let i = 0; i < keychainRounds; i++) {
      const account = `raw-${this.#n++}`;
      let t0 = now();
      await this.#keychain.set(account, value);
      this.sets.push(now() - t0);
      t0 = now();
      if ((await this.#keychain.get(account)) !== value) throw new Error('raw keychain did not read back its value');
      this.gets.push(now() - t0);
      t0 = now();
      await this.#keychain.delete(account);
      this.deletes.push(now() - t0);
    }
  }

  close(): void {
    this.#committer.close();
  }
}

/** Runs the seal/unseal benchmark and reports its target. */
export async function benchUnseal(): Promise<void> {
  header('unseal', `seal and unseal through src/vault (no KDF), real SQLite + OS keychain, ${BATCHES * PER_BATCH} credentials 2-of-3`);
  const { dir, cleanup } = tempDir('unseal');
  const meter = new Meter();
  const stores: TimedStore[] = [];
  const factory: SecretStoreFactory = async (namespace) => {
    const store = new KeytarSecretStore(namespace);
    await probeSecretStore(store);
    const timed = new TimedStore(store, meter);
    stores.push(timed);
    return timed;
  };
  const sessions: VaultSession[] = [];
  try {
    const t0 = now();
    const vault = await VaultSession.init(join(dir, 'vault-laptop'), 'bench crash cart', factory);
    sessions.push(vault);
    const laptop = await VaultSession.init(join(dir, 'member-laptop'), 'bench member laptop', factory);
    sessions.push(laptop);
    const passphrases = Object.fromEntries(
      [...HOLDERS, REQUESTER].map((m) => [m, `${m} benchmark passphrase ${randomBytes(6).toString('hex')}`]),
    );
    const cards: Record<string, MemberCard> = {};
    for (const m of [...HOLDERS, REQUESTER]) {
      cards[m] = await createMember(laptop, m, m[0]!.toUpperCase() + m.slice(1), passphrases[m]!);
      await addMember(vault, cards[m]);
    }
    const keys: Record<string, MemberKeys> = Object.fromEntries(
      await Promise.all(
        [...HOLDERS, REQUESTER].map(
          async (m) => [m, await unwrapMemberKeys(cards[m]!, (await ownMember(laptop, m)).wrapped, passphrases[m]!)] as const,
        ),
      ),
    );
    info(`setup: 4 members created with their passphrases (the only KDF runs) in ${fmt((now() - t0) / 1000, 1)} s`);
    meterTransactions(vault, meter);
    const raw = new RawPrimitives(join(dir, 'vault-laptop'));

    const secret = Buffer.from(`bench-root-pw-${randomBytes(12).toString('hex')}`, 'utf8');
    const seals: Sample[] = [];
    const unseals: Sample[] = [];
    let setupMs = 0;
    for (let b = 0; b < BATCHES; b++) {
      const ids = Array.from({ length: PER_BATCH }, (_, i) => `bench-${b}-${i}`);
      const setupStart = now();
      // A policy of a realistic size; credentials of earlier batches are done with.
      await setPolicy(vault, policyText(ids));
      for (const id of ids) {
        // Each operation is timed on its own: the keychain work the previous commit left running
        // (erase the old key, store the key after next) is not part of it, as it is not in the CLI,
        // where every command is a process that finishes that work before it exits.
        await vault.settled();
        meter.reset();
        const s0 = now();
        await sealCredential(vault, id, `benchmark credential ${id}`, secret);
        seals.push({ total: now() - s0, keychain: meter.keychainMs, keychainOps: meter.keychainOps, sql: meter.sqlMs });
      }
      const requests = [];
      for (const id of ids) requests.push(await openAccessRequest(vault, id, keys[REQUESTER]!));
      for (const r of requests) await approve(vault, r, keys);
      setupMs += now() - setupStart;
      // Timed: the unseal after the last approval, with the plaintext handed out (--reveal).
      for (const r of requests) {
        await vault.settled();
        meter.reset();
        const u0 = now();
        const result = await unseal(vault, r.id, 'reveal');
        const total = now() - u0;
        unseals.push({ total, keychain: meter.keychainMs, keychainOps: meter.keychainOps, sql: meter.sqlMs });
        if (!result.firstUnseal || !result.secret?.equals(secret)) throw new Error(`unseal of ${r.id} did not reveal the sealed secret`);
        result.secret.fill(0);
      }
      // Untimed: end each window, which erases the request's ephemeral key, so the keychain holds
      // what a vault in use holds (a few keys), not one key per benchmark request.
      const closeStart = now();
      for (const r of requests) await closeWindow(vault, r.body.credential, 'closed');
      setupMs += now() - closeStart;
      await raw.sample(RAW_COMMITS_PER_BATCH, RAW_KEYCHAIN_PER_BATCH);
    }
    info(
      `setup of ${seals.length} requests with 2 approvals each, and closing their windows: ${fmt(setupMs / 1000, 1)} s; journal now ${vault.head.nextSeq} entries`,
    );

    raw.close();
    const commit = latency(raw.commits);
    const kc = { set: latency(raw.sets), get: latency(raw.gets), del: latency(raw.deletes) };
    const signUs = ed25519SignMicros(5_000);
    info(`raw SQLite WAL/FULL commit: ${fmtLatency(commit)}`);
    info(`raw Ed25519 sign: ${fmt(signUs, 1)}us`);
    info(`raw keychain (D-Bus): set ${fmtLatency(kc.set)}`);
    info(`                                  get ${fmtLatency(kc.get)}`);
    info(`                                  delete ${fmtLatency(kc.del)}`);

    printBreakdown('seal (envelope for 3 holders, commit with its entry)', seals);
    const total = printBreakdown('unseal after the last approval (reveal)', unseals);
    // On the unseal's own path the keychain is read once (the request's ephemeral key); the next
    // epoch key was stored by the previous commit, and erasing the old one runs after it returns.
    const floor = commit.p50 + (3 * signUs) / 1000 + kc.get.p50;
    info(`floor of raw primitives an unseal must pay (1 commit, 3 signatures, 1 keychain get, p50s): ${fmt(floor, 3)}ms`);
    report({
      name: 'unseal.p99',
      value: total.p99,
      unit: 'ms',
      limit: commit.p99,
      limitUnit: 'ms',
      ratio: total.p99 / commit.p99,
      target: `<${TARGET_MS}ms`,
      pass: total.p99 < TARGET_MS,
    });
  } finally {
    for (const s of sessions) await s.close();
    // The keychain session is private and thrown away, but leave it as found anyway.
    for (const store of stores) {
      for (const account of await store.inner.list().catch(() => [])) await store.inner.delete(account).catch(() => false);
    }
    cleanup();
  }
}
