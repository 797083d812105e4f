import { afterAll, describe, expect, it } from 'vitest';
import { generateAgreementKeyPair, generateSigningKeyPair } from '../../../src/crypto/index.js';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import {
  VaultSession,
  addMember,
  approveInPerson,
  createMember,
  exportCustody,
  journalEntries,
  listCredentials,
  openRequest,
  sealCredential,
  setPolicy,
} from '../../../src/vault/index.js';
import { tempDir } from '../../helpers/cli.js';
import { examplePolicy } from '../../helpers/world.js';

// openRequest also takes keys a caller unlocked earlier (a long-running app, a benchmark): they must
// be the requester's enrolled keys, or nothing is signed and nothing changes.
describe('openRequest with keys instead of a passphrase', () => {
  const { dir, cleanup } = tempDir('bgv-openreq-');
  afterAll(() => cleanup());

  it('refuses keys that are not the requester’s (BAD_SIGNATURE) or the holder’s (BAD_SHARE) and changes nothing', async () => {
    const store = (ns: string): Promise<KeytarSecretStore> => Promise.resolve(new KeytarSecretStore(ns));
    const session = await VaultSession.init(dir, 'api vault', store);
    try {
      for (const id of ['alice', 'bob', 'carol', 'dave']) {
        const passphrase = `${id} passphrase for this test`;
        const card = await createMember(session, id, id, passphrase);
        await addMember(session, card, await exportCustody(session, id, passphrase));
      }
      await setPolicy(session, examplePolicy());
      await sealCredential(session, 'prod-db-root', 'prod DB root', Buffer.from('api-test-secret'));
      const before = session.head.nextSeq;
      const impostor = { signing: generateSigningKeyPair(), agreement: generateAgreementKeyPair() };
      const input = { credential: 'prod-db-root', trigger: 'network-outage', reason: 'r', incident: 'INC-1', requester: 'dave' };
      await expect(openRequest(session, input, impostor)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
      expect(session.head.nextSeq).toBe(before);
      expect(listCredentials(session)[0]!.state).toBe('SEALED');
      expect((await new KeytarSecretStore(session.vaultId).list()).filter((a) => a.startsWith('request:'))).toEqual([]);

      // approveInPerson with keys that are not the holder's: they cannot open the holder's share,
      // so no approval is made (BAD_SHARE naming the holder) and nothing is written.
      const request = await openRequest(session, input, () => Promise.resolve('dave passphrase for this test'));
      const seq = session.head.nextSeq;
      await expect(approveInPerson(session, request.id, 'alice', impostor)).rejects.toMatchObject({
        code: 'BAD_SHARE',
        details: { holder: 'alice' },
      });
      expect(session.repo.listApprovals(request.id)).toEqual([]);
      expect(journalEntries(session, { since: seq })).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
