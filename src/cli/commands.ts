import { IdSchema } from '../core/documents.js';
import { BreakGlassError } from '../core/errors.js';
import { ENTRY_KINDS, type EntryKind } from '../core/journal.js';
import { printable } from '../core/text.js';
import {
  MIN_PASSPHRASE,
  VaultSession,
  acceptApproval,
  addMember,
  approveBundle,
  approveInPerson,
  assertBundleHolderHere,
  assertMemberName,
  checkShare,
  closeWindow,
  completeDrill,
  createMember,
  currentPolicy,
  encodeTextCode,
  endRequest,
  exportBundle,
  exportCustody,
  exportJournal,
  journalActivations,
  journalEntries,
  listCredentials,
  listMembers,
  openDrill,
  openRequest,
  parsePolicyText,
  policyHash,
  readApproval,
  readBundle,
  requestBody,
  requestRow,
  summarizeRequest,
  witnessView,
  listMembers as membersOf,
  removeMember,
  reseal,
  sealCredential,
  setPolicy,
  signReview,
  startDrill,
  unseal,
  verifyExport,
  verifyJournal,
  type OpenRequestUnderPolicy,
  type RequestSummary,
  type RevealMode,
} from '../vault/index.js';
import { copyWithTimeout, findClipboard } from './clipboard.js';
import { warnIfJournalSuspect, withVault, type CliContext } from './context.js';
import { codeOrFile, confirm, readInputFile, readJsonFile, readSecretInput, withChunkedInput, withNewFile, type NewFile } from './io.js';
import { describeActivation, describeEntry, describeReport, formatMoment, requestScreen } from './format.js';
import type { WitnessView } from '../vault/index.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { didYouMean, withHint } from '../core/suggest.js';
import { SYNC_COMMANDS } from './sync-commands.js';
import { UI_COMMANDS } from './ui-command.js';

/** Parsed options of one command: strings and booleans, as node:util parseArgs gives them (a list for a repeatable one). */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** One CLI command: its words, options, positional arguments, and what it does. */
export interface Command {
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  /** `multiple`: the option may be given more than once (its values come as a list). */
  readonly options: Record<string, { type: 'string' | 'boolean'; multiple?: true }>;
  readonly positionals: readonly string[];
  /** A command that runs until stopped handles Ctrl-C itself (a graceful stop); any other is CANCELLED by it. */
  readonly handlesInterrupt?: true;
  run(ctx: CliContext, v: Values, args: string[]): Promise<Record<string, unknown>>;
}

/** A required string option, or BAD_ARGUMENTS naming it. */
function req(v: Values, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new BreakGlassError('BAD_ARGUMENTS', `--${name} is required`);
  return value;
}

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

/** A journal entry kind named in an option, or BAD_ARGUMENTS with the nearest kinds. */
function entryKind(value: string, flag: string): EntryKind {
  if ((ENTRY_KINDS as readonly string[]).includes(value)) return value as EntryKind;
  throw new BreakGlassError(
    'BAD_ARGUMENTS',
    withHint(
      `${flag} "${printable(value)}" is not a kind of journal entry`,
      didYouMean(value, ENTRY_KINDS),
      `the kinds are ${ENTRY_KINDS.join(', ')}`,
    ),
  );
}

const split = (holders: readonly string[], threshold: number): string => `${threshold} of ${holders.join(', ')}`;
const window = (seconds: number): string => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/** What a new policy means for each request still open or unsealed, for the person who set it. */
function describePolicyChange(requests: readonly OpenRequestUnderPolicy[]): string[] {
  if (requests.length === 0) return [];
  const lines = [`the new policy applies to new requests; ${requests.length} request(s) opened before it keep what they signed:`];
  for (const r of requests) {
    lines.push(
      r.status === 'unsealed'
        ? `  ${r.id} (${r.credential}): unsealed until ${formatMoment(r.windowEndsAt!)}; resealed to the split it signed (${split(r.nextHolders, r.nextThreshold)})`
        : `  ${r.id} (${r.credential}): ${r.approvals} of ${r.threshold} approvals from ${r.holders.join(', ')}; a ${window(r.unsealSeconds)} unseal window; expires ${formatMoment(r.expiresAt)}`,
    );
    if (r.unsealRefused) {
      const now = r.policyHolders === null ? `no entry for ${r.credential}` : split(r.policyHolders, r.policyThreshold!);
      lines.push(
        `  WARNING: the new policy changes who holds ${r.credential} after an unseal (signed: ${split(r.nextHolders, r.nextThreshold)}; now: ${now}), so "breakglass unseal ${r.id}" will be refused; cancel it ("breakglass request cancel ${r.id}") and open a new request, so that the holders approve the new split`,
      );
    }
  }
  return lines;
}

