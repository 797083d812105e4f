/**
 * A command that asks first (askFirst) runs its use case twice; the KDF is paid once per wrapped copy
 * and passphrase: the second unwrap of the same copy with the same passphrase is answered from the
 * command's memo, a wrong one too (and still reported, so it is journaled again under the lock).
 */
import { describe, expect, it } from 'vitest';
import type { MemberCard } from '../../../src/core/documents.js';
import { BreakGlassError } from '../../../src/core/errors.js';
import { TAG, generateAgreementKeyPair, generateSigningKeyPair, signDocument, type MemberKeys } from '../../../src/crypto/index.js';
import { unwrapWithTries, wrapMemberKeys, type PassphraseSource } from '../../../src/vault/members.js';

const PASS = 'the right passphrase';

async function member(): Promise<{ card: MemberCard; keys: MemberKeys }> {
  const keys: MemberKeys = { signing: generateSigningKeyPair(), agreement: generateAgreementKeyPair() };
  const body = {
    format: 'breakglass.member-card' as const,
    version: 1 as const,
    id: 'alice',
    name: 'Alice',
    signingKey: keys.signing.publicKey,
    agreementKey: keys.agreement.publicKey,
    createdAt: Date.now(),
  };
  return { card: { ...body, sig: signDocument(TAG.memberCard, body, keys.signing) }, keys };
}

describe('unwrapWithTries with a memo', () => {
  it('answers the same copy and passphrase from the memo, a right one and a wrong one alike', async () => {
    const { card, keys } = await member();
    const wrapped = await wrapMemberKeys(card, keys, PASS);
    const unwrapped = new Map<string, MemberKeys | BreakGlassError>();
    const typing = (...answers: string[]): PassphraseSource => {
      const queue = [...answers];
      return Object.assign(async () => queue.shift()!, { tries: 2, unwrapped });
    };
    const wrong: BreakGlassError[] = [];
    const onWrong = async (err: BreakGlassError): Promise<void> => void wrong.push(err);

    const first = await unwrapWithTries(card, wrapped, typing('not it', PASS), 'unlock', onWrong);
    expect(first.signing.publicKey).toBe(card.signingKey);
    expect(unwrapped.size).toBe(2);

    // The very objects the first call made: nothing was derived again.
    const second = await unwrapWithTries(card, wrapped, typing('not it', PASS), 'unlock', onWrong);
    expect(second).toBe(first);
    // The wrong try is reported both times (journaled under the lock), as the same refusal.
    expect(wrong).toHaveLength(2);
    expect(wrong[1]).toBe(wrong[0]);
    expect(wrong[0]!.code).toBe('WRONG_PASSPHRASE');

    // Another copy of the same keys (a new salt) is not answered from the memo.
    const other = await wrapMemberKeys(card, keys, PASS);
    const third = await unwrapWithTries(card, other, typing(PASS), 'unlock', onWrong);
    expect(third).not.toBe(first);
    expect(unwrapped.size).toBe(3);
  });
});
