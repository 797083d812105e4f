// One short line of what an entry's data says, as `breakglass journal show` prints it.
import type { JournalEntry } from '../../../src/core/journal.js';

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

/** The facts of an entry worth a glance: which request, who, why, which version. */
export function entryDetails(e: JournalEntry): string {
  const d = e.data as Record<string, unknown>;
  switch (e.kind) {
    case 'key.rotate':
      return `epoch ${str(d['epoch'])}`;
    case 'request.create': {
      const r = (d['request'] ?? {}) as Record<string, unknown>;
      return `${str(r['id'])} trigger=${str(r['trigger'])} incident=${str(r['incident'])} reason=${JSON.stringify(str(r['reason']))}`;
    }
    case 'request.quorum':
      return `${str(d['request'])} by ${Array.isArray(d['holders']) ? d['holders'].map(str).join('+') : ''}: exposed`;
    case 'access.refused':
      return `${str(d['code'])}: ${str(d['message'])}`;
    case 'member.passphrase':
      return `re-wrapped: ${[d['keychain'] ? 'keychain' : '', d['custody'] ? 'custody copy' : ''].filter(Boolean).join(', ')}`;
    case 'member.export':
      return `custody copy ${str(d['custodyHash']).slice(0, 16)}`;
    case 'review.sign':
      return `warranted=${str(((d['body'] ?? {}) as Record<string, unknown>)['warranted'])}`;
    case 'credential.reseal':
      return `v${str(d['version'])}${d['rotated'] ? ' rotated' : ''}`;
    case 'window.close':
      return str(d['reason']);
    case 'extension.create': {
      const x = (d['extension'] ?? {}) as Record<string, unknown>;
      return `${str(x['id'])} of ${str(x['request'])} reason=${JSON.stringify(str(x['reason']))}`;
    }
    case 'extension.approve':
      return str(d['extension']);
    default:
      return str(d['request']);
  }
}
