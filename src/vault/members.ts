import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { canonicalize } from '../core/canonical.js';
import { BreakGlassError } from '../core/errors.js';
import { assertDocumentKind } from '../core/recognise.js';
import {
  CustodyFileSchema,
  MemberCardSchema,
  WrappedKeysSchema,
  parseDocument,
  type CustodyFile,
  type MemberCard,
} from '../core/documents.js';
import {
  TAG,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  isValidPublicKey,
  memberFingerprint,
  memberKeyAad,
  shortFingerprint,
  signDocument,
  unwrapWithPassphrase,
  verifyDocument,
  wrapWithPassphrase,
  type MemberKeys,
  type PassphraseWrapped,
} from '../crypto/index.js';
import type { VaultSession } from './session.js';

/**
 * Asks for a passphrase when (and only when) it is needed; `prompt` says whose and why (with "try 2
 * of 3" before it on a retry), `question` the same without the retry words (the prompt when absent).
 * `tries`: how many times a person may type it in one command (three at a terminal; once from a file).
 */
export interface PassphraseSource {
  (prompt: string, question?: string): Promise<string>;
  readonly tries?: number;
  /**
   * What the KDF already answered for a wrapped copy and a passphrase in this command (askFirst's
   * two runs share it): the same copy and passphrase give the same keys, or the same refusal, so
   * the run under the lock does not pay the KDF again.
   */
  readonly unwrapped?: Map<string, MemberKeys | BreakGlassError>;
}

/** The memo key of one unwrap: the card, the wrapped copy and the passphrase, hashed (never kept as text). */
const unwrapMemo = (card: MemberCard, wrapped: PassphraseWrapped, passphrase: string): string =>
  createHash('sha256')
    .update(JSON.stringify([card.id, card.signingKey, wrapped, passphrase]))
    .digest('base64');

/**
 * Unwraps a member's keys with a passphrase asked from `passphrase`, up to its `tries` (at most 3):
 * each wrong one is reported to `onWrong` (which journals it) before the next is asked for, and the
 * last is thrown. A person who mistyped does not retype a whole command.
 */
export async function unwrapWithTries(
  card: MemberCard,
  wrapped: PassphraseWrapped,
  passphrase: PassphraseSource,
  purpose: string,
  onWrong: (err: BreakGlassError) => Promise<void>,
): Promise<MemberKeys> {
  const tries = Math.max(1, Math.min(3, passphrase.tries ?? 1));
  for (let attempt = 1; ; attempt++) {
    const asked = attempt === 1 ? purpose : `that was not the passphrase; try ${attempt} of ${tries}: ${purpose}`;
    try {
      const answer = await passphrase(asked, purpose);
      const memo = passphrase.unwrapped;
      const key = memo ? unwrapMemo(card, wrapped, answer) : '';
      const known = memo?.get(key);
      if (known instanceof BreakGlassError) throw known;
      if (known) return known;
      try {
        const keys = await unwrapMemberKeys(card, wrapped, answer);
        memo?.set(key, keys);
        return keys;
      } catch (err) {
        if (err instanceof BreakGlassError && err.code === 'WRONG_PASSPHRASE') memo?.set(key, err);
        throw err;
      }
    } catch (err) {
      if (!(err instanceof BreakGlassError) || err.code !== 'WRONG_PASSPHRASE') throw err;
      await onWrong(err);
      if (attempt >= tries) throw err;
    }
  }
}

/** Journals a refusal through `session.refuse` and returns, for a person who may try again. */
export const journalOnly = async (
  session: VaultSession,
  err: BreakGlassError,
  actor: string,
  subject: string,
  data: Record<string, unknown>,
): Promise<void> => {
  await session.refuse(err, actor, subject, data).catch((thrown: unknown) => {
    if (thrown !== err) throw thrown;
  });
};

/** The shortest passphrase a member may choose (said in the prompt, before anyone types). */
export const MIN_PASSPHRASE = 10;
const memberAccount = (id: string): string => `member:${id}`;

