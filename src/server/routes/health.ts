/** /healthz (the process is up), /readyz (the database answers and is migrated) and /metrics. */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BreakGlassError } from '../../core/errors.js';
import type { RoutePluginOptions } from '../services.js';
import { LATEST_SERVER_SCHEMA } from '../storage/index.js';
import { errorResponses } from './common.js';

const HealthSchema = z.strictObject({ ok: z.literal(true) });
const ReadySchema = z.strictObject({ ok: z.literal(true), storage: z.enum(['sqlite', 'postgres']), schema: z.int() });

export const healthRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, { services }) => {
  app.get('/healthz', { schema: { summary: 'the process is up', tags: ['operations'], response: { 200: HealthSchema } } }, async () => ({
    ok: true as const,
  }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'the database is reachable and migrated',
        tags: ['operations'],
        response: { 200: ReadySchema, ...errorResponses(503) },
      },
    },
    async () => {
      let schema: number;
      try {
        schema = await services.storage.schemaVersion();
      } catch (err) {
        throw new BreakGlassError('SERVER_ERROR', 'the database is not reachable', {}, { cause: err });
      }
      if (schema < LATEST_SERVER_SCHEMA) {
        throw new BreakGlassError('SERVER_ERROR', `the database is at schema ${schema}, this server needs ${LATEST_SERVER_SCHEMA}`);
      }
      return { ok: true as const, storage: services.storage.kind, schema };
    },
  );

  // Prometheus text, not JSON: no response schema, and so not in the OpenAPI document's JSON bodies.
  app.get('/metrics', async (_request, reply) => {
    const text = await services.metrics.registry.metrics();
    return reply.type(services.metrics.registry.contentType).send(text);
  });
};
