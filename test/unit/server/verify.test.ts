/**
 * The server's incremental verifier against the project's reference verifier (src/journal): for
 * every tamper case, verifying a batch from a stored head gives the same first bad seq and code as
 * verifying the whole journal from genesis.
 */
import { describe, expect, it } from 'vitest';
import { b64 } from '../../../src/crypto/index.js';
import { parseExportLine, verifyEntries } from '../../../src/journal/index.js';
import { genesisState, stateAfter, verifyFrom } from '../../../src/server/index.js';
import { newJournal } from '../../integration/server/fixtures.js';

const journal = newJournal();
for (let i = 0; i < 8; i++) journal.commit(1 + (i % 3));
const other = newJournal();
other.commit(3);

const swapSig = (l: string): string => l.replace(/"sig":"(.)/, (_m, c: string) => `"sig":"${c === 'A' ? 'B' : 'A'}`);
const edit = (l: string, from: string, to: string): string => {
  if (!l.includes(from)) throw new Error(`no ${from} in line`);
  return l.replace(from, to);
};

/** Tamper cases: a name and the journal's lines after the change. */
const CASES: [string, (lines: string[]) => string[]][] = [
  ['intact', (l) => l],
  ['changed data', (l) => l.map((x, i) => (i === 9 ? edit(x, '"actor":"vault"', '"actor":"vaulT"') : x))],
  ['bad signature', (l) => l.map((x, i) => (i === 10 ? swapSig(x) : x))],
  ['dropped entry', (l) => [...l.slice(0, 9), ...l.slice(10)]],
  ['duplicated entry', (l) => [...l.slice(0, 10), l[9]!, ...l.slice(10)]],
  ['swapped entries', (l) => [...l.slice(0, 9), l[10]!, l[9]!, ...l.slice(11)]],
  ['foreign entry', (l) => [...l.slice(0, 9), other.lines[2]!, ...l.slice(10)]],
  ['non-exact line', (l) => l.map((x, i) => (i === 11 ? x.replace('{"entry":', '{"entry": ') : x))],
  ['newer format', (l) => l.map((x, i) => (i === 12 ? edit(x, '"v":1', '"v":2') : x))],
  ['unknown kind', (l) => l.map((x, i) => (i === 12 ? edit(x, '"kind":"credential.reveal"', '"kind":"credential.bogus"') : x))],
  ['cut tail', (l) => l.slice(0, 14)],
  ['extra genesis', (l) => [...l.slice(0, 9), l[0]!, ...l.slice(9)]],
];

describe('incremental verification from a stored head', () => {
  for (const [name, change] of CASES) {
    it(`agrees with the reference verifier: ${name}`, () => {
      const lines = change([...journal.lines]);
      const parsed = lines.map((l, i) => parseExportLine(l, i));
      const reference = verifyEntries(parsed, { genesisKey: journal.genesisKey });
      for (const k of [1, 5, 9]) {
        const head = verifyFrom(genesisState(journal.id, journal.genesisKey), parsed.slice(0, k));
        expect(head.failure).toBeNull();
        const batch = verifyFrom(head.state, parsed.slice(k));
        expect(batch.failure && { seq: batch.failure.seq, code: batch.failure.code }).toEqual(
          reference.failure && { seq: reference.failure.seq, code: reference.failure.code },
        );
        expect(head.verified.length + batch.verified.length).toBe(reference.count);
        expect(batch.state.prev).toBe(reference.failure ? batch.state.prev : reference.headHash);
      }
    });
  }

  it('rebuilds the chain state from a stored entry and its epoch key', () => {
    const parsed = journal.lines.map((l, i) => parseExportLine(l, i));
    const full = verifyFrom(genesisState(journal.id, journal.genesisKey), parsed);
    expect(full.failure).toBeNull();
    for (let k = 1; k < parsed.length; k++) {
      const upTo = verifyFrom(genesisState(journal.id, journal.genesisKey), parsed.slice(0, k));
      const last = upTo.verified[k - 1]!;
      const rebuilt = stateAfter(journal.id, journal.genesisKey, {
        bytes: last.stored.bytes,
        hash: b64(last.stored.hash),
        epoch: last.entry.epoch,
        epochKey: last.epochKey,
      });
      expect(rebuilt).toEqual(upTo.state);
    }
  });

  it('refuses a genesis entry under another key than the pinned one', () => {
    const parsed = other.lines.map((l, i) => parseExportLine(l, i));
    const report = verifyFrom(genesisState(other.id, journal.genesisKey), parsed);
    expect(report.failure).toMatchObject({ seq: 0, code: 'BAD_KEY' });
  });
});