/** True when a card's self-signature verifies. */
export function cardIsAuthentic(card: MemberCard): boolean {
  const { sig, ...body } = card;
  return verifyDocument(TAG.memberCard, body, sig, card.signingKey);
}

/**
 * Refuses (BAD_KEY) a card whose keys are weak: not the canonical encoding of a curve point, or a
 * point of small order. An identity-point signing key would verify signatures nobody made.
 */
export function assertCardKeys(card: MemberCard, what = 'member card'): void {
  for (const [key, crv, name] of [
    [card.signingKey, 'Ed25519', 'signing key'],
    [card.agreementKey, 'X25519', 'agreement key'],
  ] as const) {
    if (!isValidPublicKey(key, crv)) {
      throw new BreakGlassError(
        'BAD_KEY',
        `the ${what} for ${card.id} carries a ${name} that is not a valid ${crv} public key (weak, or not on the curve); ask ${card.name} for a fresh card`,
      );
    }
  }
}

/** Parses and authenticates a member card from another machine. */
export function parseCard(input: unknown, what = 'member card'): MemberCard {
  assertDocumentKind(input, 'member-card');
  const card = parseDocument(MemberCardSchema, input, what, 'BAD_INPUT');
  assertCardKeys(card, what);
  if (!cardIsAuthentic(card))
    throw new BreakGlassError('BAD_SIGNATURE', `${what} for ${card.id} is not signed by its own key; ask ${card.name} for a fresh card`);
  return card;
}

/** Refuses a member name the card could not carry (BAD_INPUT), before anything is created. */
export function assertMemberName(name: string): void {
  const { minLength, maxLength } = MemberCardSchema.shape.name;
  if (name.trim() === '' || name.length > (maxLength ?? Infinity) || name.length < (minLength ?? 0)) {
    throw new BreakGlassError('BAD_INPUT', `the name must be 1-${maxLength} characters (it has ${name.length})`);
  }
}

/**
 * Creates a member's keys on their own machine: kept in this machine's keychain, wrapped by their
 * passphrase. Returns the public card to hand to security and the vault laptops.
 */
