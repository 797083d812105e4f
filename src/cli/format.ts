import type { RequestBody } from '../core/documents.js';
import type { JournalEntry, VerifyReport } from '../core/journal.js';
import { printable } from '../core/text.js';

/** A time as a person reads it in a log: UTC, to the second. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const DATA_SUMMARY: Partial<Record<JournalEntry['kind'], (d: Record<string, unknown>) => string>> = {
  'key.rotate': (d) => `epoch ${String(d['epoch'])}`,
  'request.create': (d) => {
    const r = d['request'] as Record<string, unknown>;
    return `${String(r['id'])} trigger=${String(r['trigger'])} incident=${String(r['incident'])} reason=${JSON.stringify(r['reason'])}`;
  },
  'approval.accept': (d) => `${String(d['request'])}`,
  'approval.give': (d) => `${String(d['request'])} at vault ${String(d['vault'])}`,
  'credential.unseal': (d) => `${String(d['request'])} by ${(d['holders'] as string[]).join('+')}`,
  'access.refused': (d) => `${String(d['code'])}: ${String(d['message'])}`,
  'review.sign': (d) => `warranted=${String((d['body'] as Record<string, unknown>)['warranted'])}`,
  'credential.reseal': (d) => `v${String(d['version'])}${d['rotated'] ? ' rotated' : ''}`,
  'window.close': (d) => `${String(d['reason'])}`,
};

/** One line per entry for `journal show`. */
export function describeEntry(e: JournalEntry): string {
  const extra = DATA_SUMMARY[e.kind]?.(e.data as Record<string, unknown>) ?? '';
  return printable(
    `${String(e.seq).padStart(5)}  ${formatTime(e.time)}  e${e.epoch}  ${e.kind.padEnd(18)} ${e.actor} -> ${e.subject}${extra ? `  ${extra}` : ''}`,
  );
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

/**
 * What a holder consents to besides the unseal itself: who holds the credential afterwards. A change
 * is spelled out, because approving it is how holders are added or removed.
 */
export function splitLines(r: RequestBody): string[] {
  const now = `${r.holders.join(', ')} (${r.threshold} of ${r.holders.length})`;
  const next = `${r.nextHolders.join(', ')} (${r.nextThreshold} of ${r.nextHolders.length})`;
  const added = r.nextHolders.filter((h) => !r.holders.includes(h));
  const removed = r.holders.filter((h) => !r.nextHolders.includes(h));
  const lines = [`  holders     ${now}`, `  afterwards  split again among ${next}`];
  if (added.length > 0 || removed.length > 0 || r.threshold !== r.nextThreshold) {
    const changes = [
      added.length > 0 ? `adds ${added.join(', ')}` : '',
      removed.length > 0 ? `removes ${removed.join(', ')}` : '',
      r.threshold !== r.nextThreshold ? `needs ${r.nextThreshold} instead of ${r.threshold}` : '',
    ].filter(Boolean);
    lines.push(`  WARNING     this unseal changes who holds ${r.credential}: it ${changes.join(', ')}; approve only if you know why`);
  }
  return lines;
}
