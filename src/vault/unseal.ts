import { BreakGlassError } from '../core/errors.js';
import type { RequestBody } from '../core/documents.js';
import type { CredentialPolicy } from '../core/policy.js';
import { transition } from '../core/lifecycle.js';
import { decryptSecret } from '../crypto/index.js';
import { credentialRow, envelopeOf, rulesFor } from './credentials.js';
import { afterWindowSteps } from './extensions.js';
import { enrolledMember } from './members.js';
import { currentPolicy } from './policy.js';
import { journaledApprovals, rebuildDek } from './quorum.js';
import {
  assertCurrentSplit,
  eraseEphemeralKey,
  eraseOrphanKeys,
  ephemeralKey,
  expireRequest,
  requestBody,
  requestRow,
  sameSplit,
} from './requests.js';
import type { Append, VaultSession } from './session.js';

/** How the plaintext leaves the vault on this call: not at all, to stdout, clipboard or a file. */
export type RevealMode = 'none' | 'reveal' | 'copy' | 'export';

const REVEAL_KIND = { reveal: 'credential.reveal', copy: 'credential.copy', export: 'credential.export' } as const;

/** The outcome of an unseal call. `secret` is set only for an explicit reveal mode. */
export interface UnsealResult {
  readonly credential: string;
  readonly request: string;
  readonly windowEndsAt: number;
  readonly firstUnseal: boolean;
  /** How many more times the holders may extend the window (the request's max_extensions, less those granted), and who would ask. */
  readonly extensionsLeft: number;
  readonly requester: string;
  readonly secret: Buffer | null;
}

/**
 * The holders (with keys) the secret is split among at this unseal: exactly those the request named
 * and its approvers consented to. A policy that changed them since is refused: the holders must
 * approve a new request that shows the new split.
 */
function assertApprovedSplit(credential: string, signed: RequestBody, rules: CredentialPolicy): void {
  if (!sameSplit(signed.nextHolders, signed.nextThreshold, rules.holders, rules.threshold)) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `the policy changed the holders of ${credential} after request ${signed.id} was opened (approved: ${signed.nextHolders.join(', ')}, ${signed.nextThreshold} of ${signed.nextHolders.length}; now: ${rules.holders.join(', ')}, ${rules.threshold} of ${rules.holders.length}); cancel it and open a new request, so that the holders approve the new split`,
    );
  }
}

/**
 * Who is recorded as acting on an unsealed credential (a reveal, copy, export or close): the member
 * named, who must be enrolled here, or the request's requester, the operator who asked for it. It is
 * stated, not signed: the vault's key signs the entry that names them.
 */
function operatorOf(session: VaultSession, signed: RequestBody, operator: string | undefined): string {
  if (operator === undefined) return signed.requester;
  enrolledMember(session, operator);
  return operator;
}

/**
 * Unseals a credential once its request has reached its quorum, and optionally hands out the
 * plaintext. Whether it may is decided from the journal: the quorum entry, the approvals it
 * accepted (each re-checked against the holder's journaled card), and the unseal window the
 * journal recorded. Every reveal is committed to the journal before the caller sees the secret: if
 * the entry cannot be written, nothing is revealed. The next envelope was taken at the quorum.
 */
