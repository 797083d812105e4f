/** The policy commands: check files (CI), set one at a vault (saying what it means for open requests), show it. */
import { BreakGlassError, type ErrorCode } from '../core/errors.js';
import type { PolicyProblem } from '../core/policy.js';
import { currentPolicy, listMembers, parsePolicyText, policyHash, setPolicy, type OpenRequestUnderPolicy } from '../vault/index.js';
import { BY_HELP, optionalId, S, type Command } from './command.js';
import { withVault, type CliContext } from './context.js';
import { formatMoment } from './format.js';
import { readInputFile } from './io.js';

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

/** One file's outcome: its hash when it is a valid policy, else its problems, or why it could not be checked. */
type FileCheck =
  | { file: string; ok: true; credentials: string[]; hash: string }
  | { file: string; ok: false; problems: PolicyProblem[] }
  | { file: string; ok: false; error: { code: ErrorCode; message: string } };

type Enrolled = { ids: ReadonlySet<string>; vault: string };

/** Checks one file: its hash, or its problems; BreakGlassError when it cannot be read or is not a policy. */
function checkPolicyFile(file: string, enrolled: Enrolled | undefined): FileCheck {
  const result = parsePolicyText(readInputFile(file, 'the policy').toString('utf8'), enrolled ? { enrolled } : {});
  if (!result.ok) return { file, ok: false, problems: result.problems };
  // The hash policy set will record: ties the file reviewed in git to its policy.set entry.
  return { file, ok: true, credentials: Object.keys(result.policy.credentials), hash: policyHash(result.policy) };
}

/** One of several files: one that cannot be read, or is not a policy, is its outcome, and the others are still checked. */
function checkOneOfSeveral(file: string, enrolled: Enrolled | undefined): FileCheck {
  try {
    return checkPolicyFile(file, enrolled);
  } catch (err) {
    if (!(err instanceof BreakGlassError)) throw err;
    return { file, ok: false, error: { code: err.code, message: err.message } };
  }
}

/** `FILE:LINE:COLUMN: PATH: message`, as compilers print, so editors and CI annotations find the place. */
const problemLine = (file: string, p: PolicyProblem): string =>
  `${file}${p.line === undefined ? '' : `:${p.line}:${p.column}`}: ${p.path}: ${p.message}`;

/**
 * The members enrolled at the vault --vault names, read from a read-only session (SQLite, no
 * keychain); undefined without --vault, so that the check stays pure: no database, no keychain.
 */
async function enrolledAt(ctx: CliContext): Promise<Enrolled | undefined> {
  if (!ctx.vaultGiven) return undefined;
  return withVault(ctx, false, (session) => ({
    // A member whose card does not match the journal's member.add entry is not enrolled: the journal decides.
    ids: new Set(listMembers(session).flatMap((m) => (m.fingerprint === null ? [] : [m.id]))),
    vault: ctx.vaultDir,
  }));
}

export const POLICY_COMMANDS: readonly Command[] = [
  {
    words: ['policy', 'check'],
    usage: 'policy check [--vault DIR] FILE...',
    summary:
      'check policy files (needs no vault, keychain or SQLite, for CI): each problem as FILE:LINE:COLUMN: PATH: message; ' +
      'the hash policy set will journal; with --vault, also that every member named is enrolled there; exit 2 on any problem',
    options: {},
    positionals: ['FILE...'],
    explain: {
      FILE: 'one or more policy files, YAML or JSON (docs/policy.example.yaml is one); each is checked even when another fails',
      vault:
        'also check that every member the files name is enrolled at that vault (read only); default: the files alone, with no vault, keychain or SQLite',
    },
    examples: [
      'policy check policy.yaml',
      'policy check --vault /media/usb/vault policy.yaml',
      '--json policy check prod.yaml staging.yaml',
    ],
    async run(ctx, _v, files) {
      const enrolled = await enrolledAt(ctx);
      // One file that cannot be read or is not a policy ends the command with its own error (BAD_INPUT,
      // FOREIGN_INPUT, TOO_DEEP), as every command that reads a file says it.
      const checks = files.length === 1 ? [checkPolicyFile(files[0]!, enrolled)] : files.map((f) => checkOneOfSeveral(f, enrolled));
      const failed = checks.filter((c) => !c.ok);
      const single = checks.length === 1 ? checks[0]! : undefined;
      for (const c of checks) {
        if (c.ok) {
          const where = enrolled ? `; every member enrolled at ${enrolled.vault}` : '';
          ctx.say(`${c.file}: ok (${c.credentials.length} credential(s)${where}), hash ${c.hash}`);
        } else if ('problems' in c) {
          for (const p of c.problems) ctx.note(problemLine(c.file, p));
        } else {
          ctx.note(`${c.file}: ${c.error.code}: ${c.error.message}`);
        }
      }
      if (single && 'problems' in single) {
        throw new BreakGlassError('POLICY_INVALID', `${single.problems.length} problem(s) in ${single.file}`, {
          problems: single.problems,
          files: checks,
        });
      }
      if (failed.length > 0) {
        throw new BreakGlassError(
          'POLICY_INVALID',
          `${failed.length} of ${checks.length} policy files failed: ${failed.map((c) => c.file).join(', ')}`,
          { files: checks },
        );
      }
      if (single?.ok) return { file: single.file, credentials: single.credentials, hash: single.hash, files: checks };
      return { files: checks };
    },
  },
  {
    words: ['policy', 'set'],
    usage: 'policy set FILE [--by ID]',
    summary: "replace this vault's policy (YAML or JSON)",
    options: { by: S },
    positionals: ['FILE'],
    explain: {
      FILE: 'the new policy, YAML or JSON (check it first with policy check); requests opened before keep what they signed',
      by: BY_HELP,
    },
    examples: ['policy set policy.yaml', 'policy set policy.yaml --by carol'],
    async run(ctx, v, [file]) {
      const by = optionalId(v, 'by');
      const text = readInputFile(file!, 'the policy').toString('utf8');
      return withVault(ctx, true, async (session) => {
        const { hash, policy, openRequests } = await setPolicy(session, text, by);
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
    explain: {},
    examples: ['policy show', '--json policy show'],
    async run(ctx) {
      return withVault(ctx, false, (session) => {
        const { policy, hash, setAt } = currentPolicy(session);
        ctx.say(JSON.stringify(policy, null, 2));
        return { policy, hash, setAt };
      });
    },
  },
];
