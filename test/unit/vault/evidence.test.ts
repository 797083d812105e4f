import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BreakGlassError } from '../../../src/core/errors.js';
import { generateSigningKeyPair } from '../../../src/crypto/index.js';
import { advanceHead, makeEntry, parseEntry, type ChainHead, type EntryFields } from '../../../src/journal/index.js';
import { Evidence } from '../../../src/vault/evidence.js';

// Evidence is read from the verified journal. An entry it cannot read makes every decision it gates
// INTEGRITY_FAILURE, whatever comes after it (a readable policy.set here); it must not answer from
// the entries before it either.
describe('Evidence', () => {
  const key = generateSigningKeyPair();
  const journal = (fields: EntryFields[]) => {
    let head: ChainHead = { journal: `j-${randomBytes(8).toString('hex')}`, nextSeq: 0, prev: '', epoch: 0 };
    return fields.map((f) => {
      const entry = makeEntry(head, f, key);
      head = advanceHead(head, entry, f.kind);
      return entry;
    });
  };
  const genesis: EntryFields = {
    kind: 'journal.genesis',
    actor: 'vault',
    subject: 'v-1',
    data: { key: key.publicKey, vault: 'v-1', name: 'lab' },
  };

  // It skipped key.rotate entries by searching their bytes for the kind, so a policy whose text held
  // '"kind":"key.rotate"' was never recorded, and the session that set it saw "edited by hand".
  it('reads an entry by its kind, not by what its bytes hold: a policy that mentions key.rotate is recorded', () => {
    const document = { version: 1, triggers: { kind: 'key.rotate', '"kind":"key.rotate"': true } };
    const entries = journal([genesis, { kind: 'policy.set', actor: 'vault', subject: 'policy', data: { hash: 'h-1', document } }]);
    expect(Buffer.from(entries[1]!.bytes).includes(Buffer.from('"kind":"key.rotate"'))).toBe(true);
    const evidence = new Evidence();
    for (const e of entries) evidence.add(e, parseEntry(e.bytes));
    expect(evidence.policyHash).toBe('h-1');
    expect(evidence.policyAt('h-1')).toEqual(document);
  });

  it('after an entry it cannot read, every question is INTEGRITY_FAILURE naming that entry, hasCard included', () => {
    const entries = journal([
      genesis,
      { kind: 'member.add', actor: 'vault', subject: 'mallory', data: { card: { id: 'mallory' } } },
      { kind: 'policy.set', actor: 'vault', subject: 'policy', data: { hash: 'h-2' } },
    ]);
    const evidence = new Evidence();
    for (const e of entries) evidence.add(e, parseEntry(e.bytes));
    for (const ask of [() => evidence.hasCard('alice'), () => evidence.vault, () => evidence.policyHash, () => evidence.liveRequests()]) {
      let err: unknown;
      try {
        ask();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BreakGlassError);
      expect((err as BreakGlassError).code).toBe('INTEGRITY_FAILURE');
      expect((err as Error).message).toContain('entry 1 (member.add) cannot be read');
    }
  });
});
