import { describe, it, expect } from 'vitest';
import { BreakGlassError } from '../../../src/core/errors.js';
import { isExposed, transition, type CredentialState, type LifecycleEvent } from '../../../src/core/lifecycle.js';

const STATES: readonly CredentialState[] = ['SEALED', 'REQUESTED', 'UNSEALED', 'REVIEW_PENDING', 'REVIEWED'];
const EVENTS: readonly LifecycleEvent[] = ['request', 'cancel', 'expire', 'unseal', 'close', 'review', 'reseal', 'drill', 'rotate'];

/** DESIGN.md, "Activation lifecycle", as a table: the only moves there are. */
const ALLOWED: Record<string, CredentialState> = {
  'SEALED request': 'REQUESTED',
  'REQUESTED cancel': 'SEALED',
  'REQUESTED expire': 'SEALED',
  'REQUESTED unseal': 'UNSEALED',
  'REQUESTED drill': 'SEALED',
  'REQUESTED rotate': 'SEALED',
  'UNSEALED close': 'REVIEW_PENDING',
  'REVIEW_PENDING review': 'REVIEWED',
  'REVIEWED review': 'REVIEWED',
  'REVIEWED reseal': 'SEALED',
};

/** What the refusal tells the person to do, by the state the credential is in. */
const NEXT_STEP: Record<CredentialState, string> = {
  SEALED: 'it is sealed; open a request first',
  REQUESTED: 'a request is open; approve it, or cancel it',
  UNSEALED: 'it is unsealed; close the window first',
  REVIEW_PENDING: 'it is waiting for its post-incident review',
  REVIEWED: 'it is reviewed; reseal it',
};

const ALL = STATES.flatMap((from) => EVENTS.map((event) => ({ from, event, key: `${from} ${event}` })));
const allowed = ALL.filter((c) => c.key in ALLOWED);
const forbidden = ALL.filter((c) => !(c.key in ALLOWED));

function refusal(from: CredentialState, event: LifecycleEvent): BreakGlassError {
  try {
    transition('prod-db-root', from, event);
  } catch (err) {
    if (err instanceof BreakGlassError) return err;
    throw err;
  }
  throw new Error(`${from} --${event}--> was allowed`);
}

describe('transition', () => {
  it('covers every state and event pair', () => {
    expect(allowed).toHaveLength(Object.keys(ALLOWED).length);
    expect(allowed.length + forbidden.length).toBe(STATES.length * EVENTS.length);
  });

  it.each(allowed)('$from --$event--> is allowed', ({ from, event, key }) => {
    expect(transition('prod-db-root', from, event)).toBe(ALLOWED[key]);
  });

  it.each([{ from: 'REVIEW_PENDING' as const }, { from: 'UNSEALED' as const }])(
    'reseal from $from needs a review first: REVIEW_REQUIRED',
    ({ from }) => {
      const err = refusal(from, 'reseal');
      expect(err.code).toBe('REVIEW_REQUIRED');
      expect(err.message).toBe(
        'cannot reseal prod-db-root: a post-incident review must be signed first (breakglass review prod-db-root ...)',
      );
    },
  );

  const conflicts = forbidden.filter((c) => !(c.event === 'reseal' && (c.from === 'REVIEW_PENDING' || c.from === 'UNSEALED')));

  it.each(conflicts)('$from --$event--> is a STATE_CONFLICT naming the next step', ({ from, event }) => {
    const err = refusal(from, event);
    expect(err.code).toBe('STATE_CONFLICT');
    expect(err.message).toBe(`cannot ${event} prod-db-root: ${NEXT_STEP[from]}`);
    expect(err.details).toEqual({ state: from });
  });

  it('refuses a reseal of a sealed or requested credential as a state conflict, not a missing review', () => {
    expect(refusal('SEALED', 'reseal').code).toBe('STATE_CONFLICT');
    expect(refusal('REQUESTED', 'reseal').code).toBe('STATE_CONFLICT');
  });
});

describe('isExposed', () => {
  it('is true from unseal until reseal', () => {
    expect(STATES.filter(isExposed)).toEqual(['UNSEALED', 'REVIEW_PENDING', 'REVIEWED']);
  });
});
