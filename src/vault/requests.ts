import { canonicalize } from '../core/canonical.js';
import { BreakGlassError, invariant } from '../core/errors.js';
import { transition } from '../core/lifecycle.js';
import { hasRole } from '../core/policy.js';
import { RequestBodySchema, type CancelBody, type JournalAnchor, type RequestBody, type RequestBundle } from '../core/documents.js';
import {
  TAG,
  documentHash,
  b64,
  generateAgreementKeyPair,
  signDocument,
  verifyDocument,
  type AgreementKeyPair,
  type Envelope,
  type MemberKeys,
} from '../crypto/index.js';
import type { RequestRow } from '../store/index.js';
import { credentialRow, enrolledHolders, envelopeOf, holderFingerprints, rulesFor } from './credentials.js';
import { enrolledMember, signingKeysOf, type PassphraseSource } from './members.js';
import { currentPolicy } from './policy.js';
import { journaledStatus } from './evidence.js';
import { newId, type VaultSession } from './session.js';

const requestAccount = (id: string): string => `request:${id}`;

/** What a requester asks for. */
export interface RequestInput {
  readonly credential: string;
  readonly trigger: string;
  readonly reason: string;
  readonly incident: string;
  readonly requester: string;
}

/** An open request as the CLI prints it. */
export interface RequestSummary {
  readonly id: string;
  readonly credential: string;
  readonly purpose: 'access' | 'drill' | 'rotate';
  readonly status: RequestRow['status'];
  readonly expiresAt: number;
  readonly approvals: readonly string[];
  readonly threshold: number;
  /** Who holds a share now (and so may approve), from the signed request. */
  readonly holders: readonly string[];
  /** Whether the approvals reached the threshold (the credential then counts as exposed). */
  readonly quorum: boolean;
  readonly anchor: JournalAnchor;
}

/**
 * NOT_FOUND for an id that is no request here, saying what it is instead: a credential name typed
 * where the request goes names that credential's open requests (or says it has none).
 */
function notARequest(session: VaultSession, id: string): BreakGlassError {
  if (session.repo.getCredential(id)) {
    const open = session.repo
      .listRequests(['open', 'unsealed'])
      .filter((r) => r.credential_id === id)
      .map((r) => r.id);
    return new BreakGlassError(
      'NOT_FOUND',
      open.length > 0
        ? `${id} is a credential, not a request; its open request${open.length === 1 ? ' is' : 's are'} ${open.join(', ')}: give ${open.length === 1 ? 'that id' : 'one of those ids'} here`
        : `${id} is a credential, not a request, and it has no open request; "breakglass request --credential ${id} ..." opens one`,
      { credential: id, requests: open },
    );
  }
  return new BreakGlassError('NOT_FOUND', `no request ${id} in this vault; "breakglass list" shows the open ones`);
}

/**
 * The request's row, or NOT_FOUND; INTEGRITY_FAILURE when its status, expiry or unseal window is
 * not what the verified journal recorded (the row caches the journal, it never decides).
 */
export function requestRow(session: VaultSession, id: string): RequestRow {
  const row = session.repo.getRequest(id);
  if (!row) throw notARequest(session, id);
  const journaled = session.evidence.request(id);
  if (
    row.status !== journaledStatus(journaled) ||
    row.expires_at !== journaled.body.expiresAt ||
    row.window_ends_at !== journaled.windowEndsAt ||
    row.purpose !== journaled.body.purpose
  ) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `request ${id} in this vault's database (${row.purpose}, ${row.status}) is not what its signed journal recorded (${journaled.body.purpose}, ${journaledStatus(journaled)}): the database was edited by hand; do not use this vault until security has examined it`,
      { request: id },
    );
  }
  return row;
}

/**
 * Where the request was recorded in this vault's journal: what approvals and holders' journals cite.
 * Taken from the journal itself, not from the row's copy.
 */
export function anchorOf(session: VaultSession, row: RequestRow): JournalAnchor {
  const journaled = session.evidence.request(row.id);
  return { journal: session.head.journal, seq: journaled.seq, hash: journaled.entryHash };
}

