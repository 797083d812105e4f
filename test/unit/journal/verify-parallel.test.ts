import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredEntry } from '../../../src/core/journal.js';
import { generateSigningKeyPair, signBytes, type SigningKeyPair } from '../../../src/crypto/index.js';
import { advanceHead, makeEntry, verifyEntries, verifyJournalEntries, type ChainHead } from '../../../src/journal/index.js';

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

  it('pins the genesis key the same way', async () => {
    const wrong = generateSigningKeyPair().publicKey;
    expect(await verifyJournalEntries(() => entries, { genesisKey: wrong }, { threads: 2, minEntries: 0 })).toEqual(
      verifyEntries(entries, { genesisKey: wrong }),
    );
    expect((await verifyJournalEntries(() => entries, { genesisKey: wrong }, { threads: 2, minEntries: 0 })).failure?.code).toBe('BAD_KEY');
  });
});
