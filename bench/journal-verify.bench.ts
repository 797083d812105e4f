/**
 * Full verification (src/journal verifyEntries) of a real journal read from SQLite, against the raw
 * Ed25519 verify rate (crypto.verify, 32-byte messages, cached KeyObject) measured in the same run;
 * and the time to verify a 100,000-entry journal from a freshly opened vault database.
 *
 * The journal is shaped like a vault's: every transaction ends with a key.rotate certifying a fresh
 * key (docs/journal-format.md), so half of the entries start a new epoch, as in a real vault.
 */
import { availableParallelism } from 'node:os';
import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { isCanonical } from '../src/core/canonical.js';
import type { StoredEntry, VerifyReport } from '../src/core/journal.js';
import { forgetPrivateKey, isValidPublicKey, signBytes, verifyBytes, type SigningKeyPair } from '../src/crypto/index.js';
import {
  advanceHead,
  entryHash,
  makeEntry,
  verifyEntries,
  verifyJournalEntries,
  type ChainHead,
  type EntryFields,
} from '../src/journal/index.js';
import { VaultRepository, openDatabase, type Db } from '../src/store/index.js';
import { activityFields } from './entries.js';
import { breathe, fmt, header, info, now, report, tempDir } from './lib.js';
import { ed25519Verifier } from './primitives.js';

const ENTRIES = 100_000;
const PER_TRANSACTION = 5_000;
const RAW_EVERY = 5_000;
const RAW_BLOCK = 1_000;

/**
 * A fresh epoch key, as src/crypto generateSigningKeyPair makes it but with the JWK encoded by the
 * key generation job itself. On Node 20, exporting the JWK of a just-generated key afterwards (what
 * src/crypto/keys.ts does) deadlocks when a garbage collection hits the export: the collected
 * KeyGenJob's destructor takes the mutex the export holds. It hangs within ~10,000 keys in a loop,
 * and building this journal needs 50,000.
 */