export async function unseal(session: VaultSession, requestId: string, mode: RevealMode, operator?: string): Promise<UnsealResult> {
  session.assertJournalIntact();
  const row = requestRow(session, requestId);
  const signed = requestBody(session, row);
  const actor = operatorOf(session, signed, operator);
  if (signed.purpose !== 'access')
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `${requestId} is a drill; drills never decrypt ("breakglass drill --credential ${row.credential_id}")`,
    );
  const cred = credentialRow(session, row.credential_id);
  const journaled = session.evidence.request(row.id);
  const now = Date.now();
  const ended = (): BreakGlassError =>
    new BreakGlassError(
      'WINDOW_CLOSED',
      `the unseal window of ${cred.id} has ended; it is waiting for review; next: ${afterWindowSteps(cred.id)}`,
    );
  if (row.status === 'unsealed') {
    if (now >= journaled.windowEndsAt!) throw ended();
  } else if (row.status === 'closed') {
    if (cred.active_request === row.id) throw ended();
    throw new BreakGlassError(
      'WINDOW_CLOSED',
      `request ${requestId} has ended, and ${cred.id} has been resealed since (now ${cred.state}); open a new request to unseal it again`,
    );
  } else if (row.status === 'expired') {
    throw new BreakGlassError('REQUEST_EXPIRED', `request ${requestId} expired before it was unsealed; open a new request`);
  } else if (row.status !== 'open') {
    throw new BreakGlassError('STATE_CONFLICT', `request ${requestId} is ${row.status}; open a new request`);
  } else if (now > signed.expiresAt) {
    throw new BreakGlassError('REQUEST_EXPIRED', `request ${requestId} expired before it was unsealed; open a new request`);
  }
  const first = row.status === 'open';
  // Already unsealed and nothing asked for: there is nothing to do, and nothing to journal.
  const extensionsLeft = Math.max(0, (signed.maxExtensions ?? 0) - journaled.extensions);
  if (!first && mode === 'none')
    return {
      credential: cred.id,
      request: row.id,
      windowEndsAt: journaled.windowEndsAt!,
      firstUnseal: false,
      extensionsLeft,
      requester: signed.requester,
      secret: null,
    };
  const approvals = journaledApprovals(session, row);
  if (journaled.quorum === null || approvals.length < signed.threshold) {
    throw new BreakGlassError(
      'THRESHOLD_NOT_MET',
      `request ${row.id} has ${approvals.length} of the ${signed.threshold} approvals it needs`,
      { have: approvals.length, need: signed.threshold },
    );
  }
  if (first) transition(cred.id, cred.state, 'unseal');
  const envelope = envelopeOf(session, cred.id, 'active');
  if (first) {
    // The split now and the next one are those the holders approved, checked before any share is opened.
    assertCurrentSplit(signed, envelope);
    assertApprovedSplit(cred.id, signed, rulesFor(currentPolicy(session).policy, cred.id));
    envelopeOf(session, cred.id, 'next');
  }
  const { dek, holders } = await rebuildDek(envelope, await ephemeralKey(session, row.id), approvals);
  let secret: Buffer | null = null;
  try {
    secret = decryptSecret(envelope, dek);
    if (!secret) throw new BreakGlassError('INTEGRITY_FAILURE', `the ciphertext of ${cred.id} does not authenticate under its data key`);
    // The window the requester signed for, not the policy's value now.
    const windowEndsAt = first ? now + signed.unsealSeconds * 1000 : journaled.windowEndsAt!;
    await session.commit((append: Append) => {
      if (first) {
        session.repo.updateRequest(row.id, { status: 'unsealed', window_ends_at: windowEndsAt });
        session.repo.updateCredential(cred.id, { state: 'UNSEALED', exposed: 1 }, now);
        append({
          kind: 'credential.unseal',
          actor: 'vault',
          subject: cred.id,
          data: { request: row.id, holders, version: cred.version, nextVersion: cred.version + 1, windowEndsAt },
        });
      }
      if (mode !== 'none') append({ kind: REVEAL_KIND[mode], actor, subject: cred.id, data: { request: row.id } });
    });
    const result: UnsealResult = {
      credential: cred.id,
      request: row.id,
      windowEndsAt,
      firstUnseal: first,
      extensionsLeft,
      requester: signed.requester,
      secret: mode === 'none' ? null : secret,
    };
    if (mode === 'none') secret.fill(0);
    return result;
  } catch (err) {
    secret?.fill(0);
    throw err;
  } finally {
    dek.fill(0);
  }
}

/**
 * Ends an unseal window, by hand or at its limit: the credential waits for review, the request's
 * ephemeral key and the old envelope are erased, so its approvals are worthless from now on. By hand,
 * the journal names the operator (`operator`, or the request's requester); at its limit, "system".
 */
export async function closeWindow(
  session: VaultSession,
  credentialId: string,
  reason: 'closed' | 'window limit',
  operator?: string,
): Promise<void> {
  session.assertJournalIntact();
  const cred = credentialRow(session, credentialId);
  const state = transition(cred.id, cred.state, 'close');
  const requestId = cred.active_request;
  if (!requestId) throw new Error(`unsealed credential ${cred.id} has no active request`);
  const actor = reason === 'window limit' ? 'system' : operatorOf(session, requestBody(session, requestRow(session, requestId)), operator);
  const now = Date.now();
  await session.commit((append) => {
    session.repo.updateRequest(requestId, { status: 'closed', ended_at: now });
    session.repo.deleteEnvelope(cred.id, 'active');
    session.repo.updateCredential(cred.id, { state }, now);
    append({ kind: 'window.close', actor, subject: cred.id, data: { request: requestId, reason } });
  });
  await eraseEphemeralKey(session, requestId);
}

/**
 * Applies the clock at vault open: requests past their expiry end, unseal windows past their limit
 * close (each its own journaled transition); ephemeral keys of ended requests are erased.
 */
export async function applyTimeLimits(session: VaultSession): Promise<string[]> {
  const done: string[] = [];
  const now = Date.now();
  // The requests the journal shows live, with the expiry and window it recorded: a row hidden or
  // re-dated by hand cannot keep a window open.
  for (const live of session.evidence.liveRequests()) {
    if (live.windowEndsAt === null && now > live.body.expiresAt) {
      const { exposed } = await expireRequest(session, live.id);
      done.push(`request ${live.id} expired${exposed ? `; it had reached its quorum, so ${live.credential} needs a review` : ''}`);
    } else if (live.windowEndsAt !== null && now >= live.windowEndsAt) {
      await closeWindow(session, live.credential, 'window limit');
      done.push(`unseal window of ${live.credential} closed at its limit`);
    }
  }
  const orphans = await eraseOrphanKeys(session);
  if (orphans > 0) done.push(`erased ${orphans} request key(s) left behind by an interrupted run`);
  return done;
}