/**
 * The request's signed body as its request.create journal entry recorded it, checked against the
 * database row, the hash the holders approve and the requester's signature under their journaled
 * card. What a request is for, when it expires and which split it asks for come from here: not
 * from columns of the row, nor from a body that a hand edit of the database could change under the
 * screen a holder approves from.
 */
export function requestBody(session: VaultSession, row: RequestRow): RequestBody {
  const journaled = session.evidence.request(row.id);
  const body = journaled.body;
  const stored = RequestBodySchema.safeParse(JSON.parse(row.body));
  // A requester removed since still signed their old requests under the card the journal enrolled.
  const signedBy = !session.repo.getMember(body.requester)
    ? null
    : session.evidence.isRemoved(body.requester)
      ? session.evidence.card(body.requester).signingKey
      : enrolledMember(session, body.requester).card.signingKey;
  if (
    !stored.success ||
    canonicalize(stored.data) !== canonicalize(body) ||
    b64(documentHash(TAG.request, body)) !== row.hash ||
    journaled.hash !== row.hash ||
    row.signature !== journaled.signature ||
    row.credential_id !== body.credential ||
    signedBy === null ||
    !verifyDocument(TAG.request, body, journaled.signature, signedBy)
  ) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `request ${row.id} in this vault's database does not match what was signed and approved`,
    );
  }
  return body;
}

/** Whether two splits are the same: the same holders in the same order (the order of the shares), and the same threshold. */
export function sameSplit(holders: readonly string[], threshold: number, otherHolders: readonly string[], otherThreshold: number): boolean {
  return threshold === otherThreshold && holders.length === otherHolders.length && holders.every((h, i) => h === otherHolders[i]);
}

/**
 * Refuses (INTEGRITY_FAILURE) a request whose "held by now" is not the credential's active envelope:
 * its approvers were shown that split as the current one, so a request that misstates it (to hide a
 * change of holders from the approval screen's warning) is not approved or unsealed.
 */
export function assertCurrentSplit(body: RequestBody, envelope: Envelope): void {
  const holders = envelope.shares.map((s) => s.holder);
  if (!sameSplit(body.holders, body.threshold, holders, envelope.threshold)) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `request ${body.id} says ${body.credential} is held by ${body.holders.join(', ')} (${body.threshold} of ${body.holders.length}), but it is held by ${holders.join(', ')} (${envelope.threshold} of ${holders.length}); do not approve it`,
    );
  }
}

/** The request's ephemeral X25519 key; gone once the request has ended. */
export async function ephemeralKey(session: VaultSession, requestId: string): Promise<AgreementKeyPair> {
  const stored = await (await session.secrets()).get(requestAccount(requestId));
  if (!stored) throw new BreakGlassError('STATE_CONFLICT', `request ${requestId} has ended: its key is erased`);
  return JSON.parse(stored) as AgreementKeyPair;
}

/** Erases a request's ephemeral key, which makes its approvals worthless. */
export async function eraseEphemeralKey(session: VaultSession, requestId: string): Promise<void> {
  await (await session.secrets()).delete(requestAccount(requestId));
}

/**
 * Erases ephemeral keys whose request is no longer open or unsealed: a crash between a request's
 * end and the erasure of its key leaves one behind, and so does a crash before a request commits.
 */
export async function eraseOrphanKeys(session: VaultSession): Promise<number> {
  await session.settled();
  const secrets = await session.secrets();
  const live = new Set(session.evidence.liveRequests().map((r) => requestAccount(r.id)));
  let erased = 0;
  for (const account of await secrets.list()) {
    if (account.startsWith('request:') && !live.has(account)) {
      await secrets.delete(account);
      erased += 1;
    }
  }
  return erased;
}

