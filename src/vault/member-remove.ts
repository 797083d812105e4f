import { BreakGlassError } from '../core/errors.js';
import { credentialPolicy } from '../core/policy.js';
import { memberFingerprint } from '../crypto/index.js';
import { envelopeOf } from './credentials.js';
import { enrolledMember, memberKeysHere, statedActor } from './members.js';
import { currentPolicy } from './policy.js';
import { requestBody } from './requests.js';
import type { VaultSession } from './session.js';

/** What a removal leaves for the person to do: where the policy in force still names the member. */
export interface MemberRemoval {
  readonly member: string;
  /** Whether a custody copy of their keys was erased from this vault. */
  readonly custodyErased: boolean;
  /** "holder of prod-db-root", "requester", …: what the policy in force still says about them. */
  readonly stillInPolicy: readonly string[];
}

/**
 * Refuses (STATE_CONFLICT, with the way out) to remove a member a credential still depends on: one
 * who holds a share of a sealed credential (in its active split, or the split its reseal will
 * activate), or who took part in an activation not yet resealed (requested, approved or reviewed it).
 */
function assertNothingDependsOn(session: VaultSession, id: string): void {
  for (const cred of session.repo.listCredentials()) {
    for (const slot of ['active', 'next'] as const) {
      if (!session.repo.getEnvelope(cred.id, slot)) continue;
      if (!envelopeOf(session, cred.id, slot).shares.some((s) => s.holder === id)) continue;
      throw new BreakGlassError(
        'STATE_CONFLICT',
        `${id} holds a share of ${cred.id}${slot === 'next' ? ' in the split its reseal will activate' : ''}, and that share stays good until ${cred.id} is split again without them: set a policy whose holders of ${cred.id} leave ${id} out ("breakglass policy set FILE"), run one activation the holders approve (request, approvals, unseal, review, reseal), then remove ${id}; nothing was changed`,
        { member: id, credential: cred.id },
      );
    }
    const requestId = cred.active_request;
    if (requestId === null) continue;
    const row = session.repo.getRequest(requestId);
    if (!row) continue;
    const body = requestBody(session, row);
    const journaled = session.evidence.request(requestId);
    const part =
      body.requester === id
        ? 'opened'
        : journaled.approvals.has(id) || session.repo.listApprovals(requestId).some((a) => a.holder === id)
          ? 'approved'
          : journaled.reviews.some((r) => r.body.reviewer === id)
            ? 'reviewed'
            : null;
    if (part === null) continue;
    const wayOut =
      row.status === 'open'
        ? `wait until it ends, or cancel it ("breakglass request cancel ${requestId}")`
        : `finish it first (close, review and "breakglass reseal ${cred.id}")`;
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `${id} ${part} request ${requestId} of ${cred.id}, which is not resealed yet, and its checks read ${id}'s card: ${wayOut}, then remove ${id}; nothing was changed`,
      { member: id, request: requestId },
    );
  }
}

/**
 * Takes a member off this vault's roster: journaled (`member.remove`), and their custody copy here
 * erased. Refused while anything still depends on them (see above), and on the machine that holds
 * their own keys. Their card stays in the journal, so their past requests, approvals and reviews
 * still verify; adding their card again enrols them again (with the same keys only).
 */
export async function removeMember(session: VaultSession, id: string, by?: string): Promise<MemberRemoval> {
  session.assertJournalIntact();
  const actor = statedActor(session, by);
  // First: on a person's own laptop their card is journaled without a roster entry.
  if ((await memberKeysHere(session)).includes(id)) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `this machine holds ${id}'s own keys (made here with "breakglass member create"); member remove takes a member off a vault laptop's roster, and leaves a person's own keys alone; nothing was changed`,
      { member: id },
    );
  }
  const { card, custody } = enrolledMember(session, id);
  assertNothingDependsOn(session, id);
  const row = session.repo.getMember(id)!;
  await session.commit((append) => {
    session.repo.upsertMember({ ...row, custody: null });
    append({
      kind: 'member.remove',
      actor,
      subject: id,
      data: { fingerprint: memberFingerprint(card), custodyErased: custody !== null },
    });
  });
  const policy = session.repo.getPolicy() ? currentPolicy(session).policy : null;
  const stillInPolicy: string[] = [];
  if (policy) {
    if (Object.hasOwn(policy.members, id)) for (const role of policy.members[id]!) stillInPolicy.push(role);
    for (const credential of Object.keys(policy.credentials)) {
      const rules = credentialPolicy(policy, credential)!;
      if (rules.holders.includes(id)) stillInPolicy.push(`holder of ${credential}`);
      if (rules.requesters.includes(id)) stillInPolicy.push(`requester of ${credential}`);
    }
  }
  return { member: id, custodyErased: custody !== null, stillInPolicy };
}
