import { performance } from 'node:perf_hooks';
import { BreakGlassError } from '../core/errors.js';
import { ApprovalTokenSchema, type ApprovalToken, type DrillProofBody } from '../core/documents.js';
import { transition } from '../core/lifecycle.js';
import { TAG, b64, documentHash, openHolderShare, verifyDocument, type Envelope } from '../crypto/index.js';
import type { RequestRow } from '../store/index.js';
import { credentialRow, envelopeOf } from './credentials.js';
import { enrolledMember, unlockInPerson, type PassphraseSource } from './members.js';
import { eraseEphemeralKey, openRequest, requestBody, requestRow, summarizeRequest, type RequestSummary } from './requests.js';
import type { VaultSession } from './session.js';

/** The outcome of a completed drill: who took part and how long each step took. */
export interface DrillResult {
  readonly credential: string;
  readonly request: string;
  readonly holders: readonly string[];
  readonly requestToQuorumMs: number;
  /** Checking the holders' signed proofs against the split's commitments. */
  readonly verifyMs: number;
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
 * The drill's proofs, each checked against the evidence: journaled by an approval.accept entry,
 * signed under the holder's journaled card, and proving the commitment of that holder's share.
 */
export function journaledProofs(session: VaultSession, row: RequestRow, envelope: Envelope): ApprovalToken[] {
  const journaled = session.evidence.request(row.id).approvals;
  const rows = session.repo.listApprovals(row.id);
  const missing = [...journaled.keys()].filter((holder) => !rows.some((a) => a.holder === holder));
  if (missing.length > 0) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the share proofs of ${missing.join(', ')} that the journal accepted are missing from this vault's database: deleted by hand`,
    );
  }
  return rows.map((a) => {
    const token = ApprovalTokenSchema.parse(JSON.parse(a.token));
    const { body } = token;
    const commitment = envelope.shares.find((s) => s.holder === a.holder)?.commitment.hash;
    if (
      body.format !== 'breakglass.drill-proof' ||
      body.holder !== a.holder ||
      body.request !== row.id ||
      journaled.get(a.holder) !== b64(documentHash(TAG.drillProof, body)) ||
      body.commitment !== commitment ||
      !verifyDocument(TAG.drillProof, body, token.sig, enrolledMember(session, a.holder).card.signingKey)
    ) {
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the share's proof of ${a.holder} for ${row.id} in this vault's database is not one its journal accepted: it was added or changed by hand`,
        { holder: a.holder },
      );
    }
    return token;
  });
}

/**
 * Completes a drill once its approvals reach the threshold. No share ever reached this vault: each
 * holder signed, on their own laptop (or in person), that their share opened with their key and
 * matched its commitment; the commitments are those of a split that was checked to rebuild its
 * data key when it was made. So the drill shows that a quorum holds working shares, and exposes
 * nothing. Its timings are journaled.
 */
export async function completeDrill(session: VaultSession, credentialId: string): Promise<DrillResult> {
  session.assertJournalIntact();
  const cred = credentialRow(session, credentialId);
  const row = requestRow(session, cred.active_request ?? '');
  const signed = requestBody(session, row);
  if (signed.purpose !== 'drill')
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `${cred.id} has an open ${signed.purpose === 'rotate' ? 'rotation' : 'break-glass request'}, not a drill`,
    );
  const state = transition(cred.id, cred.state, 'drill');
  const envelope = envelopeOf(session, cred.id, 'active');
  const started = performance.now();
  const proofs = journaledProofs(session, row, envelope).map((t) => t.body as DrillProofBody);
  if (proofs.length < signed.threshold) {
    throw new BreakGlassError('THRESHOLD_NOT_MET', `drill ${row.id} has ${proofs.length} of the ${signed.threshold} approvals it needs`, {
      have: proofs.length,
      need: signed.threshold,
    });
  }
  const verifyMs = Math.round((performance.now() - started) * 1000) / 1000;
  const holders = proofs.slice(0, signed.threshold).map((p) => p.holder);
  const approvals = session.repo.listApprovals(row.id);
  const quorumAt = approvals[signed.threshold - 1]!.accepted_at;
  const result: DrillResult = {
    credential: cred.id,
    request: row.id,
    holders,
    requestToQuorumMs: quorumAt - row.created_at,
    verifyMs,
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
        verifyMicros: Math.round(verifyMs * 1000),
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
