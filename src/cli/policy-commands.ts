/** The policy commands: check a file (CI), set it at a vault (saying what it means for open requests), show it. */
import { BreakGlassError } from '../core/errors.js';
import { currentPolicy, parsePolicyText, policyHash, setPolicy, type OpenRequestUnderPolicy } from '../vault/index.js';
import type { Command } from './command.js';
import { withVault } from './context.js';
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

export const POLICY_COMMANDS: readonly Command[] = [
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
];
