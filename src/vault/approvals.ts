import { BreakGlassError } from '../core/errors.js';
import { assertDocumentKind } from '../core/recognise.js';
import { formatMoment } from '../core/time.js';
import {
  ApprovalTokenSchema,
  RequestBundleSchema,
  parseDocument,
  type ApprovalBody,
  type ApprovalToken,
  type DrillProofBody,
  type JournalAnchor,
  type RequestBody,
  type RequestBundle,
} from '../core/documents.js';
import {
  TAG,
  b64,
  documentHash,
  isValidPublicKey,
  memberFingerprint,
  openFromKey,
  sealToKey,
  shareContext,
  shareMatches,
  shortFingerprint,
  signDocument,
  verifyDocument,
  verifyHolderShare,
  type MemberKeys,
  type SealedToKey,
  type ShareCommitment,
} from '../crypto/index.js';
import type { MemberCard } from '../core/documents.js';
import { decodeDocument } from './codes.js';
import { credentialRow, envelopeOf, rulesFor } from './credentials.js';
import {
  assertCardKeys,
  cardIsAuthentic,
  enrolledMember,
  ownMember,
  unlockInPerson,
  journalOnly,
  memberKeysHere,
  unwrapWithTries,
  type PassphraseSource,
} from './members.js';
import { policyOfRequest } from './policy.js';
import { approvalContext, journaledApprovals, rebuildDek, takeNextEnvelope } from './quorum.js';
import { anchorOf, assertCurrentSplit, ephemeralKey, requestBody, requestRow, summarizeRequest, type RequestSummary } from './requests.js';
import type { VaultSession } from './session.js';

export { approvalContext } from './quorum.js';

/** The domain tag an approval body is signed under: a share for access, a proof for a drill. */
const tagOf = (body: ApprovalToken['body']): string => (body.format === 'breakglass.approval' ? TAG.approval : TAG.drillProof);

