// More time in an unseal window, granted by the same quorum that opened it. The requester signs an
// extension at the vault laptop while the window is still open; each holder signs their consent; the
// approval that completes the quorum moves the window's end by the request's own unseal length. How
// many extensions a window may have was fixed by the signed request (the policy's max_extensions when
// it was opened). Every document is journaled whole, so an auditor checks each signature from an
// export, and the vault's own key cannot grant one (evidence.ts replays and checks them).
import { BreakGlassError } from '../core/errors.js';
import type { ExtensionApprovalBody, ExtensionBody, RequestBody } from '../core/documents.js';
import type { ExtensionView } from '../core/ipc.js';
import type { RequestRow } from '../store/index.js';
import { formatMoment } from '../core/time.js';
import { TAG, b64, documentHash, signDocument, type MemberKeys } from '../crypto/index.js';
import { credentialRow, rulesFor } from './credentials.js';
import { signingKeysOf, type PassphraseSource } from './members.js';
import { policyOfRequest } from './policy.js';
import { requestBody, requestRow } from './requests.js';
import { newId, type VaultSession } from './session.js';

/** An extension as the CLI prints it (the app's view of it too). */
export type ExtensionSummary = ExtensionView;

/** What to do once a window has ended (or cannot be made longer): the commands, in order, as a clause. */
export function afterWindowSteps(credential: string): string {
  return `"breakglass review ${credential} --reviewer ID --warranted yes|no --summary TEXT --changes TEXT", "breakglass reseal ${credential}", and, if the work is not done, a new request ("breakglass request --credential ${credential} --trigger TRIGGER --reason TEXT --incident REF --requester ID")`;
}

/** The unsealed request of `requestId` with its window still open, or WINDOW_CLOSED saying what to do next. */
function openWindow(session: VaultSession, requestId: string): { row: RequestRow; signed: RequestBody; endsAt: number } {
  const row = requestRow(session, requestId);
  const signed = requestBody(session, row);
  const journaled = session.evidence.request(row.id);
  if (signed.purpose !== 'access')
    throw new BreakGlassError('STATE_CONFLICT', `${row.id} is a drill; a drill has no unseal window to extend`);
  if (row.status === 'open')
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `request ${row.id} is not unsealed yet; its window (${Math.round(signed.unsealSeconds / 60)} min) starts at the unseal`,
    );
  if (row.status !== 'unsealed' || journaled.windowEndsAt === null || Date.now() >= journaled.windowEndsAt) {
    throw new BreakGlassError(
      'WINDOW_CLOSED',
      `the unseal window of ${row.credential_id} has ended, so it cannot be extended; next: ${afterWindowSteps(row.credential_id)}`,
    );
  }
  credentialRow(session, row.credential_id); // its row must agree with its journal
  return { row, signed, endsAt: journaled.windowEndsAt };
}

function summarize(session: VaultSession, id: string): ExtensionSummary {
  const x = session.evidence.extension(id);
  const signed = session.evidence.request(x.body.request).body;
  return {
    id: x.id,
    request: x.body.request,
    credential: x.body.credential,
    number: x.body.number,
    maxExtensions: signed.maxExtensions ?? 0,
    windowEndsAt: x.body.windowEndsAt,
    newWindowEndsAt: x.body.newWindowEndsAt,
    holders: signed.holders.filter((h) => h !== x.body.requester),
    threshold: signed.threshold,
    approvals: [...x.approvals],
    granted: x.granted,
  };
}

/** The extension of `requestId`'s window waiting for approvals, if one is (for the app, after a reload). */
export function pendingExtensionOf(session: VaultSession, requestId: string): ExtensionSummary | null {
  const pending = session.evidence.pendingExtension(requestId);
  return pending ? summarize(session, pending.id) : null;
}

/**
 * The requester asks, in person at the vault laptop, for one more unseal length in a window that is
 * still open. Refused before the passphrase: a window that has ended or was never opened, another
 * person than the requester, no extension left, one already waiting for approvals.
 */
