import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BreakGlassError, invariant } from '../core/errors.js';
import type { StoredEntry, VerifyReport } from '../core/journal.js';
import { forgetPrivateKey, generateSigningKeyPair, isValidPublicKey, type SigningKeyPair } from '../crypto/index.js';
import {
  advanceHead,
  makeEntry,
  parseEntry,
  verifyJournalEntries,
  type ChainHead,
  type EntryFields,
  type VerifiedHead,
} from '../journal/index.js';
import type { SecretStore } from '../keychain/index.js';
import { Evidence } from './evidence.js';
import { checkVaultDir } from './paths.js';
import { VaultRepository, acquireLock, mapSqliteError, openDatabase } from '../store/index.js';

/** Opens the OS keychain (or the chosen store) for one vault's namespace. */
export type SecretStoreFactory = (namespace: string) => Promise<SecretStore>;

const EPOCH_ACCOUNT = 'journal-epoch:';
const epochAccount = (epoch: number): string => `${EPOCH_ACCOUNT}${epoch}`;
/**
 * The head up to which this vault has verified its journal, signatures included: a write session
 * re-checks the hash chain of every entry at open, but signatures only after it, so opening costs the
 * same at any journal size. It sits with the epoch keys: whoever can change it can sign as the vault.
 */
const VERIFIED_ACCOUNT = 'journal-verified';

interface Anchor {
  readonly journal: string;
  readonly seq: number;
  readonly hash: string;
}

/** The anchor kept in `secrets`, or undefined when there is none or it is unreadable (a full verify then). */
async function readAnchor(secrets: SecretStore, journal: string): Promise<VerifiedHead | undefined> {
  try {
    const value = JSON.parse((await secrets.get(VERIFIED_ACCOUNT)) ?? 'null') as Partial<Anchor> | null;
    if (value?.journal === journal && Number.isSafeInteger(value.seq) && typeof value.hash === 'string')
      return { seq: value.seq as number, hash: value.hash };
  } catch {
    // fall through: without a readable anchor the journal is verified in full
  }
  return undefined;
}

const anchorOf = (report: VerifyReport): string =>
  JSON.stringify({ journal: report.journal ?? '', seq: report.headSeq, hash: report.headHash ?? '' } satisfies Anchor);

/** Appends one entry inside a commit and returns it as stored (its seq and hash anchor other records). */
export type Append = (fields: EntryFields) => StoredEntry;

/** Journals a refusal for a rehearsal at once, in a write session of its own (see `VaultSession.rehearse`). */
export type RehearsalJournal = (err: BreakGlassError, actor: string, subject: string, data: Record<string, unknown>) => Promise<void>;

/** Ends a rehearsal at its first commit: every check before the commit passed (see `VaultSession.rehearse`). */
class RehearsalReachedCommit extends Error {
  constructor() {
    super('a rehearsal reached its commit');
  }
}

/** True for what a rehearsal throws at its first commit: the use case got as far as writing. */
export const reachedCommit = (err: unknown): boolean => err instanceof RehearsalReachedCommit;

/**
 * The keychain as a rehearsal sees it: read through to `secrets`, written to memory only, so a use
 * case behaves as it will under the lock and the keychain itself is left as it was.
 */
function scratchSecrets(secrets: SecretStore): SecretStore {
  const written = new Map<string, string | null>(); // null: deleted in the rehearsal
  const get = async (account: string): Promise<string | null> =>
    written.has(account) ? (written.get(account) ?? null) : secrets.get(account);
  return {
    description: secrets.description,
    get,
    list: async () => {
      const accounts = new Set(await secrets.list());
      for (const [account, value] of written) {
        if (value === null) accounts.delete(account);
        else accounts.add(account);
      }
      return [...accounts];
    },
    set: async (account, value) => {
      written.set(account, value);
    },
    delete: async (account) => {
      const had = (await get(account)) !== null;
      written.set(account, null);
      return had;
    },
  };
}

/**
 * One open vault: its database, its keychain namespace and its journal head. Every state change goes
 * through `commit`, which writes the change and its journal entries in one SQLite transaction and then
 * moves the journal to a fresh epoch, so the signing key at rest has never signed an entry.
 */
