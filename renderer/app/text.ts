// Every sentence the app shows, in one place, so the plain-language messages can be read together.
import type { ErrorCode } from '../../src/core/errors.js';
import type { CredentialState } from '../../src/core/lifecycle.js';

const capitalise = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

export const T = {
  app: 'Break Glass Vault',
  nav: {
    label: 'Views',
    vault: 'Vault',
    holder: 'Approve as holder',
    journal: 'Journal',
    members: 'Members',
    policy: 'Policy',
    settings: 'Settings',
  },
  theme: { label: 'Theme', system: 'System', light: 'Light', dark: 'Dark' },
  busy: 'Working…',
  localPolicy: 'Local policy, not signed by security.',
  journalOk: (n: number) => `Journal verified: ${n} entries, signed and chained.`,
  journalBad: (why: string) => `The journal does NOT verify (${why}). Do not use this vault until security has examined it.`,
  vault: {
    title: 'Credentials',
    none: 'No credentials are sealed in this vault yet.',
    columns: ['Credential', 'State', 'Holders', 'Version', 'Last activation', 'Last drill', 'Action'] as const,
    never: 'never',
    exposed: 'exposed until resealed',
    breakGlass: (id: string) => `Break glass: ${id}`,
    drill: (id: string) => `Start a drill: ${id}`,
    approvals: (id: string) => `Approvals: ${id}`,
    unsealed: (id: string) => `Use ${id}`,
    review: (id: string) => `Review: ${id}`,
  },
  state: {
    SEALED: 'Sealed',
    REQUESTED: 'Request open',
    UNSEALED: 'Unsealed',
    REVIEW_PENDING: 'Waiting for review',
    REVIEWED: 'Reviewed, ready to reseal',
  } satisfies Record<CredentialState, string>,
  breakGlass: {
    title: (id: string) => `Break glass: ${id}`,
    intro:
      'Opening this credential needs approvals from its holders. Every step is signed and journaled, and the credential needs a review afterwards.',
    trigger: 'Trigger (from the policy)',
    reason: 'Reason',
    incident: 'Incident reference',
    requester: 'Requester',
    passphrase: (who: string) => `Passphrase of ${who}`,
    submit: 'Sign and open the request',
    cancel: 'Cancel the request',
    cancelTitle: 'Cancel this request',
    cancelBy: 'Signed by (its requester, or a holder who approved it)',
    cancelled: (exposed: boolean) =>
      exposed ? 'Cancelled after its quorum: the credential counts as exposed and needs a review.' : 'Request cancelled.',
    drillTitle: (id: string) => `Drill: ${id}`,
    rotateTitle: (id: string) => `Rotation: ${id}`,
    drillIntro:
      'A drill runs the real approval path with real timings, but no share reaches this vault in a form it can open: the credential stays sealed.',
    drillSubmit: 'Sign and start the drill',
  },
  approvals: {
    title: (id: string) => `Approvals for ${id}`,
    progress: (have: number, need: number) => `${have} of ${need} approvals`,
    by: (who: readonly string[]) => (who.length ? `Approved by ${who.join(', ')}.` : 'No approvals yet.'),
    expires: 'Expires in',
    expired: 'This request has expired. Open a new one.',
    requesterCannot: (who: string) => `${who} opened this request and cannot approve it.`,
    inPersonTitle: 'Approve in person at this laptop',
    holder: 'Holder',
    inPerson: 'Approve in person',
    remoteTitle: 'Hand the request to a holder on their own laptop',
    makeCode: 'Make the request code',
    requestFor: (holder: string) => `The request for ${holder}`,
    importTitle: "Take back a holder's approval",
    importCode: 'Approval code (or the file, below)',
    importFile: 'Approval file',
    importQr: 'Approval QR image(s)',
    import: 'Import the approval',
    quorum: 'The threshold is met.',
    unseal: 'Unseal now',
    completeDrill: 'Complete the drill',
    rotateTitle: 'Seal the new secret',
    rotateSecret: 'New secret (not shown)',
    rotate: 'Seal it in place of the old one',
    rotated: (version: number, holders: readonly string[]) =>
      `Rotated: version ${version} is sealed with the new secret on the proofs of ${holders.join(' + ')}. The old one is erased; no review is owed.`,
    drillPassed: (holders: readonly string[], quorumS: string, verifyMs: string) =>
      `Drill passed: ${holders.join(' + ')} proved their shares; nothing was decrypted. Request to quorum ${quorumS} s; proofs checked in ${verifyMs} ms.`,
  },
  codeInput: {
    empty: 'Paste the code first, or choose its file or QR image(s).',
    noQr: (file: string) => `No QR code could be read in ${file}. Choose a sharper image of the code, or paste the text code instead.`,
    qrParts: (why: string) => `${capitalise(why)}. Choose every image of one code, or paste the text code instead.`,
  },
  handOver: {
    code: 'Text code',
    copy: 'Copy the code',
    copied: 'Copied.',
    save: 'Save as a file',
    qr: (i: number, n: number) => (n === 1 ? 'QR code' : `QR code ${i} of ${n}`),
    qrHint: (n: number) => (n === 1 ? 'Scan it, or save the image.' : `Scan all ${n} codes, in any order.`),
  },
  camera: {
    scan: 'Scan with camera',
    preview: 'Camera',
    video: 'Live camera picture: nothing is recorded, kept or sent',
    looking: 'Hold the QR code up to the camera.',
    partsRead: (read: number, total: number) => `${read} of ${total} read. Show the others, in any order.`,
    stop: 'Stop the camera',
    read: 'Read from the camera; the camera is off.',
    denied: 'The camera was not allowed. Use an image file or paste the text code instead.',
    none: 'No camera was found. Use an image file or paste the text code instead.',
    failed: 'The camera could not be started. Use an image file or paste the text code instead.',
    lost: 'The camera stopped. Scan again, or use an image file or paste the text code instead.',
  },
  request: {
    purposeAccess: (c: string) =>
      `BREAK GLASS: this approval OPENS ${c}. With enough approvals the vault decrypts it for the requester, and the credential counts as exposed until it is reviewed and resealed.`,
    purposeRotate: (c: string, requester: string) =>
      `ROTATION: this approval lets ${requester} REPLACE the sealed secret of ${c} with a new value. Your approval proves, signed, that your share opens with your key; no share leaves your keys and the current secret is not decrypted. The new value is sealed to the holders named below; the old one is erased.`,
    purposeDrill: (c: string) =>
      `DRILL: a practice run for ${c}. Your approval proves, signed, that your share opens with your key and matches its commitment. The credential stays sealed.`,
    signed: (id: string) => `Request ${id}, signed by its requester`,
    vault: 'Vault',
    credential: 'Credential',
    requester: 'Requester',
    trigger: 'Trigger',
    reason: 'Reason',
    incident: 'Incident',
    opened: 'Opened',
    expires: 'Expires',
    window: 'Unseal window',
    holders: 'Holders now',
    afterwards: 'Afterwards',
    warning: 'Warning',
    journal: 'Journal',
    position: 'Position',
    asHolder: 'As holder',
  },
  holder: {
    title: 'Approve a request as a holder',
    intro: 'Paste the request code, open the request file or read its QR image. Nothing is signed until you press Approve.',
    code: 'Request code',
    file: 'Request file',
    qr: 'Request QR image(s)',
    read: 'Show the request',
    approve: 'Approve with my passphrase',
    decline: 'Decline',
    declined: 'Declined: nothing was signed or sent. Tell the requester.',
    given: 'Approval given. Hand this back to the vault laptop:',
    approvalTitle: 'Your signed approval',
    pin: {
      first: (who: string) => `first time this laptop sees ${who}'s key: compare it with their card if in doubt`,
      same: () => "the same key as this laptop's earlier approvals",
      changed: (who: string) => `CHANGED: not the key this laptop knows for ${who}; do not approve`,
    },
    genesis: {
      first: 'first approval for this vault on this laptop: its genesis key is pinned now',
      same: 'the same journal this laptop approved for before',
      changed: 'CHANGED: another journal than the one this laptop approved for before; do not approve',
    },
    anchor: {
      first: '',
      ahead: ' (later than before: as expected)',
      same: ' (the same entry as before)',
      behind: ' BEHIND what this laptop saw: the vault was rolled back; do not approve',
      fork: ' a DIFFERENT entry at a position this laptop saw: the journal forked; do not approve',
    },
    vaultsWord: "(the vault's word, not signed by the requester)",
    notForThisLaptop: 'This request is not for anyone whose keys are on this laptop; nothing was shown to approve.',
    notHere: (holder: string) => `This request is for ${holder}: approve it on ${holder}'s own laptop; nothing was signed here.`,
  },
  unsealed: {
    title: (id: string) => `${id} is unsealed`,
    intro: 'Every reveal and copy is journaled. The secret is shown only while you need it.',
    left: 'Window closes in',
    reveal: 'Reveal',
    hide: 'Hide',
    secret: 'Secret',
    hiddenIn: (s: number) => `Hidden again in ${s} s.`,
    copy: 'Copy to clipboard',
    copied: (s: number) => `Copied; the clipboard is cleared in ${s} s.`,
    cleared: 'Clipboard cleared.',
    noClipboard: 'This browser does not allow copying here; use Reveal instead.',
    close: 'Close the window now',
    closed: 'Closed. The credential now waits for its post-incident review.',
  },
  moreTime: {
    title: 'More time',
    intro: (left: number) =>
      `If the work is not done before the window closes, ask the holders for one more unseal length (${left} more time(s) allowed by the request). The requester asks; holders approve in person here.`,
    askTitle: 'Ask for more time',
    reason: 'Why more time is needed',
    ask: 'Sign and ask for more time',
    approveTitle: 'Approve more time',
    waiting: (n: number, max: number, have: number, need: number, until: string) =>
      `Extension ${n} of ${max} asked: ${have} of ${need} approvals. Once granted, the window ends ${until}.`,
    approve: 'Approve more time with my passphrase',
    noneHere: 'No holder who has not approved has a custody copy at this laptop: they approve where their copy is.',
    granted: (until: string) => `More time granted: the window now ends ${until}.`,
    noMore:
      'This window cannot be extended (the request allows no more). Finish before it closes; afterwards the credential waits for its review, and a new request opens it again.',
  },
  review: {
    title: (id: string) => `Post-incident review of ${id}`,
    intro: 'The credential can be resealed only after an eligible reviewer signs this review.',
    reviewer: 'Reviewer',
    warranted: 'Was the access warranted?',
    yes: 'Yes',
    no: 'No',
    summary: 'What was done',
    changes: 'What changed',
    incident: 'Incident reference (optional)',
    followUp: 'Follow-ups (optional)',
    rotated: (required: boolean) => (required ? 'The new secret (rotation is required)' : 'The new secret, if you rotated it (optional)'),
    passphrase: (who: string) => `Passphrase of ${who}`,
    sign: 'Sign the review',
    signed: 'Review signed.',
    noReseal: 'Reseal becomes possible once the review is signed.',
    reseal: 'Reseal',
    resealed: (v: number) => `Resealed as version ${v}: old shares and approvals are void.`,
  },
  journal: {
    title: 'Journal',
    verify: 'Verify again',
    kind: 'Show kind',
    all: 'All kinds',
    columns: ['Seq', 'Time', 'Epoch', 'Kind', 'Actor', 'Subject', 'Details'] as const,
    export: 'Export as JSON Lines',
    unproven: 'The end of this journal cannot be proven.',
  },
  members: { title: 'Members', columns: ['Id', 'Name', 'Roles', 'Key fingerprint', 'Custody copy here'] as const, yes: 'yes', no: 'no' },
  policy: {
    title: 'Policy',
    hash: 'Policy hash',
    setAt: 'Set at',
    check: 'Check a policy (YAML or JSON)',
    checkButton: 'Check',
    ok: 'The policy is valid.',
    at: (line: number, column: number) => `line ${line}, column ${column}`,
  },
  settings: {
    title: 'Settings',
    vaultTitle: 'This vault',
    folder: 'Vault folder',
    name: 'Vault name',
    journal: 'Journal',
    entries: 'Journal entries here',
    serverTitle: 'Journal server',
    notEnrolled:
      "This vault is not enrolled with a journal server: its journal is kept on this machine only. Security gives you the server's address and a one-time enrolment token.",
    server: 'Server address',
    serverHint: 'For example https://journal.example:8443',
    token: 'Enrolment token',
    tokenHint: 'Paste the one-time token security gave you. It is used once and not kept.',
    expectedKey: 'Expected server key (optional)',
    expectedKeyHint: 'If security gave you the key its server printed, paste it: a server answering with another key is refused.',
    enrol: 'Enrol this vault',
    enrolled: (device: string) => `Enrolled as device ${device}. Compare the server key below with the one security's server printed.`,
    serverKey: 'Server key (pinned)',
    serverKeyHint: "Compare it with the key security's server printed when it started.",
    device: 'Device',
    enrolledAt: 'Enrolled at',
    lastReceipt: 'Last receipt',
    noReceipt: 'No receipt yet: sync to get one.',
    receipt: (size: number, time: string, seq: number) => `The server held ${size} entries at ${time} (journaled here as entry ${seq}).`,
    unsynced: 'Not on the server at the last receipt',
    unsyncedHint: 'A receipt is itself journaled here, so at least its own entries go with the next sync.',
    entriesCount: (n: number) => `${n} entries`,
    again: 'Enrol again',
    againIntro:
      'Only when the server no longer accepts this device: security revokes it on the server and gives you a new enrolment token. The server and key stay the ones pinned here, and the server keeps what it holds of this journal.',
    againToken: 'Token for enrolling again',
    enrolledAgain: (device: string, held: number) =>
      `Enrolled again as device ${device}. The server holds ${held} entries of this journal; Sync now uploads the rest.`,
    syncNow: 'Sync now',
    syncing: 'Syncing with the server…',
    progress: (uploaded: number, server: number, local: number) => `Uploaded ${uploaded}; the server holds ${server} of ${local} entries.`,
    synced: (uploaded: number, server: number, local: number, time: string, seq: number) =>
      `Synced: uploaded ${uploaded} entries; the server holds ${server} of this journal's ${local}. Its receipt, signed at ${time}, is journaled here as entry ${seq}.`,
    loop: {
      online: 'The journal server is reachable; this app syncs by itself.',
      offline: (message: string) => `Offline: ${message}. The app syncs by itself when the server is back; nothing waits for it.`,
      synced: (server: number, local: number) => `Synced by itself: the server holds ${server} of ${local} entries.`,
      error: (sentence: string) => `The last automatic sync failed. ${sentence}`,
    },
  },
  countdownEnded: 'ended',
} as const;

