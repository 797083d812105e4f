import { BreakGlassError } from '../core/errors.js';
import { printable } from '../core/text.js';
import {
  VaultSession,
  acceptApproval,
  approveBundle,
  approveInPerson,
  assertBundleHolderHere,
  checkShare,
  closeWindow,
  credentialRow,
  completeDrill,
  encodeTextCode,
  cancelRequest,
  exportBundle,
  listCredentials,
  openDrill,
  openRequest,
  readApproval,
  readBundle,
  requestBody,
  requestRow,
  summarizeRequest,
  witnessView,
  listMembers as membersOf,
  reseal,
  assertReviewable,
  assertSealable,
  sealCredential,
  signReview,
  statedActor,
  startDrill,
  unseal,
  type DrillResult,
  type RequestSummary,
  type RevealMode,
} from '../vault/index.js';
import { copyWithTimeout, findClipboard } from './clipboard.js';
import { EXTENSION_COMMANDS, approveExtensionCommand, isExtensionId } from './extension-commands.js';
import { confirmedBeforePassphrase, warnIfJournalSuspect, withVault, withVaultAskingFirst, type CliContext } from './context.js';
import { codeOrFile, confirm, readSecretInput, withNewFile, type NewFile } from './io.js';
import { formatMoment, requestScreen } from './format.js';
import type { WitnessView } from '../vault/index.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { SYNC_COMMANDS } from './sync-commands.js';
import { UI_COMMANDS } from './ui-command.js';
import { B, BY_HELP, id, optionalId, req, S, type Command, type Values } from './command.js';
import { JOURNAL_COMMANDS } from './journal-commands.js';
import { afterEnd, nextStep, printRequest } from './request-output.js';
import { ROTATE_COMMANDS } from './rotate-commands.js';
import { MEMBER_COMMANDS } from './member-commands.js';
import { POLICY_COMMANDS } from './policy-commands.js';

export type { Command, Values } from './command.js';

/** ` (1 of 2 approvals, expires …)` for an open request, nothing for another. */
function approvalCount(session: VaultSession, requestId: string): string {
  try {
    const r = summarizeRequest(session, requestRow(session, requestId));
    if (r.status !== 'open') return '';
    return ` (${r.approvals.length} of ${r.threshold} approvals, expires ${formatMoment(r.expiresAt)})`;
  } catch (err) {
    // The row and the journal disagree: said, not hidden; the rest of the list still shows.
    return ` (approvals cannot be read: ${err instanceof BreakGlassError ? err.code : 'INTERNAL'})`;
  }
}

/** How the requester's key compares with what this laptop saw before, for the approval screen. */
const PIN_NOTE: Record<WitnessView['requester'], (fingerprint: string, requester: string) => string> = {
  first: (fp, who) => `key ${fp}… (first time this laptop sees ${who}'s key: compare it with their card if in doubt)`,
  same: (fp) => `key ${fp}… (the same key as this laptop's earlier approvals)`,
  changed: (fp, who) => `key ${fp}… CHANGED: not the key this laptop knows for ${who}; do not approve`,
};

/** What this laptop witnessed of the vault's journal before, for the approval screen. */
function witnessLines(view: WitnessView, anchor: { seq: number }, head: { seq: number }): string[] {
  const genesis = {
    first: 'first approval for this vault on this laptop: its genesis key is pinned now (compare it with the one security holds)',
    same: 'the same journal this laptop approved for before',
    changed: 'CHANGED: another journal than the one this laptop approved for before; do not approve',
  }[view.genesis];
  const seen = view.seen ? `; the furthest this laptop saw is seq ${view.seen.seq}` : '';
  const position = {
    first: '',
    ahead: ' (later than before: as expected)',
    same: ' (as when this laptop last approved)',
    behind: ' BEHIND what this laptop saw: rolled back, or an old bundle; do not approve',
    fork: ' a DIFFERENT entry at a position this laptop saw: the journal forked; do not approve',
  }[view.head];
  return [
    `  journal     ${genesis}`,
    `  position    request at seq ${anchor.seq}, journal ends at seq ${head.seq} (the vault's word, not signed by the requester)${position}${seen}`,
  ];
}

/** A review or drill the policy asks for: "review due …" or, once past, "review OVERDUE since …" (and the command). */
function dueText(due: { what: 'review' | 'drill'; at: number }): string {
  return Date.now() < due.at ? `${due.what} due ${formatMoment(due.at)}` : `${due.what} OVERDUE since ${formatMoment(due.at)}`;
}

