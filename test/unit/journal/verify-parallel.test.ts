import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredEntry } from '../../../src/core/journal.js';
import { generateSigningKeyPair, signBytes, type SigningKeyPair } from '../../../src/crypto/index.js';
import {
  advanceHead,
  entryHash,
  makeEntry,
  parseEntry,
  verifyEntries,
  verifyJournalEntries,
  type ChainHead,
} from '../../../src/journal/index.js';

// The parallel verifier must give exactly the sequential report (code, seq, head, flags) on every
// journal, good or bad: it checks signatures on worker threads, then re-walks up to any failure.

function buildJournal(length: number): { entries: StoredEntry[]; keys: SigningKeyPair[] } {
  const keys = [generateSigningKeyPair()];
  const entries: StoredEntry[] = [];
  let head: ChainHead = { journal: `j-${randomBytes(8).toString('hex')}`, nextSeq: 0, prev: '', epoch: 0 };
  for (let i = 0; i < length; i++) {
    const key = keys[head.epoch]!;
    let entry: StoredEntry;
    let kind: 'journal.genesis' | 'key.rotate' | 'policy.set';
    if (i === 0) {
      kind = 'journal.genesis';
      entry = makeEntry(head, { kind, actor: 'vault', subject: 'v', data: { key: key.publicKey } }, key);
    } else if (i % 3 === 0) {
      kind = 'key.rotate';
      const next = generateSigningKeyPair();
      keys.push(next);
      entry = makeEntry(head, { kind, actor: 'vault', subject: head.journal, data: { next: next.publicKey, epoch: head.epoch + 1 } }, key);
    } else {
      kind = 'policy.set';
      entry = makeEntry(head, { kind, actor: 'vault', subject: 'policy', data: { n: i } }, key);
    }
    entries.push(entry);
    head = advanceHead(head, entry, kind);
  }
  return { entries, keys };
}

const flip = (bytes: Uint8Array, at: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at % copy.length]! ^= 0x10;
  return copy;
};

describe('verifyJournalEntries (signatures on worker threads)', () => {
  const { entries, keys } = buildJournal(90);
  const cases: [string, StoredEntry[]][] = [
    ['an intact journal', entries],
    ['a flipped signature early', entries.map((e, i) => (i === 7 ? { ...e, sig: flip(e.sig, 3) } : e))],
    ['a flipped signature in the last chunk', entries.map((e, i) => (i === 88 ? { ...e, sig: flip(e.sig, 60) } : e))],
    ['two bad signatures: the first one is named', entries.map((e, i) => (i === 70 || i === 20 ? { ...e, sig: flip(e.sig, 1) } : e))],
    ['a short signature', entries.map((e, i) => (i === 40 ? { ...e, sig: e.sig.subarray(0, 10) } : e))],
    ['flipped bytes', entries.map((e, i) => (i === 33 ? { ...e, bytes: flip(e.bytes, 50) } : e))],
    [
      'a bad signature after a structural failure: the structural one is first',
      entries.map((e, i) => (i === 50 ? { ...e, sig: flip(e.sig, 1) } : i === 30 ? { ...e, hash: flip(e.hash, 0) } : e)),
    ],
    [
      'a bad signature before a structural failure',
      entries.map((e, i) => (i === 10 ? { ...e, sig: flip(e.sig, 1) } : i === 30 ? { ...e, hash: flip(e.hash, 0) } : e)),
    ],
    ['a deleted entry', entries.filter((_, i) => i !== 45)],
    [
      'the tail cut and re-signed with a later key',
      [...entries.slice(0, 60), { ...entries[60]!, sig: signBytes(keys[keys.length - 1]!, entries[60]!.hash) }],
    ],
  ];

  it.each(cases)('%s: same report as the sequential walk', async (_name, list) => {
    const sequential = verifyEntries(list);
    for (const threads of [2, 3]) {
      expect(await verifyJournalEntries(() => list, {}, { threads, minEntries: 0 })).toEqual(sequential);
    }
  });

  // A vault reads its evidence from the entries the verifier parsed: every entry that passed, in order,
  // each exactly as its bytes say, and never the entry that failed or anything after it.
  it.each([
    ['an intact journal', entries, 90],
    ['flipped bytes at 33', entries.map((e, i) => (i === 33 ? { ...e, bytes: flip(e.bytes, 50) } : e)), 33],
    ['a deleted entry at 45', entries.filter((_, i) => i !== 45), 45],
  ] as const)('observe on %s: the entries before the first failure, parsed, in order', async (_name, list, passed) => {
    for (const threads of [1, 2]) {
      const seen: [number, unknown][] = [];
      await verifyJournalEntries(() => list, {}, { threads, minEntries: 0, observe: (entry, stored) => seen.push([stored.seq, entry]) });
      expect(seen.map(([seq]) => seq)).toEqual(list.slice(0, passed).map((e) => e.seq));
      expect(seen.map(([, entry]) => entry)).toEqual(list.slice(0, passed).map((e) => parseEntry(e.bytes)));
    }
  });

  it('pins the genesis key the same way', async () => {
    const wrong = generateSigningKeyPair().publicKey;
    expect(await verifyJournalEntries(() => entries, { genesisKey: wrong }, { threads: 2, minEntries: 0 })).toEqual(
      verifyEntries(entries, { genesisKey: wrong }),
    );
    expect((await verifyJournalEntries(() => entries, { genesisKey: wrong }, { threads: 2, minEntries: 0 })).failure?.code).toBe('BAD_KEY');
  });
});

