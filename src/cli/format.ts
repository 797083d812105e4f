import type { RequestBody } from '../core/documents.js';
import type { JournalEntry, VerifyReport } from '../core/journal.js';
import type { Activation, ActivationStep } from '../vault/index.js';
import { printable } from '../core/text.js';
import { formatMoment, formatTime } from '../core/time.js';

export { formatMoment, formatTime };

const DATA_SUMMARY: Partial<Record<JournalEntry['kind'], (d: Record<string, unknown>) => string>> = {
  'key.rotate': (d) => `epoch ${String(d['epoch'])}`,
  'request.create': (d) => {
    const r = d['request'] as Record<string, unknown>;
    return `${String(r['id'])} trigger=${String(r['trigger'])} incident=${String(r['incident'])} reason=${JSON.stringify(r['reason'])}`;
  },
  'approval.accept': (d) => `${String(d['request'])}`,
  'request.quorum': (d) =>
    `${String(d['request'])} by ${(d['holders'] as string[]).join('+')}: exposed, next envelope v${String(d['nextVersion'])} taken`,
  'request.cancel': (d) => `${String(d['request'])}${d['exposed'] ? ' after its quorum (exposed)' : ''}`,
  'request.expire': (d) => `${String(d['request'])}${d['exposed'] ? ' after its quorum (exposed)' : ''}`,
  'approval.give': (d) => {
    // The vault's head as this holder saw it: an export of that vault's journal must hold this hash at this seq.
    const head = d['head'] as { seq?: unknown; hash?: unknown } | undefined;
    return `${String(d['request'])} at vault ${String(d['vault'])}${head ? `, whose journal was then at seq ${String(head.seq)}, hash ${String(head.hash)}` : ''}`;
  },
  'credential.unseal': (d) => `${String(d['request'])} by ${(d['holders'] as string[]).join('+')}`,
  'access.refused': (d) => `${String(d['code'])}: ${String(d['message'])}`,
  'member.passphrase': (d) =>
    `re-wrapped: ${[d['keychain'] ? 'keychain' : '', d['custody'] ? 'custody copy' : ''].filter(Boolean).join(', ')}`,
  'member.export': (d) => `custody copy ${String(d['custodyHash']).slice(0, 16)}`,
  'review.sign': (d) => `warranted=${String((d['body'] as Record<string, unknown>)['warranted'])}`,
  'credential.reseal': (d) => `v${String(d['version'])}${d['rotated'] ? ' rotated' : ''}`,
  'window.close': (d) => `${String(d['reason'])}`,
  'credential.rotate': (d) => `${String(d['request'])} by ${(d['holders'] as string[]).join('+')}: v${String(d['version'])} sealed`,
  'extension.create': (d) => {
    const x = d['extension'] as Record<string, unknown>;
    return `${String(x['id'])} of ${String(x['request'])} (${String(x['number'])}) reason=${JSON.stringify(x['reason'])}`;
  },
  'extension.approve': (d) => `${String(d['extension'])}`,
  'window.extend': (d) => `${String(d['request'])} by ${(d['holders'] as string[]).join('+')} to ${formatTime(Number(d['windowEndsAt']))}`,
};

/** One line per entry for `journal show`. */
export function describeEntry(e: JournalEntry): string {
  const extra = DATA_SUMMARY[e.kind]?.(e.data as Record<string, unknown>) ?? '';
  return printable(
    `${String(e.seq).padStart(5)}  ${formatTime(e.time)}  e${e.epoch}  ${e.kind.padEnd(18)} ${e.actor} -> ${e.subject}${extra ? `  ${extra}` : ''}`,
  );
}

const STEP_VERB: Record<ActivationStep['step'], string> = {
  approve: 'approved',
  quorum: 'quorum',
  unseal: 'unsealed',
  reveal: 'revealed',
  copy: 'copied',
  export: 'written to a file',
  'extend-ask': 'more time asked',
  'extend-approve': 'extension approved',
  extend: 'window extended',
  close: 'closed',
  cancel: 'cancelled',
  expire: 'expired',
  review: 'reviewed',
  reseal: 'resealed',
  drill: 'drill passed',
  rotate: 'rotated',
};

/** One step's who, when and what: "by alice at …", "at … (v2)"; the vault itself is not named. */
const stepPart = (s: ActivationStep): string =>
  `${s.by === 'vault' ? '' : `by ${s.by} `}at ${formatTime(s.at)}${s.detail ? ` (${s.detail})` : ''}`;

/**
 * One line per activation for `journal show --activations`: opened by whom and why, then each step
 * with its time and who acted, steps of one kind in a row merged ("approved by alice at …, by bob at …").
 */
export function describeActivation(a: Activation): string {
  const parts = [
    `${a.request} ${a.credential}${a.purpose === 'access' ? '' : ` (${a.purpose === 'drill' ? 'drill' : 'rotation'})`}: requested by ${a.requester} at ${formatTime(a.openedAt)} (${a.trigger}, ${a.incident})`,
  ];
  for (let i = 0; i < a.steps.length;) {
    const run = [a.steps[i]!];
    while (a.steps[i + run.length]?.step === run[0]!.step) run.push(a.steps[i + run.length]!);
    parts.push(`${STEP_VERB[run[0]!.step]} ${run.map(stepPart).join(', ')}`);
    i += run.length;
  }
  const refusals = a.refusals > 0 ? `; ${a.refusals} refusal(s) journaled ("journal show --kind access.refused")` : '';
  return printable(`${parts.join(' → ')}${refusals}`);
}

