import { BreakGlassError } from '../core/errors.js';
import {
  ApprovalTokenSchema,
  RequestBundleSchema,
  parseDocument,
  type ApprovalBody,
  type ApprovalToken,
  type JournalAnchor,
  type RequestBody,
  type RequestBundle,
} from '../core/documents.js';
import {
  TAG,
  b64,
  documentHash,
  openFromKey,
  sealToKey,
  shareContext,
  shareMatches,
  signDocument,
  verifyDocument,
  verifyHolderShare,
  type MemberKeys,
  type SealedToKey,
  type ShareCommitment,
} from '../crypto/index.js';
import { decodeDocument } from './codes.js';
import { credentialRow, envelopeOf, rulesFor } from './credentials.js';
import { cardIsAuthentic, enrolledMember, ownMember, unlockInPerson, unwrapMemberKeys, type PassphraseSource } from './members.js';
import { currentPolicy } from './policy.js';
import { anchorOf, assertCurrentSplit, ephemeralKey, requestBody, requestRow, summarizeRequest, type RequestSummary } from './requests.js';
import type { VaultSession } from './session.js';

/** The AAD of a share re-sealed to a request's ephemeral key: it binds request and holder. */
export function approvalContext(body: Pick<ApprovalBody, 'vault' | 'request' | 'requestHash' | 'holder'>): string {
  return `approval\n${body.vault}\n${body.request}\n${body.requestHash}\n${body.holder}`;
}

/** The hash that identifies an approval token (for replay detection and cross-references). */
export function approvalHash(token: ApprovalToken): string {
  return b64(documentHash(TAG.approval, token.body));
}

interface ApprovalInputs {
  readonly request: RequestBody;
  readonly requestHash: string;
  readonly anchor: JournalAnchor;
  readonly holder: string;
  readonly sealedShare: SealedToKey;
  readonly commitment: ShareCommitment;
}

/**
 * Makes a holder's approval: opens their share with their key, checks it against its commitment,
 * re-seals it to the request's ephemeral key and signs the result. BAD_SHARE names the holder.
 */
export function makeApproval(keys: MemberKeys, input: ApprovalInputs): ApprovalToken {
  const { request } = input;
  const ctx = shareContext({ vault: request.vault, credential: request.credential, version: request.credentialVersion }, input.holder);
  const share = openFromKey(keys.agreement, input.sealedShare, ctx);
  if (!share || !shareMatches(share, ctx, input.commitment)) {
    throw new BreakGlassError(
      'BAD_SHARE',
      `the share of ${input.holder} for ${request.credential} does not open or does not match its commitment`,
      { holder: input.holder },
    );
  }
  const partial = { vault: request.vault, request: request.id, requestHash: input.requestHash, holder: input.holder };
  const body: ApprovalBody = {
    format: 'breakglass.approval',
    version: 1,
    ...partial,
    credential: request.credential,
    credentialVersion: request.credentialVersion,
    anchor: input.anchor,
    sealedShare: sealToKey(request.ephemeralKey, share, approvalContext(partial)),
    approvedAt: Date.now(),
    expiresAt: request.expiresAt,
  };
  share.fill(0);
  return { body, sig: signDocument(TAG.approval, body, keys.signing) };
}

/**
 * Accepts an approval into its open request after checking, in order: that it is for this vault and
 * this very request, the holder's signature, the holder's place in the policy, expiry, duplicates,
 * and the share against its commitment. Security-relevant refusals are journaled.
 */
