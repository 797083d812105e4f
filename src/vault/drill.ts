import { performance } from 'node:perf_hooks';
import { BreakGlassError } from '../core/errors.js';
import { transition } from '../core/lifecycle.js';
import { openHolderShare } from '../crypto/index.js';
import { credentialRow, envelopeOf } from './credentials.js';
import { unlockInPerson, type PassphraseSource } from './members.js';
import { eraseEphemeralKey, openRequest, requestRow, summarizeRequest, type RequestSummary } from './requests.js';
import type { VaultSession } from './session.js';
import { rebuildDek } from './unseal.js';

/** The outcome of a completed drill: who took part and how long each step took. */
export interface DrillResult {
  readonly credential: string;
  readonly request: string;
  readonly holders: readonly string[];
  readonly requestToQuorumMs: number;
  readonly reconstructMs: number;
}

/** Starts a drill: a request on the real approval path that can never decrypt the secret. */
export function startDrill(
  session: VaultSession,
  credential: string,
  requester: string,
  passphrase: PassphraseSource,
): Promise<RequestSummary> {
  return openRequest(
    session,
    { credential, trigger: 'drill', reason: 'scheduled break-glass drill', incident: 'drill', requester },
    passphrase,
    'drill',
  );
}

/**
 * Completes a drill once its approvals reach the threshold: checks that the quorum rebuilds the data
 * key (against its check value), never decrypts the secret, and journals the timings.
 */
export async function completeDrill(session: VaultSession, credentialId: string): Promise<DrillResult> {
  session.assertJournalIntact();
  const cred = credentialRow(session, credentialId);
  const row = requestRow(session, cred.active_request ?? '');
  if (row.purpose !== 'drill') throw new BreakGlassError('STATE_CONFLICT', `${cred.id} has an open break-glass request, not a drill`);
  const state = transition(cred.id, cred.state, 'drill');
  const envelope = envelopeOf(session, cred.id, 'active');
  const started = performance.now();
  const { dek, holders } = await rebuildDek(session, row, envelope);
  dek.fill(0);
  const reconstructMs = Math.round((performance.now() - started) * 1000) / 1000;
  const approvals = session.repo.listApprovals(row.id);
  const quorumAt = approvals[envelope.threshold - 1]!.accepted_at;
  const result: DrillResult = {
    credential: cred.id,
    request: row.id,
    holders,
    requestToQuorumMs: quorumAt - row.created_at,
    reconstructMs,
  };
  const now = Date.now();
  await session.commit((append) => {
    session.repo.updateRequest(row.id, { status: 'drilled', ended_at: now });
    session.repo.updateCredential(cred.id, { state, active_request: null }, now);
    append({
      kind: 'drill.complete',
      actor: 'vault',
      subject: cred.id,
      // Journal entries hold integers only (docs/journal-format.md): the timing goes in microseconds.
      data: {
        request: row.id,
        holders,
        requestToQuorumMs: result.requestToQuorumMs,
        reconstructMicros: Math.round(reconstructMs * 1000),
        ok: true,
      },
    });
  });
  await eraseEphemeralKey(session, row.id);
  return result;
}

/** The drill request of a credential, if one is open. */
export function openDrill(session: VaultSession, credentialId: string): RequestSummary | null {
  const cred = credentialRow(session, credentialId);
  if (!cred.active_request) return null;
  const row = requestRow(session, cred.active_request);
  return row.purpose === 'drill' && row.status === 'open' ? summarizeRequest(session, row) : null;
}

/**
 * One holder proves, in person, that their share opens with their key and matches its commitment,
 * without reconstructing anything. A mismatch is journaled and reported as BAD_SHARE.
 */
export async function checkShare(
  session: VaultSession,
  credentialId: string,
  holder: string,
  passphrase: PassphraseSource,
): Promise<{ ok: true }> {
  session.assertJournalIntact();
  const cred = credentialRow(session, credentialId);
  const envelope = envelopeOf(session, cred.id, session.repo.getEnvelope(cred.id, 'active') ? 'active' : 'next');
  if (!envelope.shares.some((s) => s.holder === holder)) {
    throw new BreakGlassError('NOT_FOUND', `${holder} holds no share of ${cred.id}`);
  }
  const keys = await unlockInPerson(session, holder, passphrase, `check their share of ${cred.id}`);
  const share = openHolderShare(envelope, holder, keys.agreement);
  if (!share) {
    return session.refuse(
      new BreakGlassError(
        'BAD_SHARE',
        `the share of ${holder} for ${cred.id} does not open or does not match its commitment; reseal the credential to issue fresh shares`,
        { holder },
      ),
      holder,
      cred.id,
      { version: envelope.context.version },
    );
  }
  share.fill(0);
  await session.commit((append) =>
    append({ kind: 'share.check', actor: holder, subject: cred.id, data: { version: envelope.context.version, ok: true } }),
  );
  return { ok: true };
}
