/** The central journal server: buildServer (the Fastify app), serve (listening), storage adapters and receipts. */
export { buildServer, type ServerOptions } from './app.js';
export { serve, openStorage, type RunningServer, type ServeOptions } from './serve.js';
export { loadOrCreateServerKey, SERVER_KEY_FILE } from './keys.js';
export { newToken, secretHash } from './auth.js';
export { signReceipt } from './receipts.js';
export { httpStatusFor } from './errors.js';
export { decideIngest, parseBatch } from './ingest.js';
export { genesisState, stateAfter, verifyFrom, type ChainState } from './verify.js';
export * from './storage/index.js';
