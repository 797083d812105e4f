import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/canonical.js';
import { entryHash } from '../../../src/journal/index.js';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import { VaultSession, verifyJournal } from '../../../src/vault/index.js';
import { tempDir } from '../../helpers/cli.js';

// A write session opens at the same cost whatever the journal's length: it re-checks every entry's
// hash chain but the signatures only after the head it verified last time, which it keeps in the
// keychain beside the epoch keys. These tests hold it to what that may and may not skip, on a real
// vault file and the real keychain.
describe('the verified head a write session keeps in the keychain', () => {
  const { dir: root, cleanup } = tempDir('bgv-verified-head-');
  afterAll(() => cleanup());
  const store = (ns: string): Promise<KeytarSecretStore> => Promise.resolve(new KeytarSecretStore(ns));
  let dir = '';
  let vaultId = '';
  let count = 0;
  const anchor = async (): Promise<unknown> => JSON.parse((await new KeytarSecretStore(vaultId).get('journal-verified')) ?? 'null');
  const rows = (): { seq: number; bytes: Buffer; hash: Buffer; sig: Buffer }[] => {
    const db = new Database(join(dir, 'vault.db'), { readonly: true });
    try {
      return db.prepare('SELECT seq, bytes, hash, sig FROM journal ORDER BY seq').all() as never;
    } finally {
      db.close();
    }
  };
  /** Runs raw SQL on the vault file with the append-only triggers dropped, and undoes it afterwards. */
  const withEdit = async (edit: (db: Database.Database) => void, check: () => Promise<void>): Promise<void> => {
    const before = rows();
    const db = new Database(join(dir, 'vault.db'));
    db.exec(
      'DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete; DROP TRIGGER IF EXISTS journal_no_replace;',
    );
    try {
      db.transaction(() => edit(db))();
      await check();
    } finally {
      const put = db.prepare('INSERT INTO journal (seq, bytes, hash, sig) VALUES (?, ?, ?, ?)');
      db.transaction(() => {
        db.prepare('DELETE FROM journal').run();
        for (const r of before) put.run(r.seq, r.bytes, r.hash, r.sig);
      })();
      db.close();
    }
  };

  beforeAll(async () => {
    dir = join(root, 'vault');
    const session = await VaultSession.init(dir, 'verified head', store);
    for (let i = 0; i < 5; i++) await session.commit(() => undefined);
    vaultId = session.vaultId;
    count = session.head.nextSeq;
    await session.close();
  });

  it('is the head of the last commit, written as the commit settles', async () => {
    const last = rows().at(-1)!;
    expect(await anchor()).toEqual({ journal: expect.stringMatching(/^j-/), seq: count - 1, hash: last.hash.toString('base64url') });
  });

  it('a signature broken before it: a write session still opens, and `journal verify` names it', async () => {
    await withEdit(
      (db) => db.prepare('UPDATE journal SET sig = ? WHERE seq = 3').run(Buffer.alloc(64, 7)),
      async () => {
        const writer = await VaultSession.open(dir, store, { write: true });
        try {
          expect(writer.report.failure).toBeNull();
          expect((await verifyJournal(writer, { checkKeychain: false })).failure).toMatchObject({ seq: 3, code: 'BAD_SIGNATURE' });
        } finally {
          await writer.close();
        }
        // A reader keeps no verified head: it checks every signature.
        const reader = await VaultSession.open(dir, store, { write: false });
        expect(reader.report.failure).toMatchObject({ seq: 3, code: 'BAD_SIGNATURE' });
        await reader.close();
      },
    );
  });

  it('an entry before it rewritten, with every later hash and prev recomputed: the write session names the rewritten entry', async () => {
    await withEdit(
      (db) => {
        let prev: string | null = null;
        for (const r of rows().filter((x) => x.seq >= 2)) {
          const entry = JSON.parse(r.bytes.toString('utf8')) as Record<string, unknown>;
          if (r.seq === 2) entry['time'] = (entry['time'] as number) + 1;
          if (prev !== null) entry['prev'] = prev;
          const bytes = Buffer.from(canonicalize(entry), 'utf8');
          const hash = entryHash(bytes);
          db.prepare('UPDATE journal SET bytes = ?, hash = ? WHERE seq = ?').run(bytes, hash, r.seq);
          prev = hash.toString('base64url');
        }
      },
      async () => {
        const writer = await VaultSession.open(dir, store, { write: true });
        try {
          expect(writer.report.failure).toMatchObject({ seq: 2, code: 'BAD_SIGNATURE' });
          await expect(writer.commit(() => undefined)).rejects.toMatchObject({ code: 'JOURNAL_TAMPERED' });
        } finally {
          await writer.close();
        }
      },
    );
  });

  it('a journal cut below it: EPOCH_MISMATCH at open, before any key is needed', async () => {
    const cut = count - 2;
    await withEdit(
      (db) => db.prepare('DELETE FROM journal WHERE seq >= ?').run(cut),
      async () => {
        const writer = await VaultSession.open(dir, store, { write: true });
        try {
          expect(writer.report.failure).toMatchObject({ seq: cut, code: 'EPOCH_MISMATCH' });
        } finally {
          await writer.close();
        }
      },
    );
  });

  it('unreadable or for another journal: ignored, the journal verified in full, and the head written again', async () => {
    const secrets = new KeytarSecretStore(vaultId);
    for (const value of ['not json', JSON.stringify({ journal: 'j-0000000000000000', seq: 1, hash: 'x' }), JSON.stringify({ seq: 'a' })]) {
      await secrets.set('journal-verified', value);
      const writer = await VaultSession.open(dir, store, { write: true });
      expect(writer.report.failure).toBeNull();
      await writer.close();
      expect(await anchor()).toMatchObject({ seq: count - 1 });
    }
  });
});
