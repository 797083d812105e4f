import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/canonical.js';
import { JOURNAL_FORMAT, type EntryKind, type StoredEntry, type VerifyFailureCode, type VerifyReport } from '../../../src/core/journal.js';
import { b64, generateSigningKeyPair, signBytes, verifyBytes, type SigningKeyPair } from '../../../src/crypto/index.js';
import {
  advanceHead,
  entryHash,
  exportLine,
  makeEntry,
  parseExportLine,
  verifyEntries,
  type ChainHead,
  type EntryFields,
} from '../../../src/journal/index.js';
import { parseExport, verifyExport as verifyExportFile } from '../../../src/vault/journal.js';

/*
 * The tamper table of issue 3 on a small real journal: real Ed25519 keys, real key.rotate entries,
 * four epochs (0, 1 and 2 sign entries; the epoch-3 key is the one "at rest", which has signed
 * nothing). Every case runs on the in-memory entries (verifyEntries) and, where the attack exists
 * there too, on the JSON Lines export (verifyExport, as a third party pinned to the genesis key).
 *
 *   seq  kind               epoch  signed by
 *   0    journal.genesis    0      k0   (data.key = k0)
 *   1    policy.set         0      k0
 *   2    key.rotate         0      k0   (data.next = k1, data.epoch = 1)
 *   3    request.create     1      k1
 *   4    approval.accept    1      k1
 *   5    key.rotate         1      k1   (next = k2)
 *   6    credential.reveal  2      k2
 *   7    key.rotate         2      k2   (next = k3: the key at rest, never used)
 */
const PLAN: readonly EntryKind[] = [
  'journal.genesis',
  'policy.set',
  'key.rotate',
  'request.create',
  'approval.accept',
  'key.rotate',
  'credential.reveal',
  'key.rotate',
];

/**
 * The bit-flip tables verify the whole prefix once per flipped bit, so they use a shorter journal
 * with the same epochs: 0 genesis (e0), 1 key.rotate (e0), 2 credential.reveal (e1), 3 key.rotate
 * (e1), 4 key.rotate (e2; certifies the key at rest).
 */
const FLIP_PLAN: readonly EntryKind[] = ['journal.genesis', 'key.rotate', 'credential.reveal', 'key.rotate', 'key.rotate'];

interface Journal {
  readonly journal: string;
  /** keys[e] is the key of epoch e; the last one is at rest and has never signed. */
  readonly keys: readonly SigningKeyPair[];
  readonly entries: readonly StoredEntry[];
  /** heads[i] is the chain head entry i was appended at; heads[entries.length] is the next one. */
  readonly heads: readonly ChainHead[];
}

function fieldsFor(kind: EntryKind, head: ChainHead, key: SigningKeyPair, next: SigningKeyPair | null): EntryFields {
  switch (kind) {
    case 'journal.genesis':
      return { kind, actor: 'vault', subject: 'v-unit', data: { key: key.publicKey, vault: 'v-unit', name: 'unit' } };
    case 'key.rotate':
      return { kind, actor: 'vault', subject: head.journal, data: { next: next!.publicKey, epoch: head.epoch + 1 } };
    default:
      return { kind, actor: 'dave', subject: 'prod-db-root', data: { note: `entry ${head.nextSeq}` } };
  }
}

/** Builds the journal of PLAN with makeEntry/advanceHead, as the vault does. */
function buildJournal(options: { plan?: readonly EntryKind[]; timeAt?: (seq: number) => number | undefined } = {}): Journal {
  const journal = `j-${randomBytes(8).toString('hex')}`;
  const keys: SigningKeyPair[] = [generateSigningKeyPair()];
  const entries: StoredEntry[] = [];
  const heads: ChainHead[] = [];
  let head: ChainHead = { journal, nextSeq: 0, prev: '', epoch: 0 };
  for (const kind of options.plan ?? PLAN) {
    const key = keys[head.epoch]!;
    const next = kind === 'key.rotate' ? generateSigningKeyPair() : null;
    if (next) keys.push(next);
    heads.push(head);
    const entry = makeEntry(head, fieldsFor(kind, head, key, next), key, options.timeAt?.(head.nextSeq) ?? Date.now());
    entries.push(entry);
    head = advanceHead(head, entry, kind);
  }
  heads.push(head);
  return { journal, keys, entries, heads };
}

/**
 * An entry written by hand (bypassing makeEntry), for formats and fields makeEntry never writes:
 * canonical bytes, hashed as the format says, signed by `key` (or unsigned when key is null).
 */
function forge(head: ChainHead, fields: EntryFields, key: SigningKeyPair | null, override: Record<string, unknown> = {}): StoredEntry {
  const entry = {
    v: JOURNAL_FORMAT,
    journal: head.journal,
    seq: head.nextSeq,
    prev: head.prev,
    epoch: head.epoch,
    kind: fields.kind,
    time: Date.now(),
    mono: Math.floor(performance.now()),
    run: 'forged-run',
    actor: fields.actor,
    subject: fields.subject,
    data: fields.data,
    ...override,
  };
  const bytes = Buffer.from(canonicalize(entry), 'utf8');
  const hash = entryHash(bytes);
  return { seq: head.nextSeq, bytes, hash, sig: key ? signBytes(key, hash) : Buffer.alloc(0) };
}

/** The export verifier, synchronously: the same walk the vault's (parallel) verifier reproduces exactly. */
const verifyExport = (text: string, genesisKey: string): VerifyReport => verifyEntries(parseExport(text), { genesisKey });

