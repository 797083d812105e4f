/**
 * The vault's use cases: the one API the CLI, the IPC handlers and the tests call. It reads like the
 * lifecycle: members and policy, seal, request, approve, unseal, close, review, reseal, drill.
 */
export { VaultSession, type Append, type SecretStoreFactory } from './session.js';
export { askFirst, type OpenVault } from './ask-first.js';
export {
  addMember,
  statedActor,
  assertMemberName,
  assertNewMember,
  createMember,
  exportCustody,
  listMembers,
  memberKeysHere,
  MIN_PASSPHRASE,
  ownMember,
  parseCard,
  type PassphraseSource,
} from './members.js';
export { removeMember, type MemberRemoval } from './member-remove.js';
export { changePassphrase, exportMemberKey, newPassphraseQuestion, REPEAT_NEW_PASSPHRASE, type PassphraseChange } from './member-keys.js';
export { currentPolicy, parsePolicyText, policyFromText, policyHash } from './policy.js';
export { setPolicy, type OpenRequestUnderPolicy } from './policy-change.js';
export { assertSealable, credentialRow, listCredentials, sealCredential, type CredentialSummary } from './credentials.js';
export { completeRotation, readyRotation, startRotation, type RotationResult } from './rotate.js';
export {
  cancelRequest,
  exportBundle,
  openRequest,
  requestBody,
  requestRow,
  summarizeRequest,
  type RequestInput,
  type RequestSummary,
} from './requests.js';
export {
  acceptApproval,
  approvalHash,
  approveBundle,
  approveInPerson,
  assertBundleHolderHere,
  assertOwnKeys,
  readApproval,
  readBundle,
  witnessView,
  type WitnessView,
} from './approvals.js';
export { Evidence } from './evidence.js';
export { applyTimeLimits, closeWindow, unseal, type RevealMode, type UnsealResult } from './unseal.js';
export { assertReviewable, reseal, signReview, type ReviewChecks, type ReviewInput } from './review.js';
export { afterWindowSteps, approveExtension, pendingExtensionOf, requestExtension, type ExtensionSummary } from './extensions.js';
export { checkShare, completeDrill, openDrill, startDrill, type DrillResult } from './drill.js';
export { activationsOf, journalActivations, type Activation, type ActivationStep } from './activations.js';
export { exportJournal, journalEntries, parseExport, verifyExport, verifyJournal } from './journal.js';
export { CODE_PREFIX, encodeTextCode } from './codes.js';
export { PRODUCT_NAME, defaultVaultDir } from './paths.js';
export { invokeApp, invokeAppChannel } from './app-handlers.js';
export { type AppContext, type SyncClient, type SyncRoundResult, type SyncTargetInput } from './app-session.js';
export { appSyncLoop } from './app-sync.js';
