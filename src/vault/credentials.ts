import { BreakGlassError } from '../core/errors.js';
import { isExposed, type CredentialState } from '../core/lifecycle.js';
import { didYouMean } from '../core/suggest.js';
import { credentialPolicy, type CredentialPolicy, type Policy } from '../core/policy.js';
import { createEnvelope, envelopeDigest, memberFingerprint, shortFingerprint, type Envelope, type HolderKey } from '../crypto/index.js';
import type { CredentialRow } from '../store/index.js';
import { enrolledMember, statedActor } from './members.js';
import { currentPolicy, policyOfRequest } from './policy.js';
import type { VaultSession } from './session.js';

export const MAX_SECRET_BYTES = 64 * 1024;

/** A credential as `list` shows it: never any key or secret material. */
export interface CredentialSummary {
  readonly id: string;
  readonly label: string;
  readonly state: CredentialState;
  readonly version: number;
  readonly exposed: boolean;
  readonly request: string | null;
  readonly holders: readonly string[];
  readonly threshold: number;
  readonly updatedAt: number;
  /** Why this credential's row does not match its signed journal (it is then refused on every use), or null. */
  readonly integrity: string | null;
  /**
   * What the policy asks for next, and by when: the review of an activation (`review.due_hours`
   * after its unseal, or after the quorum of one abandoned unopened), or the next drill of a sealed
   * credential (`drills.every_days` after its last drill, or its seal). Overdue once `at` is past.
   */
  readonly due: { readonly what: 'review' | 'drill'; readonly at: number } | null;
}

/** The review or drill a credential owes, from its journal and the policies in it (see CredentialSummary.due). */
function dueOf(session: VaultSession, id: string): CredentialSummary['due'] {
  const c = session.evidence.credential(id);
  if ((c.state === 'UNSEALED' || c.state === 'REVIEW_PENDING') && c.request) {
    const r = session.evidence.request(c.request);
    const from = r.unsealedAt ?? r.quorum?.at;
    if (from === undefined) return null;
    const hours = rulesFor(policyOfRequest(session, r.body), id).review.due_hours;
    return { what: 'review', at: from + Math.round(hours * 3_600_000) };
  }
  const every = c.state === 'SEALED' ? currentPolicy(session).policy.drills?.every_days : undefined;
  return every ? { what: 'drill', at: (c.lastDrillAt ?? c.sealedAt) + every * 86_400_000 } : null;
}

/**
 * NOT_FOUND for a name that is no credential here, saying what it is instead: a request id typed
 * where the credential goes names the request's credential; a near miss gets "did you mean".
 */
function notACredential(session: VaultSession, id: string): BreakGlassError {
  const request = session.repo.getRequest(id);
  if (request) {
    return new BreakGlassError(
      'NOT_FOUND',
      `${id} is a request, not a credential; it is for credential ${request.credential_id}: give that name here`,
      { request: id, credential: request.credential_id },
    );
  }
  const near = didYouMean(
    id,
    session.repo.listCredentials().map((c) => c.id),
  );
  return new BreakGlassError('NOT_FOUND', `no credential ${id} in this vault${near || '; "breakglass list" shows them'}`);
}

/**
 * The credential's row, or NOT_FOUND; INTEGRITY_FAILURE when its state, version or request is not
 * what the verified journal says (the row is a cache of the journal, never the authority).
 */
export function credentialRow(session: VaultSession, id: string): CredentialRow {
  const row = session.repo.getCredential(id);
  if (!row) throw notACredential(session, id);
  const journaled = session.evidence.credential(id);
  if (
    row.state !== journaled.state ||
    row.version !== journaled.version ||
    row.active_request !== journaled.request ||
    row.label !== journaled.label
  ) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the database says ${id} is ${row.state} (version ${row.version}, request ${row.active_request ?? 'none'}), but its signed journal says ${journaled.state} (version ${journaled.version}, request ${journaled.request ?? 'none'}): the database was edited by hand; do not use this vault until security has examined it`,
      { credential: id },
    );
  }
  return row;
}

/** The credential's rules from the policy in force, or POLICY_DENIED when the policy dropped it. */
export function rulesFor(policy: Policy, id: string): CredentialPolicy {
  const rules = credentialPolicy(policy, id);
  if (!rules) throw new BreakGlassError('POLICY_DENIED', `the policy has no entry for credential ${id}; add it under credentials`);
  return rules;
}

/** The envelope in a slot, parsed, and checked against the digest its journal recorded. */
export function envelopeOf(session: VaultSession, id: string, slot: 'active' | 'next'): Envelope {
  const row = session.repo.getEnvelope(id, slot);
  if (!row) throw new BreakGlassError('INTEGRITY_FAILURE', `credential ${id} has no ${slot} envelope`);
  const envelope = JSON.parse(row.body) as Envelope;
  const journaled = session.evidence.credential(id);
  if (envelopeDigest(envelope) !== journaled[slot] || (slot === 'next' && (row.rotated === 1) !== journaled.rotated)) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the ${slot} envelope of ${id} in this vault's database is not the one its journal recorded: it was replaced by hand; do not use this vault until security has examined it`,
      { credential: id },
    );
  }
  return envelope;
}

/**
 * The keys a split goes to: the enrolled cards of `holders`, each of which must have the fingerprint
 * a signed request fixed for it (INTEGRITY_FAILURE otherwise). The vault seals to no other key.
 */
