import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StoredEntry, VerifyReport } from '../core/journal.js';
import { verifyBytes } from '../crypto/index.js';
import { verifyEntries, walkEntries, type EntryObserver, type VerifyExpectations } from './verify.js';

/** Below this many entries, starting worker threads costs more than it saves. */
const PARALLEL_MIN_ENTRIES = 2_000;

// The worker checks Ed25519 signatures only, in order, and answers with the first bad index or -1.
// It is CommonJS source evaluated in the worker, so it runs the same from dist/ and from tests.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = new Map();
parentPort.on('message', ({ keys: names, hashes, sigs }) => {
  const h = Buffer.from(hashes);
  const s = Buffer.from(sigs);
  let bad = -1;
  for (let i = 0; i < names.length; i++) {
    let key = keys.get(names[i]);
    try {
      if (!key) {
        key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: names[i] }, format: 'jwk' });
        keys.set(names[i], key);
      }
      if (!verify(null, h.subarray(i * 32, i * 32 + 32), key, s.subarray(i * 64, i * 64 + 64))) bad = i;
    } catch {
      bad = i;
    }
    if (bad >= 0) break;
  }
  parentPort.postMessage(bad);
});
`;

function checkChunk(keys: string[], hashes: Uint8Array, sigs: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.once('message', (bad: number) => {
      resolve(bad);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.postMessage({ keys, hashes, sigs }, [hashes.buffer as ArrayBuffer, sigs.buffer as ArrayBuffer]);
  });
}

function* take<T>(items: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return;
  let n = 0;
  for (const item of items) {
    yield item;
    if (++n >= count) return;
  }
}

/**
 * Verifies a journal with the same result as `verifyEntries`, checking signatures on worker threads
 * for large journals: one pass does every other check and collects (epoch key, hash, signature);
 * the signatures are checked (on workers when there are many); if anything failed, the entries up to
 * the first failure are verified again in order, so the report (failing seq, code, head) is exactly
 * the sequential one. `source` is called again for that second pass, so it must yield the same
 * entries each time.
 *
 * With `expect.verified` (a head verified before), only the signatures after it are checked; when
 * that fails, the journal is verified again in full, and a failure found so is the one reported: it
 * names the first bad entry, where the anchored pass can only see that the chain no longer leads to
 * the verified head.
 */
export async function verifyJournalEntries(
  source: () => Iterable<StoredEntry>,
  expect: VerifyExpectations = {},
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  if (expect.verified === undefined) return verifyOnce(source, expect, options);
  const anchored = await verifyOnce(source, expect, options);
  if (anchored.ok) return anchored;
  const { verified: _, ...unanchored } = expect;
  const { observe: __, ...again } = options;
  const full = await verifyOnce(source, unanchored, again);
  return full.ok ? anchored : full;
}

export interface VerifyOptions {
  readonly threads?: number;
  readonly minEntries?: number;
  /**
   * Shown every entry of the first pass that passed the checks other than its signature, which is
   * checked after the pass; a caller must use what it saw only when the report is ok.
   */
  readonly observe?: EntryObserver;
}

async function verifyOnce(source: () => Iterable<StoredEntry>, expect: VerifyExpectations, options: VerifyOptions): Promise<VerifyReport> {
  const threads = Math.max(1, options.threads ?? Math.min(availableParallelism(), 8));
  const keys: string[] = [];
  const hashes: Uint8Array[] = [];
  const sigs: Uint8Array[] = [];
  // The seq of each collected signature's entry: the walk checked that it is its position.
  const seqs: number[] = [];
  let firstMalformed = -1;
  const structural = walkEntries(
    source(),
    expect,
    (key, stored) => {
      if (stored.sig.length !== 64 && firstMalformed < 0) firstMalformed = keys.length;
      keys.push(key);
      hashes.push(stored.hash);
      sigs.push(stored.sig.length === 64 ? stored.sig : new Uint8Array(64));
      seqs.push(stored.seq);
      return true;
    },
    options.observe,
  );
  const checked = keys.length;
  const bads: number[] = [];
  if (checked < (options.minEntries ?? PARALLEL_MIN_ENTRIES) || threads === 1) {
    const bad = keys.findIndex((key, i) => !verifyBytes(key, hashes[i]!, sigs[i]!));
    if (bad >= 0) bads.push(bad);
  } else {
    const size = Math.ceil(checked / threads);
    const chunks = Array.from({ length: Math.ceil(checked / size) }, (_, c) => {
      const from = c * size;
      const to = Math.min(checked, from + size);
      // Fresh (never pooled) memory, since it is transferred to the worker.
      const h = new Uint8Array((to - from) * 32);
      const s = new Uint8Array((to - from) * 64);
      for (let i = from; i < to; i++) {
        h.set(hashes[i]!, (i - from) * 32);
        s.set(sigs[i]!, (i - from) * 64);
      }
      return checkChunk(keys.slice(from, to), h, s).then((bad) => (bad < 0 ? -1 : from + bad));
    });
    bads.push(...(await Promise.all(chunks)).filter((b) => b >= 0));
  }
  if (firstMalformed >= 0) bads.push(firstMalformed);
  if (bads.length === 0) return structural;
  // A signature failed at the entry with seq `first`: the sequential walk over the entries up to it
  // names it (or an earlier structural failure, which the walk reaches first in the same order).
  const first = seqs[Math.min(...bads)]!;
  return verifyEntries(take(source(), first + 1), expect);
}