export async function createMember(session: VaultSession, id: string, name: string, passphrase: string): Promise<MemberCard> {
  await assertNewMember(session, id, name);
  if (passphrase.length < MIN_PASSPHRASE) {
    throw new BreakGlassError('BAD_INPUT', `the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  }
  const secrets = await session.secrets();
  const keys: MemberKeys = { signing: generateSigningKeyPair(), agreement: generateAgreementKeyPair() };
  const body = {
    format: 'breakglass.member-card' as const,
    version: 1 as const,
    id,
    name,
    signingKey: keys.signing.publicKey,
    agreementKey: keys.agreement.publicKey,
    createdAt: Date.now(),
  };
  const card: MemberCard = { ...body, sig: signDocument(TAG.memberCard, body, keys.signing) };
  const wrapped = await wrapMemberKeys(card, keys, passphrase);
  await storeOwnMember(session, card, wrapped);
  try {
    await session.commit((append) =>
      append({
        kind: 'member.add',
        actor: id,
        subject: id,
        data: { card, fingerprint: memberFingerprint(card), keysOnThisMachine: true },
      }),
    );
  } catch (err) {
    // Keys whose creation was never journaled are not kept.
    await secrets.delete(memberAccount(id)).catch(() => false);
    throw err;
  }
  return card;
}

/**
 * What `createMember` checks before it creates anything, for a caller to check before it asks for
 * the new passphrase: a vault that would refuse the commit, a name or an id that would be refused.
 */
export async function assertNewMember(session: VaultSession, id: string, name: string): Promise<void> {
  session.assertJournalIntact();
  assertMemberName(name);
  if (await (await session.secrets()).get(memberAccount(id))) {
    throw new BreakGlassError('ALREADY_EXISTS', `member ${id} already has keys on this machine`);
  }
}

/** This machine's own member (keys in its keychain), or NOT_FOUND. */
export async function ownMember(session: VaultSession, id: string): Promise<{ card: MemberCard; wrapped: PassphraseWrapped }> {
  const stored = await (await session.secrets()).get(memberAccount(id));
  if (!stored)
    throw new BreakGlassError('NOT_FOUND', `member ${id} has no keys on this machine; run "breakglass member create" here first`);
  const parsed = JSON.parse(stored) as { card: unknown; wrapped: unknown };
  return { card: parseCard(parsed.card), wrapped: parseDocument(WrappedKeysSchema, parsed.wrapped, 'stored member keys') };
}

/**
 * The members whose keys this machine's keychain holds (made here with `member create`): who can
 * approve a bundle on this laptop. Custody copies at a vault laptop are not counted.
 */
export async function memberKeysHere(session: VaultSession): Promise<string[]> {
  const accounts = await (await session.secrets()).list();
  return accounts
    .filter((a) => a.startsWith(memberAccount('')))
    .map((a) => a.slice(memberAccount('').length))
    .sort();
}

/** Unwraps a member's keys with their passphrase; WRONG_PASSPHRASE when it does not open them. */
export async function unwrapMemberKeys(card: MemberCard, wrapped: PassphraseWrapped, passphrase: string): Promise<MemberKeys> {
  const plain = await unwrapWithPassphrase(passphrase, wrapped, memberKeyAad(card.id, card.signingKey));
  if (!plain)
    throw new BreakGlassError('WRONG_PASSPHRASE', `that is not ${card.name}'s passphrase (member ${card.id})`, { member: card.id });
  const keys = JSON.parse(plain.toString('utf8')) as MemberKeys;
  plain.fill(0);
  if (keys.signing.publicKey !== card.signingKey || keys.agreement.publicKey !== card.agreementKey) {
    throw new BreakGlassError('INTEGRITY_FAILURE', `the keys of member ${card.id} do not match their card`);
  }
  return keys;
}

/** Wraps a member's keys with a passphrase, bound to their id and signing key. */
export async function wrapMemberKeys(card: MemberCard, keys: MemberKeys, passphrase: string): Promise<PassphraseWrapped> {
  const plain = Buffer.from(JSON.stringify(keys), 'utf8');
  try {
    return await wrapWithPassphrase(passphrase, plain, memberKeyAad(card.id, card.signingKey));
  } finally {
    plain.fill(0);
  }
}

/** Keeps (or replaces) this machine's own copy of a member's wrapped keys in its keychain. */
export async function storeOwnMember(session: VaultSession, card: MemberCard, wrapped: PassphraseWrapped): Promise<void> {
  await (await session.secrets()).set(memberAccount(card.id), JSON.stringify({ card, wrapped }));
}

/** A custody file of `wrapped`, signed with the member's own signing key (so a vault can tell it is theirs). */
export function custodyFor(card: MemberCard, wrapped: PassphraseWrapped, keys: MemberKeys): CustodyFile {
  const body = { format: 'breakglass.custody', version: 2, member: card.id, signingKey: card.signingKey, wrapped } as const;
  return { ...body, sig: signDocument(TAG.custody, body, keys.signing) };
}

/**
 * Writes and journals nothing; returns a custody file for this machine's member after checking their
 * passphrase. For building vaults in tests and the demo: the CLI's `member export-key` journals its
 * export (`exportMemberKey`).
 */
export async function exportCustody(session: VaultSession, id: string, passphrase: string): Promise<CustodyFile> {
  const { card, wrapped } = await ownMember(session, id);
  return custodyFor(card, wrapped, await unwrapMemberKeys(card, wrapped, passphrase));
}

/**
 * Parses a custody file for `card`: BAD_INPUT naming it when it is damaged (its signature by the
 * card's key does not verify) or from an earlier version, FOREIGN_INPUT when it is another member's.
 */
export function parseCustody(input: unknown, card: MemberCard, what = 'custody file'): CustodyFile {
  assertDocumentKind(input, 'custody');
  if (typeof input === 'object' && input !== null && (input as { version?: unknown }).version === 1) {
    throw new BreakGlassError(
      'BAD_INPUT',
      `${what} was made by an earlier version, without a signature; ask ${card.name} to export it again with "breakglass member export-key"`,
    );
  }
  const custody = parseDocument(CustodyFileSchema, input, what);
  if (custody.member !== card.id || custody.signingKey !== card.signingKey) {
    throw new BreakGlassError('FOREIGN_INPUT', `the custody file belongs to ${custody.member}, not to the card of ${card.id}`);
  }
  const { sig, ...body } = custody;
  if (!verifyDocument(TAG.custody, body, sig, card.signingKey)) {
    throw new BreakGlassError(
      'BAD_INPUT',
      `${what} is damaged or was altered: its signature by ${card.id}'s key does not verify; ask ${card.name} to export it again`,
    );
  }
  return custody;
}

/**
 * Adds (or updates the custody copy of) a member at this vault, from their card. `names` say which
 * files the card and custody copy came from, so a damaged one is BAD_INPUT naming it.
 */
export async function addMember(
  session: VaultSession,
  cardInput: unknown,
  custodyInput?: unknown,
  names: { card?: string; custody?: string } = {},
  by?: string,
): Promise<MemberCard> {
  const card = parseCard(cardInput, names.card ?? 'member card');
  const actor = statedActor(session, by, card.id);
  const custody = custodyInput === undefined ? undefined : parseCustody(custodyInput, card, names.custody ?? 'custody file');
  const existing = session.repo.getMember(card.id);
  if (existing || session.evidence.hasCard(card.id)) {
    // Judged against the card the journal enrolled, not the database row.
    const known = session.evidence.card(card.id);
    if (known.signingKey !== card.signingKey || known.agreementKey !== card.agreementKey) {
      throw new BreakGlassError(
        'ALREADY_EXISTS',
        `member ${card.id} is already enrolled with other keys; a key change needs a new member id`,
      );
    }
  }
  const custodyJson = custody ? JSON.stringify(custody) : (existing?.custody ?? null);
  await session.commit((append) => {
    session.repo.upsertMember({
      id: card.id,
      name: card.name,
      card: JSON.stringify(card),
      custody: custodyJson,
      added_at: existing?.added_at ?? Date.now(),
    });
    append({
      kind: 'member.add',
      actor,
      subject: card.id,
      // The whole card: every later use of this member's keys is checked against this entry.
      data: { card, fingerprint: memberFingerprint(card), custody: custodyJson !== null },
    });
  });
  return card;
}

/**
 * Who the journal names as having made a change nobody signs (policy set, member add and remove,
 * seal, reseal): the member given with `--by` (enrolled here, or `self`, the member a card being
 * added belongs to; stated, not signed), else the account logged in at this machine, `login:NAME`.
 * A name that is neither is refused before anything changes.
 */
export function statedActor(session: VaultSession, by: string | undefined, self?: string): string {
  if (by === undefined) return loginActor();
  if (by !== self) enrolledMember(session, by);
  return by;
}

/** `login:NAME`, the account this process runs as (its name in the id alphabet, at most 64 characters). */
function loginActor(): string {
  let name = '';
  try {
    name = userInfo().username;
  } catch {
    // no entry for this uid in the password database: said so below
  }
  const shown = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `login:${shown || 'unknown'}`;
}

/**
 * A member enrolled at this vault, with their card: the card recorded in their signed `member.add`
 * journal entry. A database row whose card differs (a card swapped in by hand) is INTEGRITY_FAILURE,
 * and so is a custody copy made for other keys.
 */
export function enrolledMember(session: VaultSession, id: string): { card: MemberCard; custody: CustodyFile | null } {
  const row = session.repo.getMember(id);
  if (!row)
    throw new BreakGlassError('NOT_FOUND', `no member ${id} is enrolled at this vault; add their card with "breakglass member add"`);
  if (session.evidence.isRemoved(id))
    throw new BreakGlassError(
      'NOT_FOUND',
      `member ${id} was removed from this vault ("breakglass journal show --kind member.remove"); to enrol them again, add their card with "breakglass member add"`,
    );
  const card = session.evidence.card(id);
  const stored = parseCard(JSON.parse(row.card));
  if (canonicalize(stored) !== canonicalize(card)) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the card of ${id} in this vault's database (fingerprint ${shortFingerprint(memberFingerprint(stored))}) is not the card its journal enrolled (${shortFingerprint(memberFingerprint(card))}): it was swapped by hand; do not use this vault until security has examined it`,
      { member: id },
    );
  }
  let custody: CustodyFile | null = null;
  try {
    custody = row.custody ? parseCustody(JSON.parse(row.custody), card, 'custody copy') : null;
  } catch (err) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the custody copy of ${id} in this vault's database is not the one ${id} signed for the card its journal enrolled: it was swapped or altered by hand`,
      { member: id },
      { cause: err },
    );
  }
  return { card, custody };
}

