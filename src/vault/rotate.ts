// Routine rotation: a new value of a credential sealed in place of the old one, with the same quorum
// an unseal needs. The requester asks for it (signed, in person); each holder consents the way a drill
// does, by proving their share opens with their key, so no share leaves them and nothing is decrypted;
// once a quorum has proved, the new secret is sealed under a fresh data key to the split the request
// signed, and the old envelope is erased. The credential was never exposed, so no review is owed. The
// proofs are journaled whole with the rotation, so the vault's own key cannot replace a secret.
import { BreakGlassError } from '../core/errors.js';
import { transition } from '../core/lifecycle.js';
import type { RotationSealBody } from '../core/documents.js';
import { TAG, createEnvelope, envelopeDigest, signDocument, type MemberKeys } from '../crypto/index.js';
import { MAX_SECRET_BYTES, credentialRow, envelopeOf, rulesFor, signedSplitKeys } from './credentials.js';
import { journaledProofs } from './drill.js';
import { signingKeysOf, type PassphraseSource } from './members.js';
import { currentPolicy } from './policy.js';
import {
  assertCurrentSplit,
  eraseEphemeralKey,
  openRequest,
  requestBody,
  requestRow,
  sameSplit,
  summarizeRequest,
  type RequestSummary,
} from './requests.js';
import type { VaultSession } from './session.js';

/** A completed rotation: the credential's new version and who proved their shares for it. */
export interface RotationResult {
  readonly credential: string;
  readonly request: string;
  readonly version: number;
  readonly holders: readonly string[];
}

/** Asks for a rotation of `credential`: a request on the real approval path, signed by the requester in person. */
export function startRotation(
  session: VaultSession,
  input: { readonly credential: string; readonly requester: string; readonly reason: string; readonly incident?: string },
  passphrase: PassphraseSource,
): Promise<RequestSummary> {
  return openRequest(
    session,
    {
      credential: input.credential,
      trigger: 'rotation',
      reason: input.reason,
      incident: input.incident ?? 'rotation',
      requester: input.requester,
    },
    passphrase,
    'rotate',
  );
}

/** The rotation open for a credential, if one is. */
function openRotation(session: VaultSession, credentialId: string): RequestSummary | null {
  const cred = credentialRow(session, credentialId);
  if (!cred.active_request) return null;
  const row = requestRow(session, cred.active_request);
  return row.purpose === 'rotate' && row.status === 'open' ? summarizeRequest(session, row) : null;
}

/**
 * The rotation of a credential that is ready to seal its new secret, or the error saying why not:
 * asked before the new secret is read (nobody types a secret for a rotation that would be refused).
 */
export function readyRotation(session: VaultSession, credentialId: string): RequestSummary {
  const cred = credentialRow(session, credentialId);
  const open = openRotation(session, cred.id);
  if (!open) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `no rotation is open for ${cred.id}; ask for one first ("breakglass rotate --credential ${cred.id} --requester ID --reason TEXT")`,
      { state: cred.state },
    );
  }
  if (Date.now() > open.expiresAt)
    throw new BreakGlassError('REQUEST_EXPIRED', `rotation ${open.id} expired before its quorum; ask for a new one`);
  if (open.approvals.length < open.threshold) {
    throw new BreakGlassError(
      'THRESHOLD_NOT_MET',
      `rotation ${open.id} has ${open.approvals.length} of the ${open.threshold} approvals it needs; waiting for ${open.holders.filter((h) => !open.approvals.includes(h)).join(', ')}`,
      { have: open.approvals.length, need: open.threshold },
    );
  }
  return open;
}

/**
 * Seals `secret` as the credential's next version once a quorum of the request's holders proved
 * their shares. Everything is checked before the secret is sealed: the request is a rotation still
 * open, its split is the one in force, the proofs are those the journal accepted, and the policy has
 * not changed who holds the credential since the holders consented.
 */