export async function acceptApproval(session: VaultSession, tokenInput: unknown): Promise<RequestSummary> {
  session.assertJournalIntact();
  const token = parseDocument(ApprovalTokenSchema, tokenInput, 'approval', 'BAD_BUNDLE');
  const { body } = token;
  const hash = approvalHash(token);
  const refuse = (err: BreakGlassError): Promise<never> =>
    session.refuse(err, body.holder, body.credential, { request: body.request, approval: hash });
  const row = session.repo.getRequest(body.request);
  if (body.vault !== session.vaultId || !row || row.hash !== body.requestHash) {
    return refuse(
      new BreakGlassError(
        'APPROVAL_REPLAYED',
        `this approval was made for another request (${body.request} at vault ${body.vault}); it cannot be used here`,
      ),
    );
  }
  const { card } = enrolledMember(session, body.holder);
  if (!verifyDocument(TAG.approval, body, token.sig, card.signingKey)) {
    return refuse(new BreakGlassError('BAD_SIGNATURE', `the approval is not signed by ${body.holder}'s key; it was altered or forged`));
  }
  if (session.repo.findApprovalByHash(hash)) {
    return refuse(new BreakGlassError('DUPLICATE_APPROVAL', `this approval from ${body.holder} was already accepted for ${body.request}`));
  }
  if (row.status === 'expired' || (row.status === 'open' && Date.now() > row.expires_at)) {
    return refuse(
      new BreakGlassError('REQUEST_EXPIRED', `request ${row.id} expired at ${new Date(row.expires_at).toISOString()}; open a new request`),
    );
  }
  if (row.status !== 'open') {
    return refuse(new BreakGlassError('APPROVAL_REPLAYED', `request ${row.id} is ${row.status}; approvals for it are no longer accepted`));
  }
  const request = requestBody(session, row);
  const cred = credentialRow(session, row.credential_id);
  const rules = rulesFor(currentPolicy(session).policy, cred.id);
  const envelope = envelopeOf(session, cred.id, 'active');
  assertCurrentSplit(request, envelope);
  if (!envelope.shares.some((s) => s.holder === body.holder) || !rules.holders.includes(body.holder)) {
    return refuse(new BreakGlassError('POLICY_DENIED', `${body.holder} is not a holder of ${cred.id}`));
  }
  if (body.holder === request.requester) {
    return refuse(new BreakGlassError('SELF_APPROVAL', `${body.holder} opened this request and cannot also approve it`));
  }
  if (body.credentialVersion !== cred.version || body.expiresAt !== request.expiresAt) {
    return refuse(new BreakGlassError('APPROVAL_REPLAYED', `the approval does not match request ${row.id} as this vault recorded it`));
  }
  if (session.repo.listApprovals(row.id).some((a) => a.holder === body.holder)) {
    return refuse(
      new BreakGlassError('DUPLICATE_APPROVAL', `${body.holder} has already approved request ${row.id}; one approval per holder`),
    );
  }
  const share = openFromKey(await ephemeralKey(session, row.id), body.sealedShare, approvalContext(body));
  const good = share !== null && verifyHolderShare(envelope, body.holder, share);
  share?.fill(0);
  if (!good) {
    return refuse(
      new BreakGlassError(
        'BAD_SHARE',
        `the share from ${body.holder} does not match its commitment; ask ${card.name} to check their share ("breakglass shares check")`,
        { holder: body.holder },
      ),
    );
  }
  await session.commit((append) => {
    session.repo.insertApproval({
      request_id: row.id,
      holder: body.holder,
      token: JSON.stringify(token),
      token_hash: hash,
      accepted_at: Date.now(),
    });
    append({
      kind: 'approval.accept',
      actor: body.holder,
      subject: cred.id,
      data: { request: row.id, approval: hash, approvedAt: body.approvedAt, anchor: body.anchor },
    });
  });
  return summarizeRequest(session, requestRow(session, row.id));
}

