/**
 * buildServer: the Fastify instance with its schemas, error handling and route plugins, not yet
 * listening. Tests and `serve` both call it; storage, key and clock are injected.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { MAX_BODY_BYTES } from '../core/sync-api.js';
import type { SigningKeyPair } from '../crypto/index.js';
import { installErrorHandling } from './errors.js';
import { createMetrics } from './metrics.js';
import { deviceRoutes } from './routes/devices.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { journalRoutes } from './routes/journals.js';
import { openApiRoutes } from './routes/openapi.js';
import { tokenRoutes } from './routes/tokens.js';
import { collectRoutes, useZod } from './schema.js';
import type { ServerServices } from './services.js';
import type { ServerStorage } from './storage/index.js';

/** What a server is built from. */
export interface ServerOptions {
  readonly storage: ServerStorage;
  readonly signingKey: SigningKeyPair;
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  readonly clock?: () => number;
  /** Fastify's logger option: false in tests, a pino config (JSON to stdout) in `serve`. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Key and certificate (PEM) for HTTPS. */
  readonly https?: { readonly key: Buffer; readonly cert: Buffer };
}

/** Builds the journal server; call `listen` (or `serve`) to accept connections, `close` to stop. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? Date.now;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    genReqId: () => randomUUID(),
    // Headers carry tokens: only the method, path and addresses are logged for a request.
    ...(options.https ? { https: { key: options.https.key, cert: options.https.cert } } : {}),
  }) as unknown as FastifyInstance;
  // Bodies are JSON only: a text/plain body is refused (415) rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  useZod(app);
  installErrorHandling(app);
  const services: ServerServices = {
    storage: options.storage,
    key: options.signingKey,
    clock,
    metrics: createMetrics(options.storage, clock),
  };
  const routes = collectRoutes(app);
  await app.register(healthRoutes, { services });
  await app.register(tokenRoutes, { services });
  await app.register(enrollRoutes, { services });
  await app.register(deviceRoutes, { services });
  await app.register(journalRoutes, { services });
  await app.register(openApiRoutes, { routes });
  return app;
}