/** Asks a person to confirm an approval on a terminal, or takes --yes; refuses without either. */
async function confirmApproval(v: Values): Promise<void> {
  if (v['yes'] === true) return;
  if (!process.stdin.isTTY) {
    throw new BreakGlassError(
      'BAD_ARGUMENTS',
      'approving needs your confirmation: run this in a terminal, or add --yes once you have read the request above; nothing was written',
    );
  }
  if (!(await confirm('Approve this request?'))) throw new BreakGlassError('DECLINED', 'not approved; nothing was written or journaled');
}

/** Unseals (or reveals again) and sends the plaintext where `mode` says, after its entry is committed. */
function unsealTo(
  ctx: CliContext,
  requestId: string,
  mode: RevealMode,
  out: NewFile | null,
  clearAfter: number,
  operator: string | undefined,
): Promise<Record<string, unknown>> {
  return withVault(ctx, true, async (session) => {
    const result = await unseal(session, id(requestId, 'REQUEST'), mode, operator);
    try {
      if (result.firstUnseal)
        ctx.note(
          `${result.credential} unsealed; window ends ${formatMoment(result.windowEndsAt)}; every reveal is journaled${result.extensionsLeft > 0 ? `; more time, if needed before then: "breakglass extend ${result.request} --requester ${result.requester} --reason TEXT" and the holders' approval` : ''}`,
        );
      if (result.secret) await revealSecret(ctx, mode, result.secret, out, clearAfter);
      else
        ctx.say(
          `${result.credential} is unsealed until ${formatMoment(result.windowEndsAt)}; use --reveal, --copy or --out FILE to use it`,
        );
    } finally {
      result.secret?.fill(0);
    }
    return { credential: result.credential, request: result.request, windowEndsAt: result.windowEndsAt, mode };
  });
}

async function revealSecret(ctx: CliContext, mode: RevealMode, secret: Buffer, out: NewFile | null, clearAfter: number): Promise<void> {
  switch (mode) {
    case 'reveal':
      process.stdout.write(secret);
      if (secret[secret.length - 1] !== 0x0a) process.stdout.write('\n');
      return;
    case 'copy':
      await copyWithTimeout(findClipboard(), secret, clearAfter);
      ctx.note(`copied; the clipboard is cleared in ${clearAfter} s`);
      return;
    case 'export':
      try {
        out!.write(secret);
      } catch (err) {
        throw new BreakGlassError(
          'IO_ERROR',
          `${(err as Error).message}. The export is journaled and the window is still open: run unseal again with --out on a disk with room`,
          {},
          { cause: err },
        );
      }
      ctx.note(`written to ${out!.path} (mode 0600); delete it when done`);
      return;
    case 'none':
      return;
  }
}

/** Making this machine's vault. */
const INIT_COMMANDS: readonly Command[] = [
  {
    words: ['init'],
    usage: 'init --name NAME',
    summary: "create this machine's vault; its journal key goes into the OS keychain",
    options: { name: S },
    positionals: [],
    explain: {
      name: 'the vault\'s name, shown in its journal and, once it enrols, to the central server (for example "crash cart")',
    },
    examples: ['init --name "crash cart"', '--vault /media/usb/vault init --name "on-call laptop"'],
    async run(ctx, v) {
      const session = await VaultSession.init(ctx.vaultDir, req(v, 'name'), ctx.secretStore);
      try {
        ctx.say(`vault "${session.name}" created at ${ctx.vaultDir}`);
        ctx.say(`journal ${session.head.journal}, genesis key ${session.report.genesisKey}`);
        ctx.say(
          'keep the genesis key outside this machine (security, the holders): "breakglass journal verify --genesis-key KEY" checks the journal against it, and only it shows that the journal was not rewritten from the start',
        );
        return { vault: session.vaultId, dir: ctx.vaultDir, journal: session.head.journal, genesisKey: session.report.genesisKey };
      } finally {
        await session.close();
      }
    },
  },
];