/** A holder approves in person at the vault laptop: custody copy and passphrase, or keys a caller unlocked earlier. */
export async function approveInPerson(
  session: VaultSession,
  requestId: string,
  holder: string,
  unlock: PassphraseSource | MemberKeys,
): Promise<RequestSummary> {
  session.assertJournalIntact();
  const row = requestRow(session, requestId);
  // Refuse what is bound to fail before the passphrase is asked for (and its KDF paid).
  if (row.status === 'expired' || (row.status === 'open' && Date.now() > row.expires_at)) {
    return session.refuse(
      new BreakGlassError('REQUEST_EXPIRED', `request ${row.id} expired at ${new Date(row.expires_at).toISOString()}; open a new request`),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  if (row.status !== 'open')
    throw new BreakGlassError('STATE_CONFLICT', `request ${row.id} is ${row.status}; only an open request can be approved`);
  if (session.repo.listApprovals(row.id).some((a) => a.holder === holder)) {
    return session.refuse(
      new BreakGlassError('DUPLICATE_APPROVAL', `${holder} has already approved request ${row.id}; one approval per holder`),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  const rules = rulesFor(currentPolicy(session).policy, row.credential_id);
  if (!rules.in_person_approval) {
    return session.refuse(
      new BreakGlassError(
        'POLICY_DENIED',
        `the policy of ${row.credential_id} does not allow in-person approval; send ${holder} a bundle ("breakglass request export")`,
      ),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  const envelope = envelopeOf(session, row.credential_id, 'active');
  const request = requestBody(session, row);
  assertCurrentSplit(request, envelope);
  const share = envelope.shares.find((s) => s.holder === holder);
  if (!share) {
    return session.refuse(
      new BreakGlassError('POLICY_DENIED', `${holder} is not a holder of ${row.credential_id}`),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  // Keys a caller unlocked earlier are checked by acceptApproval: the signature must verify under the card.
  const keys = typeof unlock === 'function' ? await unlockInPerson(session, holder, unlock, `approve request ${requestId}`) : unlock;
  const token = makeApproval(keys, {
    request,
    requestHash: row.hash,
    anchor: anchorOf(session, row),
    holder,
    sealedShare: share.sealed,
    commitment: share.commitment,
  });
  return acceptApproval(session, token);
}

/** Parses a bundle file or text code and checks that the requester really signed it. */
export function readBundle(text: string): RequestBundle {
  const bundle = parseDocument(RequestBundleSchema, decodeDocument('bundle', text, 'request bundle'), 'request bundle', 'BAD_BUNDLE');
  const { request, requesterCard } = bundle;
  if (b64(documentHash(TAG.request, request)) !== bundle.requestHash) {
    throw new BreakGlassError('BAD_BUNDLE', "the bundle's request does not match its hash; it was altered");
  }
  if (
    requesterCard.id !== request.requester ||
    !cardIsAuthentic(requesterCard) ||
    !verifyDocument(TAG.request, request, bundle.requesterSignature, requesterCard.signingKey)
  ) {
    throw new BreakGlassError('BAD_SIGNATURE', `the request is not signed by ${request.requester}; do not approve it`);
  }
  if (bundle.anchor.hash.length === 0) throw new BreakGlassError('BAD_BUNDLE', 'the bundle has no journal anchor');
  return bundle;
}

/** The meta key under which a holder's laptop pins a requester's signing key, per vault. */
const pinKey = (vault: string, requester: string): string => `pin:${vault}:requester:${requester}`;

/**
 * Whether this laptop has seen the bundle's requester key before (trust on first use): 'first' the
 * first time, 'same' when it matches, 'changed' when this laptop approved for this requester of this
 * vault under another key: a bundle forged with a card of its own.
 */
export function requesterPin(session: VaultSession, bundle: RequestBundle): 'first' | 'same' | 'changed' {
  const pinned = session.repo.getMeta(pinKey(bundle.request.vault, bundle.request.requester));
  if (pinned === null) return 'first';
  return pinned === bundle.requesterCard.signingKey ? 'same' : 'changed';
}

/**
 * On a holder's own laptop: approves a bundle with the key in this machine's keychain, and records
 * the approval in this machine's journal (the cross-reference that exposes a vault cutting its tail).
 */
export async function approveBundle(session: VaultSession, bundle: RequestBundle, passphrase: PassphraseSource): Promise<ApprovalToken> {
  session.assertJournalIntact();
  const { request } = bundle;
  const pin = requesterPin(session, bundle);
  if (pin === 'changed') {
    await session.refuse(
      new BreakGlassError(
        'BAD_SIGNATURE',
        `this request is signed by a key this laptop has not seen for ${request.requester} of vault ${request.vault} (it approved their requests under another key before); do not approve it, and tell security`,
      ),
      bundle.holder,
      request.credential,
      { request: request.id, requester: request.requester, requesterKey: bundle.requesterCard.signingKey },
    );
  }
  if (Date.now() > request.expiresAt) {
    throw new BreakGlassError(
      'REQUEST_EXPIRED',
      `request ${request.id} expired at ${new Date(request.expiresAt).toISOString()}; ask for a new bundle`,
    );
  }
  if (bundle.holder === request.requester) {
    throw new BreakGlassError('SELF_APPROVAL', `${bundle.holder} opened this request and cannot also approve it`);
  }
  const { card, wrapped } = await ownMember(session, bundle.holder);
  let keys: MemberKeys;
  try {
    keys = await unwrapMemberKeys(card, wrapped, await passphrase(`${card.name} (${card.id}) passphrase to approve ${request.id}`));
  } catch (err) {
    if (err instanceof BreakGlassError && err.code === 'WRONG_PASSPHRASE')
      await session.refuse(err, card.id, request.credential, { request: request.id });
    throw err;
  }
  const token = makeApproval(keys, {
    request,
    requestHash: bundle.requestHash,
    anchor: bundle.anchor,
    holder: bundle.holder,
    sealedShare: bundle.share.sealed,
    commitment: bundle.share.commitment,
  });
  await session.commit((append) => {
    if (pin === 'first') session.repo.setMeta(pinKey(request.vault, request.requester), bundle.requesterCard.signingKey);
    return append({
      kind: 'approval.give',
      actor: card.id,
      subject: request.credential,
      data: {
        vault: request.vault,
        request: request.id,
        requestHash: bundle.requestHash,
        requester: request.requester,
        trigger: request.trigger,
        incident: request.incident,
        anchor: bundle.anchor,
        approval: approvalHash(token),
        requesterKey: bundle.requesterCard.signingKey,
      },
    });
  });
  return token;
}

/** Reads an approval file or text code. */
export function readApproval(text: string): unknown {
  return decodeDocument('approval', text, 'approval');
}