/** The lines `journal verify` prints. */
export function describeReport(r: VerifyReport): string[] {
  const lines: string[] = [];
  if (r.failure) lines.push(`FAILED at seq ${r.failure.seq}: ${r.failure.code}: ${r.failure.message}`);
  else lines.push(`ok: ${r.count} entries verify (journal ${r.journal}, epoch ${r.epoch}, head ${r.headHash})`);
  for (const f of r.flags) lines.push(`flag at seq ${f.seq}: ${f.code}: ${f.message}`);
  // Messages can quote what a tampered journal holds (another journal's id, say).
  return lines.map(printable);
}

/** A card fingerprint as screens show it (the first 16 characters, in groups of four). */
const fp = (fingerprint: string): string => (fingerprint.slice(0, 16).match(/.{1,4}/g) ?? []).join(' ');

/** One split as a line: each holder with their key's fingerprint, and the threshold. */
function splitText(holders: readonly string[], keys: readonly string[], threshold: number): string {
  return `${threshold} of ${holders.length}: ${holders.map((h, i) => `${h} [${fp(keys[i] ?? '')}]`).join(', ')}`;
}

/**
 * What a holder consents to besides the unseal itself: who holds the credential now and afterwards,
 * with each key's fingerprint (the vault seals the next split to exactly these keys). A change is
 * spelled out, because approving it is how holders are added or removed.
 */
export function splitLines(r: RequestBody): string[] {
  const lines = [
    `  holders     ${splitText(r.holders, r.holderKeys, r.threshold)}`,
    `  afterwards  split again among ${splitText(r.nextHolders, r.nextHolderKeys, r.nextThreshold)}`,
  ];
  const added = r.nextHolders.filter((h) => !r.holders.includes(h));
  const removed = r.holders.filter((h) => !r.nextHolders.includes(h));
  const rekeyed = r.nextHolders.filter((h, i) => r.holders.includes(h) && r.holderKeys[r.holders.indexOf(h)] !== r.nextHolderKeys[i]);
  if (added.length > 0 || removed.length > 0 || rekeyed.length > 0 || r.threshold !== r.nextThreshold) {
    const changes = [
      added.length > 0 ? `adds ${added.join(', ')}` : '',
      removed.length > 0 ? `removes ${removed.join(', ')}` : '',
      rekeyed.length > 0 ? `gives ${rekeyed.join(', ')} other keys` : '',
      r.threshold !== r.nextThreshold ? `needs ${r.nextThreshold} instead of ${r.threshold}` : '',
    ].filter(Boolean);
    lines.push(
      `  WARNING     this ${r.purpose === 'rotate' ? 'rotation' : 'unseal'} changes who holds ${r.credential}: it ${changes.join(', ')}; approve only if you know why`,
    );
  }
  return lines;
}

/** The purpose of a request, said first and plainly on every approval screen. */
export function purposeLines(r: RequestBody): string[] {
  if (r.purpose === 'rotate')
    return [
      `ROTATION: this approval lets ${r.requester} REPLACE the sealed secret of ${r.credential} with a new value. Your approval`,
      'proves, signed, that your share opens with your key; no share leaves your keys and the current secret is not',
      'decrypted. The new value is sealed to the holders after it, below; the old one is erased.',
    ];
  return r.purpose === 'drill'
    ? [
        `DRILL: a practice run for ${r.credential}. Your approval proves, signed, that your share opens with your key and`,
        'matches its commitment. No share leaves your keys in a form the vault can open: the credential stays sealed.',
      ]
    : [
        `BREAK GLASS: this approval OPENS ${r.credential}. With enough approvals the vault decrypts it for the requester,`,
        'and the credential counts as exposed until it is reviewed and resealed.',
      ];
}

/**
 * The whole request as an approver sees it, in person or on their own laptop. Every field comes
 * from the signed request, except the journal position, which is marked as the vault's word.
 */
export function requestScreen(r: RequestBody, requesterLine: string, extra: readonly string[] = []): string[] {
  return [
    ...purposeLines(r),
    `request ${r.id}, signed by its requester:`,
    `  vault       ${r.vaultName} (${r.vault}), journal ${r.journal}, genesis key ${r.genesisKey.slice(0, 16)}…`,
    `  credential  ${r.credential} - ${r.credentialLabel} (version ${r.credentialVersion}; ${r.threshold} approvals needed)`,
    `  requester   ${requesterLine}`,
    `  trigger     ${r.trigger}`,
    `  reason      ${r.reason}`,
    `  incident    ${r.incident}`,
    `  opened      ${formatTime(r.createdAt)}`,
    `  expires     ${formatMoment(r.expiresAt)}`,
    r.purpose === 'rotate'
      ? '  window      none: a rotation decrypts nothing'
      : `  window      ${Math.round(r.unsealSeconds / 60)} min once unsealed`,
    ...splitLines(r),
    ...extra,
  ];
}
