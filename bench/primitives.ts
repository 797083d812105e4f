/**
 * The raw primitives the targets are measured against: an Ed25519 sign and verify with a cached
 * KeyObject, a SQLite WAL synchronous=FULL commit, scrypt. Only the SQLite connection comes from
 * src/store (only the store layer opens SQLite); what is timed on it is a bare INSERT.
 */
import { generateKeyPairSync, randomBytes, scrypt, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/store/index.js';
import { now } from './lib.js';

/** A SQLite database in WAL mode with synchronous=FULL, committing one row per transaction. */
export interface RawCommitter {
  /** Inserts one row (blobs of the given sizes' contents) in its own transaction; returns its ms. */
  commit(bytes: Uint8Array, hash: Uint8Array, sig: Uint8Array): number;
  /**
   * The same commit with one raw Ed25519 signature over `message` made inside the transaction and
   * stored as the row's signature: the floor of any append that signs every entry as it commits.
   */
  commitSigned(bytes: Uint8Array, hash: Uint8Array, message: Uint8Array): number;
  close(): void;
}

/**
 * Opens a raw database in `dir`, next to the one under test, so both pay the same file system.
 * Its table has the journal's columns, without the append-only triggers (they fire on UPDATE and
 * DELETE only, never on the INSERT measured here).
 */
export function rawCommitter(dir: string, name = 'raw.db'): RawCommitter {
  // The store's opener sets WAL and synchronous=FULL, as for the vault (its tables sit unused).
  const db = openDatabase(join(dir, name), { create: true });
  return rawCommitterOn(db, () => db.close());
}

/**
 * Raw commits into a table of their own in an open database, such as the vault's: the same file,
 * WAL and fsync as the writes compared with them. Where each database's blocks land on disk moves
 * its fsync time by as much as a tenth between files, more than some targets leave.
 */
export function rawCommitterOn(db: Db, onClose: () => void = () => undefined): RawCommitter {
  if (db.pragma('synchronous', { simple: true }) !== 2) throw new Error('raw database: synchronous=FULL did not take effect');
  if (String(db.pragma('journal_mode', { simple: true })) !== 'wal') throw new Error('raw database: not in WAL mode');
  db.exec('CREATE TABLE raw (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL, hash BLOB NOT NULL, sig BLOB NOT NULL) STRICT');
  const insert = db.prepare('INSERT INTO raw (bytes, hash, sig) VALUES (?, ?, ?)');
  const tx = db.transaction((b: Uint8Array, h: Uint8Array, s: Uint8Array) => insert.run(b, h, s));
  const { privateKey } = generateKeyPairSync('ed25519');
  const signedTx = db.transaction((b: Uint8Array, h: Uint8Array, m: Uint8Array) => insert.run(b, h, sign(null, m, privateKey)));
  return {
    commit(bytes, hash, sig) {
      const t0 = now();
      tx.immediate(bytes, hash, sig);
      return now() - t0;
    },
    commitSigned(bytes, hash, message) {
      const t0 = now();
      signedTx.immediate(bytes, hash, message);
      return now() - t0;
    },
    close() {
      onClose();
    },
  };
}

/** Microseconds per Ed25519 signature over a 32-byte message, KeyObject parsed once. */
export function ed25519SignMicros(iterations: number): number {
  const { privateKey } = generateKeyPairSync('ed25519');
  const messages = Array.from({ length: 64 }, () => randomBytes(32));
  for (let i = 0; i < 200; i++) sign(null, messages[i % 64]!, privateKey);
  const t0 = now();
  for (let i = 0; i < iterations; i++) sign(null, messages[i % 64]!, privateKey);
  return ((now() - t0) * 1000) / iterations;
}

/** A raw Ed25519 verifier over 32-byte messages, KeyObject parsed once; `run(n)` returns its ms. */
export function ed25519Verifier(): { run(iterations: number): number } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const messages = Array.from({ length: 256 }, () => randomBytes(32));
  const sigs = messages.map((m) => sign(null, m, privateKey));
  let next = 0;
  const verifier = {
    run(iterations: number): number {
      let ok = 0;
      const t0 = now();
      for (let i = 0; i < iterations; i++, next = (next + 1) % 256) if (verify(null, messages[next]!, publicKey, sigs[next]!)) ok += 1;
      const ms = now() - t0;
      if (ok !== iterations) throw new Error('raw Ed25519 verify failed on a good signature');
      return ms;
    },
  };
  verifier.run(200);
  return verifier;
}

/** Ed25519 verifications per second over 32-byte messages, KeyObject parsed once. */
export function ed25519VerifyRate(iterations: number): number {
  return (1000 * iterations) / ed25519Verifier().run(iterations);
}

/** Milliseconds for one scrypt derivation (node:crypto, on the libuv pool like src/crypto does). */
export function scryptMillis(N: number, r: number, p: number): Promise<number> {
  const maxmem = 128 * N * r * p + 64 * 1024 * 1024;
  const t0 = now();
  return new Promise((resolve, reject) => {
    scrypt('raw scrypt passphrase', randomBytes(16), 32, { N, r, p, maxmem }, (err) => (err ? reject(err) : resolve(now() - t0)));
  });
}
