import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import {
  VaultSession,
  addMember,
  approveInPerson,
  createMember,
  endRequest,
  exportCustody,
  listCredentials,
  openRequest,
  sealCredential,
  setPolicy,
  unseal,
} from '../../../src/vault/index.js';
import { tempDir } from '../../helpers/cli.js';
import { examplePolicy } from '../../helpers/world.js';

// unseal decides from what the requester signed and the holders approved, not from columns of the
// request's row that a hand edit of the database could change; and it checks that the next split
// can be made before it opens any share.
describe('unseal: guards against an edited request row and an unsplittable policy', () => {
  const { dir, cleanup } = tempDir('bgv-unseal-guards-');
  const store = (ns: string): Promise<KeytarSecretStore> => Promise.resolve(new KeytarSecretStore(ns));
  const pass = (id: string) => (): Promise<string> => Promise.resolve(`${id} passphrase for this test`);
  const input = { credential: 'prod-db-root', trigger: 'network-outage', reason: 'WAN down', incident: 'INC-1', requester: 'dave' };
  let session: VaultSession;

  /** An edit by raw SQL on the vault's file, as someone with the disk could make (no triggers guard these tables). */
  const editRow = (sql: string, ...params: unknown[]): void => {
    const db = new Database(join(dir, 'vault.db'), { fileMustExist: true });
    try {
      expect(db.prepare(sql).run(...params).changes).toBe(1);
    } finally {
      db.close();
    }
  };
  const approved = async (purpose: 'access' | 'drill'): Promise<string> => {
    const request = await openRequest(session, input, pass('dave'), purpose);
    for (const holder of ['alice', 'bob']) await approveInPerson(session, request.id, holder, pass(holder));
    return request.id;
  };

  beforeAll(async () => {
    session = await VaultSession.init(dir, 'guards', store);
    for (const id of ['alice', 'bob', 'carol', 'dave']) {
      const card = await createMember(session, id, id, `${id} passphrase for this test`);
      await addMember(session, card, await exportCustody(session, id, `${id} passphrase for this test`));
    }
    await setPolicy(session, examplePolicy());
    await sealCredential(session, 'prod-db-root', 'prod DB root', Buffer.from('guards-test-secret'));
  }, 60_000);
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('a drill whose row says "access" is still a drill; a body edited to say so no longer matches its signature', async () => {
    const drill = await approved('drill');
    editRow("UPDATE requests SET purpose = 'access' WHERE id = ?", drill);
    const seq = session.head.nextSeq;
    await expect(unseal(session, drill, 'reveal')).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message: expect.stringMatching(/is a drill/),
    });
    editRow(`UPDATE requests SET body = replace(body, '"purpose":"drill"', '"purpose":"access"') WHERE id = ?`, drill);
    await expect(unseal(session, drill, 'reveal')).rejects.toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: `request ${drill} in this vault's database does not match what was signed and approved`,
    });
    expect(session.head.nextSeq).toBe(seq);
    expect(listCredentials(session)[0]!.state).toBe('REQUESTED');
    await endRequest(session, drill, 'cancel', 'operator');
  });

  it('a request past its signed expiry stays expired, whatever its row says', async () => {
    const request = await approved('access');
    editRow('UPDATE requests SET expires_at = ? WHERE id = ?', Date.now() + 86_400_000, request);
    const seq = session.head.nextSeq;
    const later = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 16 * 60_000);
    try {
      await expect(unseal(session, request, 'none')).rejects.toMatchObject({ code: 'REQUEST_EXPIRED' });
    } finally {
      later.mockRestore();
    }
    expect(session.head.nextSeq).toBe(seq);
    await endRequest(session, request, 'cancel', 'operator');
  });

  it('a policy naming a holder this vault has not enrolled: STATE_CONFLICT before any share is opened, nothing changed', async () => {
    const request = await approved('access');
    await setPolicy(
      session,
      examplePolicy({
        'holders: [alice, bob, carol]': 'holders: [alice, bob, carol, erin]',
        '  dave: [requester]': '  dave: [requester]\n  erin: [holder]',
      }),
    );
    const seq = session.head.nextSeq;
    await expect(unseal(session, request, 'reveal')).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message:
        'the policy names erin as holder(s) of prod-db-root, but this vault has not enrolled them, so the secret could not be split again at unseal; add their card (breakglass member add) or set a policy without them, then unseal again',
    });
    expect(session.head.nextSeq).toBe(seq);
    expect(listCredentials(session)[0]!.state).toBe('REQUESTED');
    // With the policy fixed, the same approvals open it.
    await setPolicy(session, examplePolicy());
    const opened = await unseal(session, request, 'reveal');
    expect(opened.secret?.equals(Buffer.from('guards-test-secret')), 'the secret opened (value not printed)').toBe(true);
    opened.secret?.fill(0);
  });
});
