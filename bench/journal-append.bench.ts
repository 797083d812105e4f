/**
 * Durable append, one entry per transaction: makeEntry (canonical JSON, SHA-256, Ed25519) and the
 * INSERT through VaultRepository in its own transaction, on a real WAL/FULL vault database; against
 * a raw SQLite WAL/FULL commit of a row of the same size into a table of its own in the same file.
 * No key rotation: that is the vault's policy (VaultSession.commit), not the append.
 *
 * It also measures a raw commit with one raw Ed25519 signature made inside it: no append that signs
 * every entry before its transaction commits can be faster, so the ratio of that floor to the raw
 * commit is the best this machine allows, and the journal's ratio to the floor is its own overhead.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateSigningKeyPair } from '../src/crypto/index.js';
import { advanceHead, makeEntry, verifyEntries, type ChainHead, type EntryFields } from '../src/journal/index.js';
import { VaultRepository, openDatabase } from '../src/store/index.js';
import { approvalFields } from './entries.js';
import { fmt, fmtLatency, header, info, latency, median, now, report, tempDir } from './lib.js';
import { rawCommitterOn } from './primitives.js';

const WARMUP = 200;
const ROUNDS = 8;
const PER_ROUND = 400;

/** Runs the append benchmark and reports its two targets (rate ratio, p99 latency). */
export async function benchJournalAppend(): Promise<void> {
  header('journal-append', 'durable append, one entry per transaction, vs a raw SQLite WAL/FULL commit');
  const { dir, cleanup } = tempDir('append');
  const db = openDatabase(join(dir, 'vault.db'), { create: true });
  // Raw commits go to a table of their own in the same vault database: same file, WAL and fsync.
  const raw = rawCommitterOn(db);
  try {
    const repo = new VaultRepository(db);
    info(
      `journal_mode=${String(db.pragma('journal_mode', { simple: true }))} synchronous=${String(db.pragma('synchronous', { simple: true }))} (2 = FULL), raw and journal commits in the same file ${join(dir, 'vault.db')}`,
    );
    const key = generateSigningKeyPair();
    const journal = `j-${randomBytes(8).toString('hex')}`;
    let head: ChainHead = { journal, nextSeq: 0, prev: '', epoch: 0 };

    // The vault's path: build and sign the entry inside the transaction, then INSERT it.
    const append = (fields: EntryFields): number => {
      const t0 = now();
      repo.transaction(() => {
        const entry = makeEntry(head, fields, key);
        repo.appendEntry(entry);
        head = advanceHead(head, entry, fields.kind);
      });
      return now() - t0;
    };
    append({ kind: 'journal.genesis', actor: 'vault', subject: 'v-bench', data: { key: key.publicKey, vault: 'v-bench', name: 'bench' } });

    const probe = makeEntry(head, approvalFields(1, journal), key);
    const rawRow = { bytes: randomBytes(probe.bytes.length), hash: randomBytes(probe.hash.length), sig: randomBytes(probe.sig.length) };
    info(`entry: approval.accept, ${probe.bytes.length} bytes + 32-byte hash + 64-byte signature; raw row: blobs of the same sizes`);

    const fieldsFor = (count: number): EntryFields[] => Array.from({ length: count }, (_, i) => approvalFields(head.nextSeq + i, journal));
    for (const f of fieldsFor(WARMUP)) append(f);
    for (let i = 0; i < WARMUP; i++) raw.commit(rawRow.bytes, rawRow.hash, rawRow.sig);
    for (let i = 0; i < WARMUP; i++) raw.commitSigned(rawRow.bytes, rawRow.hash, rawRow.hash);

    // Triples of commits (raw, floor, journal) in rotating order, so that load from other processes
    // (this machine is shared) and the state of the caches fall on all three alike. Measured in
    // separate phases instead, the floor moved by a tenth of its ratio between runs, more than the
    // target leaves.
    const journalSamples: number[] = [];
    const rawSamples: number[] = [];
    const floorSamples: number[] = [];
    const rawRatios: number[] = [];
    const floorRatios: number[] = [];
    const commitRaw = (): number => raw.commit(rawRow.bytes, rawRow.hash, rawRow.sig);
    const commitFloor = (): number => raw.commitSigned(rawRow.bytes, rawRow.hash, rawRow.hash);
    for (let r = 0; r < ROUNDS; r++) {
      const fields = fieldsFor(PER_ROUND);
      let rawMs = 0;
      let floorMs = 0;
      let journalMs = 0;
      for (let i = 0; i < PER_ROUND; i++) {
        for (let k = 0; k < 3; k++) {
          const which = (i + k) % 3;
          if (which === 0) {
            const t = commitRaw();
            rawSamples.push(t);
            rawMs += t;
          } else if (which === 1) {
            const t = commitFloor();
            floorSamples.push(t);
            floorMs += t;
          } else {
            const t = append(fields[i]!);
            journalSamples.push(t);
            journalMs += t;
          }
        }
      }
      rawRatios.push(rawMs / journalMs);
      floorRatios.push(floorMs / journalMs);
    }

    const jl = latency(journalSamples);
    const rl = latency(rawSamples);
    const fl = latency(floorSamples);
    const journalRate = 1000 / jl.mean;
    const rawRate = 1000 / rl.mean;
    const floorRate = 1000 / fl.mean;
    info(`raw SQLite WAL/FULL commit:  ${fmt(rawRate, 0)} commits/s   ${fmtLatency(rl)}`);
    info(`raw commit + 1 raw Ed25519 signature inside it (the floor): ${fmt(floorRate, 0)} commits/s   ${fmtLatency(fl)}`);
    info(`journal append (sign+commit): ${fmt(journalRate, 0)} entries/s   ${fmtLatency(jl)}`);
    info(`per-round rate journal/raw: ${rawRatios.map((x) => fmt(x, 2)).join(' ')} (median ${fmt(median(rawRatios), 3)})`);
    info(`per-round rate journal/floor: ${floorRatios.map((x) => fmt(x, 2)).join(' ')} (median ${fmt(median(floorRatios), 3)})`);
    info(`signing every entry as it commits can reach at most ${fmt(floorRate / rawRate, 3)}x raw here`);

    const check = verifyEntries(repo.entries(), { journal });
    if (!check.ok || check.count !== head.nextSeq)
      throw new Error(`the benchmark's journal does not verify: ${JSON.stringify(check.failure)}`);
    info(`the ${check.count} appended entries verify`);

    report({
      name: 'journal.append.rate',
      value: journalRate,
      unit: '/s',
      limit: rawRate,
      limitUnit: '/s',
      ratio: journalRate / rawRate,
      target: '>=0.8x',
      pass: journalRate / rawRate >= 0.8,
    });
    // The target as restated in issue 9: against the floor, which is what this machine allows. The
    // three sides were measured side by side, so their mean rates compare directly (value / limit =
    // ratio); the rounds' medians above show how much that moves.
    const ofFloor = journalRate / floorRate;
    report({
      name: 'journal.append.floor',
      value: journalRate,
      unit: '/s',
      limit: floorRate,
      limitUnit: '/s',
      ratio: ofFloor,
      target: '>=0.9x',
      pass: ofFloor >= 0.9,
    });
    report({
      name: 'journal.append.p99',
      value: jl.p99,
      unit: 'ms',
      limit: rl.p99,
      limitUnit: 'ms',
      ratio: jl.p99 / rl.p99,
      target: '<5ms',
      pass: jl.p99 < 5,
    });
  } finally {
    raw.close();
    db.close();
    cleanup();
  }
}