function epochKeyPair(): SigningKeyPair {
  // @types/node 20 has no overload for JWK encodings; Node has had them since 15.9.
  const jwk = { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as unknown as Parameters<
    typeof generateKeyPairSync
  >[1];
  const { privateKey } = generateKeyPairSync('ed25519', jwk) as unknown as { privateKey: JsonWebKey };
  if (!privateKey.x || !privateKey.d) throw new Error('ed25519 JWK lacks raw parts');
  return { publicKey: privateKey.x, privateKey: privateKey.d };
}

/** Writes a vault-shaped journal of exactly `total` entries: genesis, then (entry, key.rotate) pairs. */
export async function buildJournal(db: Db, total: number): Promise<string> {
  const repo = new VaultRepository(db);
  const journal = `j-${randomBytes(8).toString('hex')}`;
  let key: SigningKeyPair = epochKeyPair();
  let head: ChainHead = { journal, nextSeq: 0, prev: '', epoch: 0 };
  const append = (fields: EntryFields): void => {
    const entry = makeEntry(head, fields, key);
    repo.appendEntry(entry);
    head = advanceHead(head, entry, fields.kind);
  };
  const rotate = (): void => {
    const next = epochKeyPair();
    append({ kind: 'key.rotate', actor: 'vault', subject: journal, data: { next: next.publicKey, epoch: head.epoch + 1 } });
    forgetPrivateKey(key.publicKey);
    key = next;
  };
  let i = 0;
  while (head.nextSeq < total) {
    repo.transaction(() => {
      const end = Math.min(total, head.nextSeq + PER_TRANSACTION);
      while (head.nextSeq < end) {
        if (head.nextSeq === 0)
          append({
            kind: 'journal.genesis',
            actor: 'vault',
            subject: 'v-bench',
            data: { key: key.publicKey, vault: 'v-bench', name: 'bench' },
          });
        else if (head.nextSeq % 2 === 1) rotate();
        else append(activityFields(i++, journal));
      }
    });
    await breathe();
  }
  forgetPrivateKey(key.publicKey);
  return journal;
}

/** Microseconds per entry of each step verifyEntries takes, on a sample of the stored journal. */
function costBreakdown(db: Db, sample: number): string {
  const rows: StoredEntry[] = [];
  const readStart = now();
  for (const row of new VaultRepository(db).entries(1)) {
    rows.push(row);
    if (rows.length === sample) break;
  }
  const perEntry = (ms: number): string => `${fmt((ms * 1000) / rows.length, 1)}us`;
  const read = now() - readStart;
  const texts = rows.map((r) => Buffer.from(r.bytes).toString('utf8'));
  let t0 = now();
  for (const r of rows) entryHash(r.bytes);
  const hash = now() - t0;
  t0 = now();
  for (const t of texts) isCanonical(t);
  const canonical = now() - t0;
  t0 = now();
  for (const t of texts) JSON.parse(t);
  const parse = now() - t0;
  // Every entry is checked under the key of its epoch; one epoch key, cached, for the raw cost.
  const signer = epochKeyPair();
  const signed = rows.map((r) => ({ h: r.hash, s: signBytes(signer, r.hash) }));
  t0 = now();
  for (const { h, s } of signed) verifyBytes(signer.publicKey, h, s);
  const sig = now() - t0;
  forgetPrivateKey(signer.publicKey);
  // A key.rotate entry introduces a key the verifier has never seen: one parse per epoch.
  const fresh = Array.from({ length: Math.min(2_000, rows.length) }, () => epochKeyPair().publicKey);
  t0 = now();
  for (const k of fresh) isValidPublicKey(k, 'Ed25519');
  const keyImport = ((now() - t0) * rows.length) / fresh.length;
  return (
    `per entry: sqlite read ${perEntry(read)}, sha256 ${perEntry(hash)}, isCanonical (parse+canonicalize) ${perEntry(canonical)}, ` +
    `second JSON.parse ${perEntry(parse)}, verifyBytes (cached key) ${perEntry(sig)}, new epoch key import ${perEntry(keyImport)} per new key`
  );
}

/** Passes `entries` through, calling `pause` after every `every` of them. */
function* interleave(entries: Iterable<StoredEntry>, every: number, pause: () => void): Generator<StoredEntry> {
  let n = 0;
  for (const entry of entries) {
    yield entry;
    if (++n % every === 0) pause();
  }
}

function assertVerified(r: VerifyReport, count: number): void {
  if (!r.ok || r.count !== count)
    throw new Error(`the benchmark journal does not verify: ${JSON.stringify(r.failure)} after ${r.count} entries`);
  if (r.flags.length > 0) throw new Error(`the benchmark journal raised flags: ${JSON.stringify(r.flags.slice(0, 3))}`);
}

/** Runs the verification benchmarks and reports their targets. */
export async function benchJournalVerify(): Promise<void> {
  header(
    'journal-verify',
    `full verification of a ${ENTRIES.toLocaleString('en')}-entry vault-shaped journal read from SQLite, vs raw Ed25519 verify`,
  );
  const { dir, cleanup } = tempDir('verify');
  const path = join(dir, 'vault.db');
  try {
    const writer = openDatabase(path, { create: true });
    let journal: string;
    try {
      const t0 = now();
      journal = await buildJournal(writer, ENTRIES);
      info(
        `built ${ENTRIES} entries (${ENTRIES / 2} of them key.rotate) in ${fmt((now() - t0) / 1000, 1)} s, ${PER_TRANSACTION} entries per transaction`,
      );
      info(costBreakdown(writer, 5_000));
    } finally {
      writer.close();
    }

    // What `journal verify` pays: open the database (WAL, FULL, migrations) and verify every entry
    // with the vault's verifier (signatures on worker threads). Raw single-thread Ed25519 verifies
    // are timed in blocks before and after, so both see the same load on this shared machine.
    const raw = ed25519Verifier();
    let rawMs = 0;
    let rawCount = 0;
    const rawBlock = (): void => {
      for (let i = 0; i < 10; i++) {
        rawMs += raw.run(RAW_BLOCK);
        rawCount += RAW_BLOCK;
      }
    };
    rawBlock();
    const t0 = now();
    const db = openDatabase(path, { create: false });
    try {
      const openMs = now() - t0;
      const repo = new VaultRepository(db);
      const result = await verifyJournalEntries(() => repo.entries(), { journal });
      const verifyMs = now() - t0 - openMs;
      assertVerified(result, ENTRIES);
      rawBlock();
      // For reference: the sequential walk on one thread (what a verifier without threads pays).
      const s0 = now();
      assertVerified(
        verifyEntries(
          interleave(repo.entries(), RAW_EVERY, () => undefined),
          { journal },
        ),
        ENTRIES,
      );
      const sequentialMs = now() - s0;
      const seconds = (openMs + verifyMs) / 1000;
      const rawRate = (1000 * rawCount) / rawMs;
      const rate = (1000 * ENTRIES) / verifyMs;
      info(`raw Ed25519 verify, one thread: ${fmt(rawRate, 0)}/s (${fmt(1e6 / rawRate, 1)}us each; ${rawCount} verifies)`);
      info(
        `open ${fmt(openMs, 1)} ms + verifyJournalEntries ${fmt(verifyMs / 1000, 2)} s = ${fmt(rate, 0)} entries/s (${fmt((verifyMs * 1000) / ENTRIES, 1)}us each, ${availableParallelism()} cpu)`,
      );
      info(
        `the sequential walk alone (verifyEntries, one thread): ${fmt(sequentialMs / 1000, 2)} s = ${fmt((1000 * ENTRIES) / sequentialMs, 0)} entries/s`,
      );

      report({
        name: 'journal.verify.rate',
        value: rate,
        unit: '/s',
        limit: rawRate,
        limitUnit: '/s',
        ratio: rate / rawRate,
        target: '>=0.9x',
        pass: rate / rawRate >= 0.9,
      });
      // The 100k journal in seconds, against 100k raw verifies; the target is the same 0.9x rate.
      const rawSeconds = ENTRIES / rawRate;
      report({
        name: 'journal.verify.100k',
        value: seconds,
        unit: 's',
        limit: rawSeconds,
        limitUnit: 's',
        ratio: seconds / rawSeconds,
        target: `<=${fmt(rawSeconds / 0.9, 2)}s`,
        pass: seconds <= rawSeconds / 0.9,
      });
    } finally {
      db.close();
    }
  } finally {
    cleanup();
  }
}