/** The credential's lifecycle, from seal to reseal, and drills. */
const LIFECYCLE_COMMANDS: readonly Command[] = [
  {
    words: ['seal'],
    usage: 'seal --credential ID --label TEXT --secret-file FILE|- [--by ID]',
    summary: 'seal a credential: holders and threshold from the policy',
    options: { credential: S, label: S, 'secret-file': S, by: S },
    positionals: [],
    explain: {
      credential:
        'the credential\'s id (1-64 of a-z, 0-9, ".", "_", "-"); the policy in force must have an entry for it, which gives its holders and threshold',
      label: 'a name people recognise it by, shown by list (for example "prod DB root")',
      'secret-file':
        'the secret, at most 64 KiB: from a file, or - for piped standard input (on a terminal, - is a hidden prompt, typed twice, one line); never from the command line',
      by: BY_HELP,
    },
    examples: [
      'seal --credential prod-db-root --label "prod DB root" --secret-file - --by carol',
      'seal --credential prod-db-root --label "prod DB root" --secret-file root.txt',
    ],
    async run(ctx, v) {
      const credential = id(v, 'credential');
      const label = req(v, 'label');
      const by = optionalId(v, 'by');
      // Nobody types a secret for a seal that would be refused (no policy entry, sealed already, an unknown --by).
      await withVault(ctx, false, (session) => {
        statedActor(session, by);
        assertSealable(session, credential, label);
      });
      const secret = await readSecretInput(req(v, 'secret-file'), 'the secret');
      try {
        return await withVault(ctx, true, async (session) => {
          const c = await sealCredential(session, credential, label, secret, by);
          ctx.say(`sealed ${c.id} (${c.label}): ${c.threshold} of ${c.holders.length} holders (${c.holders.join(', ')})`);
          return { credential: c.id, holders: c.holders, threshold: c.threshold, version: c.version };
        });
      } finally {
        secret.fill(0);
      }
    },
  },
  {
    words: ['list'],
    usage: 'list',
    summary: 'every credential with its state',
    options: {},
    positionals: [],
    explain: {},
    examples: ['list', '--json list'],
    async run(ctx) {
      const show = async (session: VaultSession): Promise<Record<string, unknown>> => {
        const credentials = listCredentials(session);
        for (const c of credentials) {
          if (c.integrity) ctx.note(`warning: ${c.id}: INTEGRITY_FAILURE: ${c.integrity}`);
          ctx.say(
            `${c.id}\t${c.integrity ? 'INTEGRITY_FAILURE (as the database says: ' : ''}${c.state}${c.exposed ? ' (exposed)' : ''}${c.integrity ? ')' : ''}\t${c.threshold} of ${c.holders.length}\tv${c.version}\t${printable(c.label)}${c.request ? `\trequest ${c.request}${approvalCount(session, c.request)}` : ''}${c.due ? `\t${dueText(c.due)}` : ''}`,
          );
        }
        if (credentials.length === 0) ctx.say('no credentials sealed yet');
        await warnIfJournalSuspect(ctx, session);
        return { credentials };
      };
      // A write session first, so that expiries and window limits are applied before they are shown.
      // When that cannot be had (another process holds the vault, e.g. at a passphrase prompt, or
      // there is no keychain), the state as last written is still shown, and said to be so.
      try {
        return await withVault(ctx, true, show);
      } catch (err) {
        if (
          !(err instanceof BreakGlassError) ||
          !['VAULT_BUSY', 'KEYCHAIN_UNAVAILABLE', 'TAIL_UNPROVEN', 'JOURNAL_TAMPERED'].includes(err.code)
        )
          throw err;
        ctx.note(`note: shown as last written, without applying expiries and window limits (${err.code})`);
        return { ...(await withVault(ctx, false, show)), stale: err.code };
      }
    },
  },
  {
    words: ['request'],
    usage: 'request --credential ID --trigger NAME --reason TEXT --incident REF --requester ID',
    summary: 'open a break-glass request, signed by the requester in person',
    options: { credential: S, trigger: S, reason: S, incident: S, requester: S },
    positionals: [],
    explain: {
      credential: 'the sealed credential to open',
      trigger: 'the event that justifies it: one of the triggers its policy entry allows (for example network-outage)',
      reason: 'why, in words: the evidence the holders read before they approve, and the reviewer after',
      incident: 'the ticket or page id of the incident (for example INC-4711)',
      requester: 'who asks: a requester of the credential in the policy, who signs the request in person with their passphrase',
    },
    examples: [
      'request --credential prod-db-root --trigger network-outage --reason "WAN down, IdP unreachable" --incident INC-4711 --requester dave',
      '--passphrase-file dave.pass request --credential prod-db-root --trigger database-lockout --reason "root login refused" --incident INC-4712 --requester dave',
    ],
    async run(ctx, v) {
      const input = {
        credential: id(v, 'credential'),
        trigger: req(v, 'trigger'),
        reason: req(v, 'reason'),
        incident: req(v, 'incident'),
        requester: id(v, 'requester'),
      };
      return withVaultAskingFirst(ctx, (session, passphrase) => openRequest(session, input, passphrase)).then((r) => {
        printRequest(ctx, r);
        nextStep(ctx, r);
        return { request: r.id, expiresAt: r.expiresAt, threshold: r.threshold };
      });
    },
  },
  {
    words: ['request', 'export'],
    usage: 'request export REQUEST --holder ID --out FILE',
    summary: 'a bundle for a holder on another laptop, as a file and a text code',
    options: { holder: S, out: S },
    positionals: ['REQUEST'],
    explain: {
      REQUEST: 'the open request (its id, as request printed it)',
      holder: 'the holder who approves it on their own laptop',
      out: 'where the bundle goes: a new file (never overwritten); a text code that carries the same is printed too',
    },
    examples: ['request export req-3f9a2c1b7d04 --holder bob --out bob.bundle'],
    async run(ctx, v, [requestId]) {
      const out = req(v, 'out');
      return withNewFile(out, (file) =>
        withVault(ctx, true, (session) => {
          const bundle = exportBundle(session, id(requestId!, 'REQUEST'), id(v, 'holder'));
          const code = encodeTextCode('bundle', bundle);
          file.write(`${JSON.stringify(bundle, null, 2)}\n`);
          ctx.say(`bundle for ${bundle.holder} written to ${out}; or paste this code on their laptop:`);
          ctx.say(code);
          return { request: requestId, holder: bundle.holder, out, code };
        }),
      );
    },
  },
  {
    words: ['request', 'cancel'],
    usage: 'request cancel REQUEST [--by ID]',
    summary:
      'cancel an open request, signed in person by its requester (--by, the requester when not given) or by a holder who approved it',
    options: { by: S },
    positionals: ['REQUEST'],
    explain: {
      REQUEST: 'the open request to cancel',
      by: "who cancels, signing in person: its requester, or a holder who approved it; default: the request's requester",
    },
    examples: ['request cancel req-3f9a2c1b7d04', 'request cancel req-3f9a2c1b7d04 --by alice'],
    async run(ctx, v, [requestId]) {
      const request = id(requestId!, 'REQUEST');
      const by = optionalId(v, 'by');
      return withVaultAskingFirst(ctx, (session, passphrase) => cancelRequest(session, request, by, passphrase)).then((r) => {
        ctx.say(
          r.exposed
            ? `request ${request} cancelled by ${r.by} after its quorum: the credential counts as exposed and needs a review ("breakglass review ..."), then a reseal`
            : `request ${request} cancelled by ${r.by}`,
        );
        return { request, by: r.by, exposed: r.exposed };
      });
    },
  },
  {
    words: ['request', 'show'],
    usage: 'request show REQUEST',
    summary: 'a request: who approved and who has not, expiry, and the next command',
    options: {},
    positionals: ['REQUEST'],
    explain: { REQUEST: 'the request (its id, as request or list printed it)' },
    examples: ['request show req-3f9a2c1b7d04', '--json request show req-3f9a2c1b7d04'],
    async run(ctx, _v, [requestId]) {
      return withVault(ctx, false, (session) => {
        const row = requestRow(session, id(requestId!, 'REQUEST'));
        const r = summarizeRequest(session, row);
        const body = requestBody(session, row);
        printRequest(ctx, r);
        ctx.say(`requester ${body.requester}, trigger ${body.trigger}, incident ${printable(body.incident)}`);
        ctx.say(
          `approved by ${r.approvals.join(', ') || 'nobody yet'}; not yet: ${r.holders.filter((h) => !r.approvals.includes(h)).join(', ') || 'nobody'}`,
        );
        if (r.quorum) ctx.say(`the quorum was reached: ${r.credential} counts as exposed until it is reviewed and resealed`);
        nextStep(ctx, r);
        // The row, as checked against the journal.
        const credential = credentialRow(session, r.credential);
        afterEnd(ctx, r, { state: credential.state, activeRequest: credential.active_request });
        const journaled = session.evidence.request(row.id);
        if (row.status !== 'unsealed' || journaled.windowEndsAt === null) return { request: r };
        // An open window: when it ends, and how more time is had.
        const max = body.maxExtensions ?? 0;
        const pending = session.evidence.pendingExtension(row.id);
        ctx.say(
          `unsealed until ${formatMoment(journaled.windowEndsAt)}; ${journaled.extensions} of ${max} extension(s) granted${pending ? `; extension ${pending.id} has ${pending.approvals.size} of ${body.threshold} approvals${pending.approvals.size ? ` (${[...pending.approvals].join(', ')})` : ''}` : ''}`,
        );
        if (pending)
          ctx.note(`next: "breakglass approve ${pending.id} --holder ID" (in person), before ${formatMoment(journaled.windowEndsAt)}`);
        else if (journaled.extensions < max)
          ctx.note(
            `more time, if needed: "breakglass extend ${row.id} --requester ${body.requester} --reason TEXT" and the holders' approval`,
          );
        const window = {
          endsAt: journaled.windowEndsAt,
          extensions: journaled.extensions,
          maxExtensions: max,
          pending: pending?.id ?? null,
        };
        return { request: r, window };
      });
    },
  },
  {
    words: ['approve'],
    usage: 'approve REQUEST --holder ID [--yes] | approve --bundle FILE|CODE --out FILE [--yes]',
    summary: 'approve in person at the vault laptop, or on your own laptop from a bundle',
    options: { holder: S, bundle: S, out: S, yes: B },
    positionals: ['REQUEST?'],
    explain: {
      REQUEST:
        'in person, with --holder: the request to approve, or an extension of its unseal window (ext-..., as extend printed it); not given with --bundle',
      holder: 'in person at this vault laptop: the holder who approves, with their custody copy here and their passphrase',
      bundle: 'on your own laptop: the bundle the vault laptop exported for you (request export), as its file or its text code (BGV...)',
      out: 'with --bundle: where your approval goes, a new file; its text code is printed too, for the vault laptop (approval import)',
      yes: 'approve without the y/N question, once you have read the request shown; default: asked at the terminal, and refused without one',
    },
    examples: [
      'approve req-3f9a2c1b7d04 --holder alice',
      'approve --bundle bob.bundle --out bob.approval',
      'approve ext-5e0c1a9b2d33 --holder alice --yes',
    ],
    async run(ctx, v, [requestId]) {
      const bundleArg = v['bundle'];
      if (typeof bundleArg === 'string') {
        if (requestId !== undefined)
          throw new BreakGlassError('BAD_ARGUMENTS', 'give either REQUEST (in person) or --bundle (remote), not both');
        const out = req(v, 'out');
        return withNewFile(out, async (file) => {
          const bundle = readBundle(codeOrFile(bundleArg, 'the request bundle'));
          const r = bundle.request;
          // The wrong laptop is said before the request is shown or a passphrase asked for.
          const view = await withVault(ctx, false, async (session) => {
            await assertBundleHolderHere(session, bundle);
            return witnessView(session, bundle);
          });
          for (const line of requestScreen(
            r,
            `${bundle.requesterCard.name} (${r.requester}), ${PIN_NOTE[view.requester](bundle.requesterCard.signingKey.slice(0, 16), r.requester)}`,
            [
              ...witnessLines(view, bundle.anchor, bundle.head),
              `  as holder   ${bundle.holder} (this laptop checks its own key in both splits before it signs)`,
            ],
          ))
            ctx.note(printable(line));
          // An approval is a holder's explicit decision: asked on a terminal, or given as --yes.
          await confirmApproval(v);
          return withVaultAskingFirst(ctx, (session, passphrase) => approveBundle(session, bundle, passphrase)).then((token) => {
            const code = encodeTextCode('approval', token);
            try {
              file.write(`${JSON.stringify(token, null, 2)}\n`);
            } catch (err) {
              // The approval is given (and journaled here): the code alone still carries it.
              ctx.note(`the approval could not be written to ${out}; give this code to the vault laptop instead:`);
              ctx.note(code);
              throw err;
            }
            ctx.say(`approval written to ${out}; or give this code to the vault laptop:`);
            ctx.say(code);
            return { request: r.id, holder: bundle.holder, out, code };
          });
        });
      }
      if (requestId === undefined)
        throw new BreakGlassError('BAD_ARGUMENTS', 'give REQUEST --holder ID (in person) or --bundle FILE|CODE --out FILE');
      const holder = id(v, 'holder');
      if (isExtensionId(requestId)) return approveExtensionCommand(ctx, id(requestId, 'REQUEST'), holder, () => confirmApproval(v));
      // The whole request, as a holder's own laptop shows it, before the passphrase is asked for;
      // the vault is free while the holder reads it and types.
      const request = await withVault(ctx, false, (session) => {
        const row = requestRow(session, id(requestId, 'REQUEST'));
        const body = requestBody(session, row);
        const requester = membersOf(session).find((m) => m.id === body.requester);
        return { id: row.id, body, requester: `${requester?.name ?? body.requester} (${body.requester})` };
      });
      const screen = (): void => {
        for (const line of requestScreen(request.body, request.requester, [`  as holder   ${holder}, in person at this vault laptop`]))
          ctx.note(printable(line));
      };
      const confirmed = confirmedBeforePassphrase(screen, () => confirmApproval(v));
      return withVaultAskingFirst(ctx, (session, passphrase) => approveInPerson(session, request.id, holder, confirmed(passphrase))).then(
        (r) => {
          printRequest(ctx, r);
          nextStep(ctx, r);
          return { request: r.id, approvals: r.approvals, threshold: r.threshold };
        },
      );
    },
  },
  {
    words: ['approval', 'import'],
    usage: 'approval import FILE|CODE',
    summary: "accept a holder's approval made on their own laptop",
    options: {},
    positionals: ['FILE|CODE'],
    explain: { 'FILE|CODE': 'the approval a holder made on their own laptop (approve --bundle): its file, or its text code (BGV...)' },
    examples: ['approval import bob.approval'],
    async run(ctx, _v, [arg]) {
      const token = readApproval(codeOrFile(arg!, 'the approval'));
      return withVault(ctx, true, async (session) => {
        const r = await acceptApproval(session, token);
        printRequest(ctx, r);
        nextStep(ctx, r);
        return { request: r.id, approvals: r.approvals, threshold: r.threshold };
      });
    },
  },
  {
    words: ['unseal'],
    usage: 'unseal REQUEST [--reveal | --copy [--clear-after SECONDS] | --out FILE] [--operator ID]',
    summary:
      "open the credential once the threshold is met; plaintext only on an explicit flag; the journal names the operator (--operator, an enrolled member; the request's requester when not given)",
    options: { reveal: B, copy: B, out: S, 'clear-after': S, operator: S },
    positionals: ['REQUEST'],
    explain: {
      REQUEST:
        'the request whose approvals reached its threshold; the first unseal opens its unseal window; within it, each --reveal, --copy or --out is journaled',
      reveal:
        'print the secret on standard output (not with --json); default: with none of --reveal, --copy and --out, the window opens (or stays open) and nothing is shown',
      copy: 'copy the secret to the clipboard, cleared after --clear-after seconds; default: not copied',
      'clear-after': 'with --copy: the seconds until the clipboard is cleared, 1-600; default: 45',
      out: 'write the secret to a new file (mode 0600; delete it when done); default: no file',
      operator: "who uses the credential, named in the journal (an enrolled member); default: the request's requester",
    },
    examples: [
      'unseal req-3f9a2c1b7d04 --copy',
      'unseal req-3f9a2c1b7d04 --copy --clear-after 20 --operator alice',
      'unseal req-3f9a2c1b7d04 --out prod-db-root.out',
    ],
    async run(ctx, v, [requestId]) {
      const modes = [v['reveal'] === true, v['copy'] === true, typeof v['out'] === 'string'].filter(Boolean).length;
      if (modes > 1) throw new BreakGlassError('BAD_ARGUMENTS', 'choose one of --reveal, --copy, --out');
      const mode: RevealMode = v['reveal'] ? 'reveal' : v['copy'] ? 'copy' : typeof v['out'] === 'string' ? 'export' : 'none';
      if (mode === 'reveal' && ctx.json)
        throw new BreakGlassError('BAD_ARGUMENTS', '--reveal prints the secret alone; it cannot be combined with --json');
      if (v['clear-after'] !== undefined && mode !== 'copy') throw new BreakGlassError('BAD_ARGUMENTS', '--clear-after goes with --copy');
      const clearAfter = v['clear-after'] === undefined ? 45 : Number(v['clear-after']);
      if (!Number.isInteger(clearAfter) || clearAfter < 1 || clearAfter > 600)
        throw new BreakGlassError('BAD_ARGUMENTS', '--clear-after must be 1-600 seconds');
      // Where the plaintext is going is checked (the file created) before anything is journaled or decrypted.
      const operator = optionalId(v, 'operator');
      if (mode === 'copy') findClipboard();
      if (mode === 'export') return withNewFile(v['out'] as string, (file) => unsealTo(ctx, requestId!, mode, file, clearAfter, operator));
      return unsealTo(ctx, requestId!, mode, null, clearAfter, operator);
    },
  },
  {
    words: ['close'],
    usage: 'close CREDENTIAL [--operator ID]',
    summary:
      "end the unseal window now; the credential then waits for review; the journal names the operator (--operator, an enrolled member; the request's requester when not given)",
    options: { operator: S },
    positionals: ['CREDENTIAL'],
    explain: {
      CREDENTIAL: 'the unsealed credential',
      operator: "who closes it, named in the journal (an enrolled member); default: the request's requester",
    },
    examples: ['close prod-db-root', 'close prod-db-root --operator alice'],
    async run(ctx, v, [credential]) {
      const operator = optionalId(v, 'operator');
      return withVault(ctx, true, async (session) => {
        await closeWindow(session, id(credential!, 'CREDENTIAL'), 'closed', operator);
        ctx.say(`${credential} closed; it needs a signed review before it can be resealed`);
        return { credential };
      });
    },
  },
  {
    words: ['review'],
    usage:
      'review CREDENTIAL --reviewer ID --warranted yes|no --summary TEXT --changes TEXT [--incident REF] [--follow-up TEXT] [--rotated-secret-file FILE]',
    summary: 'sign the post-incident review',
    options: { reviewer: S, warranted: S, summary: S, changes: S, incident: S, 'follow-up': S, 'rotated-secret-file': S },
    positionals: ['CREDENTIAL'],
    explain: {
      CREDENTIAL: 'the credential whose last activation is reviewed',
      reviewer:
        'who signs the review, in person: a reviewer in the policy the request was opened under (and, if that policy says so, not its requester)',
      warranted: 'yes or no: whether breaking the glass was justified',
      summary: 'what was done with the credential',
      changes: 'what changes because of it ("none" is an answer)',
      incident: "the incident reference; default: the request's",
      'follow-up': 'what is left to do; default: nothing',
      'rotated-secret-file':
        'the new secret, when the credential was rotated during or after the incident (a file, or - as for seal); reseal then seals it; needed when the policy requires rotation; default: reseal seals the same secret again',
    },
    examples: [
      'review prod-db-root --reviewer carol --warranted yes --summary "WAN down; root used to fail over" --changes none',
      'review prod-db-root --reviewer carol --warranted yes --summary "root used to restore" --changes "new monitoring" --follow-up "retire the old replica" --rotated-secret-file new-root.txt',
    ],
    async run(ctx, v, [credential]) {
      const warranted = req(v, 'warranted');
      if (warranted !== 'yes' && warranted !== 'no') throw new BreakGlassError('BAD_ARGUMENTS', '--warranted must be yes or no');
      const answers = {
        credential: id(credential!, 'CREDENTIAL'),
        reviewer: id(v, 'reviewer'),
        warranted: warranted === 'yes',
        summary: req(v, 'summary'),
        changes: req(v, 'changes'),
        ...(typeof v['incident'] === 'string' ? { incident: v['incident'] } : {}),
        ...(typeof v['follow-up'] === 'string' ? { followUp: v['follow-up'] } : {}),
      };
      const secretFile = v['rotated-secret-file'];
      // Nobody types a rotated secret for a review that would be refused (its refusals journaled as the review's are).
      if (typeof secretFile === 'string') await withVault(ctx, true, (session) => assertReviewable(session, { ...answers, rotated: true }));
      const rotated = typeof secretFile === 'string' ? await readSecretInput(secretFile, 'the rotated secret') : undefined;
      try {
        const input = { ...answers, ...(rotated ? { rotatedSecret: rotated } : {}) };
        const r = await withVaultAskingFirst(ctx, (session, passphrase) => signReview(session, input, passphrase));
        ctx.say(
          `review ${r.review} signed by ${input.reviewer}${r.rotated ? '; the rotated secret will be sealed at reseal' : ''}; now "breakglass reseal ${credential}"`,
        );
        return { credential, review: r.review, rotated: r.rotated };
      } finally {
        rotated?.fill(0);
      }
    },
  },
  {
    words: ['reseal'],
    usage: 'reseal CREDENTIAL [--by ID]',
    summary: 'seal again under a fresh key and split (refused until a review is signed)',
    options: { by: S },
    positionals: ['CREDENTIAL'],
    explain: {
      CREDENTIAL: 'the credential, once its review is signed',
      by: "who reseals, for the journal: an enrolled member's id (stated, not signed); default: the reviewer who signed the review",
    },
    examples: ['reseal prod-db-root', 'reseal prod-db-root --by alice'],
    async run(ctx, v, [credential]) {
      return withVault(ctx, true, async (session) => {
        const r = await reseal(session, id(credential!, 'CREDENTIAL'), optionalId(v, 'by'));
        ctx.say(
          `${credential} resealed as version ${r.version}${r.rotated ? ' with the rotated secret' : ''}; old shares and approvals are void`,
        );
        return { credential, version: r.version, rotated: r.rotated };
      });
    },
  },
  {
    words: ['drill'],
    usage: 'drill --credential ID [--requester ID]',
    summary: 'start a drill (with --requester), or complete it once approved: holders prove their shares; nothing is decrypted',
    options: { credential: S, requester: S },
    positionals: [],
    explain: {
      credential: 'the credential to drill',
      requester: 'start a drill, signed in person by this requester; default: complete the drill that is open, once its approvals are in',
    },
    examples: ['drill --credential prod-db-root --requester dave', 'drill --credential prod-db-root'],
    async run(ctx, v) {
      const credential = id(v, 'credential');
      const step = await withVaultAskingFirst<{ started: RequestSummary } | { completed: DrillResult }>(
        ctx,
        async (session, passphrase) => {
          if (openDrill(session, credential)) return { completed: await completeDrill(session, credential) };
          // Another kind of request is open: completeDrill says which, and that it is not a drill.
          if (typeof v['requester'] !== 'string' && listCredentials(session).find((c) => c.id === credential)?.request)
            return { completed: await completeDrill(session, credential) };
          if (typeof v['requester'] !== 'string')
            throw new BreakGlassError('BAD_ARGUMENTS', `no drill is open for ${credential}; start one with --requester ID`);
          return { started: await startDrill(session, credential, id(v, 'requester'), passphrase) };
        },
      );
      if ('started' in step) {
        const r = step.started;
        printRequest(ctx, r);
        nextStep(ctx, r);
        ctx.say(
          `collect ${r.threshold} approvals ("breakglass approve ${r.id} --holder ID" or bundles), then run this command again without --requester`,
        );
        return { started: true, request: r.id, threshold: r.threshold };
      }
      const d = step.completed;
      ctx.say(
        `drill passed: ${d.holders.join(' + ')} proved their shares of ${credential}; no share reached this vault, nothing was decrypted`,
      );
      ctx.say(`request to quorum ${(d.requestToQuorumMs / 1000).toFixed(1)} s; proofs checked in ${d.verifyMs.toFixed(1)} ms`);
      return { started: false, ...d };
    },
  },
  {
    words: ['shares', 'check'],
    usage: 'shares check --credential ID --holder ID',
    summary: 'a holder proves their share against its commitment, reconstructing nothing',
    options: { credential: S, holder: S },
    positionals: [],
    explain: {
      credential: 'the sealed credential',
      holder: 'the holder whose share is checked, with their passphrase',
    },
    examples: ['shares check --credential prod-db-root --holder alice'],
    async run(ctx, v) {
      await withVaultAskingFirst(ctx, (session, passphrase) => checkShare(session, id(v, 'credential'), id(v, 'holder'), passphrase));
      ctx.say(`the share of ${v['holder']} for ${v['credential']} is good`);
      return { credential: v['credential'], holder: v['holder'], ok: true };
    },
  },
];

/** Every command: the vault's, then the server's and sync's (issue 11), then the app's (`breakglass ui`). */
export const COMMANDS: readonly Command[] = [
  ...INIT_COMMANDS,
  ...MEMBER_COMMANDS,
  ...POLICY_COMMANDS,
  ...LIFECYCLE_COMMANDS,
  ...EXTENSION_COMMANDS,
  ...ROTATE_COMMANDS,
  ...JOURNAL_COMMANDS,
  ...SERVER_COMMANDS,
  ...SYNC_COMMANDS,
  ...UI_COMMANDS,
];
