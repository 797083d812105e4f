// How a request is printed after it is opened, shown or approved, with the command that comes next.
import type { CredentialState } from '../core/lifecycle.js';
import type { RequestSummary } from '../vault/index.js';
import type { CliContext } from './context.js';
import { formatMoment } from './format.js';

/** How a request that is no longer waiting for approvals ended, for its second line. */
const ENDED: Record<Exclude<RequestSummary['status'], 'open'>, string> = {
  unsealed: 'no longer expires: the quorum opened it',
  closed: 'ended: its unseal window closed',
  cancelled: 'ended: cancelled',
  expired: 'ended: it expired before it was used',
  drilled: 'ended: the drill was completed',
  rotated: 'ended: the new secret was sealed',
};

export function printRequest(ctx: CliContext, r: RequestSummary): void {
  ctx.say(
    `request ${r.id} for ${r.credential} (${r.purpose}): ${r.status}, ${r.approvals.length} of ${r.threshold} approvals${r.approvals.length ? ` (${r.approvals.join(', ')})` : ''}`,
  );
  ctx.say(r.status === 'open' ? `expires ${formatMoment(r.expiresAt)}` : ENDED[r.status]);
}

/**
 * What is left to do after a request ended (`credential`: the state of its credential now, and the
 * request it is held by): the review and reseal it owes, or nothing.
 */
export function afterEnd(ctx: CliContext, r: RequestSummary, credential: { state: CredentialState; activeRequest: string | null }): void {
  if (r.status === 'open' || r.status === 'unsealed') return;
  const owes = credential.activeRequest === r.id;
  if (owes && credential.state === 'REVIEW_PENDING')
    ctx.note(
      `next: ${r.credential} counts as exposed: "breakglass review ${r.credential} --reviewer ID --warranted yes|no --summary TEXT --changes TEXT", then "breakglass reseal ${r.credential}"`,
    );
  else if (owes && credential.state === 'REVIEWED') ctx.note(`next: the review is signed: "breakglass reseal ${r.credential}"`);
  else ctx.note(`next: nothing; this request is over (${r.credential} is ${credential.state}, "breakglass list" shows it)`);
}

/** What to do next with a request, as a command to type (on stderr, so stdout keeps its lines). */
export function nextStep(ctx: CliContext, r: RequestSummary): void {
  if (r.status !== 'open') return;
  const waiting = r.holders.filter((h) => !r.approvals.includes(h));
  if (r.approvals.length < r.threshold) {
    ctx.note(
      `next: ${r.threshold - r.approvals.length} more approval(s) from ${waiting.join(', ')}: in person "breakglass approve ${r.id} --holder ID", or remote "breakglass request export ${r.id} --holder ID --out FILE"`,
    );
  } else if (r.purpose === 'drill') {
    ctx.note(`next: the quorum is reached: "breakglass drill --credential ${r.credential}" completes the drill`);
  } else if (r.purpose === 'rotate') {
    ctx.note(`next: the quorum is reached: "breakglass rotate --credential ${r.credential} --secret-file FILE|-" seals the new secret`);
  } else {
    ctx.note(`next: the quorum is reached: "breakglass unseal ${r.id} --reveal" (or --copy, or --out FILE)`);
  }
}
