import { BreakGlassError } from '../core/errors.js';
import { ApprovalTokenSchema, type ApprovalBody, type RequestBody, type ShareApprovalToken } from '../core/documents.js';
import {
  TAG,
  b64,
  createEnvelope,
  decryptSecret,
  documentHash,
  envelopeDigest,
  openFromKey,
  reconstructDek,
  verifyDocument,
  verifyHolderShare,
  type AgreementKeyPair,
  type Envelope,
} from '../crypto/index.js';
import type { RequestRow } from '../store/index.js';
import { signedSplitKeys } from './credentials.js';
import { enrolledMember } from './members.js';
import type { VaultSession } from './session.js';

/** The AAD of a share re-sealed to a request's ephemeral key: it binds request and holder. */
export function approvalContext(body: Pick<ApprovalBody, 'vault' | 'request' | 'requestHash' | 'holder'>): string {
  return `approval\n${body.vault}\n${body.request}\n${body.requestHash}\n${body.holder}`;
}

/** A holder's share as opened from their approval, checked against its commitment. */
export interface OpenedShare {
  readonly holder: string;
  readonly share: Buffer;
}

/**
 * The accepted approvals of a request, each checked against the evidence: its hash is the one the
 * journal's approval.accept entry recorded for that holder, and its signature verifies under the
 * holder's journaled card. An approval row added or swapped by hand is INTEGRITY_FAILURE.
 */
export function journaledApprovals(session: VaultSession, row: RequestRow): ShareApprovalToken[] {
  const journaled = session.evidence.request(row.id).approvals;
  const rows = session.repo.listApprovals(row.id);
  const tokens: ShareApprovalToken[] = [];
  for (const a of rows) {
    const token = ApprovalTokenSchema.parse(JSON.parse(a.token));
    const hash = b64(documentHash(TAG.approval, token.body));
    const signed =
      token.body.format === 'breakglass.approval' &&
      token.body.holder === a.holder &&
      token.body.request === row.id &&
      verifyDocument(TAG.approval, token.body, token.sig, enrolledMember(session, a.holder).card.signingKey);
    if (journaled.get(a.holder) !== hash || !signed) {
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the approval of ${a.holder} for ${row.id} in this vault's database is not one its journal accepted: it was added or changed by hand`,
        { holder: a.holder },
      );
    }
    tokens.push(token as ShareApprovalToken);
  }
  for (const holder of journaled.keys()) {
    if (!rows.some((a) => a.holder === holder)) {
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the approval of ${holder} for ${row.id} that the journal accepted is missing from this vault's database: it was deleted by hand`,
        { holder },
      );
    }
  }
  return tokens;
}

/**
 * Refuses (INTEGRITY_FAILURE) an activation whose journaled quorum is not backed by `threshold`
 * approvals signed by the holders: a quorum entry and approval entries appended with the vault's
 * own key, without the holders' tokens, would otherwise let a review and a reseal activate an
 * envelope no quorum made.
 */
export function assertGenuineQuorum(session: VaultSession, row: RequestRow, request: RequestBody): void {
  if (session.evidence.request(row.id).quorum === null) return;
  const signed = journaledApprovals(session, row).length;
  if (signed < request.threshold) {
    throw new BreakGlassError(
      'INTEGRITY_FAILURE',
      `the journal records a quorum for ${row.id}, but only ${signed} of the ${request.threshold} approvals it needs are signed by their holders; do not use this vault until security has examined it`,
    );
  }
}

/**
 * Opens `threshold` shares from approvals (plus one being accepted now) with the request's
 * ephemeral key, checks each against its commitment (BAD_SHARE names the holder), and rebuilds the
 * data key (checked against its check value).
 */
export async function rebuildDek(
  envelope: Envelope,
  key: AgreementKeyPair,
  approvals: readonly ShareApprovalToken[],
  pending: OpenedShare | null = null,
): Promise<{ dek: Buffer; holders: string[] }> {
  const opened: OpenedShare[] = [];
  try {
    if (pending) opened.push({ holder: pending.holder, share: Buffer.from(pending.share) });
    for (const token of approvals) {
      if (opened.length >= envelope.threshold) break;
      const share = openFromKey(key, token.body.sealedShare, approvalContext(token.body));
      if (!share || !verifyHolderShare(envelope, token.body.holder, share)) {
        share?.fill(0);
        throw new BreakGlassError('BAD_SHARE', `the share from ${token.body.holder} does not match its commitment`, {
          holder: token.body.holder,
        });
      }
      opened.push({ holder: token.body.holder, share });
    }
    if (opened.length < envelope.threshold) {
      throw new BreakGlassError('THRESHOLD_NOT_MET', `${opened.length} of the ${envelope.threshold} approvals needed`, {
        have: opened.length,
        need: envelope.threshold,
      });
    }
    const holders = opened.map((o) => o.holder).sort();
    const dek = await reconstructDek(
      envelope,
      opened.map((o) => o.share),
    );
    if (!dek)
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the shares of ${holders.join(', ')} do not rebuild the data key of ${envelope.context.credential}`,
      );
    return { dek, holders };
  } finally {
    for (const o of opened) o.share.fill(0);
  }
}

/**
 * Takes the next envelope at the quorum: decrypts the secret with the rebuilt data key and seals it
 * again under a fresh data key, split among exactly the holders and keys the request signed. From
 * this moment the credential counts as exposed, however the request ends.
 */
export async function takeNextEnvelope(
  session: VaultSession,
  request: RequestBody,
  envelope: Envelope,
  dek: Buffer,
): Promise<{ next: Envelope; digest: string }> {
  const keys = signedSplitKeys(session, request.credential, request.nextHolders, request.nextHolderKeys);
  const secret = decryptSecret(envelope, dek);
  if (!secret)
    throw new BreakGlassError('INTEGRITY_FAILURE', `the ciphertext of ${request.credential} does not authenticate under its data key`);
  try {
    const next = await createEnvelope(
      secret,
      { vault: session.vaultId, credential: request.credential, version: envelope.context.version + 1 },
      keys,
      request.nextThreshold,
    );
    return { next, digest: envelopeDigest(next) };
  } finally {
    secret.fill(0);
  }
}
