/**
 * The member commands: create and export-key on a person's own laptop; passphrase wherever their keys
 * are; add, remove and list at a vault.
 */
import { BreakGlassError } from '../core/errors.js';
import { printable } from '../core/text.js';
import {
  MIN_PASSPHRASE,
  REPEAT_NEW_PASSPHRASE,
  addMember,
  assertMemberName,
  assertNewMember,
  changePassphrase,
  createMember,
  exportMemberKey,
  listMembers,
  newPassphraseQuestion,
  removeMember,
  type PassphraseSource,
} from '../vault/index.js';
import { BY_HELP, id, optionalId, req, S, type Command } from './command.js';
import { withVault, withVaultAskingFirst, type CliContext } from './context.js';
import { passphraseSource, readJsonFile, withNewFile } from './io.js';

/**
 * Where `member passphrase` gets its answers: the new passphrase from --new-passphrase-file or a
 * prompt, every other question (the current passphrase, with its tries) as every command does.
 */
function passphraseChangeSource(ctx: CliContext, memberId: string, newFile: string | undefined): PassphraseSource {
  const fromNew = passphraseSource(newFile);
  const asksNew = (question: string): boolean => question === newPassphraseQuestion(memberId) || question === REPEAT_NEW_PASSPHRASE;
  return Object.assign(
    (prompt: string, question = prompt): Promise<string> => (asksNew(question) ? fromNew(prompt) : ctx.passphrase(prompt, question)),
    { tries: ctx.passphrase.tries ?? 1 },
  );
}