/**
 * Unlocks an enrolled member's custody copy with their passphrase, at the vault laptop. A wrong
 * passphrase is journaled before it is reported, about `about` when the step has one (the
 * credential and request an approval or review is for, so an auditor finds it with its activation).
 */
export async function unlockInPerson(
  session: VaultSession,
  id: string,
  passphrase: PassphraseSource,
  action: string,
  about?: { readonly credential: string; readonly request: string },
): Promise<MemberKeys> {
  const { card, custody } = enrolledMember(session, id);
  if (!custody) {
    throw new BreakGlassError(
      'POLICY_DENIED',
      `member ${id} has no custody copy at this vault, so cannot ${action} here in person; ${action.startsWith('approve request') ? 'use an exported bundle, or ' : ''}add their key with "member add CARD --custody FILE"`,
    );
  }
  return unwrapWithTries(card, custody.wrapped, passphrase, `${card.name} (${id}) passphrase to ${action}`, (err) =>
    about
      ? journalOnly(session, err, id, about.credential, { action, request: about.request })
      : journalOnly(session, err, id, id, { action }),
  );
}

/**
 * The keys `id` signs with here: unlocked in person from their passphrase (`unlockInPerson`), or
 * given already by a caller that holds them (a long-running app, a benchmark), which must be the keys
 * of their enrolled card.
 */