/** The hash that identifies an approval token (for replay detection and cross-references). */
export function approvalHash(token: ApprovalToken): string {
  return b64(documentHash(tagOf(token.body), token.body));
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
 * Makes a holder's approval: opens their share with their key and checks it against its
 * commitment (BAD_SHARE names the holder). For access, the share is re-sealed to the request's
 * ephemeral key; for a drill, nothing of the share leaves: the holder signs that it matched.
 */
export function makeApproval(keys: MemberKeys, input: ApprovalInputs): ApprovalToken {
  const { request } = input;
  const ctx = shareContext({ vault: request.vault, credential: request.credential, version: request.credentialVersion }, input.holder);
  const share = openFromKey(keys.agreement, input.sealedShare, ctx);
  if (!share || !shareMatches(share, ctx, input.commitment)) {
    share?.fill(0);
    throw new BreakGlassError(
      'BAD_SHARE',
      `the share of ${input.holder} for ${request.credential} does not open or does not match its commitment`,
      { holder: input.holder },
    );
  }
  const partial = { vault: request.vault, request: request.id, requestHash: input.requestHash, holder: input.holder };
  const common = {
    version: 1 as const,
    ...partial,
    credential: request.credential,
    credentialVersion: request.credentialVersion,
    anchor: input.anchor,
    approvedAt: Date.now(),
    expiresAt: request.expiresAt,
  };
  try {
    // A drill or a rotation decrypts nothing: the holder proves their share, and no share leaves them.
    if (request.purpose !== 'access') {
      const body: DrillProofBody = { format: 'breakglass.drill-proof', ...common, commitment: input.commitment.hash };
      return { body, sig: signDocument(TAG.drillProof, body, keys.signing) };
    }
    const body: ApprovalBody = {
      format: 'breakglass.approval',
      ...common,
      sealedShare: sealToKey(request.ephemeralKey, share, approvalContext(partial)),
    };
    return { body, sig: signDocument(TAG.approval, body, keys.signing) };
  } finally {
    share.fill(0);
  }
}

const sameAnchor = (a: JournalAnchor, b: JournalAnchor): boolean => a.journal === b.journal && a.seq === b.seq && a.hash === b.hash;

/**
 * Accepts an approval into its open request after checking, in order: that it is for this vault and
 * this very request at the journal position this vault recorded, the holder's signature under their
 * journaled card, the holder's place in the policy, expiry, duplicates, and the share against its
 * commitment (or, for a drill, the proven commitment). Security-relevant refusals are journaled.
 * The approval that completes the quorum of an access request also takes the next envelope, in the
 * same transaction: from then on the credential counts as exposed, however the request ends.
 */
export async function acceptApproval(session: VaultSession, tokenInput: unknown): Promise<RequestSummary> {
  session.assertJournalIntact();
  assertDocumentKind(tokenInput, ['approval', 'drill-proof']);
  const token = parseDocument(ApprovalTokenSchema, tokenInput, 'approval', 'BAD_BUNDLE');
  const { body } = token;
  const hash = approvalHash(token);
  const refuse = (err: BreakGlassError): Promise<never> =>
    session.refuse(err, body.holder, body.credential, { request: body.request, approval: hash });
  // The holder's own laptop, where the approval was just made: an honest mix-up, said as such, not journaled.
  if (body.vault !== session.vaultId && (await memberKeysHere(session)).includes(body.holder)) {
    throw new BreakGlassError(
      'FOREIGN_INPUT',
      `this is ${body.holder}'s approval of request ${body.request} for vault ${body.vault}, and this machine holds ${body.holder}'s keys: it is where the approval was made, not the vault laptop; take it to the vault laptop and run "breakglass approval import FILE" there; nothing was recorded`,
      { holder: body.holder, request: body.request, vault: body.vault },
    );
  }
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
  if (!verifyDocument(tagOf(body), body, token.sig, card.signingKey)) {
    return refuse(new BreakGlassError('BAD_SIGNATURE', `the approval is not signed by ${body.holder}'s key; it was altered or forged`));
  }
  if (session.repo.findApprovalByHash(hash)) {
    return refuse(new BreakGlassError('DUPLICATE_APPROVAL', `this approval from ${body.holder} was already accepted for ${body.request}`));
  }
  if (row.status === 'expired' || (row.status === 'open' && Date.now() > row.expires_at)) {
    return refuse(
      new BreakGlassError('REQUEST_EXPIRED', `request ${row.id} expired at ${formatMoment(row.expires_at)}; open a new request`),
    );
  }
  if (row.status !== 'open') {
    return refuse(new BreakGlassError('APPROVAL_REPLAYED', `request ${row.id} is ${row.status}; approvals for it are no longer accepted`));
  }
  const request = requestBody(session, row);
  const anchor = anchorOf(session, row);
  if (!sameAnchor(body.anchor, anchor)) {
    return refuse(
      new BreakGlassError(
        'APPROVAL_REPLAYED',
        `the approval names the request at seq ${body.anchor.seq} (entry ${body.anchor.hash.slice(0, 8)}…) of journal ${body.anchor.journal}, but this vault recorded it at seq ${anchor.seq} (entry ${anchor.hash.slice(0, 8)}…) of ${anchor.journal}: the bundle the holder saw was not this vault's`,
      ),
    );
  }
  if ((request.purpose !== 'access') !== (body.format === 'breakglass.drill-proof')) {
    return refuse(
      new BreakGlassError(
        'APPROVAL_REPLAYED',
        `request ${row.id} is ${{ access: 'for access', drill: 'a drill', rotate: 'a rotation' }[request.purpose]}, but this approval is ${body.format === 'breakglass.drill-proof' ? "a share's proof (for a drill or a rotation)" : 'for access'}`,
      ),
    );
  }
  const cred = credentialRow(session, row.credential_id);
  const envelope = envelopeOf(session, cred.id, 'active');
  assertCurrentSplit(request, envelope);
  const holderShare = envelope.shares.find((s) => s.holder === body.holder);
  // Who may approve is fixed by the signed request (the split it names), not by a policy set since.
  if (!holderShare || !request.holders.includes(body.holder)) {
    return refuse(new BreakGlassError('POLICY_DENIED', `${body.holder} is not a holder of ${cred.id}`));
  }
  if (body.holder === request.requester) {
    return refuse(new BreakGlassError('SELF_APPROVAL', `${body.holder} opened this request and cannot also approve it`));
  }
  if (body.credentialVersion !== cred.version || body.expiresAt !== request.expiresAt) {
    return refuse(new BreakGlassError('APPROVAL_REPLAYED', `the approval does not match request ${row.id} as this vault recorded it`));
  }
  if (
    session.evidence.request(row.id).approvals.has(body.holder) ||
    session.repo.listApprovals(row.id).some((a) => a.holder === body.holder)
  ) {
    return refuse(
      new BreakGlassError('DUPLICATE_APPROVAL', `${body.holder} has already approved request ${row.id}; one approval per holder`),
    );
  }
  const badShare = (): Promise<never> =>
    refuse(
      new BreakGlassError(
        'BAD_SHARE',
        `the share from ${body.holder} does not match its commitment; ask ${card.name} to check their share ("breakglass shares check")`,
        { holder: body.holder },
      ),
    );
  let quorum: { next: Awaited<ReturnType<typeof takeNextEnvelope>>; holders: string[] } | null = null;
  if (body.format === 'breakglass.drill-proof') {
    if (body.commitment !== holderShare.commitment.hash) return badShare();
  } else {
    const key = await ephemeralKey(session, row.id);
    const share = openFromKey(key, body.sealedShare, approvalContext(body));
    try {
      if (share === null || !verifyHolderShare(envelope, body.holder, share)) return await badShare();
      const accepted = journaledApprovals(session, row);
      if (accepted.length + 1 === request.threshold && session.evidence.request(row.id).quorum === null) {
        const { dek, holders } = await rebuildDek(envelope, key, accepted, { holder: body.holder, share });
        try {
          quorum = { next: await takeNextEnvelope(session, request, envelope, dek), holders };
        } finally {
          dek.fill(0);
        }
      }
    } finally {
      share?.fill(0);
    }
  }
  const now = Date.now();
  await session.commit((append) => {
    session.repo.insertApproval({
      request_id: row.id,
      holder: body.holder,
      token: JSON.stringify(token),
      token_hash: hash,
      accepted_at: now,
    });
    append({
      kind: 'approval.accept',
      actor: body.holder,
      subject: cred.id,
      data: { request: row.id, approval: hash, approvedAt: body.approvedAt, anchor: body.anchor, purpose: request.purpose },
    });
    if (quorum) {
      const { next, digest } = quorum.next;
      session.repo.putEnvelope({
        credential_id: cred.id,
        slot: 'next',
        version: next.context.version,
        body: JSON.stringify(next),
        rotated: 0,
        created_at: now,
      });
      session.repo.updateCredential(cred.id, { exposed: 1 }, now);
      append({
        kind: 'request.quorum',
        actor: 'vault',
        subject: cred.id,
        data: {
          request: row.id,
          holders: quorum.holders,
          version: cred.version,
          nextVersion: next.context.version,
          nextEnvelope: digest,
          exposed: true,
        },
      });
    }
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
      new BreakGlassError('REQUEST_EXPIRED', `request ${row.id} expired at ${formatMoment(row.expires_at)}; open a new request`),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  if (row.status !== 'open')
    throw new BreakGlassError('STATE_CONFLICT', `request ${row.id} is ${row.status}; only an open request can be approved`);
  if (session.evidence.request(row.id).approvals.has(holder) || session.repo.listApprovals(row.id).some((a) => a.holder === holder)) {
    return session.refuse(
      new BreakGlassError('DUPLICATE_APPROVAL', `${holder} has already approved request ${row.id}; one approval per holder`),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  // Whether custody copies may approve is the policy's the request was opened under, as every rule it signed.
  const request = requestBody(session, row);
  if (!rulesFor(policyOfRequest(session, request), row.credential_id).in_person_approval) {
    return session.refuse(
      new BreakGlassError(
        'POLICY_DENIED',
        `the policy request ${row.id} was opened under does not allow in-person approval for ${row.credential_id}; send ${holder} a bundle ("breakglass request export ${row.id} --holder ${holder} --out FILE")`,
      ),
      holder,
      row.credential_id,
      { request: requestId },
    );
  }
  const envelope = envelopeOf(session, row.credential_id, 'active');
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
  // The holder's own key in the split the request signed, as their own laptop would check it.
  assertOwnKeys(request, holder, enrolledMember(session, holder).card);
  // Keys a caller unlocked earlier are checked by acceptApproval: the signature must verify under the card.
  const keys =
    typeof unlock === 'function'
      ? await unlockInPerson(session, holder, unlock, `approve request ${requestId}`, { credential: row.credential_id, request: requestId })
      : unlock;
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
  const input = decodeDocument('bundle', text, 'request bundle');
  assertDocumentKind(input, 'request-bundle');
  const bundle = parseDocument(RequestBundleSchema, input, 'request bundle', 'BAD_BUNDLE');
  const { request, requesterCard } = bundle;
  assertCardKeys(requesterCard, "request bundle's requester card");
  if (!isValidPublicKey(request.genesisKey, 'Ed25519')) {
    throw new BreakGlassError(
      'BAD_KEY',
      'the request names a genesis key that is not a valid Ed25519 public key; do not approve it, and tell security',
    );
  }
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
  if (bundle.anchor.journal !== request.journal) {
    throw new BreakGlassError(
      'BAD_BUNDLE',
      `the bundle's journal position is in journal ${bundle.anchor.journal}, not in the vault's own (${request.journal})`,
    );
  }
  if (bundle.anchor.seq > bundle.head.seq) {
    throw new BreakGlassError(
      'BAD_BUNDLE',
      `the bundle places the request at seq ${bundle.anchor.seq}, after the journal's end at seq ${bundle.head.seq}`,
    );
  }
  if (!request.holders.includes(bundle.holder)) {
    throw new BreakGlassError('BAD_BUNDLE', `the bundle is for ${bundle.holder}, who holds no share of ${request.credential}`);
  }
  return bundle;
}

/**
 * Refuses (FOREIGN_INPUT, not journaled: an honest mix-up) a bundle for a holder whose keys this
 * machine does not hold, saying whose keys it holds and where the bundle goes. Checked before the
 * request is shown and before any passphrase is asked for.
 */
export async function assertBundleHolderHere(session: VaultSession, bundle: RequestBundle): Promise<void> {
  const here = await memberKeysHere(session);
  const { holder, request } = bundle;
  if (here.includes(holder)) return;
  const atVault = request.vault === session.vaultId;
  const holds = here.length === 0 ? "this machine holds no member's keys" : `this machine holds keys for ${here.join(', ')}`;
  throw new BreakGlassError(
    'FOREIGN_INPUT',
    `this bundle is for ${holder}; ${holds}${atVault ? ' (it is the vault laptop that made the bundle)' : ''}; take it to ${holder}'s laptop and run "breakglass approve --bundle FILE --out FILE" there${atVault ? `, or approve in person here: "breakglass approve ${request.id} --holder ${holder}"` : ''}; nothing was recorded`,
    { holder, keysHere: here },
  );
}

/**
 * Refuses (INTEGRITY_FAILURE) a request that names another key for `holder` than their own card:
 * in the split now, or in the split made at unseal (the vault would seal their next share to a key
 * that is not theirs).
 */
export function assertOwnKeys(request: RequestBody, holder: string, own: MemberCard): void {
  const mine = memberFingerprint(own);
  for (const [holders, keys, when] of [
    [request.holders, request.holderKeys, 'now'],
    [request.nextHolders, request.nextHolderKeys, 'after the unseal'],
  ] as const) {
    const at = holders.indexOf(holder);
    if (at >= 0 && keys[at] !== mine) {
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the request names key ${shortFingerprint(keys[at] ?? '')} for ${holder} ${when}, but ${holder}'s key is ${shortFingerprint(mine)}: the vault would seal ${holder}'s share to a key that is not theirs; do not approve it, and tell security`,
        { holder },
      );
    }
  }
}

/** What a holder's laptop remembers about a vault: meta keys, per vault. */
const pinKey = (vault: string, what: string): string => `pin:${vault}:${what}`;

/** How a bundle compares with what this laptop saw of its vault before. */
export interface WitnessView {
  /** The requester's signing key: 'first' time, the 'same', or 'changed' (a bundle forged with a card of its own). */
  readonly requester: 'first' | 'same' | 'changed';
  /** The vault journal's genesis key: 'first' time, the 'same', or 'changed' (the journal was rewritten). */
  readonly genesis: 'first' | 'same' | 'changed';
  /**
   * The vault journal's head, as the bundle gives it, against the highest this laptop saw: 'first',
   * 'ahead', the 'same' entry, 'behind' (rolled back, or a bundle older than one approved since) or
   * 'fork' (another entry at a position this laptop saw).
   */
  readonly head: 'first' | 'ahead' | 'same' | 'behind' | 'fork';
  /** The highest head this laptop saw for the vault, if any. */
  readonly seen: { readonly seq: number; readonly hash: string } | null;
}

/**
 * Compares a bundle with what this laptop witnessed of its vault on earlier approvals (trust on
 * first use): the requester's key, the journal's genesis key, and the highest journal position.
 */
export function witnessView(session: VaultSession, bundle: RequestBundle): WitnessView {
  const { request } = bundle;
  const pinnedRequester = session.repo.getMeta(pinKey(request.vault, `requester:${request.requester}`));
  const pinnedGenesis = session.repo.getMeta(pinKey(request.vault, 'genesis'));
  const seenText = session.repo.getMeta(pinKey(request.vault, 'head'));
  const seen = seenText === null ? null : (JSON.parse(seenText) as { seq: number; hash: string });
  const h = bundle.head;
  return {
    requester: pinnedRequester === null ? 'first' : pinnedRequester === bundle.requesterCard.signingKey ? 'same' : 'changed',
    genesis: pinnedGenesis === null ? 'first' : pinnedGenesis === request.genesisKey ? 'same' : 'changed',
    head: seen === null ? 'first' : h.seq > seen.seq ? 'ahead' : h.seq === seen.seq ? (h.hash === seen.hash ? 'same' : 'fork') : 'behind',
    seen,
  };
}

/** The refusal a witness view calls for, or null when the bundle is consistent with what this laptop saw. */
function witnessRefusal(view: WitnessView, bundle: RequestBundle): BreakGlassError | null {
  const { request, head } = bundle;
  if (view.requester === 'changed') {
    return new BreakGlassError(
      'BAD_SIGNATURE',
      `this request is signed by a key this laptop has not seen for ${request.requester} of vault ${request.vault} (it approved their requests under another key before); do not approve it, and tell security`,
    );
  }
  if (view.genesis === 'changed') {
    return new BreakGlassError(
      'JOURNAL_TAMPERED',
      `the journal of vault ${request.vault} now starts from another genesis key (${request.genesisKey.slice(0, 16)}…) than the one this laptop saw when it approved before: its journal was rewritten; do not approve, and tell security`,
    );
  }
  if (view.head === 'behind' || view.head === 'fork') {
    const seen = view.seen!;
    return new BreakGlassError(
      'JOURNAL_TAMPERED',
      view.head === 'behind'
        ? `the journal of vault ${request.vault} ends at seq ${head.seq} in this bundle, but this laptop saw it at seq ${seen.seq} before: the vault was rolled back (an older copy restored, or its tail cut), or this bundle was made before one you approved since; ask for a fresh bundle ("breakglass request export" again), and if that one is refused too, do not approve, and tell security`
        : `the journal of vault ${request.vault} has another entry at seq ${head.seq} than the one this laptop saw there before: its journal was forked (an older copy restored and used); do not approve, and tell security`,
    );
  }
  return null;
}

/**
 * On a holder's own laptop: approves a bundle with the key in this machine's keychain, and records
 * the approval in this machine's journal (the cross-reference that exposes a vault cutting its
 * tail). Before the passphrase, this laptop checks what it can alone: its own key in the split
 * now and after, and the vault's journal against what it witnessed before (genesis key, highest
 * position, requester's key). A mismatch is refused and journaled here.
 */
export async function approveBundle(session: VaultSession, bundle: RequestBundle, passphrase: PassphraseSource): Promise<ApprovalToken> {
  session.assertJournalIntact();
  await assertBundleHolderHere(session, bundle);
  const { request } = bundle;
  const view = witnessView(session, bundle);
  const journalRefusal = (err: BreakGlassError): Promise<never> =>
    session.refuse(err, bundle.holder, request.credential, {
      vault: request.vault,
      request: request.id,
      requester: request.requester,
      requesterKey: bundle.requesterCard.signingKey,
      genesisKey: request.genesisKey,
      anchor: bundle.anchor,
      head: bundle.head,
    });
  const refusal = witnessRefusal(view, bundle);
  if (refusal) await journalRefusal(refusal);
  if (Date.now() > request.expiresAt) {
    throw new BreakGlassError(
      'REQUEST_EXPIRED',
      `request ${request.id} expired at ${formatMoment(request.expiresAt)}; ask for a new bundle`,
    );
  }
  if (bundle.holder === request.requester) {
    throw new BreakGlassError('SELF_APPROVAL', `${bundle.holder} opened this request and cannot also approve it`);
  }
  const { card, wrapped } = await ownMember(session, bundle.holder);
  try {
    assertOwnKeys(request, bundle.holder, card);
  } catch (err) {
    await journalRefusal(err as BreakGlassError);
  }
  const keys: MemberKeys = await unwrapWithTries(
    card,
    wrapped,
    passphrase,
    `${card.name} (${card.id}) passphrase to approve ${request.id}`,
    (err) => journalOnly(session, err, card.id, request.credential, { request: request.id }),
  );
  const token = makeApproval(keys, {
    request,
    requestHash: bundle.requestHash,
    anchor: bundle.anchor,
    holder: bundle.holder,
    sealedShare: bundle.share.sealed,
    commitment: bundle.share.commitment,
  });
  await session.commit((append) => {
    const meta = session.repo;
    if (view.requester === 'first') meta.setMeta(pinKey(request.vault, `requester:${request.requester}`), bundle.requesterCard.signingKey);
    if (view.genesis === 'first') meta.setMeta(pinKey(request.vault, 'genesis'), request.genesisKey);
    if (view.head === 'first' || view.head === 'ahead') meta.setMeta(pinKey(request.vault, 'head'), JSON.stringify(bundle.head));
    return append({
      kind: 'approval.give',
      actor: card.id,
      subject: request.credential,
      data: {
        vault: request.vault,
        request: request.id,
        requestHash: bundle.requestHash,
        purpose: request.purpose,
        requester: request.requester,
        trigger: request.trigger,
        incident: request.incident,
        anchor: bundle.anchor,
        head: bundle.head,
        genesisKey: request.genesisKey,
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
