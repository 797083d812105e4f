import { afterAll, describe, expect, it } from 'vitest';
import { KeytarSecretStore, type SecretStore } from '../../../src/keychain/index.js';
import { VaultSession, changePassphrase, createMember, exportCustody, journalEntries } from '../../../src/vault/index.js';
import { tempDir } from '../../helpers/cli.js';

const OLD = 'alice old passphrase here';
const NEW = 'alice new passphrase here';

// The keychain write of a passphrase change comes after its journal commit (they cannot be one
// transaction). A keychain that fails right there (the real keychain, made to refuse that one
// write: the state a crash between the two leaves) must leave the journal saying so and the keys
// opening with the old passphrase; running the change again then completes it.
describe('a passphrase change whose keychain write fails after the commit (a crash between the two)', () => {
  const { dir, cleanup } = tempDir('bgv-passphrase-');
  afterAll(() => cleanup());

  it('keeps the old passphrase working, says what happened, and completes when run again', async () => {
    let refuseMemberWrite = false;
    const store = (ns: string): Promise<SecretStore> => {
      const real = new KeytarSecretStore(ns);
      return Promise.resolve({
        description: real.description,
        get: (account) => real.get(account),
        list: () => real.list(),
        delete: (account) => real.delete(account),
        set: async (account, value) => {
          if (refuseMemberWrite && account === 'member:alice') throw new Error('keychain went away');
          await real.set(account, value);
        },
      });
    };
    const session = await VaultSession.init(dir, 'alice laptop', store);
    try {
      await createMember(session, 'alice', 'Alice', OLD);
      const answers = (...typed: string[]) => {
        const queue = [...typed];
        return () => Promise.resolve(queue.shift()!);
      };
      const seq = session.head.nextSeq;
      refuseMemberWrite = true;
      await expect(changePassphrase(session, 'alice', answers(OLD, NEW), { repeat: false })).rejects.toMatchObject({
        code: 'KEYCHAIN_UNAVAILABLE',
        message:
          "the change of alice's passphrase is journaled, but the keychain could not be written: alice's keys in this machine's keychain still open with the old passphrase; run the command again",
      });
      expect(journalEntries(session, { since: seq }).map((e) => e.kind)).toEqual(['member.passphrase', 'key.rotate']);
      // Still the old passphrase: the member can unlock.
      await expect(exportCustody(session, 'alice', OLD)).resolves.toMatchObject({ member: 'alice' });
      await expect(exportCustody(session, 'alice', NEW)).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });

      refuseMemberWrite = false;
      await expect(changePassphrase(session, 'alice', answers(OLD, NEW), { repeat: false })).resolves.toEqual({
        member: 'alice',
        keychain: true,
        custody: false,
      });
      await expect(exportCustody(session, 'alice', NEW)).resolves.toMatchObject({ member: 'alice' });
      await expect(exportCustody(session, 'alice', OLD)).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    } finally {
      await session.close();
    }
  });
});
