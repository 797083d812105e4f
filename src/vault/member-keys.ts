// A member's own keys after they were made: a new passphrase over them, and a custody copy exported
// for a vault laptop. Both are journaled on the machine that holds the keys (`member.passphrase`,
// `member.export`), and so is a wrong passphrase typed for either (`access.refused`).
import { BreakGlassError } from '../core/errors.js';
import type { CustodyFile, MemberCard } from '../core/documents.js';
import { TAG, b64, documentHash, memberFingerprint, type PassphraseWrapped } from '../crypto/index.js';
import {
  MIN_PASSPHRASE,
  custodyFor,
  enrolledMember,
  journalOnly,
  memberKeysHere,
  ownMember,
  storeOwnMember,
  unwrapWithTries,
  wrapMemberKeys,
  type PassphraseSource,
} from './members.js';
import type { VaultSession } from './session.js';

/** The question for a member's new passphrase: it states the rule before anyone types. */
export const newPassphraseQuestion = (id: string): string => `new passphrase for ${id} (at least ${MIN_PASSPHRASE} characters)`;
/** The question that asks for the new passphrase again, at a terminal. */
export const REPEAT_NEW_PASSPHRASE = 'repeat the new passphrase';

/** Which copies of a member's keys a passphrase change re-wrapped on this machine. */
export interface PassphraseChange {
  readonly member: string;
  /** This machine's keychain: the member's own laptop (made here with `member create`). */
  readonly keychain: boolean;
  /** The custody copy at this vault (in-person approval at a vault laptop). */
  readonly custody: boolean;
}

/** A custody file's identity for the journal: the hash its signature covers (never the wrapped keys). */
export const custodyHash = (custody: CustodyFile): string => {
  const { sig: _sig, ...body } = custody;
  return b64(documentHash(TAG.custody, body));
};

/** The copies of `id`'s keys this machine holds, or NOT_FOUND naming both places it looked. */
async function keysHere(
  session: VaultSession,
  id: string,
): Promise<{ card: MemberCard; own: PassphraseWrapped | null; custody: CustodyFile | null }> {
  const own = (await memberKeysHere(session)).includes(id) ? await ownMember(session, id) : null;
  const onRoster = session.repo.getMember(id) !== undefined && !session.evidence.isRemoved(id);
  const enrolled = onRoster ? enrolledMember(session, id) : null;
  const custody = enrolled?.custody ?? null;
  if (!own && !custody) {
    throw new BreakGlassError(
      'NOT_FOUND',
      `this machine holds no keys of ${id}: none in its keychain (made with "breakglass member create") and no custody copy at this vault; change the passphrase on the machine that holds them; nothing was changed`,
    );
  }
  if (own && enrolled && (own.card.signingKey !== enrolled.card.signingKey || own.card.agreementKey !== enrolled.card.agreementKey)) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the keys of ${id} in this machine's keychain are not the keys this vault enrolled for ${id}; nothing was changed`,
      { member: id },
    );
  }
  return { card: enrolled?.card ?? own!.card, own: own?.wrapped ?? null, custody };
}

/**
 * Changes a member's passphrase wherever this machine holds their keys: its keychain and/or the
 * custody copy at this vault (re-signed by the member's key, which the current passphrase unlocks).
 * Asks `passphrase` for the current one (its tries; each wrong one journaled), then the new one
 * (`newPassphraseQuestion`, and again with `REPEAT_NEW_PASSPHRASE` when `repeat`): BAD_INPUT, with
 * nothing changed, when it is shorter than MIN_PASSPHRASE or the two differ. Journaled as
 * `member.passphrase`. Custody copies exported to other vault laptops keep the old passphrase until
 * replaced with a fresh export.
 */
export async function changePassphrase(
  session: VaultSession,
  id: string,
  passphrase: PassphraseSource,
  options: { readonly repeat: boolean },
): Promise<PassphraseChange> {
  session.assertJournalIntact();
  const { card, own, custody } = await keysHere(session, id);
  // The keychain copy when there is one: the passphrase of the member's own laptop.
  const keys = await unwrapWithTries(card, own ?? custody!.wrapped, passphrase, `current passphrase of ${card.name} (${id})`, (err) =>
    journalOnly(session, err, id, id, { action: 'change passphrase' }),
  );
  const next = await passphrase(newPassphraseQuestion(id));
  if (next.length < MIN_PASSPHRASE) {
    throw new BreakGlassError('BAD_INPUT', `the new passphrase must have at least ${MIN_PASSPHRASE} characters; nothing was changed`);
  }
  if (options.repeat && (await passphrase(REPEAT_NEW_PASSPHRASE)) !== next) {
    throw new BreakGlassError('BAD_INPUT', 'the two new passphrases differ; nothing was changed');
  }
  const wrapped = await wrapMemberKeys(card, keys, next);
  const fresh = custody ? custodyFor(card, wrapped, keys) : null;
  const change: PassphraseChange = { member: id, keychain: own !== null, custody: fresh !== null };
  // The custody copy and the entry commit together. The keychain cannot join that transaction, so
  // it is written after the commit: a crash in between leaves the keychain copy wrapped by the old
  // passphrase (it still opens with it) and a journal that says the change was made, never a change
  // the journal does not record. Either way every copy opens with one of the two passphrases.
  await session.commit((append) => {
    if (fresh) session.repo.upsertMember({ ...session.repo.getMember(id)!, custody: JSON.stringify(fresh) });
    append({
      kind: 'member.passphrase',
      actor: id,
      subject: id,
      data: {
        fingerprint: memberFingerprint(card),
        keychain: change.keychain,
        custody: change.custody,
        ...(fresh ? { custodyHash: custodyHash(fresh) } : {}),
      },
    });
  });
  if (own) {
    try {
      await storeOwnMember(session, card, wrapped);
    } catch (err) {
      throw new BreakGlassError(
        'KEYCHAIN_UNAVAILABLE',
        `the change of ${id}'s passphrase is journaled${fresh ? ' and the custody copy here re-wrapped' : ''}, but the keychain could not be written: ${id}'s keys in this machine's keychain still open with the old passphrase; run the command again`,
        { member: id },
        { cause: err },
      );
    }
  }
  return change;
}

/**
 * A custody copy of this machine's member, for a vault laptop, after their passphrase (its tries;
 * each wrong one journaled) unlocks their keys to sign it. Journaled (`member.export`, with the
 * custody file's hash) before the caller writes it anywhere.
 */
export async function exportMemberKey(
  session: VaultSession,
  id: string,
  passphrase: PassphraseSource,
): Promise<{ custody: CustodyFile; hash: string }> {
  session.assertJournalIntact();
  const { card, wrapped } = await ownMember(session, id);
  const keys = await unwrapWithTries(card, wrapped, passphrase, `passphrase of ${card.name} (${id}) to export a custody copy`, (err) =>
    journalOnly(session, err, id, id, { action: 'export a custody copy' }),
  );
  const custody = custodyFor(card, wrapped, keys);
  const hash = custodyHash(custody);
  await session.commit((append) =>
    append({ kind: 'member.export', actor: id, subject: id, data: { fingerprint: memberFingerprint(card), custodyHash: hash } }),
  );
  return { custody, hash };
}
