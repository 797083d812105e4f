/** GET /openapi.json: the OpenAPI document derived from the route schemas. */
import type { FastifyPluginAsync, RouteOptions } from 'fastify';
import { openApiDocument } from '../schema.js';

export const openApiRoutes: FastifyPluginAsync<{ routes: readonly RouteOptions[] }> = async (app, { routes }) => {
  app.get('/openapi.json', async () => openApiDocument(routes, '1'));
};
