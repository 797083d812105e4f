import { BreakGlassError } from '../core/errors.js';
import { ApprovalTokenSchema, type RequestBody } from '../core/documents.js';
import type { CredentialPolicy } from '../core/policy.js';
import { transition } from '../core/lifecycle.js';
import {
  createEnvelope,
  decryptSecret,
  openFromKey,
  reconstructDek,
  verifyHolderShare,
  type Envelope,
  type HolderKey,
} from '../crypto/index.js';
import type { RequestRow } from '../store/index.js';
import { approvalContext } from './approvals.js';
import { credentialRow, enrolledHolders, envelopeOf, rulesFor } from './credentials.js';
import { currentPolicy } from './policy.js';
import {
  assertCurrentSplit,
  endRequest,
  eraseEphemeralKey,
  eraseOrphanKeys,
  ephemeralKey,
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
  readonly secret: Buffer | null;
}

/**
 * Rebuilds the data key from a request's approvals: each share is opened with the request's
 * ephemeral key and checked against its commitment (BAD_SHARE names the holder) before combining.
 */
export async function rebuildDek(session: VaultSession, row: RequestRow, envelope: Envelope): Promise<{ dek: Buffer; holders: string[] }> {
  const approvals = session.repo.listApprovals(row.id);
  if (approvals.length < envelope.threshold) {
    throw new BreakGlassError(
      'THRESHOLD_NOT_MET',
      `request ${row.id} has ${approvals.length} of the ${envelope.threshold} approvals it needs`,
      { have: approvals.length, need: envelope.threshold },
    );
  }
  const key = await ephemeralKey(session, row.id);
  const chosen = approvals.slice(0, envelope.threshold);
  const shares = chosen.map((a) => {
    const token = ApprovalTokenSchema.parse(JSON.parse(a.token));
    const share = openFromKey(key, token.body.sealedShare, approvalContext(token.body));
    if (!share || !verifyHolderShare(envelope, a.holder, share)) {
      throw new BreakGlassError('BAD_SHARE', `the share from ${a.holder} does not match its commitment`, { holder: a.holder });
    }
    return share;
  });
  const dek = await reconstructDek(envelope, shares);
  for (const s of shares) s.fill(0);
  if (!dek)
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the shares of ${chosen.map((a) => a.holder).join(', ')} do not rebuild the data key of ${row.credential_id}`,
    );
  return { dek, holders: chosen.map((a) => a.holder) };
}

/**
 * The holders (with keys) the secret is split among at this unseal: exactly those the request named
 * and its approvers consented to. A policy that changed them since is refused: the holders must
 * approve a new request that shows the new split.
 */
function approvedSplit(session: VaultSession, credential: string, signed: RequestBody, rules: CredentialPolicy): HolderKey[] {
  if (!sameSplit(signed.nextHolders, signed.nextThreshold, rules.holders, rules.threshold)) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `the policy changed the holders of ${credential} after request ${signed.id} was opened (approved: ${signed.nextHolders.join(', ')}, ${signed.nextThreshold} of ${signed.nextHolders.length}; now: ${rules.holders.join(', ')}, ${rules.threshold} of ${rules.holders.length}); cancel it and open a new request, so that the holders approve the new split`,
    );
  }
  return enrolledHolders(session, credential, signed.nextHolders);
}

/**
 * Unseals a credential once its request has enough approvals, and optionally hands out the plaintext.
 * The first unseal seals the secret again under a fresh key and split (the next envelope) in the
 * same transaction as its journal entry. Every reveal is committed to the journal before the caller
 * sees the secret: if the entry cannot be written, nothing is revealed.
 */
export async function unseal(session: VaultSession, requestId: string, mode: RevealMode): Promise<UnsealResult> {
  session.assertJournalIntact();
  const row = requestRow(session, requestId);
  const signed = requestBody(session, row);
  if (signed.purpose !== 'access' || row.purpose !== 'access')
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `${requestId} is a drill; drills never decrypt ("breakglass drill --credential ${row.credential_id}")`,
    );
  const cred = credentialRow(session, row.credential_id);
  const now = Date.now();
  if (row.status === 'unsealed') {
    if (row.window_ends_at !== null && now >= row.window_ends_at) {
      throw new BreakGlassError('WINDOW_CLOSED', `the unseal window of ${cred.id} has ended; it is waiting for review`);
    }
  } else if (row.status === 'closed') {
    if (cred.active_request === row.id) {
      throw new BreakGlassError('WINDOW_CLOSED', `the unseal window of ${cred.id} has ended; it is waiting for review`);
    }
    throw new BreakGlassError(
      'WINDOW_CLOSED',
      `request ${requestId} has ended, and ${cred.id} has been resealed since (now ${cred.state}); open a new request to unseal it again`,
    );
  } else if (row.status === 'expired') {
    throw new BreakGlassError('REQUEST_EXPIRED', `request ${requestId} expired before it was unsealed; open a new request`);
  } else if (row.status !== 'open') {
    throw new BreakGlassError('STATE_CONFLICT', `request ${requestId} is ${row.status}; open a new request`);
  } else if (now > Math.min(row.expires_at, signed.expiresAt)) {
    throw new BreakGlassError('REQUEST_EXPIRED', `request ${requestId} expired before it was unsealed; open a new request`);
  }
  const first = row.status === 'open';
  // Already unsealed and nothing asked for: there is nothing to do, and nothing to journal.
  if (!first && mode === 'none')
    return { credential: cred.id, request: row.id, windowEndsAt: row.window_ends_at!, firstUnseal: false, secret: null };
  if (first) transition(cred.id, cred.state, 'unseal');
  const rules = rulesFor(currentPolicy(session).policy, cred.id);
  const envelope = envelopeOf(session, cred.id, 'active');
  // The split now and the next one are those the holders approved, checked before any share is opened.
  if (first) assertCurrentSplit(signed, envelope);
  const nextHolders = first ? approvedSplit(session, cred.id, signed, rules) : null;
  const { dek, holders } = await rebuildDek(session, row, envelope);
  let secret: Buffer | null = null;
  try {
    secret = decryptSecret(envelope, dek);
    if (!secret) throw new BreakGlassError('INTEGRITY_FAILURE', `the ciphertext of ${cred.id} does not authenticate under its data key`);
    const windowEndsAt = first ? now + Math.round(rules.unseal_minutes * 60_000) : row.window_ends_at!;
    const next = nextHolders
      ? await createEnvelope(
          secret,
          { vault: session.vaultId, credential: cred.id, version: cred.version + 1 },
          nextHolders,
          signed.nextThreshold,
        )
      : null;
    await session.commit((append: Append) => {
      if (next) {
        session.repo.putEnvelope({
          credential_id: cred.id,
          slot: 'next',
          version: next.context.version,
          body: JSON.stringify(next),
          rotated: 0,
          created_at: now,
        });
        session.repo.updateRequest(row.id, { status: 'unsealed', window_ends_at: windowEndsAt });
        session.repo.updateCredential(cred.id, { state: 'UNSEALED', exposed: 1 }, now);
        append({
          kind: 'credential.unseal',
          actor: 'vault',
          subject: cred.id,
          data: { request: row.id, holders, version: cred.version, nextVersion: next.context.version, windowEndsAt },
        });
      }
      if (mode !== 'none') append({ kind: REVEAL_KIND[mode], actor: 'vault', subject: cred.id, data: { request: row.id } });
    });
    const result: UnsealResult = {
      credential: cred.id,
      request: row.id,
      windowEndsAt,
      firstUnseal: first,
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
 * ephemeral key and the old envelope are erased, so its approvals are worthless from now on.
 */
export async function closeWindow(
  session: VaultSession,
  credentialId: string,
  actor: string,
  reason: 'closed' | 'window limit',
): Promise<void> {
  session.assertJournalIntact();
  const cred = credentialRow(session, credentialId);
  const state = transition(cred.id, cred.state, 'close');
  const requestId = cred.active_request;
  if (!requestId) throw new Error(`unsealed credential ${cred.id} has no active request`);
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
  for (const row of session.repo.listRequests(['open', 'unsealed'])) {
    if (row.status === 'open' && now > row.expires_at) {
      await endRequest(session, row.id, 'expire', 'system');
      done.push(`request ${row.id} expired`);
    } else if (row.status === 'unsealed' && row.window_ends_at !== null && now >= row.window_ends_at) {
      await closeWindow(session, row.credential_id, 'system', 'window limit');
      done.push(`unseal window of ${row.credential_id} closed at its limit`);
    }
  }
  const orphans = await eraseOrphanKeys(session);
  if (orphans > 0) done.push(`erased ${orphans} request key(s) left behind by an interrupted run`);
  return done;
}