export function signedSplitKeys(
  session: VaultSession,
  credential: string,
  holders: readonly string[],
  fingerprints: readonly string[],
): HolderKey[] {
  if (holders.length !== fingerprints.length) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the signed split of ${credential} names ${holders.length} holders but ${fingerprints.length} keys`,
    );
  }
  return holders.map((id, i) => {
    const card = enrolledMember(session, id).card;
    if (memberFingerprint(card) !== fingerprints[i]) {
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the key of ${id} (${shortFingerprint(memberFingerprint(card))}) is not the key the signed request names for them (${shortFingerprint(fingerprints[i]!)}); nothing was sealed to it`,
        { member: id },
      );
    }
    return { id, agreementKey: card.agreementKey };
  });
}

/** The fingerprints of the enrolled cards of `holders`, in their order: what a request signs. */
export function holderFingerprints(session: VaultSession, holders: readonly string[]): string[] {
  return holders.map((id) => memberFingerprint(enrolledMember(session, id).card));
}

/**
 * The keys of the holders a credential is split among, or STATE_CONFLICT naming any that the policy
 * lists but this vault has not enrolled (the split could not be made).
 */
export function enrolledHolders(session: VaultSession, credential: string, holders: readonly string[]): HolderKey[] {
  const missing = holders.filter((id) => !session.repo.getMember(id) || session.evidence.isRemoved(id));
  if (missing.length > 0) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `the policy names ${missing.join(', ')} as holder(s) of ${credential}, but this vault has not enrolled them, so the secret cannot be split among them; add their card (breakglass member add) or set a policy without them`,
    );
  }
  return holderKeys(session, holders);
}

/** The holders' X25519 keys from their enrolled cards, in the policy's order. */
export function holderKeys(session: VaultSession, holders: readonly string[]): HolderKey[] {
  return holders.map((id) => ({ id, agreementKey: enrolledMember(session, id).card.agreementKey }));
}

/** Seals a new credential: the secret under a fresh data key split among the policy's holders. */
/**
 * What sealing `id` needs besides the secret: a label, an entry in the policy, no credential of that
 * id yet, and every holder enrolled. Checked before anyone types the secret, and again at the seal.
 */
export function assertSealable(session: VaultSession, id: string, label: string): void {
  if (label.trim() === '') throw new BreakGlassError('BAD_INPUT', 'the label must not be empty');
  const rules = rulesFor(currentPolicy(session).policy, id);
  if (session.repo.getCredential(id)) throw new BreakGlassError('ALREADY_EXISTS', `credential ${id} is already sealed here`);
  holderKeys(session, rules.holders);
}

export async function sealCredential(
  session: VaultSession,
  id: string,
  label: string,
  secret: Buffer,
  by?: string,
): Promise<CredentialSummary> {
  if (secret.length === 0) throw new BreakGlassError('BAD_INPUT', 'the secret is empty; nothing to seal');
  if (secret.length > MAX_SECRET_BYTES) throw new BreakGlassError('BAD_INPUT', `the secret is larger than ${MAX_SECRET_BYTES} bytes`);
  const actor = statedActor(session, by);
  assertSealable(session, id, label);
  const { policy, hash } = currentPolicy(session);
  const rules = rulesFor(policy, id);
  const holders = holderKeys(session, rules.holders);
  const envelope = await createEnvelope(secret, { vault: session.vaultId, credential: id, version: 1 }, holders, rules.threshold);
  const now = Date.now();
  await session.commit((append) => {
    session.repo.insertCredential({
      id,
      label,
      state: 'SEALED',
      version: 1,
      exposed: 0,
      active_request: null,
      created_at: now,
      updated_at: now,
    });
    session.repo.putEnvelope({
      credential_id: id,
      slot: 'active',
      version: 1,
      body: JSON.stringify(envelope),
      rotated: 0,
      created_at: now,
    });
    append({
      kind: 'credential.seal',
      actor,
      subject: id,
      data: {
        label,
        version: 1,
        holders: rules.holders,
        holderKeys: holders.map((h) => memberFingerprint(enrolledMember(session, h.id).card)),
        threshold: rules.threshold,
        policy: hash,
        envelope: envelopeDigest(envelope),
      },
    });
  });
  return summarize(session, credentialRow(session, id));
}

function summarize(session: VaultSession, row: CredentialRow): CredentialSummary {
  let integrity: string | null = null;
  try {
    credentialRow(session, row.id);
  } catch (err) {
    // A journal that does not verify is reported as such by the views; a row that disagrees with a verified one, here.
    if (!(err instanceof BreakGlassError && (err.code === 'INTEGRITY_FAILURE' || err.code === 'JOURNAL_TAMPERED'))) throw err;
    if (err.code === 'INTEGRITY_FAILURE') integrity = err.message;
  }
  const envelope = session.repo.getEnvelope(row.id, 'active') ?? session.repo.getEnvelope(row.id, 'next');
  const env = envelope ? (JSON.parse(envelope.body) as Envelope) : null;
  return {
    id: row.id,
    label: row.label,
    state: row.state,
    version: row.version,
    exposed: isExposed(row.state) || row.exposed === 1,
    request: row.active_request,
    holders: env?.shares.map((s) => s.holder) ?? [],
    threshold: env?.threshold ?? 0,
    updatedAt: row.updated_at,
    integrity,
    due: integrity === null && session.report.ok ? dueOf(session, row.id) : null,
  };
}

/** Every credential with its state. */
export function listCredentials(session: VaultSession): CredentialSummary[] {
  return session.repo.listCredentials().map((row) => summarize(session, row));
}
