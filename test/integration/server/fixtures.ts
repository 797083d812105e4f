/** Journals made with the project's own journal layer, as export lines, for the server tests. */
import { randomBytes } from 'node:crypto';
import type { EntryKind } from '../../../src/core/journal.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../../src/crypto/index.js';
import { advanceHead, exportLine, makeEntry, type ChainHead } from '../../../src/journal/index.js';

/** A journal that grows like a vault's: every commit of a few entries ends with a key.rotate. */
export interface TestJournal {
  readonly id: string;
  readonly genesisKey: string;
  readonly lines: string[];
  /** Appends one commit of `n` entries (plus its key.rotate) and returns the new lines. */
  commit(n?: number, kind?: EntryKind, time?: number, data?: Record<string, unknown>): string[];
  /** A copy that continues separately from here (an older vault folder restored and used). */
  fork(): TestJournal;
}

function continueJournal(id: string, genesisKey: string, lines: string[], head: ChainHead, key: SigningKeyPair): TestJournal {
  let h = head;
  let k = key;
  return {
    id,
    genesisKey,
    lines,
    commit(n = 1, kind: EntryKind = 'credential.reveal', time?: number, data?: Record<string, unknown>) {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const e = makeEntry(h, { kind, actor: 'vault', subject: 'prod-db-root', data: data ?? { n: h.nextSeq } }, k, time);
        h = advanceHead(h, e, kind);
        out.push(exportLine(e));
      }
      const next = generateSigningKeyPair();
      const rot = makeEntry(
        h,
        { kind: 'key.rotate', actor: 'vault', subject: id, data: { next: next.publicKey, epoch: h.epoch + 1 } },
        k,
        time,
      );
      h = advanceHead(h, rot, 'key.rotate');
      k = next;
      out.push(exportLine(rot));
      lines.push(...out);
      return out;
    },
    fork() {
      return continueJournal(id, genesisKey, [...lines], h, k);
    },
  };
}

/** A new journal holding only its genesis entry. */
export function newJournal(): TestJournal {
  const id = `j-${randomBytes(8).toString('hex')}`;
  const genesis = generateSigningKeyPair();
  const head: ChainHead = { journal: id, nextSeq: 0, prev: '', epoch: 0 };
  const e = makeEntry(head, { kind: 'journal.genesis', actor: 'vault', subject: 'v-test', data: { key: genesis.publicKey } }, genesis);
  return continueJournal(id, genesis.publicKey, [exportLine(e)], advanceHead(head, e, 'journal.genesis'), genesis);
}
