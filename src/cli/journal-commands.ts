/** The journal commands: verify (this vault's, or an export as a third party), show, export. */
import { BreakGlassError } from '../core/errors.js';
import { ENTRY_KINDS, type EntryKind } from '../core/journal.js';
import { didYouMean, withHint } from '../core/suggest.js';
import { printable } from '../core/text.js';
import { exportJournal, journalActivations, journalEntries, verifyExport, verifyJournal } from '../vault/index.js';
import { B, req, S, type Command } from './command.js';
import { warnIfJournalSuspect, withVault } from './context.js';
import { describeActivation, describeEntry, describeReport } from './format.js';
import { withChunkedInput, withNewFile } from './io.js';

/** A journal export is about 500 bytes an entry: 256 MiB holds half a million entries. */
const MAX_EXPORT_BYTES = 256 * 1024 * 1024;

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

export const JOURNAL_COMMANDS: readonly Command[] = [
  {
    words: ['journal', 'verify'],
    usage: 'journal verify [--genesis-key KEY] [--file EXPORT --genesis-key KEY]',
    summary:
      'verify the journal (exit 4 names the first bad seq), pinned to the genesis key printed at init; or an export as a third party',
    options: { file: S, 'genesis-key': S },
    positionals: [],
    explain: {
      'genesis-key':
        'the genesis key init printed, kept outside this machine: the journal must start from it; needed with --file; default: not pinned (the journal is checked against the first key it names itself, with a note saying so)',
      file: "a journal export (journal export) to verify as a third party, with no vault; default: this vault's journal, checked against the keychain too",
    },
    examples: [
      'journal verify --genesis-key "$GENESIS_KEY"',
      'journal verify --file journal.jsonl --genesis-key "$GENESIS_KEY"',
      'journal verify',
    ],
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
    explain: {
      since: 'start at this sequence number; default: 0, the first entry',
      kind: 'only the entries of this kind (for example request.create); default: every kind',
      hide: 'leave out the entries of this kind; repeatable, or several kinds with commas; default: none left out',
      activations:
        'one line per activation instead, from request to reseal, with times and who; not with --since, --kind or --hide; default: one line per entry',
    },
    examples: ['journal show --since 40', 'journal show --hide key.rotate --hide access.refused', 'journal show --activations'],
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
    explain: {
      out: 'where the export goes: a new file, JSON Lines',
      force:
        'export even a journal whose end cannot be proven (the keychain lacks its last epoch key), marked so; default: refused then (TAIL_UNPROVEN)',
    },
    examples: ['journal export --out journal.jsonl'],
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
            `head: seq ${headSeq}, hash ${headHash} (${lines.length} entries); an export cut short ends at an earlier seq: compare this head with the server's ("breakglass sync status"), and check that the export holds, at the seq each holder's laptop recorded at its last approval, the hash it recorded there ("breakglass journal show --kind approval.give" on that laptop shows both)`,
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
];
