/** The sync client: enrolment, batched upload with exact resume and backoff, receipt checks, and the app's loop. */
export {
  enrolDevice,
  fetchHead,
  syncJournal,
  type Enrolled,
  type SyncOptions,
  type SyncProgress,
  type SyncResult,
  type SyncTarget,
} from './client.js';
export { backoffDelay, callServer, isTransient, type ServerConnection } from './http.js';
export { lineHash, verifyReceipt } from './receipts.js';
export { runSyncLoop, serverReachable, type SyncEvent, type SyncLoopOptions, type SyncRound } from './loop.js';
