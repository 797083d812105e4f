// The app's use cases behind the IPC contract: one implementation of validation and routing, used by
// the Electron main process and by `breakglass ui` alike.
import type { z } from 'zod';
import { BreakGlassError, type ErrorCode } from '../core/errors.js';
import {
  IPC_CONTRACT,
  isIpcChannel,
  type CredentialView,
  type HandOver,
  type IpcChannel,
  type IpcOutput,
  type IpcResult,
  type RequestView,
} from '../core/ipc.js';
import { credentialPolicy } from '../core/policy.js';
import {
  acceptApproval,
  approveBundle,
  assertBundleHolderHere,
  approveInPerson,
  readApproval,
  readBundle,
  witnessView,
} from './approvals.js';
import { encodeTextCode } from './codes.js';
import { checkShare, completeDrill, startDrill } from './drill.js';
import { exportJournal, journalEntries, verifyJournal } from './journal.js';
import { listMembers } from './members.js';
import { currentPolicy, parsePolicyText } from './policy.js';
import { listCredentials } from './credentials.js';
import { cancelRequest, exportBundle, openRequest, requestBody, requestRow, summarizeRequest } from './requests.js';
import { reseal, signReview } from './review.js';
import { completeRotation } from './rotate.js';
import { withSession, type AppContext } from './app-session.js';
import { appSyncStatus, enrolApp, enrolAppAgain, syncNow } from './app-sync.js';
import type { VaultSession } from './session.js';
import { closeWindow, unseal } from './unseal.js';
import { approveExtension, pendingExtensionOf, requestExtension } from './extensions.js';

type Input<C extends IpcChannel> = z.output<(typeof IPC_CONTRACT)[C]['input']>;
type Handler<C extends IpcChannel> = (ctx: AppContext, input: Input<C>) => Promise<IpcOutput<C>>;

const passphraseOf = (value: string) => () => Promise.resolve(value);

function requestView(session: VaultSession, requestId: string): RequestView {
  const row = requestRow(session, requestId);
  const summary = summarizeRequest(session, row);
  const body = requestBody(session, row);
  const requester = listMembers(session).find((m) => m.id === body.requester);
  return {
    id: summary.id,
    credential: summary.credential,
    purpose: summary.purpose,
    status: summary.status,
    expiresAt: summary.expiresAt,
    approvals: summary.approvals,
    threshold: summary.threshold,
    body,
    requesterName: requester?.name ?? body.requester,
  };
}

/** The time of the last journal entry of `kind` about each credential. */
function lastTimes(session: VaultSession, kind: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const e of journalEntries(session, { kind })) times.set(e.subject, e.time);
  return times;
}

function credentialViews(session: VaultSession): CredentialView[] {
  const unsealed = lastTimes(session, 'credential.unseal');
  const drilled = lastTimes(session, 'drill.complete');
  return listCredentials(session).map((c) => credentialView(c, unsealed.get(c.id) ?? null, drilled.get(c.id) ?? null));
}

function credentialView(
  c: ReturnType<typeof listCredentials>[number],
  lastActivation: number | null,
  lastDrill: number | null,
): CredentialView {
  return {
    id: c.id,
    label: c.label,
    state: c.state,
    exposed: c.exposed,
    version: c.version,
    holders: c.holders,
    threshold: c.threshold,
    request: c.request,
    updatedAt: c.updatedAt,
    lastActivation,
    lastDrill,
  };
}

const handOver = (kind: 'bundle' | 'approval', document: unknown, fileName: string): HandOver => ({
  code: encodeTextCode(kind, document),
  fileName,
  fileText: `${JSON.stringify(document, null, 2)}\n`,
});