/** The summary of a request with the holders who approved it so far. */
export function summarizeRequest(session: VaultSession, row: RequestRow): RequestSummary {
  const body = requestBody(session, row);
  return {
    id: row.id,
    credential: row.credential_id,
    purpose: row.purpose,
    status: row.status,
    expiresAt: row.expires_at,
    approvals: session.repo.listApprovals(row.id).map((a) => a.holder),
    threshold: body.threshold,
    holders: body.holders,
    quorum: session.evidence.request(row.id).quorum !== null,
    anchor: anchorOf(session, row),
  };
}

/**
 * Opens a break-glass request (or a drill): checks the policy, has the requester sign it in person,
 * gives it an ephemeral key and journals it. Forbidden requesters and triggers are journaled refusals.
 */
export async function openRequest(
  session: VaultSession,
  input: RequestInput,
  requester: PassphraseSource | MemberKeys,
  purpose: 'access' | 'drill' | 'rotate' = 'access',
): Promise<RequestSummary> {
  session.assertJournalIntact();
  // The signed body has length limits; text beyond them would commit a request nobody could read back.
  const limits = RequestBodySchema.shape;
  for (const [field, text, max] of [
    ['reason', input.reason, limits.reason.maxLength],
    ['incident reference', input.incident, limits.incident.maxLength],
    ['trigger', input.trigger, limits.trigger.maxLength],
  ] as const) {
    if (max !== null && text.length > max) {
      throw new BreakGlassError('BAD_INPUT', `the ${field} is ${text.length} characters long; it may be at most ${max}`);
    }
  }
  const cred = credentialRow(session, input.credential);
  const { policy, hash: policyHashInForce } = currentPolicy(session);
  const rules = rulesFor(policy, cred.id);
  transition(cred.id, cred.state, 'request');
  if (purpose !== 'drill') {
    if (input.reason.trim() === '') throw new BreakGlassError('BAD_INPUT', 'give a reason: it is the evidence a reviewer reads');
    if (input.incident.trim() === '') throw new BreakGlassError('BAD_INPUT', 'give an incident reference (ticket or page id)');
    enrolledMember(session, input.requester);
    // A rotation is asked by those who may request the credential; it has no trigger of the policy's.
    const refusal =
      !rules.requesters.includes(input.requester) || !hasRole(policy, input.requester, 'requester')
        ? `member ${input.requester} may not ${purpose === 'rotate' ? 'rotate' : 'request'} ${cred.id}; the policy allows: ${rules.requesters.join(', ')}`
        : purpose === 'access' && !rules.triggers.includes(input.trigger)
          ? `trigger "${input.trigger}" does not justify opening ${cred.id}; allowed triggers: ${rules.triggers.join(', ')}`
          : null;
    if (refusal) {
      await session.refuse(new BreakGlassError('POLICY_DENIED', refusal), input.requester, cred.id, { trigger: input.trigger, purpose });
    }
  } else {
    enrolledMember(session, input.requester);
    if (!Object.hasOwn(policy.members, input.requester)) {
      await session.refuse(
        new BreakGlassError('POLICY_DENIED', `member ${input.requester} has no role in the policy, so cannot run a drill`),
        input.requester,
        cred.id,
        { purpose },
      );
    }
  }
  const envelope = envelopeOf(session, cred.id, 'active');
  // The split this request asks its approvers to consent to must be possible: all holders enrolled.
  enrolledHolders(session, cred.id, rules.holders);
  const holders = envelope.shares.map((s) => s.holder);
  const genesisKey = session.report.genesisKey;
  invariant(genesisKey !== null, 'a verified journal has a genesis key');
  if (session.evidence.vault.vault !== session.vaultId) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `this vault's database names it ${session.vaultId}, but its journal was made for ${session.evidence.vault.vault}`,
    );
  }
  // In person, the requester's custody copy and passphrase; a caller holding their keys already
  // (a long-running app that unlocked them, a benchmark) passes the keys.
  const keys = await signingKeysOf(session, input.requester, requester, `sign a request for ${cred.id}`);
  const now = Date.now();
  const id = newId({ access: 'req', drill: 'drill', rotate: 'rot' }[purpose]);
  const ephemeral = generateAgreementKeyPair();
  const body: RequestBody = {
    format: 'breakglass.request',
    version: 1,
    id,
    purpose,
    vault: session.vaultId,
    credential: cred.id,
    credentialVersion: cred.version,
    trigger: input.trigger,
    reason: input.reason,
    incident: input.incident,
    requester: input.requester,
    ephemeralKey: ephemeral.publicKey,
    createdAt: now,
    expiresAt: now + Math.round(rules.request_expiry_minutes * 60_000),
    holders,
    holderKeys: holderFingerprints(session, holders),
    threshold: envelope.threshold,
    nextHolders: [...rules.holders],
    nextHolderKeys: holderFingerprints(session, rules.holders),
    nextThreshold: rules.threshold,
    vaultName: session.evidence.vault.name,
    credentialLabel: cred.label,
    journal: session.head.journal,
    genesisKey,
    policyHash: policyHashInForce,
    unsealSeconds: Math.max(1, Math.round(rules.unseal_minutes * 60)),
    // A policy set before max_extensions existed said nothing about extensions: none.
    maxExtensions: purpose === 'access' ? (rules.max_extensions ?? 0) : 0,
  };
  const hash = b64(documentHash(TAG.request, body));
  const signature = signDocument(TAG.request, body, keys.signing);
  const secrets = await session.secrets();
  // The key goes into the keychain first: a crash before the commit leaves only an orphan key.
  await secrets.set(requestAccount(id), JSON.stringify(ephemeral));
  const committed = session.commit((append) => {
    const entry = append({
      kind: 'request.create',
      actor: input.requester,
      subject: cred.id,
      data: { request: body, requestHash: hash, signature },
    });
    session.repo.insertRequest({
      id,
      credential_id: cred.id,
      purpose,
      body: JSON.stringify(body),
      hash,
      signature,
      anchor_seq: entry.seq,
      anchor_hash: b64(entry.hash),
      status: 'open',
      expires_at: body.expiresAt,
      window_ends_at: null,
      created_at: now,
      ended_at: null,
    });
    session.repo.updateCredential(cred.id, { state: 'REQUESTED', active_request: id }, now);
  });
  await committed.catch(async (err: unknown) => {
    await secrets.delete(requestAccount(id)).catch(() => false);
    throw err;
  });
  return summarizeRequest(session, requestRow(session, id));
}

