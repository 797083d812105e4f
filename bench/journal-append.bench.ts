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

    // Pairs of commits, raw and journal in alternating order, so that load from other processes
    // (this machine is shared) falls on both sides alike. Then, in each round, pairs of raw and
    // floor commits the same way: measured apart, so the floor's signing does not disturb the
    // caches the journal's commits find (interleaved, it cost the journal 0.02-0.07 of its ratio).
    const journalSamples: number[] = [];
    const rawSamples: number[] = [];
    const floorSamples: number[] = [];
    const floorRawSamples: number[] = [];
    const roundRatios: number[] = [];
    const commitRaw = (): number => raw.commit(rawRow.bytes, rawRow.hash, rawRow.sig);
    const commitFloor = (): number => raw.commitSigned(rawRow.bytes, rawRow.hash, rawRow.hash);
    for (let r = 0; r < ROUNDS; r++) {
      const fields = fieldsFor(PER_ROUND);
      let rawMs = 0;
      let journalMs = 0;
      for (let i = 0; i < PER_ROUND; i++) {
        const rawFirst = i % 2 === 0;
        const a = rawFirst ? commitRaw() : append(fields[i]!);
        const b = rawFirst ? append(fields[i]!) : commitRaw();
        const [rawOne, journalOne] = rawFirst ? [a, b] : [b, a];
        rawSamples.push(rawOne);
        journalSamples.push(journalOne);
        rawMs += rawOne;
        journalMs += journalOne;
      }
      roundRatios.push(rawMs / journalMs);
      for (let i = 0; i < PER_ROUND / 2; i++) {
        const rawFirst = i % 2 === 0;
        const a = rawFirst ? commitRaw() : commitFloor();
        const b = rawFirst ? commitFloor() : commitRaw();
        floorRawSamples.push(rawFirst ? a : b);
        floorSamples.push(rawFirst ? b : a);
      }
    }

    const jl = latency(journalSamples);
    const rl = latency(rawSamples);
    const fl = latency(floorSamples);
    const journalRate = 1000 / jl.mean;
    const rawRate = 1000 / rl.mean;
    const floorRate = 1000 / fl.mean;
    const floorRawRate = 1000 / latency(floorRawSamples).mean;
    info(`raw SQLite WAL/FULL commit:  ${fmt(rawRate, 0)} commits/s   ${fmtLatency(rl)}`);
    info(
      `raw commit + 1 raw Ed25519 signature inside it: ${fmt(floorRate, 0)} commits/s   ${fmtLatency(fl)} (against raw ${fmt(floorRawRate, 0)}/s in its own pairs)`,
    );
    info(`journal append (sign+commit): ${fmt(journalRate, 0)} entries/s   ${fmtLatency(jl)}`);
    info(`per-round ratio journal/raw: ${roundRatios.map((x) => fmt(x, 2)).join(' ')} (median ${fmt(median(roundRatios), 3)})`);
    const floorRatio = floorRate / floorRawRate;
    info(
      `signing every entry as it commits can reach at most ${fmt(floorRatio, 3)}x raw here; the journal reaches ${fmt(journalRate / rawRate / floorRatio, 3)}x of that bound`,
    );

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
    // The target as restated in issue 9: against the floor, which is what this machine allows. Each
    // side is taken against the raw commits paired with it, so a change of load between the two
    // phases falls out of the ratio.
    const ofFloor = journalRate / rawRate / floorRatio;
    report({
      name: 'journal.append.floor',
      value: journalRate / rawRate,
      unit: 'x raw',
      limit: floorRatio,
      limitUnit: 'x raw',
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
