/** More time in an unseal window: `extend` asks for it; `approve EXT --holder ID` (see commands.ts) gives each holder's consent. */
import { printable } from '../core/text.js';
import { approveExtension, requestExtension, type ExtensionSummary } from '../vault/index.js';
import { id, req, S, type Command } from './command.js';
import { confirmedBeforePassphrase, withVault, withVaultAskingFirst, type CliContext } from './context.js';
import { formatMoment } from './format.js';

/** True for an id `approve` should treat as an extension (extension ids are made with this prefix). */
export const isExtensionId = (value: string): boolean => value.startsWith('ext-');

function printExtension(ctx: CliContext, x: ExtensionSummary): void {
  if (x.granted) {
    ctx.say(
      `extension ${x.id} granted by ${x.approvals.join(' + ')}: the unseal window of ${x.credential} now ends ${formatMoment(x.newWindowEndsAt)}`,
    );
    const left = x.maxExtensions - x.number;
    ctx.note(
      left > 0
        ? `note: ${left} more extension(s) may be asked for before it ends ("breakglass extend ${x.request} --requester ID --reason TEXT")`
        : `note: that was the last extension this request allows; finish before ${formatMoment(x.newWindowEndsAt)}`,
    );
    return;
  }
  ctx.say(
    `extension ${x.id} (${x.number} of ${x.maxExtensions}) of ${x.credential}: ${x.approvals.length} of ${x.threshold} approvals${x.approvals.length ? ` (${x.approvals.join(', ')})` : ''}; once granted the window ends ${formatMoment(x.newWindowEndsAt)} instead of ${formatMoment(x.windowEndsAt)}`,
  );
  const waiting = x.holders.filter((h) => !x.approvals.includes(h));
  ctx.note(
    `next: ${x.threshold - x.approvals.length} more approval(s) from ${waiting.join(', ')}, in person at this vault laptop before ${formatMoment(x.windowEndsAt)}: "breakglass approve ${x.id} --holder ID"`,
  );
}

/** `approve EXT --holder ID`: a holder's consent to an extension, in person; the screen first, then the passphrase. */
export async function approveExtensionCommand(
  ctx: CliContext,
  extension: string,
  holder: string,
  confirm: () => Promise<void>,
): Promise<Record<string, unknown>> {
  const shown = await withVault(ctx, false, (session) => {
    const x = session.evidence.extension(extension);
    return { body: x.body, hash: x.hash, unsealSeconds: session.evidence.request(x.body.request).body.unsealSeconds };
  });
  const { body } = shown;
  const screen = (): void => {
    for (const line of [
      `EXTENSION: this approval keeps ${body.credential} unsealed ${Math.round(shown.unsealSeconds / 60)} min longer, until ${formatMoment(body.newWindowEndsAt)} (now ${formatMoment(body.windowEndsAt)}).`,
      `extension ${body.id} (${body.number}) of request ${body.request}, signed by its requester ${body.requester}:`,
      `  reason      ${body.reason}`,
      `  as holder   ${holder}, in person at this vault laptop`,
    ])
      ctx.note(printable(line));
  };
  const confirmed = confirmedBeforePassphrase(screen, confirm);
  const x = await withVaultAskingFirst(ctx, (session, passphrase) =>
    approveExtension(session, extension, holder, confirmed(passphrase), shown.hash),
  );
  printExtension(ctx, x);
  return {
    extension: x.id,
    approvals: x.approvals,
    threshold: x.threshold,
    granted: x.granted,
    windowEndsAt: x.granted ? x.newWindowEndsAt : x.windowEndsAt,
  };
}

export const EXTENSION_COMMANDS: readonly Command[] = [
  {
    words: ['extend'],
    usage: 'extend REQUEST --requester ID --reason TEXT',
    summary:
      "ask the holders for more time in an open unseal window (one more unseal length; as many times as the request allows, the policy's max_extensions); signed by the requester in person",
    options: { requester: S, reason: S },
    positionals: ['REQUEST'],
    explain: {
      REQUEST: 'the unsealed request whose window is to be longer',
      requester: "the request's requester, who signs the ask in person",
      reason: 'why more time is needed, for the holders who approve it',
    },
    examples: ['extend req-3f9a2c1b7d04 --requester dave --reason "failover not finished"'],
    async run(ctx, v, [request]) {
      const input = { request: id(request!, 'REQUEST'), requester: id(v, 'requester'), reason: req(v, 'reason') };
      const x = await withVaultAskingFirst(ctx, (session, passphrase) => requestExtension(session, input, passphrase));
      printExtension(ctx, x);
      return { extension: x.id, request: x.request, number: x.number, threshold: x.threshold, newWindowEndsAt: x.newWindowEndsAt };
    },
  },
];
