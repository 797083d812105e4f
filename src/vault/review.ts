import { BreakGlassError } from '../core/errors.js';
import type { ReviewBody } from '../core/documents.js';
import { transition } from '../core/lifecycle.js';
import { hasRole } from '../core/policy.js';
import { TAG, createEnvelope, envelopeDigest, signDocument, verifyDocument } from '../crypto/index.js';
import { credentialRow, envelopeOf, rulesFor, signedSplitKeys } from './credentials.js';
import { enrolledMember, unlockInPerson, type PassphraseSource } from './members.js';
import { policyOfRequest } from './policy.js';
import { assertGenuineQuorum } from './quorum.js';
import { requestBody, requestRow } from './requests.js';
import { newId, type VaultSession } from './session.js';

/** What a reviewer answers after an activation. */
export interface ReviewInput {
  readonly credential: string;
  readonly reviewer: string;
  readonly warranted: boolean;
  readonly summary: string;
  readonly changes: string;
  readonly incident?: string;
  readonly followUp?: string;
  /** The new secret, when the credential was rotated during or after the incident. */
  readonly rotatedSecret?: Buffer;
}

/** A review's answers, and whether it brings a rotated secret (not the secret itself). */
export type ReviewChecks = Omit<ReviewInput, 'rotatedSecret'> & { readonly rotated: boolean };

/**
 * Every check of a review that does not need the reviewer's passphrase or the rotated secret, so a
 * review that would be refused is refused before anyone types either. A refusal by the policy (not
 * a reviewer, the requester reviewing) is journaled, as it is when the review itself is refused.
 */
export async function assertReviewable(session: VaultSession, input: ReviewChecks) {
  session.assertJournalIntact();
  const cred = credentialRow(session, input.credential);
  const state = transition(cred.id, cred.state, 'review');
  if (input.summary.trim() === '') throw new BreakGlassError('BAD_INPUT', 'the review needs a summary of what was done');
  const row = requestRow(session, cred.active_request ?? '');
  const request = requestBody(session, row);
  assertGenuineQuorum(session, row, request);
  // Who may review, and the review rules, are those of the policy the request was opened under:
  // a reviewer added to the policy afterwards (a stand-in enrolled at the vault laptop) does not count.
  const policy = policyOfRequest(session, request);
  const rules = rulesFor(policy, cred.id);
  const refuse = (message: string, code: 'POLICY_DENIED' | 'ROTATION_REQUIRED' = 'POLICY_DENIED'): Promise<never> =>
    session.refuse(new BreakGlassError(code, message), input.reviewer, cred.id, { request: row.id });
  if (!hasRole(policy, input.reviewer, 'reviewer'))
    await refuse(`${input.reviewer} is not a reviewer in the policy this request was opened under`);
  if (rules.review.reviewer_not_requester && input.reviewer === request.requester) {
    await refuse(`${input.reviewer} opened this request; the policy needs a different reviewer`);
  }
  if (rules.review.require_rotation && !input.rotated) {
    throw new BreakGlassError(
      'ROTATION_REQUIRED',
      `the policy of ${cred.id} requires rotation: rotate the credential, then give the new secret with --rotated-secret-file`,
    );
  }
  // The latest review must describe what reseal will seal: after a review that sealed a rotated
  // secret, a review without one would say "not rotated" over a rotated envelope.
  if (session.evidence.credential(cred.id).rotated && !input.rotated) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `an earlier review of ${cred.id} sealed a rotated secret for reseal; a new review must give the rotated secret again (--rotated-secret-file)`,
    );
  }
  return { cred, state, row, request };
}

/**
 * Signs the post-incident review of a credential's last activation. Only an eligible reviewer may
 * sign (by default not the requester); a policy that requires rotation refuses a review without it.
 * A rotated secret replaces the next envelope, so reseal puts the new secret under seal.
 */
export async function signReview(
  session: VaultSession,
  input: ReviewInput,
  passphrase: PassphraseSource,
): Promise<{ review: string; rotated: boolean }> {
  if (input.rotatedSecret && input.rotatedSecret.length === 0) throw new BreakGlassError('BAD_INPUT', 'the rotated secret file is empty');
  const { cred, state, row, request } = await assertReviewable(session, { ...input, rotated: input.rotatedSecret !== undefined });
  const keys = await unlockInPerson(session, input.reviewer, passphrase, `sign the review of ${cred.id}`, {
    credential: cred.id,
    request: row.id,
  });
  const next = envelopeOf(session, cred.id, 'next');
  const now = Date.now();
  const rotatedEnvelope = input.rotatedSecret
    ? // The rotated secret goes to the split the approvers of this activation consented to, sealed
      // to the keys their request signed, as the envelope it replaces is: not to whatever the
      // policy or the members table says now.
      await createEnvelope(
        input.rotatedSecret,
        next.context,
        signedSplitKeys(session, cred.id, request.nextHolders, request.nextHolderKeys),
        request.nextThreshold,
      )
    : null;
  const body: ReviewBody = {
    format: 'breakglass.review',
    version: 1,
    vault: session.vaultId,
    credential: cred.id,
    request: row.id,
    requestHash: row.hash,
    reviewer: input.reviewer,
    warranted: input.warranted,
    summary: input.summary,
    changes: input.changes,
    incident: input.incident ?? request.incident,
    followUp: input.followUp ?? '',
    rotated: input.rotatedSecret !== undefined,
    // The reviewer signs exactly the envelope reseal will activate.
    envelope: envelopeDigest(rotatedEnvelope ?? next),
    signedAt: now,
  };
  const signature = signDocument(TAG.review, body, keys.signing);
  const id = newId('rev');
  await session.commit((append) => {
    if (rotatedEnvelope) {
      session.repo.putEnvelope({
        credential_id: cred.id,
        slot: 'next',
        version: next.context.version,
        body: JSON.stringify(rotatedEnvelope),
        rotated: 1,
        created_at: now,
      });
    }
    session.repo.insertReview({ id, credential_id: cred.id, request_id: row.id, body: JSON.stringify(body), signature, created_at: now });
    session.repo.updateCredential(cred.id, { state }, now);
    append({
      kind: 'review.sign',
      actor: input.reviewer,
      subject: cred.id,
      data: { review: id, body, signature },
    });
  });
  return { review: id, rotated: body.rotated };
}