/**
 * Ends an open request, by a signed cancel or at its expiry, and erases its key. Before its quorum,
 * the credential goes back to SEALED. After it (the vault held enough approvals to rebuild the data
 * key), the credential counts as exposed whatever ends the request: its next envelope was taken at
 * the quorum, the old one is erased, and it waits for a review like an unseal.
 */
async function endRequest(
  session: VaultSession,
  row: RequestRow,
  how: 'cancel' | 'expire',
  actor: string,
  signed: Record<string, unknown> = {},
): Promise<{ exposed: boolean }> {
  const cred = credentialRow(session, row.credential_id);
  const journaled = session.evidence.request(row.id);
  const exposed =
    journaled.quorum !== null || (journaled.body.purpose === 'access' && journaled.approvals.size >= journaled.body.threshold);
  const state = transition(cred.id, cred.state, exposed ? 'abandon' : how);
  const now = Date.now();
  await session.commit((append) => {
    session.repo.updateRequest(row.id, { status: how === 'cancel' ? 'cancelled' : 'expired', ended_at: now });
    if (exposed) session.repo.deleteEnvelope(cred.id, 'active');
    session.repo.updateCredential(cred.id, exposed ? { state } : { state, active_request: null }, now);
    append({
      kind: how === 'cancel' ? 'request.cancel' : 'request.expire',
      actor,
      subject: cred.id,
      data: { request: row.id, exposed, ...signed },
    });
  });
  await eraseEphemeralKey(session, row.id);
  return { exposed };
}

const openRow = (session: VaultSession, requestId: string): RequestRow => {
  const row = requestRow(session, requestId);
  if (row.status !== 'open') throw new BreakGlassError('STATE_CONFLICT', `request ${requestId} is ${row.status}, not open`);
  return row;
};