export async function signingKeysOf(
  session: VaultSession,
  id: string,
  source: PassphraseSource | MemberKeys,
  action: string,
  about?: { readonly credential: string; readonly request: string },
): Promise<MemberKeys> {
  const keys = typeof source === 'function' ? await unlockInPerson(session, id, source, action, about) : source;
  if (keys.signing.publicKey !== enrolledMember(session, id).card.signingKey) {
    throw new BreakGlassError('BAD_SIGNATURE', `the keys given are not those of ${id}'s enrolled card`);
  }
  return keys;
}

/** The members enrolled at this vault, without key material. */
export function listMembers(
  session: VaultSession,
): { id: string; name: string; custody: boolean; addedAt: number; fingerprint: string | null }[] {
  const onRoster = session.repo.listMembers().filter((m) => !session.evidence.isRemoved(m.id));
  return onRoster.map((m) => {
    // A view: a card that does not match the journal is shown without a fingerprint rather than hidden.
    let fingerprint: string | null = null;
    try {
      fingerprint = memberFingerprint(enrolledMember(session, m.id).card);
    } catch (err) {
      if (!(err instanceof BreakGlassError)) throw err;
    }
    return { id: m.id, name: m.name, custody: m.custody !== null, addedAt: m.added_at, fingerprint };
  });
}