export async function requestExtension(
  session: VaultSession,
  input: { readonly request: string; readonly requester: string; readonly reason: string },
  requester: PassphraseSource | MemberKeys,
): Promise<ExtensionSummary> {
  session.assertJournalIntact();
  const { row, signed, endsAt } = openWindow(session, input.request);
  const journaled = session.evidence.request(row.id);
  if (input.requester !== signed.requester) {
    throw new BreakGlassError(
      'POLICY_DENIED',
      `only ${signed.requester}, who opened request ${row.id}, may ask to extend its window (with --requester ${signed.requester})`,
    );
  }
  const max = signed.maxExtensions ?? 0;
  if (journaled.extensions >= max) {
    throw new BreakGlassError(
      'POLICY_DENIED',
      `the unseal window of ${row.credential_id} cannot be extended: ${max === 0 ? 'the policy it was requested under allows no extension (max_extensions)' : `its ${max} extension(s) are used`}; it closes at ${formatMoment(endsAt)}: finish what must be done with it before then; afterwards: ${afterWindowSteps(row.credential_id)}`,
      { max, used: journaled.extensions },
    );
  }
  const pending = session.evidence.pendingExtension(row.id);
  if (pending) {
    throw new BreakGlassError(
      'STATE_CONFLICT',
      `extension ${pending.id} of this window is waiting for approvals; each holder approves it with "breakglass approve ${pending.id} --holder ID"`,
    );
  }
  if (!rulesFor(policyOfRequest(session, signed), row.credential_id).in_person_approval) {
    throw new BreakGlassError(
      'POLICY_DENIED',
      `the policy ${row.id} was requested under does not allow in-person approval, and extensions are approved in person only, so this window cannot be extended; it closes at ${formatMoment(endsAt)}; afterwards: ${afterWindowSteps(row.credential_id)}`,
    );
  }
  if (input.reason.trim() === '')
    throw new BreakGlassError('BAD_INPUT', 'give a reason for the extension: it is the evidence a reviewer reads');
  if (input.reason.length > 2000)
    throw new BreakGlassError('BAD_INPUT', `the reason is ${input.reason.length} characters long; it may be at most 2000`);
  const keys = await signingKeysOf(session, input.requester, requester, `ask to extend the unseal window of ${row.credential_id}`, {
    credential: row.credential_id,
    request: row.id,
  });
  const body: ExtensionBody = {
    format: 'breakglass.extension',
    version: 1,
    id: newId('ext'),
    vault: session.vaultId,
    credential: row.credential_id,
    request: row.id,
    requestHash: row.hash,
    requester: input.requester,
    reason: input.reason,
    number: journaled.extensions + 1,
    windowEndsAt: endsAt,
    newWindowEndsAt: endsAt + signed.unsealSeconds * 1000,
    createdAt: Date.now(),
  };
  const extensionHash = b64(documentHash(TAG.extension, body));
  const signature = signDocument(TAG.extension, body, keys.signing);
  await session.commit((append) =>
    append({
      kind: 'extension.create',
      actor: input.requester,
      subject: row.credential_id,
      data: { extension: body, extensionHash, signature },
    }),
  );
  return summarize(session, body.id);
}

/**
 * A holder of the split that opened the window approves an extension in person at the vault laptop
 * (custody copy and passphrase). The approval that completes the quorum grants it: the window's new
 * end is journaled with it, in one commit. Refused before the passphrase: an extension granted or
 * overtaken, a window that has ended, the requester, someone who is no holder, a second approval.
 */
export async function approveExtension(
  session: VaultSession,
  extensionId: string,
  holder: string,
  unlock: PassphraseSource | MemberKeys,
  /** The hash of the extension the holder was shown, when a screen came first: the one signed must be it. */
  shown?: string,
): Promise<ExtensionSummary> {
  session.assertJournalIntact();
  const x = session.evidence.extension(extensionId);
  if (shown !== undefined && shown !== x.hash)
    throw new BreakGlassError('STATE_CONFLICT', `extension ${x.id} is not the one shown; run the command again to see it`);
  if (x.granted) throw new BreakGlassError('STATE_CONFLICT', `extension ${x.id} is granted already`);
  const { row, signed, endsAt } = openWindow(session, x.body.request);
  if (endsAt !== x.body.windowEndsAt)
    throw new BreakGlassError('STATE_CONFLICT', `extension ${x.id} was overtaken: the window was extended since`);
  const refuse = (err: BreakGlassError): Promise<never> =>
    session.refuse(err, holder, row.credential_id, { request: row.id, extension: x.id });
  if (holder === x.body.requester)
    return refuse(new BreakGlassError('SELF_APPROVAL', `${holder} asked for extension ${x.id} and cannot also approve it`));
  if (!signed.holders.includes(holder))
    return refuse(
      new BreakGlassError(
        'POLICY_DENIED',
        `${holder} is not a holder of the split that opened ${row.credential_id} (${signed.holders.join(', ')}), so cannot approve its extension`,
      ),
    );
  if (x.approvals.has(holder))
    return refuse(new BreakGlassError('DUPLICATE_APPROVAL', `${holder} has already approved extension ${x.id}; one approval per holder`));
  if (!rulesFor(policyOfRequest(session, signed), row.credential_id).in_person_approval) {
    throw new BreakGlassError(
      'POLICY_DENIED',
      `the policy ${row.id} was requested under does not allow in-person approval, and extensions are approved in person only; finish before ${formatMoment(endsAt)}; afterwards: ${afterWindowSteps(row.credential_id)}`,
    );
  }
  const keys = await signingKeysOf(
    session,
    holder,
    unlock,
    `approve ${Math.round(signed.unsealSeconds / 60)} more minutes of ${row.credential_id} (extension ${x.id})`,
    { credential: row.credential_id, request: row.id },
  );
  const approval: ExtensionApprovalBody = {
    format: 'breakglass.extension-approval',
    version: 1,
    vault: session.vaultId,
    extension: x.id,
    extensionHash: x.hash,
    request: row.id,
    holder,
    approvedAt: Date.now(),
  };
  const signature = signDocument(TAG.extensionApproval, approval, keys.signing);
  const grants = x.approvals.size + 1 >= signed.threshold;
  await session.commit((append) => {
    append({ kind: 'extension.approve', actor: holder, subject: row.credential_id, data: { extension: x.id, approval, signature } });
    if (grants) {
      session.repo.updateRequest(row.id, { window_ends_at: x.body.newWindowEndsAt });
      append({
        kind: 'window.extend',
        actor: 'vault',
        subject: row.credential_id,
        data: {
          request: row.id,
          extension: x.id,
          number: x.body.number,
          holders: [...x.approvals, holder],
          windowEndsAt: x.body.newWindowEndsAt,
        },
      });
    }
  });
  return summarize(session, x.id);
}
