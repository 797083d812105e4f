import { BreakGlassError } from '../core/errors.js';
import type { JournalEntry, StoredEntry } from '../core/journal.js';
import { transition, type CredentialState, type LifecycleEvent } from '../core/lifecycle.js';
import { TAG, b64, documentHash, verifyDocument } from '../crypto/index.js';
import {
  ApprovalTokenSchema,
  CancelBodySchema,
  RotationSealBodySchema,
  ExtensionApprovalBodySchema,
  ExtensionBodySchema,
  MemberCardSchema,
  RequestBodySchema,
  ReviewBodySchema,
  type ExtensionBody,
  type MemberCard,
  type RequestBody,
  type ReviewBody,
} from '../core/documents.js';

/** A request as the verified journal records it: the signed body, and what happened to it since. */
export interface RequestEvidence {
  readonly id: string;
  readonly credential: string;
  readonly body: RequestBody;
  readonly hash: string;
  readonly signature: string;
  /** Where its request.create entry is: the anchor that approvals must name. */
  readonly seq: number;
  readonly entryHash: string;
  /** Accepted approvals by holder: the hash of each token, as journaled. */
  readonly approvals: Map<string, string>;
  /** The digest of the next envelope taken when the quorum was reached, if it was, and when (the exposure). */
  quorum: { readonly nextEnvelope: string; readonly at: number } | null;
  /** When it was unsealed (its entry's time), once it was. */
  unsealedAt: number | null;
  /** When its unseal window ends, once unsealed (later by each extension granted). */
  windowEndsAt: number | null;
  /** How many extensions of its window were granted. */
  extensions: number;
  /** How it ended, once it did. */
  ended: 'cancel' | 'expire' | 'close' | 'drill' | 'rotate' | null;
  /** Reviews signed for it, in journal order (their signatures are checked where they are used). */
  readonly reviews: { readonly id: string; readonly body: ReviewBody; readonly signature: string; readonly nextEnvelope: string | null }[];
}

/** An extension of an unseal window as the verified journal records it: asked, approved by whom, granted. */
export interface ExtensionEvidence {
  readonly id: string;
  readonly body: ExtensionBody;
  readonly hash: string;
  /** The holders whose signed approvals the journal holds (each signature checked as it was read). */
  readonly approvals: Set<string>;
  granted: boolean;
}

/** A credential as the verified journal records it: state, version, envelopes and its current request. */
export interface CredentialEvidence {
  readonly id: string;
  state: CredentialState;
  version: number;
  /** Digests of the envelopes the journal recorded (null where there is none). */
  active: string | null;
  next: string | null;
  rotated: boolean;
  request: string | null;
  /** The label it was sealed with. */
  readonly label: string;
  /** When it was first sealed, and when a drill last passed for it (entry times): when the next drill is due. */
  readonly sealedAt: number;
  lastDrillAt: number | null;
  /** Why the journal's own record of this credential cannot be trusted (an entry no genuine path writes), if it cannot. */
  tainted: string | null;
}

/** A card as first enrolled, and whether a later entry tried to enrol other keys under the same id. */
interface CardEvidence {
  readonly card: MemberCard;
  conflict: boolean;
  /** Taken off the roster by a `member.remove` entry (a later `member.add` with the same keys enrols them again). */
  removed: boolean;
}

const INTERESTING = new Set<string>([
  'journal.genesis',
  'member.add',
  'member.remove',
  'policy.set',
  'credential.seal',
  'request.create',
  'approval.accept',
  'request.quorum',
  'request.cancel',
  'request.expire',
  'credential.unseal',
  'window.close',
  'extension.create',
  'extension.approve',
  'window.extend',
  'review.sign',
  'credential.reseal',
  'drill.complete',
  'credential.rotate',
]);

const missing = (what: string): BreakGlassError =>
  new BreakGlassError(
    'INTEGRITY_FAILURE',
    `${what}; this vault's database does not match its signed journal (it was edited by hand); do not use it until security has examined it`,
  );