/** Ends an open request past the expiry its requester signed (the clock acts, as "system"). */
export function expireRequest(session: VaultSession, requestId: string): Promise<{ exposed: boolean }> {
  const row = openRow(session, requestId);
  const { expiresAt } = session.evidence.request(row.id).body;
  if (!(Date.now() > expiresAt)) throw new BreakGlassError('STATE_CONFLICT', `request ${requestId} has not expired yet`);
  return endRequest(session, row, 'expire', 'system');
}

/** Who may cancel an open request: its requester, and the holders who approved it. */
function cancellersOf(session: VaultSession, requestId: string): string[] {
  const journaled = session.evidence.request(requestId);
  const approvers = [...journaled.approvals.keys()].filter((h) => h !== journaled.body.requester && journaled.body.holders.includes(h));
  return [journaled.body.requester, ...approvers];
}

/**
 * Cancels an open request by hand, signed in person by its requester or by a holder who approved it
 * (`by`, the requester when not given). The signed cancel is journaled whole, so an auditor sees who
 * ended it and the vault's own key cannot end one unseen. Anyone else is refused before any
 * passphrase, and nothing is journaled: naming the wrong person is a mistake, not an attack.
 */
export async function cancelRequest(
  session: VaultSession,
  requestId: string,
  by: string | undefined,
  signer: PassphraseSource | MemberKeys,
): Promise<{ exposed: boolean; by: string }> {
  session.assertJournalIntact();
  const row = openRow(session, requestId);
  credentialRow(session, row.credential_id);
  const journaled = session.evidence.request(row.id);
  const who = by ?? journaled.body.requester;
  const may = cancellersOf(session, row.id);
  if (!may.includes(who)) {
    const approvers = may.slice(1);
    throw new BreakGlassError(
      'POLICY_DENIED',
      `${who} may not cancel request ${row.id}: only its requester (${journaled.body.requester}) or a holder who approved it (${approvers.join(', ') || 'none yet'}) may; nothing was changed`,
      { may },
    );
  }
  const keys = await signingKeysOf(session, who, signer, `cancel request ${row.id}`, { credential: row.credential_id, request: row.id });
  const body: CancelBody = {
    format: 'breakglass.cancel',
    version: 1,
    vault: session.vaultId,
    credential: row.credential_id,
    request: row.id,
    requestHash: row.hash,
    by: who,
    createdAt: Date.now(),
  };
  const signature = signDocument(TAG.cancel, body, keys.signing);
  const { exposed } = await endRequest(session, row, 'cancel', who, {
    cancel: body,
    cancelHash: b64(documentHash(TAG.cancel, body)),
    signature,
  });
  return { exposed, by: who };
}

/** A bundle for one holder on another laptop: the signed request and that holder's sealed share. */
export function exportBundle(session: VaultSession, requestId: string, holder: string): RequestBundle {
  const row = requestRow(session, requestId);
  if (row.status !== 'open')
    throw new BreakGlassError('STATE_CONFLICT', `request ${requestId} is ${row.status}; only an open request can be sent for approval`);
  if (row.expires_at <= Date.now()) throw new BreakGlassError('REQUEST_EXPIRED', `request ${requestId} has expired; open a new one`);
  const body = requestBody(session, row);
  credentialRow(session, row.credential_id);
  const envelope = envelopeOf(session, row.credential_id, 'active');
  const share = envelope.shares.find((s) => s.holder === holder);
  if (!share)
    throw new BreakGlassError(
      'POLICY_DENIED',
      `${holder} holds no share of ${row.credential_id}; holders: ${envelope.shares.map((s) => s.holder).join(', ')}`,
    );
  return {
    format: 'breakglass.request-bundle',
    version: 2,
    request: body,
    requestHash: row.hash,
    requesterSignature: row.signature,
    requesterCard: enrolledMember(session, body.requester).card,
    anchor: anchorOf(session, row),
    head: { seq: session.head.nextSeq - 1, hash: session.head.prev },
    holder,
    share: { sealed: share.sealed, commitment: share.commitment },
  };
}