/** A required id option, checked against the id alphabet. */
function id(v: Values | string, name: string): string {
  const value = typeof v === 'string' ? v : req(v, name);
  const parsed = IdSchema.safeParse(value);
  if (!parsed.success)
    throw new BreakGlassError('BAD_ARGUMENTS', `${name} "${value}" is not a valid id: use 1-64 of a-z, 0-9, ".", "_", "-"`);
  return value;
}

function printRequest(ctx: CliContext, r: RequestSummary): void {
  ctx.say(
    `request ${r.id} for ${r.credential} (${r.purpose}): ${r.status}, ${r.approvals.length} of ${r.threshold} approvals${r.approvals.length ? ` (${r.approvals.join(', ')})` : ''}`,
  );
  ctx.say(`expires ${formatMoment(r.expiresAt)}`);
}

/** What to do next with a request, as a command to type (on stderr, so stdout keeps its lines). */
function nextStep(ctx: CliContext, r: RequestSummary): void {
  if (r.status !== 'open') return;
  const waiting = r.holders.filter((h) => !r.approvals.includes(h));
  if (r.approvals.length < r.threshold) {
    ctx.note(
      `next: ${r.threshold - r.approvals.length} more approval(s) from ${waiting.join(', ')}: in person "breakglass approve ${r.id} --holder ID", or remote "breakglass request export ${r.id} --holder ID --out FILE"`,
    );
  } else if (r.purpose === 'drill') {
    ctx.note(`next: the quorum is reached: "breakglass drill --credential ${r.credential}" completes the drill`);
  } else {
    ctx.note(`next: the quorum is reached: "breakglass unseal ${r.id} --reveal" (or --copy, or --out FILE)`);
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
): Promise<Record<string, unknown>> {
  return withVault(ctx, true, async (session) => {
    const result = await unseal(session, id(requestId, 'REQUEST'), mode);
    try {
      if (result.firstUnseal)
        ctx.note(`${result.credential} unsealed; window ends ${formatMoment(result.windowEndsAt)}; every reveal is journaled`);
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

/** A journal export is about 500 bytes an entry: 256 MiB holds half a million entries. */
const MAX_EXPORT_BYTES = 256 * 1024 * 1024;

const S = { type: 'string' } as const;
const B = { type: 'boolean' } as const;

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

/** The vault's commands (the server's and sync's are in their own files). */
const VAULT_COMMANDS: readonly Command[] = [
  {
    words: ['init'],
    usage: 'init --name NAME',
    summary: "create this machine's vault; its journal key goes into the OS keychain",
    options: { name: S },
    positionals: [],
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
  {
    words: ['member', 'create'],
    usage: 'member create --id ID --name NAME --out CARD',
    summary: "create a person's keys on their own machine (keychain, passphrase-wrapped); write their card",
    options: { id: S, name: S, out: S },
    positionals: [],
    async run(ctx, v) {
      const memberId = id(v, 'id');
      const name = req(v, 'name');
      assertMemberName(name);
      const out = req(v, 'out');
      return withNewFile(out, (file) =>
        withVault(ctx, true, async (session) => {
          session.assertJournalIntact(); // before the prompt: createMember checks again, after it
          const passphrase = await ctx.passphrase(`new passphrase for ${memberId} (at least ${MIN_PASSPHRASE} characters)`);
          if (ctx.promptsForPassphrase) {
            const again = await ctx.passphrase('repeat the passphrase');
            if (again !== passphrase) throw new BreakGlassError('BAD_INPUT', 'the two passphrases differ; nothing was created');
          }
          const card = await createMember(session, memberId, name, passphrase);
          file.write(`${JSON.stringify(card, null, 2)}\n`);
          ctx.say(`member ${card.id} (${card.name}) created; card written to ${out}`);
          return { member: card.id, card: out, signingKey: card.signingKey };
        }),
      );
    },
  },
  {
    words: ['member', 'export-key'],
    usage: 'member export-key --id ID --out FILE',
    summary: 'write a passphrase-wrapped copy of your keys, for custody at a vault laptop',
    options: { id: S, out: S },
    positionals: [],
    async run(ctx, v) {
      const memberId = id(v, 'id');
      const out = req(v, 'out');
      return withNewFile(out, (file) =>
        withVault(ctx, false, async (session) => {
          const custody = await exportCustody(session, memberId, await ctx.passphrase(`passphrase of ${memberId}`));
          file.write(`${JSON.stringify(custody, null, 2)}\n`);
          ctx.say(`custody copy of ${memberId} written to ${out} (still wrapped by the passphrase)`);
          return { member: memberId, out };
        }),
      );
    },
  },
  {
    words: ['member', 'add'],
    usage: 'member add CARD [--custody FILE]',
    summary: 'enrol a member at this vault from their card, optionally with a custody copy of their key',
    options: { custody: S },
    positionals: ['CARD'],
    async run(ctx, v, [cardPath]) {
      const card = readJsonFile(cardPath!, 'member card', 'member-card');
      const custody = typeof v['custody'] === 'string' ? readJsonFile(v['custody'], 'custody file', 'custody') : undefined;
      return withVault(ctx, true, async (session) => {
        const custodyName = typeof v['custody'] === 'string' ? `custody file ${v['custody']}` : 'custody file';
        const added = await addMember(session, card, custody, { card: `member card ${cardPath!}`, custody: custodyName });
        ctx.say(`member ${added.id} (${added.name}) enrolled${custody ? ' with a custody copy' : ''}`);
        return { member: added.id, custody: custody !== undefined };
      });
    },
  },
  {
    words: ['member', 'remove'],
    usage: 'member remove MEMBER',
    summary:
      "take a member off this vault's roster (journaled; their custody copy here is erased); refused while they hold a share of a sealed credential or took part in an activation not yet resealed",
    options: {},
    positionals: ['MEMBER'],
    async run(ctx, _v, [member]) {
      return withVault(ctx, true, async (session) => {
        const r = await removeMember(session, id(member!, 'MEMBER'));
        ctx.say(`member ${r.member} removed from this vault${r.custodyErased ? '; their custody copy here was erased' : ''}`);
        if (r.stillInPolicy.length > 0)
          ctx.note(
            `note: the policy in force still names ${r.member} (${r.stillInPolicy.join(', ')}); set one without them ("breakglass policy set FILE")`,
          );
        return { ...r };
      });
    },
  },
  {
    words: ['member', 'list'],
    usage: 'member list',
    summary: 'members enrolled at this vault',
    options: {},
    positionals: [],
    async run(ctx) {
      return withVault(ctx, false, (session) => {
        const members = listMembers(session);
        for (const m of members)
          ctx.say(
            `${m.id}\t${printable(m.name)}\t${m.custody ? 'custody copy here' : 'remote only'}\t${m.fingerprint ? `key ${m.fingerprint.slice(0, 16)}` : 'CARD DOES NOT MATCH THE JOURNAL'}`,
          );
        if (members.length === 0) ctx.say('no members yet: "breakglass member add CARD"');
        return { members };
      });
    },
  },
  {
    words: ['policy', 'check'],
    usage: 'policy check FILE',
    summary: 'check a policy file; every problem with its path; exit 2 on any',
    options: {},
    positionals: ['FILE'],
    async run(ctx, _v, [file]) {
      const result = parsePolicyText(readInputFile(file!, 'the policy').toString('utf8'));
      if (!result.ok) {
        for (const p of result.problems) ctx.note(`${file}: ${p.path}: ${p.message}`);
        throw new BreakGlassError('POLICY_INVALID', `${result.problems.length} problem(s) in ${file}`, { problems: result.problems });
      }
      // The hash policy set will record: ties the file reviewed in git to its policy.set entry.
      const hash = policyHash(result.policy);
      ctx.say(`${file}: ok (${Object.keys(result.policy.credentials).length} credential(s)), hash ${hash}`);
      return { file, credentials: Object.keys(result.policy.credentials), hash };
    },
  },
  {
    words: ['policy', 'set'],
    usage: 'policy set FILE',
    summary: "replace this vault's policy (YAML or JSON)",
    options: {},
    positionals: ['FILE'],
    async run(ctx, _v, [file]) {
      const text = readInputFile(file!, 'the policy').toString('utf8');
      return withVault(ctx, true, async (session) => {
        const { hash, policy, openRequests } = await setPolicy(session, text);
        ctx.say(`policy set (${Object.keys(policy.credentials).length} credential(s)), hash ${hash}`);
        // Said at once: which open requests the change bears on, and that each keeps what it signed.
        for (const line of describePolicyChange(openRequests)) ctx.note(line);
        return { hash, openRequests };
      });
    },
  },
  {
    words: ['policy', 'show'],
    usage: 'policy show',
    summary: 'the policy in force, as JSON',
    options: {},
    positionals: [],
    async run(ctx) {
      return withVault(ctx, false, (session) => {
        const { policy, hash, setAt } = currentPolicy(session);
        ctx.say(JSON.stringify(policy, null, 2));
        return { policy, hash, setAt };
      });
    },
  },
  {
    words: ['seal'],
    usage: 'seal --credential ID --label TEXT --secret-file FILE|-',
    summary: 'seal a credential: holders and threshold from the policy',
    options: { credential: S, label: S, 'secret-file': S },
    positionals: [],
    async run(ctx, v) {
      const credential = id(v, 'credential');
      const label = req(v, 'label');
      const secret = await readSecretInput(req(v, 'secret-file'), 'the secret');
      try {
        return await withVault(ctx, true, async (session) => {
          const c = await sealCredential(session, credential, label, secret);
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
    async run(ctx) {
      const show = async (session: VaultSession): Promise<Record<string, unknown>> => {
        const credentials = listCredentials(session);
        for (const c of credentials) {
          if (c.integrity) ctx.note(`warning: ${c.id}: INTEGRITY_FAILURE: ${c.integrity}`);
          ctx.say(
            `${c.id}\t${c.integrity ? 'INTEGRITY_FAILURE (as the database says: ' : ''}${c.state}${c.exposed ? ' (exposed)' : ''}${c.integrity ? ')' : ''}\t${c.threshold} of ${c.holders.length}\tv${c.version}\t${printable(c.label)}${c.request ? `\trequest ${c.request}${approvalCount(session, c.request)}` : ''}`,
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
    async run(ctx, v) {
      const input = {
        credential: id(v, 'credential'),
        trigger: req(v, 'trigger'),
        reason: req(v, 'reason'),
        incident: req(v, 'incident'),
        requester: id(v, 'requester'),
      };
      return withVault(ctx, true, async (session) => {
        const r = await openRequest(session, input, ctx.passphrase);
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
    usage: 'request cancel REQUEST',
    summary: 'cancel an open request',
    options: {},
    positionals: ['REQUEST'],
    async run(ctx, _v, [requestId]) {
      return withVault(ctx, true, async (session) => {
        const { exposed } = await endRequest(session, id(requestId!, 'REQUEST'), 'cancel', 'operator');
        ctx.say(
          exposed
            ? `request ${requestId} cancelled after its quorum: the credential counts as exposed and needs a review ("breakglass review ..."), then a reseal`
            : `request ${requestId} cancelled`,
        );
        return { request: requestId, exposed };
      });
    },
  },
  {
    words: ['request', 'show'],
    usage: 'request show REQUEST',
    summary: 'a request: who approved and who has not, expiry, and the next command',
    options: {},
    positionals: ['REQUEST'],
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
        return { request: r };
      });
    },
  },
  {
    words: ['approve'],
    usage: 'approve REQUEST --holder ID [--yes] | approve --bundle FILE|CODE --out FILE [--yes]',
    summary: 'approve in person at the vault laptop, or on your own laptop from a bundle',
    options: { holder: S, bundle: S, out: S, yes: B },
    positionals: ['REQUEST?'],
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
          return withVault(ctx, true, async (session) => {
            const token = await approveBundle(session, bundle, ctx.passphrase);
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
      return withVault(ctx, true, async (session) => {
        const row = requestRow(session, id(requestId, 'REQUEST'));
        const body = requestBody(session, row);
        const requester = membersOf(session).find((m) => m.id === body.requester);
        // The whole request, as a holder's own laptop shows it, before the passphrase is asked for.
        for (const line of requestScreen(body, `${requester?.name ?? body.requester} (${body.requester})`, [
          `  as holder   ${holder}, in person at this vault laptop`,
        ]))
          ctx.note(printable(line));
        await confirmApproval(v);
        const r = await approveInPerson(session, row.id, holder, ctx.passphrase);
        printRequest(ctx, r);
        nextStep(ctx, r);
        return { request: r.id, approvals: r.approvals, threshold: r.threshold };
      });
    },
  },
  {
    words: ['approval', 'import'],
    usage: 'approval import FILE|CODE',
    summary: "accept a holder's approval made on their own laptop",
    options: {},
    positionals: ['FILE|CODE'],
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
    usage: 'unseal REQUEST [--reveal | --copy [--clear-after SECONDS] | --out FILE]',
    summary: 'open the credential once the threshold is met; plaintext only on an explicit flag',
    options: { reveal: B, copy: B, out: S, 'clear-after': S },
    positionals: ['REQUEST'],
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
      if (mode === 'copy') findClipboard();
      if (mode === 'export') return withNewFile(v['out'] as string, (file) => unsealTo(ctx, requestId!, mode, file, clearAfter));
      return unsealTo(ctx, requestId!, mode, null, clearAfter);
    },
  },
  {
    words: ['close'],
    usage: 'close CREDENTIAL',
    summary: 'end the unseal window now; the credential then waits for review',
    options: {},
    positionals: ['CREDENTIAL'],
    async run(ctx, _v, [credential]) {
      return withVault(ctx, true, async (session) => {
        await closeWindow(session, id(credential!, 'CREDENTIAL'), 'operator', 'closed');
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
    async run(ctx, v, [credential]) {
      const warranted = req(v, 'warranted');
      if (warranted !== 'yes' && warranted !== 'no') throw new BreakGlassError('BAD_ARGUMENTS', '--warranted must be yes or no');
      const rotated =
        typeof v['rotated-secret-file'] === 'string' ? await readSecretInput(v['rotated-secret-file'], 'the rotated secret') : undefined;
      try {
        return await withVault(ctx, true, async (session) => {
          const input = {
            credential: id(credential!, 'CREDENTIAL'),
            reviewer: id(v, 'reviewer'),
            warranted: warranted === 'yes',
            summary: req(v, 'summary'),
            changes: req(v, 'changes'),
            ...(typeof v['incident'] === 'string' ? { incident: v['incident'] } : {}),
            ...(typeof v['follow-up'] === 'string' ? { followUp: v['follow-up'] } : {}),
            ...(rotated ? { rotatedSecret: rotated } : {}),
          };
          const r = await signReview(session, input, ctx.passphrase);
          ctx.say(
            `review ${r.review} signed by ${input.reviewer}${r.rotated ? '; the rotated secret will be sealed at reseal' : ''}; now "breakglass reseal ${credential}"`,
          );
          return { credential, review: r.review, rotated: r.rotated };
        });
      } finally {
        rotated?.fill(0);
      }
    },
  },
  {
    words: ['reseal'],
    usage: 'reseal CREDENTIAL',
    summary: 'seal again under a fresh key and split (refused until a review is signed)',
    options: {},
    positionals: ['CREDENTIAL'],
    async run(ctx, _v, [credential]) {
      return withVault(ctx, true, async (session) => {
        const r = await reseal(session, id(credential!, 'CREDENTIAL'));
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
    async run(ctx, v) {
      const credential = id(v, 'credential');
      return withVault(ctx, true, async (session) => {
        const open = openDrill(session, credential);
        if (!open) {
          if (typeof v['requester'] !== 'string')
            throw new BreakGlassError('BAD_ARGUMENTS', `no drill is open for ${credential}; start one with --requester ID`);
          const r = await startDrill(session, credential, id(v, 'requester'), ctx.passphrase);
          printRequest(ctx, r);
          nextStep(ctx, r);
          ctx.say(
            `collect ${r.threshold} approvals ("breakglass approve ${r.id} --holder ID" or bundles), then run this command again without --requester`,
          );
          return { started: true, request: r.id, threshold: r.threshold };
        }
        const d = await completeDrill(session, credential);
        ctx.say(
          `drill passed: ${d.holders.join(' + ')} proved their shares of ${credential}; no share reached this vault, nothing was decrypted`,
        );
        ctx.say(`request to quorum ${(d.requestToQuorumMs / 1000).toFixed(1)} s; proofs checked in ${d.verifyMs.toFixed(1)} ms`);
        return { started: false, ...d };
      });
    },
  },
  {
    words: ['shares', 'check'],
    usage: 'shares check --credential ID --holder ID',
    summary: 'a holder proves their share against its commitment, reconstructing nothing',
    options: { credential: S, holder: S },
    positionals: [],
    async run(ctx, v) {
      return withVault(ctx, true, async (session) => {
        await checkShare(session, id(v, 'credential'), id(v, 'holder'), ctx.passphrase);
        ctx.say(`the share of ${v['holder']} for ${v['credential']} is good`);
        return { credential: v['credential'], holder: v['holder'], ok: true };
      });
    },
  },
  {
    words: ['journal', 'verify'],
    usage: 'journal verify [--genesis-key KEY] [--file EXPORT --genesis-key KEY]',
    summary:
      'verify the journal (exit 4 names the first bad seq), pinned to the genesis key printed at init; or an export as a third party',
    options: { file: S, 'genesis-key': S },
    positionals: [],
    async run(ctx, v) {
      const pinned = typeof v['genesis-key'] === 'string' ? v['genesis-key'] : undefined;
      const report =
        typeof v['file'] === 'string'
          ? await withChunkedInput(v['file'], 'the journal export', MAX_EXPORT_BYTES, (chunks) =>
              verifyExport(chunks, req(v, 'genesis-key')),
            )
          : await withVault(ctx, false, (session) =>
              verifyJournal(session, { checkKeychain: true, ...(pinned === undefined ? {} : { genesisKey: pinned }) }),
            );
      for (const line of describeReport(report)) ctx.say(line);
      if (report.failure) {
        throw new BreakGlassError(
          'JOURNAL_TAMPERED',
          `journal verification failed at seq ${report.failure.seq}: ${report.failure.code} (${report.failure.message})`,
          { seq: report.failure.seq, failure: report.failure.code, report },
        );
      }
      if (pinned === undefined) {
        // The journal's own genesis key proves nothing: a journal re-signed from the start carries its own.
        ctx.note(
          `note: not pinned to a genesis key: this journal starts from key ${report.genesisKey ?? '?'}, which it says itself; compare it with the key printed at init, or pass --genesis-key KEY`,
        );
      }
      return { report, genesisPinned: pinned !== undefined };
    },
  },
  {
    words: ['journal', 'show'],
    usage: 'journal show [--since SEQ] [--kind KIND] [--hide KIND]... [--activations]',
    summary:
      'the journal, one line per entry; --kind shows one kind, --hide leaves a kind out (repeatable: --hide key.rotate --hide access.refused); --activations: one line per activation, from request to reseal, with times and who',
    options: { since: S, kind: S, hide: { type: 'string', multiple: true }, activations: B },
    positionals: [],
    async run(ctx, v) {
      const since = v['since'] === undefined ? 0 : Number(v['since']);
      if (!Number.isSafeInteger(since) || since < 0)
        throw new BreakGlassError('BAD_ARGUMENTS', '--since must be a sequence number (0 or more)');
      const kind = typeof v['kind'] === 'string' ? entryKind(v['kind'], '--kind') : undefined;
      // Each --hide names one kind, or several with commas ("--hide key.rotate,access.refused").
      const hideValues = Array.isArray(v['hide']) ? v['hide'] : [];
      const hidden = new Set(hideValues.flatMap((h) => h.split(',')).map((k) => entryKind(k.trim(), '--hide')));
      if (v['activations'] === true) {
        if (kind !== undefined || hidden.size > 0 || v['since'] !== undefined)
          throw new BreakGlassError('BAD_ARGUMENTS', '--activations shows whole activations; it takes no --since, --kind or --hide');
        return withVault(ctx, false, async (session) => {
          const activations = journalActivations(session);
          for (const a of activations) ctx.say(describeActivation(a));
          if (activations.length === 0) ctx.say('no activations yet: no request was ever opened at this vault');
          await warnIfJournalSuspect(ctx, session);
          return { activations };
        });
      }
      if (kind !== undefined && hidden.has(kind))
        throw new BreakGlassError('BAD_ARGUMENTS', `--kind ${kind} and --hide ${kind} together show nothing; give one of them`);
      return withVault(ctx, false, async (session) => {
        const entries = journalEntries(session, { since, ...(kind ? { kind } : {}) }).filter((e) => !hidden.has(e.kind));
        for (const e of entries) ctx.say(describeEntry(e));
        await warnIfJournalSuspect(ctx, session);
        return { entries };
      });
    },
  },
  {
    words: ['journal', 'export'],
    usage: 'journal export --out FILE [--force]',
    summary:
      'JSON Lines, one verified entry per line with hash and signature; --force exports a journal whose end cannot be proven, marked so',
    options: { out: S, force: B },
    positionals: [],
    async run(ctx, v) {
      const out = req(v, 'out');
      return withNewFile(out, (file) =>
        withVault(ctx, false, async (session) => {
          const { lines, tailProven } = await exportJournal(session, { force: v['force'] === true });
          file.write(lines.join(''));
          if (!tailProven)
            ctx.note(
              `WARNING: the end of this journal is UNPROVEN (the keychain lacks its last epoch key): entries may have been cut from its end; the export says nothing about what came after seq ${lines.length - 1}`,
            );
          ctx.say(
            `${lines.length} entries written to ${out}; verify with: breakglass journal verify --file ${out} --genesis-key KEY, where KEY is the genesis key printed when this vault was created (the journal says it starts from ${session.report.genesisKey}: compare, do not copy)`,
          );
          // The head of the file as written: its last line's seq and hash.
          const headSeq = lines.length - 1;
          const headHash = (JSON.parse(lines[headSeq]!) as { hash: string }).hash;
          // A copy cut short ends earlier: its head is what to hold against another copy's.
          ctx.say(
            `head: seq ${headSeq}, hash ${headHash} (${lines.length} entries); an export cut short ends at an earlier seq: compare this head with the server's ("breakglass sync status") and with the anchor the holders' laptops recorded at their last approval`,
          );
          return {
            out,
            entries: lines.length,
            headSeq,
            headHash,
            tailProven,
            journalGenesisKey: session.report.genesisKey,
            journal: session.head.journal,
          };
        }),
      );
    },
  },
  // The app in a browser (src/cli/ui-command.ts).
];

/** Every command: the vault's, then the server's and sync's (issue 11), then the app's (`breakglass ui`). */
export const COMMANDS: readonly Command[] = [...VAULT_COMMANDS, ...SERVER_COMMANDS, ...SYNC_COMMANDS, ...UI_COMMANDS];