/**
 * The facts that gate security decisions, read from the verified journal (DESIGN.md, principle 7):
 * cards as enrolled, signed requests and the approvals accepted for them, quorums, unseal windows,
 * signed reviews, the envelopes recorded, and the policy's hash. A use case asks here and compares
 * what the database's mutable rows say; a row that disagrees is INTEGRITY_FAILURE.
 */
export class Evidence {
  readonly #cards = new Map<string, CardEvidence>();
  readonly #requests = new Map<string, RequestEvidence>();
  readonly #extensions = new Map<string, ExtensionEvidence>();
  readonly #credentials = new Map<string, CredentialEvidence>();
  #policyHash: string | null = null;
  readonly #policies = new Map<string, unknown>();
  readonly #reviewSignatures = new Set<string>();
  #genesis: { vault: string; name: string } | null = null;
  #broken: string | null = null;

  /**
   * Reads one verified entry; entries must come in journal order. `entry` is the entry parsed from
   * `stored.bytes` (by its verifier, or by the commit that wrote it): by its kind, never by a byte
   * search (a policy may well hold the text of a kind). Once an entry cannot be read, nothing it gates may be decided,
   * so later entries are not read either.
   */
  add(stored: StoredEntry, entry: JournalEntry): void {
    if (this.#broken !== null) return;
    if (!INTERESTING.has(entry.kind)) return;
    try {
      this.#apply(entry, b64(stored.hash));
    } catch (err) {
      // A signed entry this version cannot read: nothing it gates may be decided.
      this.#broken = `entry ${entry.seq} (${entry.kind}) cannot be read: ${(err as Error).message}`;
    }
  }

  #apply(e: JournalEntry, hash: string): void {
    const d = e.data as Record<string, unknown>;
    // Entries the vault's own key signs can be appended by anyone holding its keychain. Each one is
    // replayed through the lifecycle, and the ones that need a person's signature are checked for
    // it here; an entry no genuine path writes taints its credential (INTEGRITY_FAILURE on use).
    // The credential of the request the entry names, once it names one: tainted with the entry's own
    // subject, so an entry cannot aim its taint at another (or no) credential by its subject field.
    let about: string | null = null;
    const taint = (why: string): void => {
      for (const id of new Set([e.subject, about])) {
        const c = id === null ? undefined : this.#credentials.get(id);
        if (c && !c.tainted) c.tainted = `entry ${e.seq} (${e.kind}) ${why}`;
      }
    };
    const requestOf = (id: unknown): RequestEvidence => {
      const r = this.#request(id);
      about = r.credential;
      if (r.credential !== e.subject) taint(`names credential ${e.subject} for request ${r.id}, which is for ${r.credential}`);
      return r;
    };
    const step = (event: LifecycleEvent): void => {
      const c = this.#credentials.get(e.subject);
      if (!c) throw new Error(`names credential ${e.subject}, which the journal never sealed`);
      try {
        transition(c.id, c.state, event);
      } catch {
        taint(`is not a step its lifecycle allows from ${c.state}`);
      }
    };
    switch (e.kind) {
      case 'journal.genesis':
        this.#genesis = { vault: String(d['vault']), name: String(d['name']) };
        return;
      case 'member.add': {
        const card = MemberCardSchema.parse(d['card']);
        const known = this.#cards.get(card.id);
        // The keys are fixed by the first enrolment; a later one with the same keys may renew the card (a new name).
        if (!known) this.#cards.set(card.id, { card, conflict: false, removed: false });
        else if (known.card.signingKey !== card.signingKey || known.card.agreementKey !== card.agreementKey) known.conflict = true;
        else this.#cards.set(card.id, { card, conflict: known.conflict, removed: false });
        return;
      }
      case 'member.remove': {
        const known = this.#cards.get(e.subject);
        if (!known) throw new Error(`removes member ${e.subject}, whom the journal never enrolled`);
        known.removed = true;
        return;
      }
      case 'policy.set':
        this.#policyHash = String(d['hash']);
        if (d['document'] !== undefined) this.#policies.set(this.#policyHash, d['document']);
        return;
      case 'credential.seal':
        if (this.#credentials.has(e.subject)) {
          taint('seals a credential that is already sealed');
          return;
        }
        this.#credentials.set(e.subject, {
          id: e.subject,
          state: 'SEALED',
          version: 1,
          active: String(d['envelope']),
          next: null,
          rotated: false,
          request: null,
          label: String(d['label']),
          sealedAt: e.time,
          lastDrillAt: null,
          tainted: null,
        });
        return;
      case 'request.create': {
        const body = RequestBodySchema.parse(d['request']);
        step('request');
        // A request is opened once, for the version sealed now: a copy appended again would wipe the
        // record of how it ended and let its approvals and proofs be used a second time.
        if (this.#requests.has(body.id)) taint(`opens request ${body.id} a second time`);
        else if (body.credentialVersion !== this.#credentials.get(e.subject)?.version)
          taint(`opens request ${body.id} for version ${body.credentialVersion} of ${e.subject}, which is not the version sealed`);
        const requester = this.#cards.get(body.requester);
        if (
          !requester ||
          b64(documentHash(TAG.request, body)) !== d['requestHash'] ||
          !verifyDocument(TAG.request, body, String(d['signature']), requester.card.signingKey)
        ) {
          taint(`holds request ${body.id}, which is not signed by ${body.requester}'s enrolled key`);
        }
        this.#requests.set(body.id, {
          id: body.id,
          credential: body.credential,
          body,
          hash: String(d['requestHash']),
          signature: String(d['signature']),
          seq: e.seq,
          entryHash: hash,
          approvals: new Map(),
          quorum: null,
          unsealedAt: null,
          windowEndsAt: null,
          extensions: 0,
          ended: null,
          reviews: [],
        });
        this.#move(e.subject, { state: 'REQUESTED', request: body.id });
        return;
      }
      case 'approval.accept': {
        const r = requestOf(d['request']);
        // What the vault accepts: one approval per holder of the signed split, never the requester's,
        // while the request is open. Anything else was not written by acceptApproval.
        if (!r.body.holders.includes(e.actor) || e.actor === r.body.requester)
          taint(`accepts an approval of ${r.id} by ${e.actor}, who holds no share it names`);
        else if (r.approvals.has(e.actor)) taint(`accepts a second approval of ${r.id} by ${e.actor}`);
        else if (r.ended !== null || r.windowEndsAt !== null) taint(`accepts an approval of ${r.id} after it was unsealed or ended`);
        r.approvals.set(e.actor, String(d['approval']));
        return;
      }
      case 'request.quorum': {
        const next = String(d['nextEnvelope']);
        const r = requestOf(d['request']);
        if (r.body.purpose !== 'access' || r.quorum !== null || r.approvals.size !== r.body.threshold || r.ended !== null)
          taint(`records a quorum for ${r.id} that its approvals do not make`);
        r.quorum = { nextEnvelope: next, at: e.time };
        this.#move(e.subject, { next, rotated: false });
        return;
      }
      case 'request.cancel':
      case 'request.expire': {
        const r = requestOf(d['request']);
        if (e.kind === 'request.cancel') {
          const why = this.#cancelProblem(r, e, d);
          if (why) taint(`cancels ${r.id} ${why}`);
        } else if (e.actor !== 'system' || !(e.time > r.body.expiresAt) || r.windowEndsAt !== null) {
          // Only the clock ends a request unasked, and only after the expiry its requester signed.
          taint(`expires ${r.id} before the expiry its requester signed (${r.body.expiresAt}), or not by the clock`);
        }
        // Whether the ending exposed the credential is the journal's to say, not the entry's.
        if (Boolean(d['exposed']) !== (r.quorum !== null || (r.body.purpose === 'access' && r.approvals.size >= r.body.threshold)))
          taint(`ends ${r.id} saying it ${d['exposed'] ? 'exposed' : 'did not expose'} the credential, which its journal contradicts`);
        step(r.quorum ? 'abandon' : e.kind === 'request.cancel' ? 'cancel' : 'expire');
        if (r.quorum === null && r.body.purpose === 'access' && r.approvals.size >= r.body.threshold)
          taint(`ends ${r.id}, whose approvals reached its threshold, without the exposure being recorded`);
        r.ended = e.kind === 'request.cancel' ? 'cancel' : 'expire';
        // A request that reached its quorum exposed the credential: it goes to review, not back to SEALED.
        if (r.quorum) this.#move(e.subject, { state: 'REVIEW_PENDING', active: null });
        else this.#move(e.subject, { state: 'SEALED', request: null });
        return;
      }
      case 'credential.unseal': {
        const r = requestOf(d['request']);
        step('unseal');
        if (r.quorum === null || r.body.purpose !== 'access') taint(`unseals ${r.id}, which never reached its quorum`);
        r.windowEndsAt = Number(d['windowEndsAt']);
        r.unsealedAt = e.time;
        // The window the requester signed for, from the moment of the unseal: never a longer one.
        if (!(r.windowEndsAt <= e.time + r.body.unsealSeconds * 1000)) taint(`grants ${r.id} a longer window than its request signed`);
        this.#move(e.subject, { state: 'UNSEALED' });
        return;
      }
      case 'window.close':
        step('close');
        requestOf(d['request']).ended = 'close';
        this.#move(e.subject, { state: 'REVIEW_PENDING', active: null });
        return;
      case 'extension.create': {
        const body = ExtensionBodySchema.parse(d['extension']);
        const r = requestOf(body.request);
        const requester = this.#cards.get(body.requester);
        const extensionHash = b64(documentHash(TAG.extension, body));
        const why =
          !requester ||
          extensionHash !== d['extensionHash'] ||
          !verifyDocument(TAG.extension, body, String(d['signature']), requester.card.signingKey)
            ? `is not signed by ${body.requester}'s enrolled key`
            : body.requester !== r.body.requester ||
                e.actor !== body.requester ||
                body.credential !== e.subject ||
                r.credential !== e.subject
              ? `is not asked by the requester of ${r.id} for its credential`
              : r.windowEndsAt === null || r.ended !== null || body.windowEndsAt !== r.windowEndsAt || !(e.time < r.windowEndsAt)
                ? `does not extend the open window of ${r.id}`
                : body.number !== r.extensions + 1 || body.number > (r.body.maxExtensions ?? 0)
                  ? `is extension ${body.number} of ${r.id}, which allows ${r.body.maxExtensions ?? 0} and has had ${r.extensions}`
                  : body.newWindowEndsAt !== body.windowEndsAt + r.body.unsealSeconds * 1000
                    ? `asks for another length than the ${r.body.unsealSeconds} s its request signed`
                    : null;
        if (why) taint(`(extension ${body.id}) ${why}`);
        if (body.requestHash !== r.hash || body.vault !== this.#genesis?.vault)
          taint(`(extension ${body.id}) is not bound to request ${r.id} of this vault`);
        // An id asked for twice would let a second body stand in for the one a holder was shown.
        if (this.#extensions.has(body.id)) {
          taint(`asks for extension ${body.id} a second time`);
          return;
        }
        this.#extensions.set(body.id, { id: body.id, body, hash: extensionHash, approvals: new Set(), granted: false });
        return;
      }
      case 'extension.approve': {
        const x = this.#extension(d['extension']);
        const body = ExtensionApprovalBodySchema.parse(d['approval']);
        const r = requestOf(x.body.request);
        const holder = this.#cards.get(body.holder);
        if (
          !holder ||
          body.holder !== e.actor ||
          body.extension !== x.id ||
          body.extensionHash !== x.hash ||
          body.request !== r.id ||
          body.vault !== this.#genesis?.vault ||
          !r.body.holders.includes(body.holder) ||
          body.holder === x.body.requester ||
          x.approvals.has(body.holder) ||
          !verifyDocument(TAG.extensionApproval, body, String(d['signature']), holder.card.signingKey)
        )
          taint(`holds an approval of extension ${x.id} that ${body.holder} did not sign, or may not give`);
        x.approvals.add(body.holder);
        return;
      }
      case 'window.extend': {
        const x = this.#extension(d['extension']);
        const r = requestOf(x.body.request);
        if (
          x.granted ||
          x.approvals.size < r.body.threshold ||
          r.ended !== null ||
          r.windowEndsAt !== x.body.windowEndsAt ||
          !(e.time < r.windowEndsAt) ||
          Number(d['windowEndsAt']) !== x.body.newWindowEndsAt
        )
          taint(`extends the window of ${r.id} without the quorum of extension ${x.id}`);
        x.granted = true;
        r.extensions += 1;
        r.windowEndsAt = x.body.newWindowEndsAt;
        return;
      }
      case 'review.sign': {
        const body = ReviewBodySchema.parse(d['body']);
        // The envelope reseal will activate is the one the reviewer signed: rotated, or the quorum's.
        const nextEnvelope = body.rotated ? body.envelope : null;
        const r = requestOf(body.request);
        step('review');
        const reviewer = this.#cards.get(body.reviewer);
        if (
          !reviewer ||
          reviewer.conflict ||
          body.requestHash !== r.hash ||
          body.credential !== e.subject ||
          !verifyDocument(TAG.review, body, String(d['signature']), reviewer.card.signingKey)
        ) {
          taint(`holds a review of ${r.id} that is not signed by ${body.reviewer}'s enrolled key`);
        }
        const signature = String(d['signature']);
        if (this.#reviewSignatures.has(signature)) taint(`repeats a review already in the journal`);
        this.#reviewSignatures.add(signature);
        if (!body.rotated && body.envelope !== this.#credentials.get(e.subject)?.next)
          taint(`holds a review of another envelope than the one the quorum took`);
        r.reviews.push({ id: String(d['review']), body, signature: String(d['signature']), nextEnvelope });
        this.#move(e.subject, { state: 'REVIEWED', ...(nextEnvelope ? { next: nextEnvelope, rotated: true } : {}) });
        return;
      }
      case 'credential.reseal': {
        const c = this.#credential(e.subject);
        step('reseal');
        if (c.next === null) taint('activates a next envelope the journal never recorded');
        this.#move(e.subject, {
          state: 'SEALED',
          active: c.next,
          next: null,
          rotated: false,
          request: null,
          version: Number(d['version']),
        });
        return;
      }
      case 'drill.complete': {
        const r = requestOf(d['request']);
        step('drill');
        if (r.body.purpose !== 'drill')
          taint(`completes ${r.id} as a drill, but it was opened for ${r.body.purpose === 'rotate' ? 'a rotation' : 'access'}`);
        r.ended = 'drill';
        this.#move(e.subject, { state: 'SEALED', request: null, lastDrillAt: e.time });
        return;
      }
      case 'credential.rotate': {
        const r = requestOf(d['request']);
        const c = this.#credential(e.subject);
        step('rotate');
        const why =
          r.body.purpose !== 'rotate'
            ? `rotates ${c.id} on ${r.id}, which was not opened for a rotation`
            : r.ended !== null || r.windowEndsAt !== null || c.request !== r.id || !(e.time <= r.body.expiresAt)
              ? `rotates ${c.id} on ${r.id}, which is not its open, unexpired rotation`
              : r.body.credentialVersion !== c.version || Number(d['version']) !== c.version + 1
                ? `rotates ${c.id} to version ${String(d['version'])}, not the next one after the version its request was for`
                : this.#rotationProblem(r, d);
        if (why) taint(why);
        r.ended = 'rotate';
        this.#move(e.subject, {
          state: 'SEALED',
          active: String(d['envelope']),
          next: null,
          rotated: false,
          request: null,
          version: Number(d['version']),
        });
        return;
      }
      default:
        return;
    }
  }

  /**
   * Why a credential.rotate entry does not carry, whole, the signed proofs of a quorum of the
   * request's holders (each the one its approval.accept entry accepted), or null: the vault's own key
   * cannot replace a credential's secret.
   */
  #rotationProblem(r: RequestEvidence, d: Record<string, unknown>): string | null {
    const proofs = Array.isArray(d['proofs']) ? d['proofs'] : [];
    const holders = new Set<string>();
    for (const p of proofs) {
      const token = ApprovalTokenSchema.safeParse(p);
      if (!token.success || token.data.body.format !== 'breakglass.drill-proof') return `rotates on ${r.id} with a proof that is not one`;
      const body = token.data.body;
      const card = this.#cards.get(body.holder);
      if (
        !card ||
        body.request !== r.id ||
        body.requestHash !== r.hash ||
        body.vault !== this.#genesis?.vault ||
        !r.body.holders.includes(body.holder) ||
        body.holder === r.body.requester ||
        body.credentialVersion !== r.body.credentialVersion ||
        body.anchor.journal !== r.body.journal ||
        body.anchor.seq !== r.seq ||
        body.anchor.hash !== r.entryHash ||
        r.approvals.get(body.holder) !== b64(documentHash(TAG.drillProof, body)) ||
        !verifyDocument(TAG.drillProof, body, token.data.sig, card.card.signingKey)
      )
        return `rotates on ${r.id} with a proof of ${body.holder} that is not the one signed and accepted for it`;
      holders.add(body.holder);
    }
    if (holders.size < r.body.threshold) return `rotates on ${r.id} with ${holders.size} of the ${r.body.threshold} proofs it needs`;
    // What the entry says besides the proofs is what they and the signed request say.
    const named = Array.isArray(d['holders']) ? (d['holders'] as unknown[]).map(String) : [];
    if (named.length !== holders.size || named.some((h) => !holders.has(h)))
      return `names holders for ${r.id} other than those whose proofs it carries`;
    if (JSON.stringify(d['holderKeys']) !== JSON.stringify(r.body.nextHolderKeys) || d['threshold'] !== r.body.nextThreshold)
      return `seals a split other than the one request ${r.id} signed`;
    const sealing = d['sealing'];
    return this.#sealingProblem(r, d, sealing);
  }

  /** Why the requester's signed seal of a rotation is missing or not for this entry, or null. */
  #sealingProblem(r: RequestEvidence, d: Record<string, unknown>, sealing: unknown): string | null {
    const parsed = RotationSealBodySchema.safeParse(sealing);
    const requester = this.#cards.get(r.body.requester);
    if (
      !parsed.success ||
      !requester ||
      !verifyDocument(TAG.rotationSeal, parsed.data, String(d['sealSignature']), requester.card.signingKey)
    )
      return `seals a new secret for ${r.id} without the signature of its requester ${r.body.requester}`;
    const body = parsed.data;
    if (
      body.by !== r.body.requester ||
      body.request !== r.id ||
      body.requestHash !== r.hash ||
      body.vault !== this.#genesis?.vault ||
      body.credential !== r.credential ||
      body.credentialVersion !== Number(d['version']) ||
      body.envelope !== d['envelope']
    )
      return `seals a new secret for ${r.id} under a signature made for another`;
    return null;
  }

  /** Why a request.cancel entry is not the signed cancel of `r` by its requester or an approver, or null. */
  #cancelProblem(r: RequestEvidence, e: JournalEntry, d: Record<string, unknown>): string | null {
    const parsed = CancelBodySchema.safeParse(d['cancel']);
    if (!parsed.success) return 'without a signed cancel';
    const body = parsed.data;
    const signer = this.#cards.get(body.by);
    if (
      !signer ||
      b64(documentHash(TAG.cancel, body)) !== d['cancelHash'] ||
      !verifyDocument(TAG.cancel, body, String(d['signature']), signer.card.signingKey)
    )
      return `with a cancel not signed by ${body.by}'s enrolled key`;
    if (body.request !== r.id || body.requestHash !== r.hash || body.credential !== r.credential || body.vault !== this.#genesis?.vault)
      return 'with a cancel signed for another request';
    if (e.actor !== body.by || (body.by !== r.body.requester && !(r.approvals.has(body.by) && r.body.holders.includes(body.by))))
      return `with a cancel by ${body.by}, who is neither its requester nor one of its approvers`;
    return null;
  }

  #request(id: unknown): RequestEvidence {
    const r = this.#requests.get(String(id));
    if (!r) throw new Error(`names request ${String(id)}, which the journal never opened`);
    return r;
  }

  #extension(id: unknown): ExtensionEvidence {
    const x = this.#extensions.get(String(id));
    if (!x) throw new Error(`names extension ${String(id)}, which the journal never asked for`);
    return x;
  }

  #credential(id: string): CredentialEvidence {
    const c = this.#credentials.get(id);
    if (!c) throw new Error(`names credential ${id}, which the journal never sealed`);
    return c;
  }

  #move(id: string, change: Partial<CredentialEvidence>): void {
    Object.assign(this.#credential(id), change);
  }

  #assertReadable(): void {
    if (this.#broken) throw missing(`the journal's ${this.#broken}`);
  }

  /** The card of a member as first enrolled in the journal; INTEGRITY_FAILURE if never enrolled or re-keyed. */
  card(id: string): MemberCard {
    this.#assertReadable();
    const c = this.#cards.get(id);
    if (!c) throw missing(`member ${id} is in the database but the journal never enrolled them`);
    if (c.conflict) throw missing(`the journal enrols member ${id} a second time under other keys`);
    return c.card;
  }

  /** True when the journal's last word on `id` is a `member.remove`: no longer on this vault's roster. */
  isRemoved(id: string): boolean {
    this.#assertReadable();
    return this.#cards.get(id)?.removed === true;
  }

  /** True when the journal enrolled `id` (the database row may still have been edited). */
  hasCard(id: string): boolean {
    this.#assertReadable();
    return this.#cards.has(id);
  }

  /** A request as journaled; INTEGRITY_FAILURE when the journal never opened it. */
  request(id: string): RequestEvidence {
    this.#assertReadable();
    const r = this.#requests.get(id);
    if (!r) throw missing(`request ${id} is in the database but not in the journal`);
    return r;
  }

  /** An extension of an unseal window, as journaled; NOT_FOUND when the journal holds none by that id. */
  extension(id: string): ExtensionEvidence {
    this.#assertReadable();
    const x = this.#extensions.get(id);
    if (!x) throw new BreakGlassError('NOT_FOUND', `no extension ${id} was asked for at this vault`);
    return x;
  }

  /** The extension of a request's window waiting for approvals, if one is. */
  pendingExtension(request: string): ExtensionEvidence | null {
    this.#assertReadable();
    const r = this.#requests.get(request);
    if (!r || r.windowEndsAt === null) return null;
    return (
      [...this.#extensions.values()].find((x) => x.body.request === request && !x.granted && x.body.windowEndsAt === r.windowEndsAt) ?? null
    );
  }

  /** Requests the journal shows open or unsealed (not ended), in the order they were opened. */
  liveRequests(): RequestEvidence[] {
    this.#assertReadable();
    return [...this.#requests.values()].filter((r) => r.ended === null);
  }

  /** A credential as journaled; INTEGRITY_FAILURE when the journal never sealed it. */
  credential(id: string): CredentialEvidence {
    this.#assertReadable();
    const c = this.#credentials.get(id);
    if (!c) throw missing(`credential ${id} is in the database but the journal never sealed it`);
    if (c.tainted) {
      throw new BreakGlassError(
        'INTEGRITY_FAILURE',
        `the journal of credential ${id} cannot be trusted: its ${c.tainted}; someone with this laptop's keychain appended it; do not use this vault until security has examined it`,
        { credential: id },
      );
    }
    return c;
  }

  /** The policy document a policy.set entry recorded under `hash`, or INTEGRITY_FAILURE when none did. */
  policyAt(hash: string): unknown {
    this.#assertReadable();
    if (!this.#policies.has(hash)) throw missing(`the journal records no policy with hash ${hash}`);
    return this.#policies.get(hash);
  }

  /** The vault's id and name as its genesis entry recorded them. */
  get vault(): { readonly vault: string; readonly name: string } {
    this.#assertReadable();
    if (!this.#genesis) throw missing('the journal has no genesis entry');
    return this.#genesis;
  }

  /** The hash of the last policy the journal recorded, or null before any. */
  get policyHash(): string | null {
    this.#assertReadable();
    return this.#policyHash;
  }
}

/** The status a request row must have, given what the journal recorded of it. */
export function journaledStatus(r: RequestEvidence): 'open' | 'unsealed' | 'closed' | 'cancelled' | 'expired' | 'drilled' | 'rotated' {
  switch (r.ended) {
    case null:
      return r.windowEndsAt === null ? 'open' : 'unsealed';
    case 'close':
      return 'closed';
    case 'cancel':
      return 'cancelled';
    case 'expire':
      return 'expired';
    case 'drill':
      return 'drilled';
    case 'rotate':
      return 'rotated';
  }
}