const toExport = (entries: readonly StoredEntry[]): string => entries.map((e) => `${exportLine(e)}\n`).join('');

/** Both verifiers on the same list: the stored form and its export (each line's seq comes from its entry). */
function verifyBoth(j: Journal, entries: readonly StoredEntry[]): { stored: VerifyReport; exported: VerifyReport } {
  const genesisKey = j.keys[0]!.publicKey;
  return { stored: verifyEntries(entries, { genesisKey }), exported: verifyExport(toExport(entries), genesisKey) };
}

function expectFailure(report: VerifyReport, code: VerifyFailureCode, seq: number): void {
  expect(report.failure === null ? null : { code: report.failure.code, seq: report.failure.seq }).toEqual({ code, seq });
  expect(report.ok).toBe(false);
  // Everything before the bad entry verified, and nothing after it counts.
  expect(report.count).toBe(seq);
}

function expectBoth(j: Journal, entries: readonly StoredEntry[], code: VerifyFailureCode, seq: number): void {
  const { stored, exported } = verifyBoth(j, entries);
  expectFailure(stored, code, seq);
  expectFailure(exported, code, seq);
}

/** The same stored entry read back from a table row whose seq column says `seq`. */
const atRow = (entry: StoredEntry, seq: number): StoredEntry => ({ ...entry, seq });