export const MEMBER_COMMANDS: readonly Command[] = [
  {
    words: ['member', 'create'],
    usage: 'member create --id ID --name NAME --out CARD',
    summary: "create a person's keys on their own machine (keychain, passphrase-wrapped); write their card",
    options: { id: S, name: S, out: S },
    positionals: [],
    explain: {
      id: 'the member\'s id, as the policy names them (1-64 of a-z, 0-9, ".", "_", "-")',
      name: 'their name, as others see it on the card',
      out: 'where the card goes: a new file (never overwritten), with public keys only, for security and the vault laptops (member add)',
    },
    examples: [
      'member create --id alice --name "Alice Martin" --out alice.card',
      'member create --id alice --name Alice --out alice.card --passphrase-file alice.pass',
    ],
    async run(ctx, v) {
      const memberId = id(v, 'id');
      const name = req(v, 'name');
      assertMemberName(name);
      const out = req(v, 'out');
      return withNewFile(out, async (file) => {
        // Checked before the prompt, with the vault free while the person types; createMember checks again.
        await withVault(ctx, false, (session) => assertNewMember(session, memberId, name));
        const passphrase = await ctx.passphrase(`new passphrase for ${memberId} (at least ${MIN_PASSPHRASE} characters)`);
        if (passphrase.length < MIN_PASSPHRASE)
          throw new BreakGlassError('BAD_INPUT', `the passphrase must have at least ${MIN_PASSPHRASE} characters; nothing was created`);
        if (ctx.promptsForPassphrase) {
          const again = await ctx.passphrase('repeat the passphrase');
          if (again !== passphrase) throw new BreakGlassError('BAD_INPUT', 'the two passphrases differ; nothing was created');
        }
        return withVault(ctx, true, async (session) => {
          const card = await createMember(session, memberId, name, passphrase);
          file.write(`${JSON.stringify(card, null, 2)}\n`);
          ctx.say(`member ${card.id} (${card.name}) created; card written to ${out}`);
          return { member: card.id, card: out, signingKey: card.signingKey };
        });
      });
    },
  },
  {
    words: ['member', 'passphrase'],
    usage: 'member passphrase --id ID [--new-passphrase-file FILE]',
    summary:
      "change a member's passphrase wherever this machine holds their keys (its keychain, their custody copy at this vault), journaled; the new one typed twice at a prompt, or read from --new-passphrase-file. Copies elsewhere keep the old one: export a fresh custody copy (member export-key) and replace it at each vault laptop (member add CARD --custody FILE)",
    options: { id: S, 'new-passphrase-file': S },
    positionals: [],
    explain: {
      id: 'the member whose passphrase changes; their current passphrase is asked first',
      'new-passphrase-file':
        'a file holding the new passphrase (one line), or - for standard input (on a terminal, a prompt); default: typed twice at a hidden prompt, and refused without a terminal',
    },
    examples: ['member passphrase --id alice', 'member passphrase --id alice --passphrase-file old.pass --new-passphrase-file new.pass'],
    async run(ctx, v) {
      const memberId = id(v, 'id');
      const newFile = typeof v['new-passphrase-file'] === 'string' ? req(v, 'new-passphrase-file') : undefined;
      const atTerminal = process.stdin.isTTY === true;
      // Typed at a terminal (no file, or "-" there) or read from a file; checked before anything is opened.
      const typed = atTerminal && (newFile === undefined || newFile === '-');
      if (newFile === undefined && !atTerminal) {
        throw new BreakGlassError(
          'BAD_ARGUMENTS',
          `the new passphrase of ${memberId} is needed; run in a terminal or pass --new-passphrase-file FILE (- for standard input); nothing was changed`,
        );
      }
      // One pipe cannot carry both: the first read would take both lines as the current passphrase.
      if (newFile === '-' && !atTerminal && ctx.passphraseFromPipe) {
        throw new BreakGlassError(
          'BAD_ARGUMENTS',
          '--passphrase-file - and --new-passphrase-file - would both read standard input; give one of them as a file; nothing was changed',
        );
      }
      const source = passphraseChangeSource(ctx, memberId, newFile);
      // A new passphrase typed at a terminal is asked twice, as at member create.
      const change = await withVaultAskingFirst({ ...ctx, passphrase: source }, (session, passphrase) =>
        changePassphrase(session, memberId, passphrase, { repeat: typed }),
      );
      const where = [change.keychain ? "this machine's keychain" : null, change.custody ? 'the custody copy at this vault' : null]
        .filter((w) => w !== null)
        .join(' and ');
      ctx.say(`passphrase of ${memberId} changed in ${where}`);
      ctx.note(
        change.keychain
          ? `note: custody copies of ${memberId} at vault laptops still open with the old passphrase: export a fresh one ("breakglass member export-key --id ${memberId} --out FILE") and enrol it there ("breakglass member add CARD --custody FILE" replaces the copy)`
          : `note: the keys on ${memberId}'s own laptop keep the old passphrase until it is changed there ("breakglass member passphrase --id ${memberId}")`,
      );
      return { ...change };
    },
  },
  {
    words: ['member', 'export-key'],
    usage: 'member export-key --id ID --out FILE',
    summary: 'write a passphrase-wrapped copy of your keys, for custody at a vault laptop (journaled here)',
    options: { id: S, out: S },
    positionals: [],
    explain: {
      id: "your member id; its keys are in this machine's keychain, and your passphrase is asked for",
      out: 'where the custody copy goes: a new file, still wrapped by your passphrase, to enrol at a vault laptop (member add CARD --custody FILE)',
    },
    examples: ['member export-key --id alice --out alice.custody'],
    async run(ctx, v) {
      const memberId = id(v, 'id');
      const out = req(v, 'out');
      // The file is reserved first, the passphrase asked with the vault free, the export journaled, then the file written.
      return withNewFile(out, (file) =>
        withVaultAskingFirst(ctx, async (session, passphrase) => {
          const { custody, hash } = await exportMemberKey(session, memberId, passphrase);
          file.write(`${JSON.stringify(custody, null, 2)}\n`);
          ctx.say(`custody copy of ${memberId} written to ${out} (still wrapped by the passphrase)`);
          return { member: memberId, out, custodyHash: hash };
        }),
      );
    },
  },
  {
    words: ['member', 'add'],
    usage: 'member add CARD [--custody FILE] [--by ID]',
    summary:
      'enrol a member at this vault from their card, optionally with a custody copy of their key (for a member enrolled already, it replaces their custody copy)',
    options: { custody: S, by: S },
    positionals: ['CARD'],
    explain: {
      CARD: "the member's card file (member create wrote it on their machine)",
      custody:
        'their custody copy (member export-key), so that they can sign here in person; for a member enrolled already, it replaces the copy kept here; default: none, so they cannot sign here in person (a holder then approves from their own laptop, with a bundle)',
      by: "who enrols them, for the journal: an enrolled member's id, or the id on the card itself (stated, not signed); default: the login account, recorded as login:NAME",
    },
    examples: ['member add alice.card --custody alice.custody', 'member add bob.card --by bob'],
    async run(ctx, v, [cardPath]) {
      const by = optionalId(v, 'by');
      const card = readJsonFile(cardPath!, 'member card', 'member-card');
      const custody = typeof v['custody'] === 'string' ? readJsonFile(v['custody'], 'custody file', 'custody') : undefined;
      return withVault(ctx, true, async (session) => {
        const custodyName = typeof v['custody'] === 'string' ? `custody file ${v['custody']}` : 'custody file';
        const added = await addMember(session, card, custody, { card: `member card ${cardPath!}`, custody: custodyName }, by);
        ctx.say(`member ${added.id} (${added.name}) enrolled${custody ? ' with a custody copy' : ''}`);
        return { member: added.id, custody: custody !== undefined };
      });
    },
  },
  {
    words: ['member', 'remove'],
    usage: 'member remove MEMBER [--by ID]',
    summary:
      "take a member off this vault's roster (journaled; their custody copy here is erased); refused while they hold a share of a sealed credential or took part in an activation not yet resealed",
    options: { by: S },
    positionals: ['MEMBER'],
    explain: { MEMBER: "the member's id", by: BY_HELP },
    examples: ['member remove dave', 'member remove dave --by carol'],
    async run(ctx, v, [member]) {
      return withVault(ctx, true, async (session) => {
        const r = await removeMember(session, id(member!, 'MEMBER'), optionalId(v, 'by'));
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
    explain: {},
    examples: ['member list', '--json member list'],
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
];
