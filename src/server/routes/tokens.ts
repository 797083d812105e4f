/** Tokens: an admin issues and revokes them; they are returned once and stored hashed. */
import type { FastifyPluginAsync } from 'fastify';
import { BreakGlassError } from '../../core/errors.js';
import {
  TokenCreateRequestSchema,
  TokenCreateResponseSchema,
  TokenParamsSchema,
  TokenRevokeResponseSchema,
  type TokenCreateRequest,
} from '../../core/sync-api.js';
import { newToken, requireToken } from '../auth.js';
import type { RoutePluginOptions } from '../services.js';
import { errorResponses } from './common.js';

/** Enrolment tokens expire within a day unless told otherwise; other roles within 90 days. */
const DEFAULT_TTL_SECONDS = { enroll: 24 * 3600, security: 90 * 24 * 3600, admin: 90 * 24 * 3600 } as const;

export const tokenRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, { services }) => {
  const { storage, clock } = services;

  app.post(
    '/api/v1/tokens',
    {
      schema: {
        summary: 'issue a token (admin)',
        tags: ['tokens'],
        security: 'token',
        body: TokenCreateRequestSchema,
        response: { 201: TokenCreateResponseSchema, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const now = clock();
      await requireToken(request, storage, ['admin'], now);
      const body = request.body as TokenCreateRequest;
      if (body.journal !== undefined && body.role !== 'enroll') {
        throw new BreakGlassError('BAD_INPUT', `only an enrolment token is issued for one journal, not a ${body.role} token`);
      }
      const ttl = body.ttlSeconds ?? DEFAULT_TTL_SECONDS[body.role];
      const { token, row } = newToken(body.role, now, ttl * 1000, body.label ?? '');
      await storage.insertToken(row, body.journal);
      request.log.info({ token: row.id, role: row.role, journal: body.journal }, 'token issued');
      return reply.code(201).send({ id: row.id, token, role: row.role, expiresAt: row.expiresAt });
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        summary: 'revoke a token (admin)',
        tags: ['tokens'],
        security: 'token',
        params: TokenParamsSchema,
        response: { 200: TokenRevokeResponseSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const now = clock();
      await requireToken(request, storage, ['admin'], now);
      const { id } = request.params as { id: string };
      if (!(await storage.revokeToken(id, now))) throw new BreakGlassError('NOT_FOUND', `no token ${id}`);
      request.log.info({ token: id }, 'token revoked');
      return { id, revokedAt: now };
    },
  );
};
