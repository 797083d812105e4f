/**
 * Devices: security lists them; an admin revokes one. A revoked device's credential is refused at
 * once; its journal and entries stay, and the laptop can be enrolled again with a new enrolment
 * token (the same genesis entry), continuing from what the server holds.
 */
import type { FastifyPluginAsync } from 'fastify';
import { BreakGlassError } from '../../core/errors.js';
import { DeviceListResponseSchema, DeviceParamsSchema, DeviceSchema, type DeviceView } from '../../core/sync-api.js';
import { requireToken } from '../auth.js';
import type { RoutePluginOptions } from '../services.js';
import type { DeviceRow } from '../storage/index.js';
import { errorResponses } from './common.js';

const view = (d: DeviceRow): DeviceView => ({
  id: d.id,
  journal: d.journal,
  name: d.name,
  enrolledAt: d.enrolledAt,
  revokedAt: d.revokedAt,
});

export const deviceRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, { services }) => {
  const { storage, clock } = services;

  app.get(
    '/api/v1/devices',
    {
      schema: {
        summary: 'every enrolled device (admin, security)',
        tags: ['devices'],
        security: 'token',
        response: { 200: DeviceListResponseSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      await requireToken(request, storage, ['admin', 'security'], clock());
      return { devices: (await storage.devices()).map(view) };
    },
  );

  app.delete(
    '/api/v1/devices/:id',
    {
      schema: {
        summary: "revoke a device's credential (admin); its journal stays, and it can be enrolled again",
        tags: ['devices'],
        security: 'token',
        params: DeviceParamsSchema,
        response: { 200: DeviceSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const now = clock();
      await requireToken(request, storage, ['admin'], now);
      const { id } = request.params as { id: string };
      const device = await storage.revokeDevice(id, now);
      if (!device) throw new BreakGlassError('NOT_FOUND', `no device ${id}`);
      request.log.info({ device: id, journal: device.journal }, 'device revoked');
      return view(device);
    },
  );
};
