import type { JournalEntry } from '../core/journal.js';
import { formatTime } from '../core/time.js';
import { journalEntries } from './journal.js';
import type { VaultSession } from './session.js';

/** One step of an activation as its journal entry recorded it: what, when, and who acted. */
export interface ActivationStep {
  readonly step:
    | 'approve'
    | 'quorum'
    | 'unseal'
    | 'reveal'
    | 'copy'
    | 'export'
    | 'extend-ask'
    | 'extend-approve'
    | 'extend'
    | 'close'
    | 'cancel'
    | 'expire'
    | 'review'
    | 'reseal'
    | 'drill'
    | 'rotate';
  readonly at: number;
  /** The member id (or "vault", "operator") the entry names as its actor. */
  readonly by: string;
  /** What the entry adds in a few words: "warranted", "v2", "exposed", the close reason. */
  readonly detail?: string;
}

/** One request from its opening to its end, read from the journal alone, for an auditor. */
export interface Activation {
  readonly request: string;
  readonly credential: string;
  readonly purpose: 'access' | 'drill' | 'rotate';
  readonly requester: string;
  readonly trigger: string;
  readonly incident: string;
  readonly openedAt: number;
  readonly steps: readonly ActivationStep[];
  /** How many refusals (access.refused) the journal records for this request. */
  readonly refusals: number;
}

const REVEALS: Partial<Record<JournalEntry['kind'], ActivationStep['step']>> = {
  'credential.reveal': 'reveal',
  'credential.copy': 'copy',
  'credential.export': 'export',
};

/** The activations in `entries`, in the order they were opened, each with its steps in journal order. */
export function activationsOf(entries: readonly JournalEntry[]): Activation[] {
  const byId = new Map<string, { activation: Omit<Activation, 'steps' | 'refusals'>; steps: ActivationStep[]; refusals: number }>();
  const add = (request: unknown, step: ActivationStep): void => {
    if (typeof request === 'string') byId.get(request)?.steps.push(step);
  };
  for (const e of entries) {
    const d = e.data as Record<string, unknown>;
    const at = e.time;
    switch (e.kind) {
      case 'request.create': {
        const r = d['request'] as Record<string, unknown>;
        byId.set(String(r['id']), {
          activation: {
            request: String(r['id']),
            credential: e.subject,
            purpose: r['purpose'] === 'drill' || r['purpose'] === 'rotate' ? r['purpose'] : 'access',
            requester: String(r['requester']),
            trigger: String(r['trigger']),
            incident: String(r['incident']),
            openedAt: at,
          },
          steps: [],
          refusals: 0,
        });
        break;
      }
      case 'approval.accept':
        add(d['request'], { step: 'approve', at, by: e.actor });
        break;
      case 'request.quorum':
        add(d['request'], { step: 'quorum', at, by: e.actor, detail: (d['holders'] as string[]).join('+') });
        break;
      case 'credential.unseal':
        add(d['request'], { step: 'unseal', at, by: e.actor });
        break;
      case 'credential.reveal':
      case 'credential.copy':
      case 'credential.export':
        add(d['request'], { step: REVEALS[e.kind]!, at, by: e.actor });
        break;
      case 'extension.create': {
        const x = d['extension'] as Record<string, unknown>;
        add(x['request'], { step: 'extend-ask', at, by: e.actor, detail: String(x['id']) });
        break;
      }
      case 'extension.approve': {
        const x = d['approval'] as Record<string, unknown>;
        add(x['request'], { step: 'extend-approve', at, by: e.actor });
        break;
      }
      case 'window.extend':
        add(d['request'], { step: 'extend', at, by: e.actor, detail: `until ${formatTime(Number(d['windowEndsAt']))}` });
        break;
      case 'window.close':
        add(d['request'], { step: 'close', at, by: e.actor, detail: String(d['reason']) });
        break;
      case 'request.cancel':
      case 'request.expire':
        add(d['request'], {
          step: e.kind === 'request.cancel' ? 'cancel' : 'expire',
          at,
          by: e.actor,
          ...(d['exposed'] ? { detail: 'exposed' } : {}),
        });
        break;
      case 'review.sign': {
        const body = d['body'] as Record<string, unknown>;
        add(body['request'], {
          step: 'review',
          at,
          by: e.actor,
          detail: `${body['warranted'] ? 'warranted' : 'NOT warranted'}${body['rotated'] ? ', rotated' : ''}`,
        });
        break;
      }
      case 'credential.reseal':
        add(d['request'], { step: 'reseal', at, by: e.actor, detail: `v${String(d['version'])}${d['rotated'] ? ' rotated' : ''}` });
        break;
      case 'drill.complete':
        add(d['request'], { step: 'drill', at, by: e.actor, detail: (d['holders'] as string[]).join('+') });
        break;
      case 'credential.rotate':
        add(d['request'], {
          step: 'rotate',
          at,
          by: e.actor,
          detail: `v${String(d['version'])} by ${(d['holders'] as string[]).join('+')}`,
        });
        break;
      case 'access.refused': {
        const entry = typeof d['request'] === 'string' ? byId.get(d['request']) : undefined;
        if (entry) entry.refusals += 1;
        break;
      }
      default:
        break;
    }
  }
  return [...byId.values()].map(({ activation, steps, refusals }) => ({ ...activation, steps, refusals }));
}

/** Every activation of this vault, from its journal: request, approvals, unseal, close, review, reseal. */
export function journalActivations(session: VaultSession): Activation[] {
  return activationsOf(journalEntries(session, {}));
}