export class VaultSession {
  readonly repo: VaultRepository;
  readonly vaultId: string;
  readonly name: string;
  readonly dir: string;
  #secrets: SecretStore | null = null;
  readonly #secretStore: SecretStoreFactory;
  #head: ChainHead;
  #report: VerifyReport;
  #evidence: Evidence;
  #key: SigningKeyPair | null = null;
  /** The next epoch's key: in the keychain already, certified by the next commit. */
  #next: SigningKeyPair | null = null;
  /** Keychain work a commit left running (erase the old key, store the key after next). */
  #settling: Promise<void> = Promise.resolve();
  readonly #lock: { release(): void } | null;
  /** Set by `rehearse`: how many refusals the rehearsal would have journaled, and how a wrong passphrase is journaled at once. */
  #rehearsal: { refused: number; readonly journalNow: RehearsalJournal } | null = null;
  /** A rehearsal's keychain writes, kept in memory (see `scratchSecrets`). */
  #scratch: SecretStore | null = null;

  private constructor(
    dir: string,
    repo: VaultRepository,
    secretStore: SecretStoreFactory,
    report: VerifyReport,
    evidence: Evidence,
    lock: { release(): void } | null,
  ) {
    this.dir = dir;
    this.repo = repo;
    this.#secretStore = secretStore;
    this.vaultId = repo.getMeta('vault_id') ?? '';
    this.name = repo.getMeta('name') ?? '';
    invariant(this.vaultId, 'vault database has no vault_id');
    this.#report = report;
    this.#evidence = evidence;
    this.#head = { journal: report.journal ?? '', nextSeq: report.count, prev: report.headHash ?? '', epoch: report.epoch };
    this.#lock = lock;
  }

  /** Creates a vault in `dir`: database, journal id, genesis key in the keychain, genesis entry. */
  static async init(given: string, name: string, secretStore: SecretStoreFactory): Promise<VaultSession> {
    const dir = checkVaultDir(given);
    const dbPath = join(dir, 'vault.db');
    const { existsSync } = await import('node:fs');
    if (existsSync(dbPath)) throw new BreakGlassError('ALREADY_EXISTS', `a vault already exists at ${dir}`);
    const vaultId = `v-${randomBytes(8).toString('hex')}`;
    const secrets = await secretStore(vaultId);
    const genesis = generateSigningKeyPair();
    await secrets.set(epochAccount(0), JSON.stringify(genesis));
    const db = openDatabase(dbPath, { create: true });
    const repo = new VaultRepository(db);
    const journal = `j-${randomBytes(8).toString('hex')}`;
    const head: ChainHead = { journal, nextSeq: 0, prev: '', epoch: 0 };
    const entry = makeEntry(
      head,
      { kind: 'journal.genesis', actor: 'vault', subject: vaultId, data: { key: genesis.publicKey, vault: vaultId, name } },
      genesis,
    );
    repo.transaction(() => {
      repo.setMeta('vault_id', vaultId);
      repo.setMeta('name', name);
      repo.setMeta('journal_id', journal);
      repo.setMeta('created_at', String(Date.now()));
      repo.appendEntry(entry);
    });
    db.close();
    const session = await VaultSession.open(dir, secretStore, { write: true });
    // Leave the genesis key at rest only after it has handed over to a key that has signed nothing.
    await session.commit(() => undefined);
    return session;
  }