const flipBit = (bytes: Uint8Array, bit: number): Buffer => {
  const out = Buffer.from(bytes);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

describe('the journal as built (the control case)', () => {
  const j = buildJournal();

  it('verifies, stored and exported, with four epochs and no flags', () => {
    for (const report of Object.values(verifyBoth(j, j.entries))) {
      expect(report).toMatchObject({ ok: true, failure: null, count: 8, headSeq: 7, epoch: 3, journal: j.journal, flags: [] });
      expect(report.genesisKey).toBe(j.keys[0]!.publicKey);
      expect(report.headHash).toBe(b64(j.entries[7]!.hash));
      // The last key.rotate certified the key at rest ...
      expect(report.epochKey).toBe(j.keys[3]!.publicKey);
    }
    // ... and that key has signed nothing: each entry verifies only under its own epoch's key.
    j.entries.forEach((e, seq) => {
      const epoch = j.heads[seq]!.epoch;
      j.keys.forEach((k, keyEpoch) => expect(verifyBytes(k.publicKey, e.hash, e.sig)).toBe(keyEpoch === epoch));
    });
  });

  it('round-trips every entry through an export line byte for byte', () => {
    j.entries.forEach((e, i) => {
      const back = parseExportLine(exportLine(e), i);
      expect(back.seq).toBe(e.seq);
      expect(Buffer.from(back.bytes).equals(Buffer.from(e.bytes))).toBe(true);
      expect(Buffer.from(back.hash).equals(Buffer.from(e.hash))).toBe(true);
      expect(Buffer.from(back.sig).equals(Buffer.from(e.sig))).toBe(true);
      // The object the line's reader hands the verifier is exactly what its bytes parse to.
      expect(back.parsed).toStrictEqual(JSON.parse(Buffer.from(e.bytes).toString('utf8')));
    });
  });

  it('hands on no parsed entry for a line that is not in the exact form', () => {
    const line = exportLine(j.entries[1]!);
    const spaced = line.replace('"entry":{', '"entry": {');
    const back = parseExportLine(spaced, 1);
    expect(back.parsed).toBeUndefined();
    expect(back.unreadable).toMatch(/exact form/);
    expectFailure(verifyEntries([j.entries[0]!, back]), 'TAMPER', 1);
  });

  it('fails an empty journal with GAP at seq 0', () => {
    expectFailure(verifyEntries([]), 'GAP', 0);
    expectFailure(verifyExport('', j.keys[0]!.publicKey), 'GAP', 0);
  });
});

describe('every single-bit flip', () => {
  const j = buildJournal({ plan: FLIP_PLAN });
  const genesisKey = j.keys[0]!.publicKey;

  it('of every byte of every stored entry: bytes and hash give TAMPER, sig gives BAD_SIGNATURE, at that seq', () => {
    // Check order (src/journal/verify.ts): the hash of the bytes is checked first, so a flip in
    // the bytes or in the stored hash is TAMPER; the bytes and hash then agree, so a flip in the
    // signature can only fail at the signature check: BAD_SIGNATURE. The failing entry is always
    // the flipped one, named by its seq.
    expect(verifyEntries(j.entries, { genesisKey })).toMatchObject({ ok: true, count: 5, epoch: 3 });
    const mismatches: string[] = [];
    let cases = 0;
    j.entries.forEach((original, seq) => {
      for (const field of ['bytes', 'hash', 'sig'] as const) {
        const expected: VerifyFailureCode = field === 'sig' ? 'BAD_SIGNATURE' : 'TAMPER';
        for (let bit = 0; bit < original[field].length * 8; bit++) {
          const list = [...j.entries];
          list[seq] = { ...original, [field]: flipBit(original[field], bit) };
          cases += 1;
          let got: string;
          try {
            const f = verifyEntries(list, { genesisKey }).failure;
            got = f ? `${f.code}@${f.seq}` : 'ok';
          } catch (err) {
            got = `threw ${(err as Error).message}`;
          }
          if (got !== `${expected}@${seq}`) mismatches.push(`seq ${seq} ${field} bit ${bit}: expected ${expected}@${seq}, got ${got}`);
        }
      }
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(cases).toBe(j.entries.reduce((n, e) => n + 8 * (e.bytes.length + e.hash.length + e.sig.length), 0));
  }, 180_000);

  it('of every byte of every export line (and its newline): TAMPER, or BAD_SIGNATURE in a sig that still parses', () => {
    // A line is  {"entry":<entry bytes>,"hash":"<b64>","sig":"<b64>"}\n  and the file is read as
    // UTF-8 (a flip that makes an invalid sequence reads as U+FFFD, as when the CLI reads the file).
    // The rule, per flipped byte:
    //  - in the signature value, when the line is still JSON: the entry and hash are intact and the
    //    signature is different or malformed -> BAD_SIGNATURE;
    //  - anywhere else, or wherever the line no longer parses as JSON (a quote, a control character,
    //    a broken escape, the newline that separates it from the next line), or is no longer in the
    //    exact form the vault writes (a member renamed, "sig" included): the entry bytes, the hash,
    //    or the line as a whole is wrong -> TAMPER.
    // The failing entry is always the flipped line's, named by its seq.
    const lines = j.entries.map((e) => Buffer.from(`${exportLine(e)}\n`, 'utf8'));
    const mismatches: string[] = [];
    let cases = 0;
    const counts = { TAMPER: 0, BAD_SIGNATURE: 0 };
    lines.forEach((line, seq) => {
      const text = line.toString('utf8');
      const sigKey = text.lastIndexOf('"sig":"');
      const sigRegion = { from: sigKey + 7, to: text.length - 4 }; // the signature's value, between its quotes
      expect(text.slice(sigRegion.from, sigRegion.to + 1)).toBe(b64(j.entries[seq]!.sig));
      const before = lines
        .slice(0, seq)
        .map((l) => l.toString('utf8'))
        .join('');
      const after = lines
        .slice(seq + 1)
        .map((l) => l.toString('utf8'))
        .join('');
      for (let bit = 0; bit < line.length * 8; bit++) {
        const flipped = flipBit(line, bit).toString('utf8');
        const pos = bit >> 3;
        const inSig = pos >= sigRegion.from && pos <= sigRegion.to;
        let stillJson = true;
        try {
          JSON.parse(flipped.endsWith('\n') ? flipped.slice(0, -1) : flipped);
        } catch {
          stillJson = false;
        }
        const expected: VerifyFailureCode = inSig && stillJson ? 'BAD_SIGNATURE' : 'TAMPER';
        counts[expected] += 1;
        cases += 1;
        let got: string;
        try {
          const f = verifyExport(before + flipped + after, genesisKey).failure;
          got = f ? `${f.code}@${f.seq}` : 'ok';
        } catch (err) {
          got = `threw ${(err as Error).message}`;
        }
        if (got !== `${expected}@${seq}`)
          mismatches.push(`line ${seq} byte ${pos} bit ${bit & 7}: expected ${expected}@${seq}, got ${got}`);
      }
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(cases).toBe(lines.reduce((n, l) => n + 8 * l.length, 0));
    // Both outcomes really occur (the rule is not vacuous).
    expect(counts.BAD_SIGNATURE).toBeGreaterThan(j.entries.length * 86 * 3);
    expect(counts.TAMPER).toBeGreaterThan(counts.BAD_SIGNATURE);
  }, 180_000);
});

describe('deleted, inserted, reordered and duplicated entries', () => {
  const j = buildJournal();
  const e = j.entries;

  it('delete entry 3: GAP at 3', () => {
    // Entry 4 comes where 3 should be: its seq is 4, the verifier expects 3. The chain check (prev)
    // would also fail, but seq is checked first.
    expectBoth(j, [...e.slice(0, 3), ...e.slice(4)], 'GAP', 3);
    // The same delete on a table whose rows were renumbered to close the hole: row 3 holds an
    // entry that says seq 4 (the row/entry seq check).
    expectFailure(verifyEntries([...e.slice(0, 3), ...e.slice(4).map((x, i) => atRow(x, 3 + i))]), 'GAP', 3);
  });

  it('insert an entry the attacker signed with a key of their own: BAD_SIGNATURE at 3', () => {
    // Built at the right place (seq 3, prev = hash of 2, epoch 1): everything checks out except the
    // signature, which is not by the epoch-1 key.
    const forged = makeEntry(
      j.heads[3]!,
      { kind: 'request.cancel', actor: 'mallory', subject: 'prod-db-root', data: {} },
      generateSigningKeyPair(),
    );
    expectBoth(j, [...e.slice(0, 3), forged, ...e.slice(3)], 'BAD_SIGNATURE', 3);
  });

  it('insert an entry signed with the right epoch key (an insider during epoch 1): GAP at 4', () => {
    // The inserted entry itself verifies; the displaced original entry 3 then sits at position 4.
    const inserted = makeEntry(j.heads[3]!, { kind: 'request.cancel', actor: 'dave', subject: 'prod-db-root', data: {} }, j.keys[1]!);
    expectBoth(j, [...e.slice(0, 3), inserted, ...e.slice(3)], 'GAP', 4);
    // Rows renumbered to make room: row 4 holds an entry that says seq 3.
    expectFailure(verifyEntries([...e.slice(0, 3), inserted, ...e.slice(3).map((x, i) => atRow(x, 4 + i))]), 'GAP', 4);
  });

  it('replace entry 3 with another entry signed by the epoch-1 key (a fork): CHAIN_BREAK at 4', () => {
    // The substitute verifies on its own; entry 4's prev is the hash of the original entry 3.
    const substitute = makeEntry(
      j.heads[3]!,
      { kind: 'request.create', actor: 'dave', subject: 'prod-db-root', data: { note: 'rewritten' } },
      j.keys[1]!,
    );
    expectBoth(j, [...e.slice(0, 3), substitute, ...e.slice(4)], 'CHAIN_BREAK', 4);
  });

  it('reorder entries 3 and 4: GAP at 3', () => {
    // Entry 4 arrives first; seq is checked before prev.
    expectBoth(j, [...e.slice(0, 3), e[4]!, e[3]!, ...e.slice(5)], 'GAP', 3);
    // As rows: the contents of rows 3 and 4 swapped, so row 3 holds an entry that says seq 4.
    expectFailure(verifyEntries([...e.slice(0, 3), atRow(e[4]!, 3), atRow(e[3]!, 4), ...e.slice(5)]), 'GAP', 3);
  });

  it('duplicate entry 3: GAP at 4', () => {
    // The copy comes where 4 should be and says seq 3.
    expectBoth(j, [...e.slice(0, 4), e[3]!, ...e.slice(4)], 'GAP', 4);
    // A copy of entry 3 appended after the last entry: GAP where entry 8 should be.
    expectBoth(j, [...e, e[3]!], 'GAP', 8);
  });
});

describe('cut and continue, re-signing, and forged entries', () => {
  const j = buildJournal();
  const e = j.entries;
  const atRest = j.keys[3]!;

  it('truncate the tail, then append with the key at rest: EPOCH_MISMATCH at 6', () => {
    // The thief cuts entries 6 and 7 (a reveal and the key.rotate that certified k3) and holds only
    // k3: k2, which signed them, was erased when k3 was certified. The cut journal alone verifies,
    // but it ends in epoch 2 with k2 as its key, while the keychain holds k3 (the vault reports
    // that as EPOCH_MISMATCH: test/integration/journal/tamper.test.ts).
    const cut = e.slice(0, 6);
    for (const report of Object.values(verifyBoth(j, cut))) {
      expect(report).toMatchObject({ ok: true, count: 6, epoch: 2, epochKey: j.keys[2]!.publicKey });
      expect(report.epochKey).not.toBe(atRest.publicKey);
    }
    // The key at rest has never signed: no entry of the journal verifies under it.
    for (const entry of e) expect(verifyBytes(atRest.publicKey, entry.hash, entry.sig)).toBe(false);
    // Continuing honestly with k3 means epoch 3, which the chain has not reached at seq 6.
    const continued = makeEntry(
      { ...j.heads[6]!, epoch: 3 },
      { kind: 'credential.reseal', actor: 'vault', subject: 'prod-db-root', data: {} },
      atRest,
    );
    expectBoth(j, [...cut, continued], 'EPOCH_MISMATCH', 6);
    // Claiming epoch 2 instead does not help: k3 is not the epoch-2 key.
    const disguised = makeEntry(j.heads[6]!, { kind: 'credential.reseal', actor: 'vault', subject: 'prod-db-root', data: {} }, atRest);
    expectBoth(j, [...cut, disguised], 'BAD_SIGNATURE', 6);
    // Cutting just the last key.rotate and continuing in epoch 3: the same, at 7.
    const afterRotate = makeEntry(
      { ...j.heads[7]!, epoch: 3 },
      { kind: 'credential.reseal', actor: 'vault', subject: 'prod-db-root', data: {} },
      atRest,
    );
    expectBoth(j, [...e.slice(0, 7), afterRotate], 'EPOCH_MISMATCH', 7);
  });

  it('appending with the key at rest after the full journal verifies (that is what the vault itself does)', () => {
    const appended = makeEntry(j.heads[8]!, { kind: 'credential.reseal', actor: 'vault', subject: 'prod-db-root', data: {} }, atRest);
    for (const report of Object.values(verifyBoth(j, [...e, appended]))) expect(report).toMatchObject({ ok: true, count: 9, epoch: 3 });
  });

  it('re-sign an old entry with a newer epoch key: BAD_SIGNATURE at its seq', () => {
    // Rewrite entry 1 (epoch 0) and sign it with k2, as someone who had the laptop during epoch 2.
    const rewritten = makeEntry(
      j.heads[1]!,
      { kind: 'policy.set', actor: 'dave', subject: 'prod-db-root', data: { note: 'nothing to see' } },
      j.keys[2]!,
    );
    expectBoth(j, [e[0]!, rewritten, ...e.slice(2)], 'BAD_SIGNATURE', 1);
    // The original bytes, re-signed with the key at rest: still not the epoch-0 key.
    expectBoth(j, [e[0]!, { ...e[1]!, sig: signBytes(atRest, e[1]!.hash) }, ...e.slice(2)], 'BAD_SIGNATURE', 1);
    // Entry 3 (epoch 1) re-signed with k2, the key of the very next epoch.
    expectBoth(j, [...e.slice(0, 3), { ...e[3]!, sig: signBytes(j.keys[2]!, e[3]!.hash) }, ...e.slice(4)], 'BAD_SIGNATURE', 3);
  });

  it('an unsigned entry: BAD_SIGNATURE at its seq', () => {
    expectBoth(j, [...e.slice(0, 4), { ...e[4]!, sig: Buffer.alloc(0) }, ...e.slice(5)], 'BAD_SIGNATURE', 4);
    expectBoth(j, [...e.slice(0, 4), { ...e[4]!, sig: Buffer.alloc(64) }, ...e.slice(5)], 'BAD_SIGNATURE', 4);
    // Unsigned genesis: the genesis checks pass, the signature does not.
    expectBoth(j, [{ ...e[0]!, sig: Buffer.alloc(0) }, ...e.slice(1)], 'BAD_SIGNATURE', 0);
  });

  it('an older-format entry (v 0), properly hashed and signed: DOWNGRADE at its seq', () => {
    const fields = { kind: 'approval.accept' as const, actor: 'alice', subject: 'prod-db-root', data: { note: 'entry 4' } };
    const old = forge(j.heads[4]!, fields, j.keys[1]!, { v: 0 });
    expectBoth(j, [...e.slice(0, 4), old, ...e.slice(5)], 'DOWNGRADE', 4);
    // An older format with another shape (no run/mono, say) is still a downgrade, not mere TAMPER.
    const { run: _run, mono: _mono, ...olderShape } = JSON.parse(Buffer.from(old.bytes).toString('utf8')) as Record<string, unknown>;
    const bytes = Buffer.from(canonicalize(olderShape), 'utf8');
    const hash = entryHash(bytes);
    expectBoth(j, [...e.slice(0, 4), { seq: 4, bytes, hash, sig: signBytes(j.keys[1]!, hash) }, ...e.slice(5)], 'DOWNGRADE', 4);
    // A newer format than the verifier knows is refused as TAMPER (the format document, step 3).
    expectBoth(j, [...e.slice(0, 4), forge(j.heads[4]!, fields, j.keys[1]!, { v: JOURNAL_FORMAT + 1 }), ...e.slice(5)], 'TAMPER', 4);
  });

  it('a properly signed entry that is not canonical JSON, or not an entry: TAMPER', () => {
    const head = j.heads[4]!;
    const text = canonicalize({
      v: 1,
      journal: head.journal,
      seq: 4,
      prev: head.prev,
      epoch: 1,
      kind: 'approval.accept',
      time: Date.now(),
      mono: 1,
      run: 'r',
      actor: 'a',
      subject: 's',
      data: {},
    });
    for (const bad of [
      text.replace('{', '{ '),
      text.replace('"approval.accept"', '"approval.invent"'),
      text.replace('"data":{}', '"data":[]'),
    ]) {
      const bytes = Buffer.from(bad, 'utf8');
      const hash = entryHash(bytes);
      expectFailure(verifyEntries([...e.slice(0, 4), { seq: 4, bytes, hash, sig: signBytes(j.keys[1]!, hash) }]), 'TAMPER', 4);
    }
  });

  it('an entry from another journal: CHAIN_BREAK at its seq', () => {
    const other = buildJournal();
    // Same seq, same position, its own valid hash and signature; another journal id.
    expectBoth(j, [...e.slice(0, 3), other.entries[3]!, ...e.slice(4)], 'CHAIN_BREAK', 3);
    // Its whole tail grafted on: the first foreign entry breaks the chain.
    expectBoth(j, [...e.slice(0, 5), ...other.entries.slice(5)], 'CHAIN_BREAK', 5);
    // A foreign entry that claims this journal's id (signed by the foreign epoch key): the id
    // matches, the prev does not.
    const claimed = forge(
      { ...other.heads[3]!, journal: j.journal },
      { kind: 'request.create', actor: 'dave', subject: 'prod-db-root', data: {} },
      other.keys[1]!,
    );
    expectBoth(j, [...e.slice(0, 3), claimed, ...e.slice(4)], 'CHAIN_BREAK', 3);
    // A verifier pinned to this journal id rejects a foreign journal at its first entry.
    expectFailure(verifyEntries(other.entries, { journal: j.journal }), 'CHAIN_BREAK', 0);
  });

  it('wrong genesis key pinned: BAD_KEY at 0', () => {
    const wrong = generateSigningKeyPair().publicKey;
    expectFailure(verifyEntries(e, { genesisKey: wrong }), 'BAD_KEY', 0);
    expectFailure(verifyExport(toExport(e), wrong), 'BAD_KEY', 0);
    // Another journal, complete and valid, offered under this journal's genesis key.
    expectFailure(verifyExport(toExport(buildJournal().entries), j.keys[0]!.publicKey), 'BAD_KEY', 0);
  });

  it('a genesis entry with a malformed key, or a second genesis entry: BAD_KEY', () => {
    const genesis = (key: unknown): StoredEntry =>
      forge(j.heads[0]!, { kind: 'journal.genesis', actor: 'vault', subject: 'v-unit', data: { key } }, j.keys[0]!);
    expectFailure(verifyEntries([genesis('not-a-key'), ...e.slice(1)]), 'BAD_KEY', 0);
    expectFailure(verifyEntries([genesis(b64(randomBytes(31))), ...e.slice(1)]), 'BAD_KEY', 0);
    expectFailure(verifyEntries([genesis(null)]), 'BAD_KEY', 0);
    const second = forge(
      j.heads[4]!,
      { kind: 'journal.genesis', actor: 'vault', subject: 'v-unit', data: { key: j.keys[1]!.publicKey } },
      j.keys[1]!,
    );
    expectBoth(j, [...e.slice(0, 4), second, ...e.slice(5)], 'BAD_KEY', 4);
    // The first entry must be the genesis entry.
    const notGenesis = forge(
      j.heads[0]!,
      { kind: 'policy.set', actor: 'vault', subject: 'policy', data: { key: j.keys[0]!.publicKey } },
      j.keys[0]!,
    );
    expectFailure(verifyEntries([notGenesis, ...e.slice(1)]), 'BAD_KEY', 0);
  });

  it('key.rotate certifying a malformed key (or the wrong next epoch): BAD_KEY at its seq', () => {
    // Properly signed by the epoch-1 key, so the signature check passes and the key check fails.
    const rotate = (data: Record<string, unknown>): StoredEntry =>
      makeEntry(j.heads[5]!, { kind: 'key.rotate', actor: 'vault', subject: j.journal, data }, j.keys[1]!);
    const cases: Record<string, unknown>[] = [
      { next: 'not-a-key', epoch: 2 },
      { next: b64(randomBytes(31)), epoch: 2 },
      { next: b64(randomBytes(33)), epoch: 2 },
      { next: `${j.keys[2]!.publicKey}=`, epoch: 2 },
      { next: 42, epoch: 2 },
      { epoch: 2 },
      { next: j.keys[2]!.publicKey, epoch: 3 },
      { next: j.keys[2]!.publicKey, epoch: 1 },
      { next: j.keys[2]!.publicKey },
    ];
    for (const data of cases) expectBoth(j, [...e.slice(0, 5), rotate(data)], 'BAD_KEY', 5);
    // The control: a well-formed rotate at the same place verifies.
    expect(verifyEntries([...e.slice(0, 5), rotate({ next: j.keys[2]!.publicKey, epoch: 2 })]).ok).toBe(true);
  });
});

describe('clocks', () => {
  it('a wall clock set back verifies, with a CLOCK_ANOMALY flag at the first entry written after it', () => {
    // From seq 4 on, the clock reads a minute earlier (and stays there).
    const j = buildJournal({ timeAt: (seq) => (seq >= 4 ? Date.now() - 60_000 : undefined) });
    for (const report of Object.values(verifyBoth(j, j.entries))) {
      expect(report).toMatchObject({ ok: true, failure: null, count: 8 });
      expect(report.flags.map((f) => ({ seq: f.seq, code: f.code }))).toEqual([{ seq: 4, code: 'CLOCK_ANOMALY' }]);
    }
  });

  it('a wall clock that jumps ahead within one run is flagged against the monotonic clock', () => {
    const j = buildJournal({ timeAt: (seq) => (seq >= 6 ? Date.now() + 60_000 : undefined) });
    const report = verifyEntries(j.entries);
    expect(report.ok).toBe(true);
    expect(report.flags.map((f) => ({ seq: f.seq, code: f.code }))).toEqual([{ seq: 6, code: 'CLOCK_ANOMALY' }]);
  });

  it('a tampered entry after a clock anomaly still fails (the flag is not a failure, nor an excuse)', () => {
    const j = buildJournal({ timeAt: (seq) => (seq >= 4 ? Date.now() - 60_000 : undefined) });
    const list = [...j.entries];
    list[6] = { ...list[6]!, sig: flipBit(list[6]!.sig, 5) };
    const report = verifyEntries(list);
    expectFailure(report, 'BAD_SIGNATURE', 6);
    expect(report.flags.map((f) => f.seq)).toEqual([4]);
  });
});

describe('export lines: only the exact form the vault writes', () => {
  const j = buildJournal();
  const genesisKey = j.keys[0]!.publicKey;
  const lines = j.entries.map((e) => exportLine(e));
  const withLine = (k: number, line: string): string => lines.map((l, i) => `${i === k ? line : l}\n`).join('');
  const k = 4;
  const entryText = Buffer.from(j.entries[k]!.bytes).toString('utf8');
  const hash = b64(j.entries[k]!.hash);
  const sig = b64(j.entries[k]!.sig);

  it('a line that parses to the same entry, hash and signature, written any other way: TAMPER at its seq', () => {
    const variants: Record<string, string> = {
      'a space after a colon': lines[k]!.replace('"entry":', '"entry": '),
      'members reordered': `{"hash":"${hash}","entry":${entryText},"sig":"${sig}"}`,
      'an extra member': `{"entry":${entryText},"hash":"${hash}","note":"ok","sig":"${sig}"}`,
      'a duplicate kind in the entry, the real one last (JSON.parse keeps the last)': lines[k]!.replace(
        '"journal":',
        '"kind":"credential.reveal","journal":',
      ),
      'a duplicate member of the line': `{"entry":${entryText},"hash":"${hash}","sig":"${sig}","sig":"${sig}"}`,
      'an escaped letter in a string': lines[k]!.replace('"actor":"dave"', '"actor":"d\\u0061ve"'),
      'the entry not canonical (keys out of order)': lines[k]!.replace(entryText, `{"v":1,${entryText.slice(1).replace(',"v":1', '')}`),
    };
    for (const [name, line] of Object.entries(variants)) {
      expect({ name, same: line === lines[k] }).toEqual({ name, same: false });
      // Each still parses to exactly the original record: only its form differs.
      const record = JSON.parse(line) as { entry: unknown; hash: string; sig: string };
      expect({ name, entry: canonicalize(record.entry), hash: record.hash, sig: record.sig }).toEqual({
        name,
        entry: entryText,
        hash,
        sig,
      });
      const report = verifyExport(withLine(k, line), genesisKey);
      expect({ name, failure: report.failure && `${report.failure.code}@${report.failure.seq}` }).toEqual({ name, failure: `TAMPER@${k}` });
    }
    expect(verifyExport(withLine(k, lines[k]!), genesisKey).ok).toBe(true);
  });

  it('a CR before each LF is a line ending (a file that went through a Windows tool still verifies)', () => {
    const crlf = lines.map((l) => `${l}\r\n`).join('');
    expect(verifyExport(crlf, genesisKey)).toMatchObject({ ok: true, count: j.entries.length });
    // Anything else at the end of a line is part of it.
    expectFailure(verifyExport(withLine(k, `${lines[k]!} `), genesisKey), 'TAMPER', k);
    expectFailure(verifyExport(withLine(k, `${lines[k]!}\r\r`), genesisKey), 'TAMPER', k);
  });

  it('a properly signed entry with a field version 1 does not have: TAMPER at its seq, stored and exported', () => {
    const e = j.entries;
    const head = j.heads[4]!;
    const fields = fieldsFor('approval.accept', head, j.keys[1]!, null);
    for (const extra of [{ note: 'unchecked' }, { sig: 'x' }, { z: null }]) {
      expectBoth(j, [...e.slice(0, 4), forge(head, fields, j.keys[1]!, extra), ...e.slice(5)], 'TAMPER', 4);
    }
    // The same entry without the extra field verifies in place of the original's position.
    expect(verifyEntries([...e.slice(0, 4), forge(head, fields, j.keys[1]!)]).ok).toBe(true);
  });
});

describe('export bytes: strict UTF-8', () => {
  it('an invalid byte where the signed entry had U+FFFD: TAMPER at that line, though a lenient reader sees the same text', () => {
    const key = generateSigningKeyPair();
    const journal = `j-${randomBytes(8).toString('hex')}`;
    let head: ChainHead = { journal, nextSeq: 0, prev: '', epoch: 0 };
    const entries: StoredEntry[] = [];
    const fields: EntryFields[] = [
      { kind: 'journal.genesis', actor: 'vault', subject: 'v-utf8', data: { key: key.publicKey, vault: 'v-utf8', name: 'utf8' } },
      { kind: 'request.create', actor: 'dave', subject: 'prod-db-root', data: { reason: 'replacement \uFFFD character' } },
    ];
    for (const f of fields) {
      const entry = makeEntry(head, f, key);
      entries.push(entry);
      head = advanceHead(head, entry, f.kind);
    }
    const bytes = Buffer.from(toExport(entries), 'utf8');
    expect(verifyEntries(parseExport(bytes), { genesisKey: key.publicKey })).toMatchObject({ ok: true, count: 2 });
    const at = bytes.indexOf(Buffer.from('\uFFFD', 'utf8'));
    expect(at).toBeGreaterThan(0);
    const invalid = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]);
    // Decoded leniently, the invalid byte reads as U+FFFD: the very text that was signed.
    expect(invalid.toString('utf8')).toBe(bytes.toString('utf8'));
    expectFailure(verifyEntries(parseExport(invalid), { genesisKey: key.publicKey }), 'TAMPER', 1);
  });
});

describe('weak keys: the identity point would let anyone sign', () => {
  // R = identity, S = 0 verifies under the identity key for every message (OpenSSL does not check).
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  const forgedSig = Buffer.concat([identity, Buffer.alloc(32)]);
  const identityKey = b64(identity);

  it('a journal started from the identity point, every signature forged: BAD_KEY at seq 0, stored and exported', () => {
    const journal = `j-${randomBytes(8).toString('hex')}`;
    let head: ChainHead = { journal, nextSeq: 0, prev: '', epoch: 0 };
    const entries: StoredEntry[] = [];
    for (const kind of ['journal.genesis', 'policy.set', 'credential.reveal'] as const) {
      const fields: EntryFields =
        kind === 'journal.genesis'
          ? { kind, actor: 'vault', subject: 'v-unit', data: { key: identityKey, vault: 'v-unit', name: 'unit' } }
          : { kind, actor: 'mallory', subject: 'prod-db-root', data: { note: 'forged' } };
      const entry = { ...forge(head, fields, null), sig: forgedSig };
      entries.push(entry);
      head = advanceHead(head, entry, kind);
    }
    expectFailure(verifyEntries(entries, {}), 'BAD_KEY', 0);
    expectFailure(verifyExport(toExport(entries), identityKey), 'BAD_KEY', 0);
  });

  it('a key.rotate that certifies a small-order key: BAD_KEY at that entry', () => {
    const j = buildJournal({ plan: ['journal.genesis', 'policy.set'] });
    const head = j.heads[2]!;
    const rotate = forge(
      head,
      { kind: 'key.rotate', actor: 'vault', subject: j.journal, data: { next: identityKey, epoch: 1 } },
      j.keys[0]!,
    );
    const after = advanceHead(head, rotate, 'key.rotate');
    const forged = {
      ...forge(after, { kind: 'credential.reveal', actor: 'mallory', subject: 'prod-db-root', data: {} }, null),
      sig: forgedSig,
    };
    expectBoth(j, [...j.entries, rotate, forged], 'BAD_KEY', 2);
  });
});

describe('an export, read as the document settles it (docs/journal-format.md)', () => {
  const j = buildJournal();
  const genesis = j.keys[0]!.publicKey;
  const text = toExport(j.entries);
  const lines = text.split('\n').filter((l) => l !== '');
  const failureOf = async (input: string | Uint8Array | (() => Iterable<Uint8Array>)): Promise<unknown> => {
    const r = await verifyExportFile(input, genesis);
    return r.ok ? { ok: true, count: r.count } : { code: r.failure!.code, seq: r.failure!.seq, message: r.failure!.message };
  };

  it('a genuine export verifies: with LF, CRLF, and no LF after the last line', async () => {
    expect(await failureOf(text)).toEqual({ ok: true, count: 8 });
    expect(await failureOf(lines.join('\r\n') + '\r\n')).toEqual({ ok: true, count: 8 });
    expect(await failureOf(lines.join('\n'))).toEqual({ ok: true, count: 8 });
  });

  it('a CR at the very end with no LF after it is part of the last line: TAMPER there, saying why', async () => {
    expect(await failureOf(lines.join('\n') + '\r')).toEqual({
      code: 'TAMPER',
      seq: 7,
      message: 'the line is not in the exact form the vault writes',
    });
  });

  it('a byte-order mark is part of the first line, never stripped; a blank line is TAMPER at its position', async () => {
    expect(await failureOf('\uFEFF' + text)).toEqual({ code: 'TAMPER', seq: 0, message: 'the line is not JSON' });
    const blank = [...lines.slice(0, 3), '', ...lines.slice(3)].join('\n');
    expect(await failureOf(blank)).toEqual({ code: 'TAMPER', seq: 3, message: 'a blank line' });
  });

  it('an export that ends inside a transaction (its last entry is not a key.rotate): GAP after its last entry', async () => {
    expect(await failureOf(lines.slice(0, 4).join('\n'))).toEqual({
      code: 'GAP',
      seq: 4,
      message:
        'the export ends inside a transaction (its last entry, seq 3, is not the key.rotate that closes every transaction): entries were cut from its end',
    });
    // Cut at a transaction boundary, it verifies: only a receipt or the holders' journals show the cut.
    expect(await failureOf(lines.slice(0, 6).join('\n'))).toEqual({ ok: true, count: 6 });
  });

  it('a non-string sig is an empty signature (BAD_SIGNATURE, check 10); a non-string hash fails check 1 (TAMPER)', async () => {
    const record = JSON.parse(lines[1]!) as { entry: unknown; hash: string; sig: string };
    const entry = canonicalize(record.entry);
    for (const sig of ['5', 'null', '{}', '[]', 'true']) {
      const line = `{"entry":${entry},"hash":"${record.hash}","sig":${sig}}`;
      expect(await failureOf([lines[0], line, ...lines.slice(2)].join('\n'))).toMatchObject({ code: 'BAD_SIGNATURE', seq: 1 });
    }
    const line = `{"entry":${entry},"hash":5,"sig":"${record.sig}"}`;
    expect(await failureOf([lines[0], line, ...lines.slice(2)].join('\n'))).toMatchObject({ code: 'TAMPER', seq: 1 });
  });

  it('read line by line and stopped at the first failure: 64 MiB of junk after a bad first line costs one line', async () => {
    let chunksRead = 0;
    const junk = Buffer.alloc(1024 * 1024, 0x41);
    const source = function* (): Generator<Uint8Array> {
      yield Buffer.from('not an entry\n');
      for (let i = 0; i < 64; i++) {
        chunksRead += 1;
        yield junk;
      }
    };
    expect(await failureOf(source)).toEqual({ code: 'TAMPER', seq: 0, message: 'the line is not JSON' });
    // The walk stopped at line 0: at most the chunk holding the start of line 1 was read.
    expect(chunksRead).toBeLessThanOrEqual(1);
  });

  it('a line longer than 1 MiB is TAMPER at its position, without holding it', async () => {
    const source = function* (): Generator<Uint8Array> {
      yield Buffer.from(lines[0] + '\n');
      for (let i = 0; i < 3; i++) yield Buffer.alloc(512 * 1024, 0x41);
      yield Buffer.from('\n' + lines.slice(2).join('\n'));
    };
    expect(await failureOf(source)).toEqual({ code: 'TAMPER', seq: 1, message: 'the line is longer than 1 MiB' });
  });

  it('the 1 MiB limit is on the line, not its ending: exactly 1 MiB before a CR LF is read (and fails as not JSON)', async () => {
    const line = 'A'.repeat(1024 * 1024);
    for (const ending of ['\n', '\r\n']) {
      expect(await failureOf(`${lines[0]}${ending}${line}${ending}`)).toEqual({ code: 'TAMPER', seq: 1, message: 'the line is not JSON' });
      expect(await failureOf(`${lines[0]}${ending}${line}A${ending}`)).toEqual({
        code: 'TAMPER',
        seq: 1,
        message: 'the line is longer than 1 MiB',
      });
    }
  });

  it('check 3 names the real cause: v below 1 is DOWNGRADE whatever else is missing; a missing field is named', async () => {
    const head = j.heads[1]!;
    const fields: EntryFields = { kind: 'policy.set', actor: 'vault', subject: 'x', data: {} };
    const withEntry = async (entry: StoredEntry): Promise<unknown> =>
      await failureOf(
        [lines[0], `{"entry":${Buffer.from(entry.bytes).toString('utf8')},"hash":"${b64(entry.hash)}","sig":"${b64(entry.sig)}"}`].join(
          '\n',
        ),
      );
    const old = forge(head, fields, j.keys[0]!, { v: 0, data: undefined, run: undefined });
    expect(await withEntry(old)).toMatchObject({ code: 'DOWNGRADE', seq: 1, message: 'entry has format 0, older than 1' });
    const noRun = forge(head, fields, j.keys[0]!, { run: undefined });
    expect(await withEntry(noRun)).toMatchObject({ code: 'TAMPER', seq: 1, message: 'entry field run is missing or not a string' });
    const newer = forge(head, fields, j.keys[0]!, { v: 2, extra: 1 });
    expect(await withEntry(newer)).toMatchObject({ code: 'TAMPER', seq: 1, message: 'entry format 2 is newer than this verifier' });
    const extra = forge(head, fields, j.keys[0]!, { extra: 1 });
    expect(await withEntry(extra)).toMatchObject({
      code: 'TAMPER',
      seq: 1,
      message: 'entry has a field that a version-1 entry does not have',
    });
  });
});
