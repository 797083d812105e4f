import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../../src/crypto/index.js';
import { KeytarSecretStore, type SecretStore } from '../../../src/keychain/index.js';
import { VaultSession, exportJournal, verifyJournal } from '../../../src/vault/index.js';
import { tempDir } from '../../helpers/cli.js';

// A read-only session (journal verify, journal export) holds no lock, so a writer can commit while
// it looks at the keychain. Its view of the journal is then a commit behind: judging the keychain
// against that view reported a cut journal that was not cut, and tidying the keychain from it
// erased the writer's pre-generated next key, which the writer then certified: the vault's next
// open found its current key gone and refused every change, unseal included.
describe('read-only sessions and the journal keys of a writer', () => {
  const { dir, cleanup } = tempDir('bgv-readonly-');
  afterAll(() => cleanup());
  const store = (ns: string): Promise<KeytarSecretStore> => Promise.resolve(new KeytarSecretStore(ns));
  const epochKeys = async (session: VaultSession): Promise<string[]> =>
    (await new KeytarSecretStore(session.vaultId).list()).filter((a) => a.startsWith('journal-epoch:')).sort();

  it('re-verifies a journal that a writer moved on, and reports it intact', async () => {
    await (await VaultSession.init(dir, 'read-only race', store)).close();
    const writer = await VaultSession.open(dir, store, { write: true });
    try {
      await writer.commit(() => undefined);
      await writer.settled();
      const reader = await VaultSession.open(dir, store, { write: false });
      try {
        const stale = reader.head;
        // The writer commits: a new epoch, the reader's epoch key erased, the one after next stored.
        await writer.commit(() => undefined);
        await writer.settled();
        expect(reader.head).toEqual(stale);
        const keys = await epochKeys(writer);
        expect(keys).toEqual([`journal-epoch:${writer.head.epoch}`, `journal-epoch:${writer.head.epoch + 1}`]);

        const report = await verifyJournal(reader, { checkKeychain: true });
        expect(report.failure).toBeNull();
        expect(report.ok).toBe(true);
        expect(report.count).toBe(writer.head.nextSeq);
        expect(reader.head).toEqual(writer.head);
        expect(await epochKeys(writer)).toEqual(keys);

        // Its export is the verified journal, exactly.
        const { lines, tailProven } = await exportJournal(reader);
        expect(lines).toHaveLength(writer.head.nextSeq);
        expect(tailProven).toBe(true);
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
    }
  });

  it('never erases a key: stale keys are left for the next writer, which holds the lock', async () => {
    const reader = await VaultSession.open(dir, store, { write: false });
    const secrets = new KeytarSecretStore(reader.vaultId);
    // A key a crash left behind, from an epoch long gone.
    await secrets.set('journal-epoch:0', JSON.stringify(generateSigningKeyPair()));
    const keys = await epochKeys(reader);
    expect(keys).toContain('journal-epoch:0');
    expect(keys).toContain(`journal-epoch:${reader.head.epoch + 1}`);
    try {
      expect((await verifyJournal(reader, { checkKeychain: true })).ok).toBe(true);
      await exportJournal(reader);
      expect(await epochKeys(reader)).toEqual(keys);
    } finally {
      await reader.close();
    }

    const writer = await VaultSession.open(dir, store, { write: true });
    try {
      await writer.assertSigningKey();
      expect(await epochKeys(writer)).toEqual([`journal-epoch:${writer.head.epoch}`, `journal-epoch:${writer.head.epoch + 1}`]);
      await writer.commit(() => undefined);
    } finally {
      await writer.close();
    }
    const after = await VaultSession.open(dir, store, { write: false });
    try {
      expect((await verifyJournal(after, { checkKeychain: true })).ok).toBe(true);
    } finally {
      await after.close();
    }
  });

  // The real keychain, with a writer committing each time the reader lists it, `commits` times:
  // the journal grows under the reader exactly while it checks its keys.
  const racingStore = (writer: VaultSession, commits: number) => {
    let left = commits;
    return (ns: string): Promise<SecretStore> => {
      const real = new KeytarSecretStore(ns);
      return Promise.resolve({
        description: real.description,
        get: (account: string) => real.get(account),
        set: (account: string, value: string) => real.set(account, value),
        delete: (account: string) => real.delete(account),
        async list() {
          if (left > 0) {
            left -= 1;
            await writer.commit(() => undefined);
            await writer.settled();
          }
          return real.list();
        },
      });
    };
  };

  /** A writer, and a reader whose keychain listings each see the writer commit first, `commits` times. */
  const withRacingReader = async (commits: number, use: (writer: VaultSession, reader: VaultSession) => Promise<void>): Promise<void> => {
    const writer = await VaultSession.open(dir, store, { write: true });
    try {
      const reader = await VaultSession.open(dir, racingStore(writer, commits), { write: false });
      try {
        await use(writer, reader);
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
    }
  };

  it('checks again when a writer commits while it looks, and judges the newer journal', () =>
    withRacingReader(1, async (writer, reader) => {
      const before = reader.head.nextSeq;
      const report = await verifyJournal(reader, { checkKeychain: true });
      expect(report.failure).toBeNull();
      expect(report.count).toBe(writer.head.nextSeq);
      expect(writer.head.nextSeq).toBeGreaterThan(before);
      expect(reader.head).toEqual(writer.head);
    }));

  it('gives up with VAULT_BUSY when the journal keeps growing, and changes nothing', () =>
    withRacingReader(3, async (writer, reader) => {
      await expect(reader.assertSigningKey()).rejects.toMatchObject({ code: 'VAULT_BUSY', message: expect.stringMatching(/kept growing/) });
      // Three commits happened under it; the keychain is the writer's, untouched by the reader.
      expect(await epochKeys(writer)).toEqual([`journal-epoch:${writer.head.epoch}`, `journal-epoch:${writer.head.epoch + 1}`]);
      // Once the writer is idle, the same reader checks the keychain against the journal as it is.
      await reader.assertSigningKey();
      expect(reader.head).toEqual(writer.head);
      await writer.commit(() => undefined);
    }));
});
