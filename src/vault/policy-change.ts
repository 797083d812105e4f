import { credentialPolicy, type Policy } from '../core/policy.js';
import { statedActor } from './members.js';
import { commitPolicy } from './policy.js';
import { requestBody, sameSplit, summarizeRequest } from './requests.js';
import type { VaultSession } from './session.js';

/**
 * What a new policy means for a request opened under the previous one. The request keeps what its
 * requester signed and its approvers consent to: the split now (holders and threshold), its expiry
 * and its unseal window. The new policy applies to requests opened after it.
 */
export interface OpenRequestUnderPolicy {
  readonly id: string;
  readonly credential: string;
  readonly status: 'open' | 'unsealed';
  readonly approvals: number;
  /** Fixed by the signed request: who may approve it, and how many it takes. */
  readonly holders: readonly string[];
  readonly threshold: number;
  readonly unsealSeconds: number;
  readonly expiresAt: number;
  /** The end of the unseal window, once unsealed (fixed then). */
  readonly windowEndsAt: number | null;
  /**
   * Whether `breakglass unseal` will refuse it (STATE_CONFLICT): the new policy changes who holds
   * the credential after the unseal (the split the approvers consented to), or drops the credential.
   * Only an open request: an unsealed one already took its next split.
   */
  readonly unsealRefused: boolean;
  /** Who the new policy says holds the credential after an unseal, and how many it takes; null when it dropped it. */
  readonly policyHolders: readonly string[] | null;
  readonly policyThreshold: number | null;
  /** The split the request signed for after the unseal. */
  readonly nextHolders: readonly string[];
  readonly nextThreshold: number;
}

/** How `policy` bears on every request still open or unsealed, read from their signed bodies. */
export function openRequestsUnder(session: VaultSession, policy: Policy): OpenRequestUnderPolicy[] {
  return session.repo.listRequests(['open', 'unsealed']).map((row) => {
    const body = requestBody(session, row);
    const summary = summarizeRequest(session, row);
    const rules = credentialPolicy(policy, row.credential_id);
    const splitChanges = !rules || !sameSplit(body.nextHolders, body.nextThreshold, rules.holders, rules.threshold);
    return {
      id: row.id,
      credential: row.credential_id,
      status: row.status as 'open' | 'unsealed',
      approvals: summary.approvals.length,
      holders: body.holders,
      threshold: body.threshold,
      unsealSeconds: body.unsealSeconds,
      expiresAt: body.expiresAt,
      windowEndsAt: row.window_ends_at,
      unsealRefused: row.status === 'open' && body.purpose === 'access' && splitChanges,
      policyHolders: rules ? rules.holders : null,
      policyThreshold: rules ? rules.threshold : null,
      nextHolders: body.nextHolders,
      nextThreshold: body.nextThreshold,
    };
  });
}

/**
 * Replaces this vault's policy, and says at once which open requests it bears on. Each keeps the
 * values its signed request fixed; one whose unseal the new split would stop is named so.
 */
export async function setPolicy(
  session: VaultSession,
  text: string,
  by?: string,
): Promise<{ hash: string; policy: Policy; openRequests: OpenRequestUnderPolicy[] }> {
  const { hash, policy } = await commitPolicy(session, text, statedActor(session, by));
  return { hash, policy, openRequests: openRequestsUnder(session, policy) };
}