// A vault re-checks, at open, the hash chain of every entry but the signatures only after the head it
// verified last time (kept with its keychain). Whatever that skips must not change a verdict on the
// entries' content: a change before the head breaks the chain to it, and is then named exactly as a
// full verification names it.
describe('verifyJournalEntries from a head verified before', () => {
  const { entries, keys } = buildJournal(90);
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
  const at = (seq: number) => ({ seq, hash: b64(entries[seq]!.hash) });
  const rehashed = (e: StoredEntry, edit: (text: string) => string): StoredEntry => {
    const bytes = Buffer.from(edit(Buffer.from(e.bytes).toString('utf8')), 'utf8');
    return { ...e, bytes, hash: entryHash(bytes) };
  };
  const modes = [
    { threads: 1, minEntries: 0 },
    { threads: 2, minEntries: 0 },
  ];

  it('an intact journal: the same report as a full verification, from any head', async () => {
    const full = verifyEntries(entries);
    for (const seq of [0, 1, 44, 88, 89]) {
      for (const mode of modes) expect(await verifyJournalEntries(() => entries, { verified: at(seq) }, mode)).toEqual(full);
    }
  });

  it('checks only the signatures after the head: a signature broken before it is left to `journal verify`', async () => {
    const broken = entries.map((e, i) => (i === 20 ? { ...e, sig: flip(e.sig, 3) } : e));
    expect(verifyEntries(broken).failure).toMatchObject({ seq: 20, code: 'BAD_SIGNATURE' });
    for (const mode of modes) {
      expect(await verifyJournalEntries(() => broken, { verified: at(50) }, mode)).toEqual(verifyEntries(entries));
      expect((await verifyJournalEntries(() => broken, { verified: at(10) }, mode)).failure).toMatchObject({
        seq: 20,
        code: 'BAD_SIGNATURE',
      });
    }
  });

  it('an entry before the head rewritten, its hash and every later hash and prev recomputed: named as a full verification names it', async () => {
    // The forger rebuilds the chain from seq 31 on; only signatures (unchecked before the head) and
    // the head's own hash can tell.
    const forged: StoredEntry[] = entries.slice(0, 31);
    for (let i = 31; i < entries.length; i++) {
      const prev = i === 31 ? null : b64(forged[i - 1]!.hash);
      forged.push(
        rehashed(entries[i]!, (t) => {
          const edited = i === 31 ? t.replace('"n":31', '"n":32') : t;
          return prev === null ? edited : edited.replace(/"prev":"[^"]*"/, `"prev":"${prev}"`);
        }),
      );
    }
    expect(Buffer.from(forged[31]!.bytes).toString()).toContain('"n":32');
    const full = verifyEntries(forged);
    expect(full.failure).toMatchObject({ seq: 31, code: 'BAD_SIGNATURE' });
    for (const mode of modes) expect(await verifyJournalEntries(() => forged, { verified: at(60) }, mode)).toEqual(full);
  });

  it('bytes changed before the head, hash kept: TAMPER at that seq', async () => {
    const tampered = entries.map((e, i) => (i === 12 ? { ...e, bytes: flip(e.bytes, 40) } : e));
    for (const mode of modes)
      expect(await verifyJournalEntries(() => tampered, { verified: at(80) }, mode)).toEqual(verifyEntries(tampered));
    expect(verifyEntries(tampered).failure).toMatchObject({ seq: 12, code: 'TAMPER' });
  });

  it('a journal shorter than the head, though it verifies on its own: EPOCH_MISMATCH after its end (a cut tail)', async () => {
    const cut = entries.slice(0, 70);
    expect(verifyEntries(cut).ok).toBe(true);
    for (const mode of modes) {
      const r = await verifyJournalEntries(() => cut, { verified: at(80) }, mode);
      expect(r.failure).toEqual({
        seq: 70,
        code: 'EPOCH_MISMATCH',
        message:
          'the journal ends at seq 69, but this vault verified it up to seq 80: entries were cut from its end, or an older copy of the vault was put back',
      });
      expect(r.count).toBe(70);
    }
  });

  it('a different entry at the head, though the journal verifies on its own: TAMPER at the head', async () => {
    // A journal that verifies in full and still is not the one verified before: the tail re-signed
    // by a key of the journal (as after a restore, or by whoever holds an old key).
    const other = [...entries.slice(0, 60), { ...entries[60]!, sig: signBytes(keys[keys.length - 1]!, entries[60]!.hash) }];
    const wrongHead = { seq: 59, hash: b64(entries[58]!.hash) };
    expect(verifyEntries(other.slice(0, 60)).ok).toBe(true);
    for (const mode of modes) {
      const r = await verifyJournalEntries(() => other.slice(0, 60), { verified: wrongHead }, mode);
      expect(r.failure).toEqual({
        seq: 59,
        code: 'TAMPER',
        message: 'entry is not the one this vault verified at seq 59 (the head kept with its keychain)',
      });
      expect(r.count).toBe(59);
    }
  });

  it('a bad signature after the head: BAD_SIGNATURE at its seq, as in full', async () => {
    const broken = entries.map((e, i) => (i === 75 ? { ...e, sig: flip(e.sig, 9) } : e));
    for (const mode of modes) expect(await verifyJournalEntries(() => broken, { verified: at(40) }, mode)).toEqual(verifyEntries(broken));
  });
});