  /** Opens the vault in `dir` and verifies its journal; a write session holds the vault's lock. */
  static async open(
    given: string,
    secretStore: SecretStoreFactory,
    options: { write: boolean; /** The command that holds the lock, named to anyone it keeps waiting. */ holder?: string },
  ): Promise<VaultSession> {
    const dir = checkVaultDir(given);
    const db = openDatabase(join(dir, 'vault.db'), { create: false });
    let lock: { release(): void } | null = null;
    try {
      const repo = new VaultRepository(db);
      const vaultId = repo.getMeta('vault_id');
      if (!vaultId)
        throw new BreakGlassError(
          'NOT_INITIALIZED',
          `${dir} holds no vault (its database is empty); run "breakglass init --name NAME" or restore it from a backup`,
        );
      // The keychain is opened under the lock: a key store file rewrites itself whole on every write,
      // so only the lock holder may touch it (the CLI asks a key store file's passphrase before the lock).
      if (options.write) lock = acquireLock(join(dir, 'vault.lock'), options.holder);
      let secrets: SecretStore | null = null;
      if (lock) secrets = await secretStore(vaultId).catch(() => null);
      const journal = repo.getMeta('journal_id') ?? undefined;
      // A write session trusts the head it verified last time (read before any entry is read, so it
      // is never ahead of what the reading sees); a reader, which may hold no keychain, checks all.
      const anchor = secrets && journal !== undefined ? await readAnchor(secrets, journal) : undefined;
      const { report, evidence } = await verifyWithEvidence(repo, journal, anchor);
      const session = new VaultSession(dir, repo, secretStore, report, evidence, lock);
      session.#secrets = secrets;
      if (secrets && report.ok && report.headSeq !== anchor?.seq) {
        // Best effort: without it, the next open verifies the signatures from the old anchor on.
        await secrets.set(VERIFIED_ACCOUNT, anchorOf(report)).catch(() => undefined);
      }
      return session;
    } catch (err) {
      lock?.release();
      db.close();
      throw mapSqliteError(err);
    }
  }

  /** The facts that gate security decisions, from the verified journal: every use case asks here. */
  get evidence(): Evidence {
    this.assertJournalIntact();
    return this.#evidence;
  }

  /** The journal verification done at open (and after every commit). */
  get report(): VerifyReport {
    return this.#report;
  }

  /** The journal id and head, for anchors and receipts. */
  get head(): ChainHead {
    return this.#head;
  }