const HANDLERS: { [C in IpcChannel]: Handler<C> } = {
  'vault.overview': (ctx) =>
    withSession(ctx, false, (s) => {
      const r = s.report;
      let policy = null;
      try {
        const p = currentPolicy(s);
        policy = { hash: p.hash, setAt: p.setAt, local: true as const };
      } catch (err) {
        if (!(err instanceof BreakGlassError)) throw err;
      }
      return {
        name: s.name,
        vaultId: s.vaultId,
        journal: { ok: r.ok, count: r.count, failure: r.failure ? `${r.failure.code} at seq ${r.failure.seq}` : null },
        policy,
      };
    }),
  'credentials.list': (ctx) => withSession(ctx, true, credentialViews),
  'credential.detail': (ctx, { credential }) =>
    withSession(ctx, true, (s) => {
      const c = credentialViews(s).find((x) => x.id === credential);
      if (!c) throw new BreakGlassError('NOT_FOUND', `no credential ${credential} in this vault`);
      const { policy } = currentPolicy(s);
      const rules = credentialPolicy(policy, credential);
      if (!rules) throw new BreakGlassError('POLICY_DENIED', `the policy has no entry for credential ${credential}`);
      return {
        credential: c,
        triggers: rules.triggers.map((name) => ({ name, description: policy.triggers[name] ?? '' })),
        requesters: rules.requesters,
        inPersonApproval: rules.in_person_approval,
        unsealMinutes: rules.unseal_minutes,
        requireRotation: rules.review.require_rotation,
      };
    }),
  'members.list': (ctx) =>
    withSession(ctx, false, (s) => {
      let roles: Record<string, readonly string[]> = {};
      try {
        roles = currentPolicy(s).policy.members;
      } catch (err) {
        if (!(err instanceof BreakGlassError)) throw err;
      }
      return listMembers(s).map((m) => ({
        id: m.id,
        name: m.name,
        custody: m.custody,
        fingerprint: m.fingerprint,
        roles: Object.hasOwn(roles, m.id) ? (roles[m.id] ?? []) : [],
      }));
    }),
  'policy.show': (ctx) =>
    withSession(ctx, false, (s) => {
      const { policy, hash, setAt } = currentPolicy(s);
      return { text: JSON.stringify(policy, null, 2), hash, setAt, local: true as const };
    }),
  'policy.check': async (_ctx, { text }) => {
    const r = parsePolicyText(text);
    return r.ok ? { ok: true, problems: [] } : { ok: false, problems: r.problems };
  },
  'request.open': (ctx, input) =>
    withSession(ctx, true, async (s) => {
      const { passphrase, ...rest } = input;
      const r = await openRequest(s, rest, passphraseOf(passphrase));
      return requestView(s, r.id);
    }),
  'request.show': (ctx, { request }) => withSession(ctx, true, (s) => requestView(s, request)),
  'request.export': (ctx, { request, holder }) =>
    withSession(ctx, true, (s) => handOver('bundle', exportBundle(s, request, holder), `request-${request}-${holder}.json`)),
  'request.cancel': (ctx, { request, by, passphrase }) =>
    withSession(ctx, true, (s) => cancelRequest(s, request, by, passphraseOf(passphrase))),
  'approve.inPerson': (ctx, { request, holder, passphrase }) =>
    withSession(ctx, true, async (s) => {
      await approveInPerson(s, request, holder, passphraseOf(passphrase));
      return requestView(s, request);
    }),
  'approval.import': (ctx, { code }) =>
    withSession(ctx, true, async (s) => {
      const r = await acceptApproval(s, readApproval(code));
      return requestView(s, r.id);
    }),
  'holder.read': (ctx, { code }) => {
    const bundle = readBundle(code);
    return withSession(ctx, false, async (s) => {
      // A bundle for a holder whose keys are elsewhere is refused before anything is shown to approve.
      await assertBundleHolderHere(s, bundle);
      const w = witnessView(s, bundle);
      return {
        body: bundle.request,
        holder: bundle.holder,
        requesterName: bundle.requesterCard.name,
        requesterKey: bundle.requesterCard.signingKey,
        anchor: { journal: bundle.anchor.journal, seq: bundle.anchor.seq },
        // The laptop judges the vault's journal by the head the bundle states (see witnessView).
        witness: { requester: w.requester, genesis: w.genesis, anchor: w.head, seen: w.seen ? { seq: w.seen.seq } : null },
      };
    });
  },
  'holder.approve': (ctx, { code, passphrase }) => {
    const bundle = readBundle(code);
    return withSession(ctx, true, async (s) => {
      const token = await approveBundle(s, bundle, passphraseOf(passphrase));
      return handOver('approval', token, `approval-${bundle.request.id}-${bundle.holder}.json`);
    });
  },
  'unseal.open': (ctx, { request }) =>
    withSession(ctx, true, async (s) => {
      const r = await unseal(s, request, 'none');
      const pending = pendingExtensionOf(s, request);
      return {
        credential: r.credential,
        windowEndsAt: r.windowEndsAt,
        requester: r.requester,
        extensionsLeft: r.extensionsLeft,
        pending,
      };
    }),
  'extension.ask': (ctx, { request, reason, passphrase }) =>
    withSession(ctx, true, async (s) => {
      const requester = requestBody(s, requestRow(s, request)).requester;
      return requestExtension(s, { request, requester, reason }, passphraseOf(passphrase));
    }),
  'extension.approve': (ctx, { extension, holder, passphrase }) =>
    withSession(ctx, true, (s) => approveExtension(s, extension, holder, passphraseOf(passphrase))),
  'unseal.reveal': (ctx, { request, mode, operator }) =>
    withSession(ctx, true, async (s) => {
      const r = await unseal(s, request, mode, operator);
      try {
        return { secret: r.secret ? r.secret.toString('utf8') : '', windowEndsAt: r.windowEndsAt };
      } finally {
        r.secret?.fill(0);
      }
    }),
  'window.close': (ctx, { credential, operator }) =>
    withSession(ctx, true, async (s) => {
      await closeWindow(s, credential, 'closed', operator);
      return { credential };
    }),
  'review.sign': (ctx, input) =>
    withSession(ctx, true, async (s) => {
      const rotated = input.rotatedSecret === undefined ? undefined : Buffer.from(input.rotatedSecret, 'utf8');
      try {
        return await signReview(
          s,
          {
            credential: input.credential,
            reviewer: input.reviewer,
            warranted: input.warranted,
            summary: input.summary,
            changes: input.changes,
            ...(input.incident ? { incident: input.incident } : {}),
            ...(input.followUp ? { followUp: input.followUp } : {}),
            ...(rotated ? { rotatedSecret: rotated } : {}),
          },
          passphraseOf(input.passphrase),
        );
      } finally {
        rotated?.fill(0);
      }
    }),
  'credential.reseal': (ctx, { credential }) => withSession(ctx, true, (s) => reseal(s, credential)),
  'drill.start': (ctx, { credential, requester, passphrase }) =>
    withSession(ctx, true, async (s) => {
      const r = await startDrill(s, credential, requester, passphraseOf(passphrase));
      return requestView(s, r.id);
    }),
  'drill.complete': (ctx, { credential }) =>
    withSession(ctx, true, async (s) => {
      const d = await completeDrill(s, credential);
      return { holders: d.holders, requestToQuorumMs: d.requestToQuorumMs, verifyMs: d.verifyMs };
    }),
  'rotate.complete': (ctx, { credential, secret, passphrase }) =>
    withSession(ctx, true, async (s) => {
      const value = Buffer.from(secret, 'utf8');
      try {
        const r = await completeRotation(s, credential, value, passphraseOf(passphrase));
        return { version: r.version, holders: r.holders };
      } finally {
        value.fill(0);
      }
    }),
  'shares.check': (ctx, { credential, holder, passphrase }) =>
    withSession(ctx, true, (s) => checkShare(s, credential, holder, passphraseOf(passphrase))),
  'journal.verify': (ctx) => withSession(ctx, false, (s) => verifyJournal(s, { checkKeychain: true })),
  'journal.show': (ctx, { kind }) => withSession(ctx, false, (s) => journalEntries(s, kind ? { kind } : {})),
  'journal.export': (ctx) =>
    withSession(ctx, false, async (s) => {
      const { lines, tailProven } = await exportJournal(s, { force: false });
      return { text: lines.join(''), entries: lines.length, tailProven };
    }),
  'sync.status': (ctx) => appSyncStatus(ctx),
  'sync.enroll': (ctx, input) => enrolApp(ctx, input),
  'sync.enrollAgain': (ctx, input) => enrolAppAgain(ctx, input),
  'sync.now': (ctx) => syncNow(ctx),
};