export async function completeRotation(
  session: VaultSession,
  credentialId: string,
  secret: Buffer,
  requester: PassphraseSource | MemberKeys,
): Promise<RotationResult> {
  session.assertJournalIntact();
  if (secret.length === 0) throw new BreakGlassError('BAD_INPUT', 'the new secret is empty; nothing to seal');
  if (secret.length > MAX_SECRET_BYTES) throw new BreakGlassError('BAD_INPUT', `the new secret is larger than ${MAX_SECRET_BYTES} bytes`);
  const open = readyRotation(session, credentialId);
  const cred = credentialRow(session, credentialId);
  const row = requestRow(session, open.id);
  const signed = requestBody(session, row);
  const state = transition(cred.id, cred.state, 'rotate');
  const envelope = envelopeOf(session, cred.id, 'active');
  assertCurrentSplit(signed, envelope);
  const proofs = journaledProofs(session, row, envelope);
  if (proofs.length < signed.threshold) {
    throw new BreakGlassError(
      'THRESHOLD_NOT_MET',
      `rotation ${row.id} has ${proofs.length} of the ${signed.threshold} approvals it needs`,
      {
        have: proofs.length,
        need: signed.threshold,
      },
    );
  }
  const rules = rulesFor(currentPolicy(session).policy, cred.id);
  if (!sameSplit(signed.nextHolders, signed.nextThreshold, rules.holders, rules.threshold)) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `the policy changed the holders of ${cred.id} after rotation ${row.id} was asked for (approved: ${signed.nextHolders.join(', ')}, ${signed.nextThreshold} of ${signed.nextHolders.length}; now: ${rules.holders.join(', ')}, ${rules.threshold} of ${rules.holders.length}); cancel it and ask again, so that the holders approve the new split`,
    );
  }
  const version = cred.version + 1;
  // Sealed to the keys the request signed for the split after it, as an unseal's next envelope is.
  const next = await createEnvelope(
    secret,
    { vault: session.vaultId, credential: cred.id, version },
    signedSplitKeys(session, cred.id, signed.nextHolders, signed.nextHolderKeys),
    signed.nextThreshold,
  );
  const used = proofs.slice(0, signed.threshold);
  const holders = used.map((p) => p.body.holder);
  // The requester signs, in person, the envelope that becomes the credential: nobody else at the
  // laptop seals a value of their own in the requester's name.
  const keys = await signingKeysOf(session, signed.requester, requester, `seal the new secret of ${cred.id} (rotation ${row.id})`, {
    credential: cred.id,
    request: row.id,
  });
  const digest = envelopeDigest(next);
  const sealing: RotationSealBody = {
    format: 'breakglass.rotation-seal',
    version: 1,
    vault: session.vaultId,
    credential: cred.id,
    request: row.id,
    requestHash: row.hash,
    by: signed.requester,
    credentialVersion: version,
    envelope: digest,
    createdAt: Date.now(),
  };
  const sealSignature = signDocument(TAG.rotationSeal, sealing, keys.signing);
  const now = Date.now();
  await session.commit((append) => {
    session.repo.updateRequest(row.id, { status: 'rotated', ended_at: now });
    session.repo.deleteEnvelope(cred.id, 'active');
    session.repo.putEnvelope({
      credential_id: cred.id,
      slot: 'active',
      version,
      body: JSON.stringify(next),
      rotated: 0,
      created_at: now,
    });
    session.repo.updateCredential(cred.id, { state, version, active_request: null }, now);
    append({
      kind: 'credential.rotate',
      actor: signed.requester,
      subject: cred.id,
      data: {
        request: row.id,
        holders,
        proofs: used,
        version,
        holderKeys: signed.nextHolderKeys,
        threshold: signed.nextThreshold,
        envelope: digest,
        sealing,
        sealSignature,
      },
    });
  });
  await eraseEphemeralKey(session, row.id);
  return { credential: cred.id, request: row.id, version, holders };
}