/**
 * What to do about a failure of sync now or of the loop, where a few codes mean something else than
 * at enrolment: the server's UNAUTHENTICATED is about the device credential, not a pasted token.
 */
const SYNC_ADVICE: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED:
    'The journal server no longer accepts this device (its credential is unknown or revoked). Ask security to revoke this device on the server and give you a new enrolment token, then use "Enrol again" below.',
};

/** One sentence for a failure of a sync round (Sync now or the loop): advice first, then the vault's own words. */
export function syncErrorSentence(error: { code: ErrorCode; message: string }): string {
  return errorSentence(error, SYNC_ADVICE[error.code] ?? ADVICE[error.code]);
}

/** What to do about each kind of failure, said plainly; the vault's own message follows it. */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  WRONG_PASSPHRASE: 'That passphrase did not open the key. Check it and try again.',
  BAD_BUNDLE: 'The code or file could not be read. Copy it again, whole.',
  FOREIGN_INPUT: 'That is not the code or file this step takes.',
  BAD_INPUT: 'Some input is missing or malformed.',
  REVIEW_REQUIRED: 'A signed review is needed first.',
  REQUEST_EXPIRED: 'The request has expired. Open a new one.',
  POLICY_DENIED: 'The policy does not allow this.',
  THRESHOLD_NOT_MET: 'Not enough approvals yet.',
  DUPLICATE_APPROVAL: 'This holder has approved already.',
  APPROVAL_REPLAYED: 'This approval belongs to another request.',
  SELF_APPROVAL: 'A requester cannot approve their own request.',
  KEYCHAIN_UNAVAILABLE: 'The keychain of this computer cannot be reached.',
  VAULT_BUSY: 'Another program is using the vault. Try again in a moment.',
  JOURNAL_TAMPERED: 'The journal does not verify. Stop and call security.',
  INTEGRITY_FAILURE: 'The vault failed an integrity check. Stop and call security.',
  TAIL_UNPROVEN: "Nothing proves where this vault's journal ends. Stop and call security.",
  DECLINED: 'Not approved.',
  BAD_SHARE: 'A share did not check out.',
  BAD_SIGNATURE: 'A signature did not verify.',
  // At enrolment; a sync round's is in SYNC_ADVICE.
  UNAUTHENTICATED: 'The server did not accept the token. Check that you pasted it whole, or ask security for a new one.',
  TOKEN_EXPIRED: 'The enrolment token has expired. Ask security for a new one.',
  TOKEN_USED: 'The enrolment token was used already. Ask security for a new one.',
  TOKEN_REVOKED: 'The enrolment token was revoked. Ask security for a new one.',
  WRONG_ROLE: 'That token is not an enrolment token. Ask security for an enrolment token.',
  SERVER_UNREACHABLE: 'The journal server could not be reached. Check the address and the network, then try again.',
  SERVER_ERROR: 'The journal server failed. Try again later, or tell security.',
  NOT_ENROLLED: 'This vault is not enrolled with a journal server. Enrol it first.',
  BAD_RECEIPT: "The server's receipt did not check out against the pinned key. Do not trust this server; call security.",
  JOURNAL_FROZEN: 'The server has frozen this journal. Call security.',
  SYNC_CONFLICT: 'The server and this vault disagree about the journal. Call security.',
};

/** One sentence for a failure: advice first, then the vault's own words. */
export function errorSentence(error: { code: ErrorCode; message: string }, advice = ADVICE[error.code]): string {
  return `${advice ? `${advice} ` : ''}${capitalise(error.message)} (${error.code})`;
}

/** Times as screens show them: the one format of the CLI (local time with its UTC offset). */
export { formatMoment, formatTime } from '../../src/core/time.js';