/** Zod's issues as one sentence: each failing field by path (never the value, which may be a passphrase). */
function describeIssues(channel: string, issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'input'}: ${i.message}`);
  return `bad input for ${channel}: ${parts.join('; ')}`;
}

const fail = (code: ErrorCode, message: string): IpcResult<never> => ({ ok: false, error: { code, message } });

/**
 * Runs one call of the contract: the channel must exist, the input must parse against its schema,
 * then the use case runs. Expected failures come back as `{code, message}`; anything else as
 * INTERNAL with no detail (a message from deep inside could quote what it handled).
 */
export async function invokeAppChannel(ctx: AppContext, channel: string, input: unknown): Promise<IpcResult<unknown>> {
  if (!isIpcChannel(channel)) return fail('BAD_INPUT', `there is no call named ${JSON.stringify(channel.slice(0, 64))}`);
  const parsed = IPC_CONTRACT[channel].input.safeParse(input);
  if (!parsed.success) return fail('BAD_INPUT', describeIssues(channel, parsed.error.issues));
  const handler = HANDLERS[channel] as (ctx: AppContext, input: unknown) => Promise<unknown>;
  try {
    // Each handler's vault sessions wait their turn (withSession), so a call that waits on the
    // journal server keeps no other call waiting.
    return { ok: true, value: await handler(ctx, parsed.data) };
  } catch (err) {
    if (err instanceof BreakGlassError) return fail(err.code, err.message);
    return fail('INTERNAL', 'an unexpected error occurred; the vault is unchanged unless the journal shows otherwise');
  }
}

/** A typed wrapper of `invokeAppChannel` for callers that know their channel. */
export function invokeApp<C extends IpcChannel>(ctx: AppContext, channel: C, input: unknown): Promise<IpcResult<IpcOutput<C>>> {
  return invokeAppChannel(ctx, channel, input) as Promise<IpcResult<IpcOutput<C>>>;
}