/**
 * The review that allows resealing: the latest `review.sign` entry the verified journal holds for
 * the credential's activation, whose document is bound to the journaled request's hash and signed
 * under the journaled card of a reviewer the policy allows. REVIEW_REQUIRED when there is none;
 * INTEGRITY_FAILURE when the journal holds a review entry that is not such a document.
 */
function signedReview(session: VaultSession, credential: string, requestId: string): { id: string; body: ReviewBody } {
  const journaled = session.evidence.request(requestId);
  const latest = journaled.reviews.at(-1);
  if (!latest) {
    throw new BreakGlassError(
      'REVIEW_REQUIRED',
      `cannot reseal ${credential}: its journal holds no signed review of request ${requestId} (breakglass review ${credential} ...)`,
    );
  }
  const { body } = latest;
  const policy = policyOfRequest(session, journaled.body);
  const rules = rulesFor(policy, credential);
  const problem =
    body.request !== requestId || body.requestHash !== journaled.hash || body.credential !== credential || body.vault !== session.vaultId
      ? 'is not bound to this activation'
      : !verifyDocument(TAG.review, body, latest.signature, enrolledMember(session, body.reviewer).card.signingKey)
        ? `is not signed by ${body.reviewer}'s enrolled key`
        : !hasRole(policy, body.reviewer, 'reviewer')
          ? `is signed by ${body.reviewer}, who is not a reviewer in the policy`
          : rules.review.reviewer_not_requester && body.reviewer === journaled.body.requester
            ? `is signed by ${body.reviewer}, who opened the request`
            : null;
  if (problem) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the review ${latest.id} in this vault's journal ${problem}; ${credential} stays unsealable until a genuine review is signed, and security should examine this vault`,
    );
  }
  return { id: latest.id, body };
}

/**
 * Reseals a reviewed credential: the next envelope (taken at the quorum, or holding the rotated
 * secret) becomes the active one, in one transaction. Refused with REVIEW_REQUIRED before a signed
 * review; the review is read from the verified journal and checked, never from a state column.
 */
export async function reseal(session: VaultSession, credentialId: string, by?: string): Promise<{ version: number; rotated: boolean }> {
  session.assertJournalIntact();
  // Unless someone else is named, the reviewer who signed the review is the one who reseals.
  if (by !== undefined) enrolledMember(session, by);
  const cred = credentialRow(session, credentialId);
  const state = transition(cred.id, cred.state, 'reseal');
  if (!cred.active_request) throw new BreakGlassError('INTEGRITY_FAILURE', `credential ${cred.id} is reviewed but names no activation`);
  const row = requestRow(session, cred.active_request);
  assertGenuineQuorum(session, row, requestBody(session, row));
  const review = signedReview(session, cred.id, cred.active_request);
  const nextRow = session.repo.getEnvelope(cred.id, 'next');
  if (!nextRow) throw new BreakGlassError('INTEGRITY_FAILURE', `credential ${cred.id} has no next envelope to activate`);
  const next = envelopeOf(session, cred.id, 'next');
  if (review.body.rotated !== session.evidence.credential(cred.id).rotated || review.body.envelope !== envelopeDigest(next)) {
    throw new BreakGlassError('INTEGRITY_FAILURE', `the review of ${cred.id} does not describe the envelope reseal would activate`);
  }
  const now = Date.now();
  await session.commit((append) => {
    session.repo.deleteEnvelope(cred.id, 'active');
    session.repo.deleteEnvelope(cred.id, 'next');
    session.repo.putEnvelope({ ...nextRow, slot: 'active', created_at: now });
    session.repo.updateCredential(cred.id, { state, version: next.context.version, exposed: 0, active_request: null }, now);
    append({
      kind: 'credential.reseal',
      actor: by ?? review.body.reviewer,
      subject: cred.id,
      data: { version: next.context.version, rotated: review.body.rotated, review: review.id, request: cred.active_request },
    });
  });
  return { version: next.context.version, rotated: review.body.rotated };
}
