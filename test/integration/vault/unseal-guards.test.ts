import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TAG, b64, documentHash, signDocument } from '../../../src/crypto/index.js';
import { KeytarSecretStore } from '../../../src/keychain/index.js';
import { ownMember, unwrapMemberKeys } from '../../../src/vault/members.js';
import {
  VaultSession,
  addMember,
  applyTimeLimits,
  approveInPerson,
  closeWindow,
  createMember,
  cancelRequest,
  exportCustody,
  listCredentials,
  openRequest,
  reseal,
  requestBody,
  requestRow,
  sealCredential,
  setPolicy,
  signReview,
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
  // dave holds a share too (a change of holders an approval must show).
  const withDaveHolding = examplePolicy({
    'holders: [alice, bob, carol]': 'holders: [alice, bob, carol, dave]',
    '  dave: [requester]': '  dave: [requester, holder]',
  });

  /** An edit by raw SQL on the vault's file, as someone with the disk could make (no triggers guard these tables). */
  const editRow = (sql: string, ...params: unknown[]): void => {
    const db = new Database(join(dir, 'vault.db'), { fileMustExist: true });
    try {
      expect(db.prepare(sql).run(...params).changes).toBe(1);
    } finally {
      db.close();
    }
  };
  /** Ends a request; one that reached its quorum exposed the credential, which is then reviewed and resealed. */
  const settle = async (request: string): Promise<void> => {
    const { exposed } = await cancelRequest(session, request, undefined, pass('dave'));
    if (!exposed) return;
    await signReview(
      session,
      { credential: 'prod-db-root', reviewer: 'carol', warranted: true, summary: 's', changes: 'c' },
      pass('carol'),
    );
    await reseal(session, 'prod-db-root');
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
    const seq = session.head.nextSeq;
    await expect(unseal(session, drill, 'reveal')).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message: expect.stringMatching(/is a drill/),
    });
    editRow("UPDATE requests SET purpose = 'access' WHERE id = ?", drill);
    await expect(unseal(session, drill, 'reveal')).rejects.toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: expect.stringMatching(
        new RegExp(
          `^request ${drill} in this vault's database \\(access, open\\) is not what its signed journal recorded \\(drill, open\\)`,
        ),
      ),
    });
    editRow("UPDATE requests SET purpose = 'drill' WHERE id = ?", drill);
    const original = requestRow(session, drill).body;
    editRow(`UPDATE requests SET body = replace(body, '"purpose":"drill"', '"purpose":"access"') WHERE id = ?`, drill);
    await expect(unseal(session, drill, 'reveal')).rejects.toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: `request ${drill} in this vault's database does not match what was signed and approved`,
    });
    expect(session.head.nextSeq).toBe(seq);
    expect(listCredentials(session)[0]!.state).toBe('REQUESTED');
    editRow('UPDATE requests SET body = ? WHERE id = ?', original, drill);
    await settle(drill);
  });

  it('a request past its signed expiry stays expired, whatever its row says', async () => {
    const request = await approved('access');
    const expires = requestRow(session, request).expires_at;
    editRow('UPDATE requests SET expires_at = ? WHERE id = ?', Date.now() + 86_400_000, request);
    const seq = session.head.nextSeq;
    // The row re-dated by hand is caught; put back, the signed expiry decides.
    await expect(unseal(session, request, 'none')).rejects.toMatchObject({ code: 'INTEGRITY_FAILURE' });
    editRow('UPDATE requests SET expires_at = ? WHERE id = ?', expires, request);
    const later = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 16 * 60_000);
    try {
      await expect(unseal(session, request, 'none')).rejects.toMatchObject({ code: 'REQUEST_EXPIRED' });
    } finally {
      later.mockRestore();
    }
    expect(session.head.nextSeq).toBe(seq);
    await settle(request);
  });

  it('a policy that changed the holders after the approvals: STATE_CONFLICT before any share is opened, nothing changed', async () => {
    const request = await approved('access');
    await setPolicy(session, withDaveHolding);
    const seq = session.head.nextSeq;
    await expect(unseal(session, request, 'reveal')).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message: `the policy changed the holders of prod-db-root after request ${request} was opened (approved: alice, bob, carol, 2 of 3; now: alice, bob, carol, dave, 2 of 4); cancel it and open a new request, so that the holders approve the new split`,
    });
    expect(session.head.nextSeq).toBe(seq);
    expect(listCredentials(session)[0]!.state).toBe('REQUESTED');
    await setPolicy(session, examplePolicy());
    await settle(request);
  });

  it('a request under a policy naming a holder this vault has not enrolled is refused before the passphrase, nothing changed', async () => {
    await setPolicy(
      session,
      examplePolicy({
        'holders: [alice, bob, carol]': 'holders: [alice, bob, carol, erin]',
        '  dave: [requester]': '  dave: [requester]\n  erin: [holder]',
      }),
    );
    const seq = session.head.nextSeq;
    const unused = (): Promise<string> => Promise.reject(new Error('the passphrase was asked for'));
    await expect(openRequest(session, input, unused)).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message:
        'the policy names erin as holder(s) of prod-db-root, but this vault has not enrolled them, so the secret cannot be split among them; add their card (breakglass member add) or set a policy without them',
    });
    expect(session.head.nextSeq).toBe(seq);
    await setPolicy(session, examplePolicy());
  });

  it('a request body edited under its hash is refused before any passphrase (INTEGRITY_FAILURE), nothing changed', async () => {
    const request = (await openRequest(session, input, pass('dave'))).id;
    editRow(`UPDATE requests SET body = replace(body, '"reason":"WAN down"', '"reason":"WAN down (edited)"') WHERE id = ?`, request);
    const seq = session.head.nextSeq;
    const unused = (): Promise<string> => Promise.reject(new Error('the passphrase was asked for'));
    await expect(approveInPerson(session, request, 'alice', unused)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: `request ${request} in this vault's database does not match what was signed and approved`,
    });
    expect(session.head.nextSeq).toBe(seq);
    await cancelRequest(session, request, undefined, pass('dave'));
  });

  it('a request that expires after its quorum leaves the credential exposed, waiting for a review (not back to SEALED)', async () => {
    const request = await approved('access');
    const later = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 16 * 60_000);
    try {
      expect(await applyTimeLimits(session)).toEqual([
        `request ${request} expired; it had reached its quorum, so prod-db-root needs a review`,
      ]);
    } finally {
      later.mockRestore();
    }
    expect(listCredentials(session)[0]).toMatchObject({ state: 'REVIEW_PENDING', exposed: true });
    await expect(unseal(session, request, 'reveal')).rejects.toMatchObject({ code: 'REQUEST_EXPIRED' });
    await expect(reseal(session, 'prod-db-root')).rejects.toMatchObject({ code: 'REVIEW_REQUIRED' });
    await signReview(
      session,
      { credential: 'prod-db-root', reviewer: 'carol', warranted: false, summary: 's', changes: 'c' },
      pass('carol'),
    );
    expect(await reseal(session, 'prod-db-root')).toMatchObject({ rotated: false });
    expect(listCredentials(session)[0]).toMatchObject({ state: 'SEALED', exposed: false });
  });

  it('a request its requester signed with a misstated current split (to hide a change from the warning): refused', async () => {
    await setPolicy(session, withDaveHolding);
    const request = await approved('access');
    const row = requestRow(session, request);
    // dave, the requester, signs a body that says the credential is already held by the new split.
    const { card, wrapped } = await ownMember(session, 'dave');
    const daveKeys = await unwrapMemberKeys(card, wrapped, 'dave passphrase for this test');
    const forged = { ...requestBody(session, row), holders: ['alice', 'bob', 'carol', 'dave'] };
    editRow(
      'UPDATE requests SET body = ?, hash = ?, signature = ? WHERE id = ?',
      JSON.stringify(forged),
      b64(documentHash(TAG.request, forged)),
      signDocument(TAG.request, forged, daveKeys.signing),
      request,
    );
    const seq = session.head.nextSeq;
    // The journal holds the body dave signed at the request: a different one in the row, however
    // well signed, is not the request its approvers saw.
    const replaced = `request ${request} in this vault's database does not match what was signed and approved`;
    const unused = (): Promise<string> => Promise.reject(new Error('the passphrase was asked for'));
    await expect(approveInPerson(session, request, 'carol', unused)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILURE',
      message: replaced,
    });
    await expect(unseal(session, request, 'reveal')).rejects.toMatchObject({ code: 'INTEGRITY_FAILURE', message: replaced });
    expect(session.head.nextSeq).toBe(seq);
    expect(listCredentials(session)[0]!.state).toBe('REQUESTED');
    editRow('UPDATE requests SET body = ?, hash = ?, signature = ? WHERE id = ?', row.body, row.hash, row.signature, request);
    await setPolicy(session, examplePolicy());
    await settle(request);
  });

  it('the split a request names is what its approvers consent to, what unseal makes, and what a rotated secret is sealed to', async () => {
    // The last activation's approvers consented to a split with dave: that is who holds it now.
    const holdersOf = (slot: 'active' | 'next'): string[] =>
      (JSON.parse(session.repo.getEnvelope('prod-db-root', slot)!.body) as { shares: { holder: string }[] }).shares.map((s) => s.holder);
    expect(holdersOf('active')).toEqual(['alice', 'bob', 'carol', 'dave']);
    await setPolicy(session, examplePolicy());
    const request = await approved('access');
    const body = requestBody(session, requestRow(session, request));
    expect(body).toMatchObject({
      holders: ['alice', 'bob', 'carol', 'dave'],
      threshold: 2,
      nextHolders: ['alice', 'bob', 'carol'],
      nextThreshold: 2,
    });
    const opened = await unseal(session, request, 'reveal');
    expect(opened.secret?.equals(Buffer.from('guards-test-secret')), 'the secret opened (value not printed)').toBe(true);
    opened.secret?.fill(0);
    expect(holdersOf('next')).toEqual(['alice', 'bob', 'carol']);
    // The policy changes before the review: the rotated secret still goes to the approved split.
    await setPolicy(session, withDaveHolding);
    await closeWindow(session, 'prod-db-root', 'closed');
    await signReview(
      session,
      {
        credential: 'prod-db-root',
        reviewer: 'carol',
        warranted: true,
        summary: 's',
        changes: 'c',
        rotatedSecret: Buffer.from('rotated-guards-secret'),
      },
      pass('carol'),
    );
    expect(holdersOf('next')).toEqual(['alice', 'bob', 'carol']);
  });
});
