import { BreakGlassError } from './errors.js';

/** A credential's place in the activation lifecycle (DESIGN.md, "Activation lifecycle"). */
export type CredentialState = 'SEALED' | 'REQUESTED' | 'UNSEALED' | 'REVIEW_PENDING' | 'REVIEWED';

/** What moves a credential from one state to the next. */
export type LifecycleEvent = 'request' | 'cancel' | 'expire' | 'abandon' | 'unseal' | 'close' | 'review' | 'reseal' | 'drill' | 'rotate';

const TRANSITIONS: Record<CredentialState, Partial<Record<LifecycleEvent, CredentialState>>> = {
  SEALED: { request: 'REQUESTED' },
  // A request that reached its quorum exposed the credential, however it ends: cancelled or expired
  // then ('abandon'), it goes to review instead of back to SEALED.
  REQUESTED: { cancel: 'SEALED', expire: 'SEALED', abandon: 'REVIEW_PENDING', unseal: 'UNSEALED', drill: 'SEALED', rotate: 'SEALED' },
  UNSEALED: { close: 'REVIEW_PENDING' },
  REVIEW_PENDING: { review: 'REVIEWED' },
  REVIEWED: { review: 'REVIEWED', reseal: 'SEALED' },
};

const NEXT_STEP: Record<CredentialState, string> = {
  SEALED: 'it is sealed; open a request first',
  REQUESTED: 'a request is open; approve it, or cancel it',
  UNSEALED: 'it is unsealed; close the window first',
  REVIEW_PENDING: 'it is waiting for its post-incident review',
  REVIEWED: 'it is reviewed; reseal it',
};

/** The state after `event`, or STATE_CONFLICT naming what the credential needs instead. */
export function transition(credential: string, from: CredentialState, event: LifecycleEvent): CredentialState {
  const to = TRANSITIONS[from][event];
  if (!to) {
    if (event === 'reseal' && (from === 'REVIEW_PENDING' || from === 'UNSEALED')) {
      throw new BreakGlassError(
        'REVIEW_REQUIRED',
        `cannot reseal ${credential}: a post-incident review must be signed first (breakglass review ${credential} ...)`,
      );
    }
    throw new BreakGlassError('STATE_CONFLICT', `cannot ${event} ${credential}: ${NEXT_STEP[from]}`, { state: from });
  }
  return to;
}

/** True while the credential counts as exposed: from unseal until reseal. */
export function isExposed(state: CredentialState): boolean {
  return state === 'UNSEALED' || state === 'REVIEW_PENDING' || state === 'REVIEWED';
}
