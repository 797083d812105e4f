// How a request is printed after it is opened, shown or approved, with the command that comes next.
import type { RequestSummary } from '../vault/index.js';
import type { CliContext } from './context.js';
import { formatMoment } from './format.js';

export function printRequest(ctx: CliContext, r: RequestSummary): void {
  ctx.say(
    `request ${r.id} for ${r.credential} (${r.purpose}): ${r.status}, ${r.approvals.length} of ${r.threshold} approvals${r.approvals.length ? ` (${r.approvals.join(', ')})` : ''}`,
  );
  ctx.say(`expires ${formatMoment(r.expiresAt)}`);
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