  /** This vault's keychain namespace, opened on first use. */
  async secrets(): Promise<SecretStore> {
    this.#secrets ??= await this.#secretStore(this.vaultId);
    if (this.#rehearsal) this.#scratch ??= scratchSecrets(this.#secrets);
    return this.#scratch ?? this.#secrets;
  }

  /**
   * Makes this read-only session a rehearsal of a use case that waits for a person: its checks run
   * and its questions are asked with no lock held, and it stops at its first commit (`reachedCommit`)
   * having written nothing (keychain writes stay in memory). A wrong passphrase is journaled at
   * once through `journalNow`; any other refusal it meets is counted (`rehearsedRefusals`), not
   * journaled, and thrown as usual.
   */
  rehearse(journalNow: RehearsalJournal): void {
    invariant(this.#lock === null, 'only a read-only session rehearses');
    this.#rehearsal = { refused: 0, journalNow };
  }

  /** How many refusals (other than wrong passphrases) this rehearsal met: decided again under the lock. */
  get rehearsedRefusals(): number {
    return this.#rehearsal?.refused ?? 0;
  }

  /** Throws JOURNAL_TAMPERED unless the journal verified; a vault in that state changes nothing. */
  assertJournalIntact(): void {
    const f = this.#report.failure;
    if (f) {
      throw new BreakGlassError(
        'JOURNAL_TAMPERED',
        `the journal does not verify: ${f.code} at seq ${f.seq} (${f.message}); this vault refuses to change until security has examined it`,
        { seq: f.seq, failure: f.code },
      );
    }
  }

  /**
   * Loads the current epoch key, and clears keys a crash left behind. A key for a later epoch than
   * the journal's, with the journal's own key gone, means entries were cut from the end.
   */
  async #loadKey(): Promise<SigningKeyPair> {
    if (this.#key) return this.#key;
    const secrets = await this.secrets();
    const epochs = (await secrets.list()).filter((a) => a.startsWith(EPOCH_ACCOUNT)).map((a) => Number(a.slice(EPOCH_ACCOUNT.length)));
    const current = this.#head.epoch;
    const stored = await secrets.get(epochAccount(current));
    const key = stored ? (JSON.parse(stored) as SigningKeyPair) : null;
    if (key && key.publicKey !== this.#report.epochKey) {
      throw new BreakGlassError(
        'JOURNAL_TAMPERED',
        `the keychain's journal key does not match the key the journal certified for epoch ${current} (BAD_KEY)`,
        { failure: 'BAD_KEY', seq: this.#head.nextSeq },
      );
    }
    if (!key) {
      // A later key with the journal's own key gone: the journal was signed further than it now goes.
      if (epochs.some((e) => e > current)) {
        throw new BreakGlassError(
          'JOURNAL_TAMPERED',
          `the journal ends in epoch ${current} but this vault has already signed in a later epoch: entries were cut from its end (EPOCH_MISMATCH)`,
          { failure: 'EPOCH_MISMATCH', seq: this.#head.nextSeq },
        );
      }
      // Without the key of the last epoch, nothing shows that the journal ends where it should:
      // entries may have been cut from its end and the later keys erased with them.
      throw new BreakGlassError(
        'TAIL_UNPROVEN',
        `the journal key of epoch ${current} is not in ${secrets.description}, so nothing proves that the journal ends at seq ${this.#head.nextSeq - 1}: entries may have been cut from its end (or the vault folder was moved without its keychain); this vault refuses to change; compare its head with a holder's laptop or the server`,
        { failure: 'TAIL_UNPROVEN', seq: this.#head.nextSeq },
      );
    }
    // Only a write session, which holds the vault's lock, may tidy the keychain: a reader's view of
    // the journal can be a commit behind, and the key it would erase is then a writer's next key.
    if (this.#lock) {
      for (const e of epochs) {
        if (e === current + 1 && !this.#next) this.#next = await this.#readNextKey(secrets, e);
        else if (e !== current) await secrets.delete(epochAccount(e));
      }
    }
    this.#key = key;
    return key;
  }

  /** The pre-generated key of the next epoch, or null (and erased) when it is unreadable. */
  async #readNextKey(secrets: SecretStore, epoch: number): Promise<SigningKeyPair | null> {
    try {
      const pair = JSON.parse((await secrets.get(epochAccount(epoch))) ?? 'null') as SigningKeyPair | null;
      if (pair && isValidPublicKey(pair.publicKey, 'Ed25519') && typeof pair.privateKey === 'string') return pair;
    } catch {
      // fall through: a damaged pre-generated key is simply replaced
    }
    await secrets.delete(epochAccount(epoch));
    return null;
  }

  /**
   * Checks that this vault can sign: its keychain holds the key of the journal's current epoch. A
   * read-only session holds no lock, so a writer may commit while it looks: the keychain is judged
   * only against a journal head that did not move meanwhile (re-verified when it did).
   */
  async assertSigningKey(): Promise<void> {
    await this.#settling;
    if (this.#lock) {
      await this.#loadKey();
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const seen = this.repo.lastEntry();
      if (seen && seen.seq !== this.#head.nextSeq - 1) {
        await this.#reverify();
        this.assertJournalIntact();
      }
      let failure: unknown = null;
      try {
        await this.#loadKey();
      } catch (err) {
        failure = err;
      }
      const now = this.repo.lastEntry();
      if (now?.seq === seen?.seq) {
        if (failure) throw failure;
        return;
      }
      this.#key = null;
      if (attempt === 3) {
        throw new BreakGlassError(
          'VAULT_BUSY',
          'the journal kept growing while its keychain key was checked; try again when the vault is idle',
        );
      }
    }
  }

  /** Verifies the journal again, from the database as it is now (a read-only session's view moves on). */
  async #reverify(): Promise<void> {
    const { report, evidence } = await verifyWithEvidence(this.repo, this.#head.journal);
    this.#report = report;
    this.#evidence = evidence;
    this.#head = { journal: this.#head.journal, nextSeq: report.count, prev: report.headHash ?? '', epoch: report.epoch };
    this.#key = null;
  }

  /**
   * Runs `apply` and the entries it appends in one transaction, ending with a key.rotate entry that
   * certifies the next epoch's key, so the key at rest has never signed an entry. The next key is in
   * the keychain before the transaction commits (generated by the previous commit, off the critical
   * path); erasing the old key and storing the one after next happen after the commit and are awaited
   * by the next commit and by `close`. A crash at any point leaves a journal that verifies and can be
   * appended to: the next write session (it holds the lock) erases stale keys and keeps a pre-generated next key.
   */
  async commit<T>(apply: (append: Append) => T): Promise<T> {
    this.assertJournalIntact();
    if (this.#rehearsal) throw new RehearsalReachedCommit();
    invariant(this.#lock !== null, 'a read-only session does not commit: open the vault for writing');
    await this.#settling;
    const key = await this.#loadKey();
    const secrets = await this.secrets();
    const startHead = this.#head;
    let next = this.#next;
    if (!next) {
      next = generateSigningKeyPair();
      await secrets.set(epochAccount(startHead.epoch + 1), JSON.stringify(next));
      this.#next = next;
    }
    const certified = next;
    let head = startHead;
    const appended: StoredEntry[] = [];
    const append: Append = (fields) => {
      const entry = makeEntry(head, fields, key);
      this.repo.appendEntry(entry);
      head = advanceHead(head, entry, fields.kind);
      appended.push(entry);
      return entry;
    };
    let result: T;
    try {
      result = this.repo.transaction(() => {
        const value = apply(append);
        append({
          kind: 'key.rotate',
          actor: 'vault',
          subject: startHead.journal,
          data: { next: certified.publicKey, epoch: startHead.epoch + 1 },
        });
        return value;
      });
    } catch (err) {
      // The uncertified next key stays in the keychain for the next attempt.
      throw mapSqliteError(err);
    }
    invariant(head.epoch === startHead.epoch + 1, 'a commit appends exactly one key.rotate');
    for (const entry of appended) this.#evidence.add(entry, parseEntry(entry.bytes, { verifiedBefore: true }));
    this.#head = head;
    this.#key = certified;
    this.#next = null;
    this.#report = {
      ...this.#report,
      count: head.nextSeq,
      headSeq: head.nextSeq - 1,
      headHash: head.prev,
      epoch: head.epoch,
      epochKey: certified.publicKey,
    };
    forgetPrivateKey(key.publicKey);
    const following = generateSigningKeyPair();
    // The commit stands even if the keychain fails now: the next write session erases the stale key, and
    // the next commit stores a next key itself.
    const verified = anchorOf(this.#report);
    this.#settling = Promise.all([
      secrets.delete(epochAccount(startHead.epoch)).catch(() => false),
      // Entries this session signed, on a journal it verified: the next open need not check them again.
      secrets.set(VERIFIED_ACCOUNT, verified).catch(() => undefined),
      secrets.set(epochAccount(head.epoch + 1), JSON.stringify(following)).then(
        () => {
          this.#next = following;
        },
        () => undefined,
      ),
    ]).then(() => undefined);
    return result;
  }

  /** Journals a refusal that matters to security (and only that), then rethrows it. */
  async refuse(err: BreakGlassError, actor: string, subject: string, data: Record<string, unknown> = {}): Promise<never> {
    if (this.#rehearsal) {
      // A wrong passphrase is a fact about what was typed: journaled now, not when (or if) the lock comes.
      if (err.code === 'WRONG_PASSPHRASE') await this.#rehearsal.journalNow(err, actor, subject, data);
      else this.#rehearsal.refused += 1;
      throw err;
    }
    await this.commit((append) =>
      append({ kind: 'access.refused', actor, subject, data: { code: err.code, message: err.message, ...data } }),
    );
    throw err;
  }

  /** Resolves when the keychain work the last commit left running is done (it never rejects). */
  settled(): Promise<void> {
    return this.#settling;
  }

  /** Finishes the keychain work of the last commit, then releases the lock and closes the database. */
  async close(): Promise<void> {
    try {
      await this.#settling;
    } finally {
      this.#lock?.release();
      if (this.repo.db.open) this.repo.db.close();
    }
  }
}

/**
 * Verifies the journal and reads its evidence in the same pass: the entries the evidence holds are
 * the very bytes the verifier checked (the first pass over the journal reads every entry in order).
 */
async function verifyWithEvidence(
  repo: VaultRepository,
  journal: string | undefined,
  verified?: VerifiedHead,
): Promise<{ report: VerifyReport; evidence: Evidence }> {
  const evidence = new Evidence();
  let seen = 0;
  const report = await verifyJournalEntries(
    () => repo.entries(),
    journal === undefined ? {} : verified === undefined ? { journal } : { journal, verified },
    {
      // The entry the verifier parsed. Its signature may be checked after the walk: the evidence is
      // used only when the report is ok (the evidence getter asserts it).
      observe: (entry, stored) => {
        seen += 1;
        evidence.add(stored, entry);
      },
    },
  );
  invariant(!report.ok || seen >= report.count, 'the evidence pass read the whole verified journal');
  return { report, evidence };
}

/** A random id with a readable prefix, within the id alphabet of documents. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
