/** Enrolment: a one-time enrolment token, the device's journal id and genesis entry; the server pins both. */
import type { FastifyPluginAsync } from 'fastify';
import { BreakGlassError } from '../../core/errors.js';
import type { StoredEntry } from '../../core/journal.js';
import { EnrolRequestSchema, EnrolResponseSchema, type EnrolRequest } from '../../core/sync-api.js';
import { b64 } from '../../crypto/index.js';
import { parseExportLine, verifyEntries } from '../../journal/index.js';
import { newDeviceCredential, requireToken } from '../auth.js';
import { signReceipt } from '../receipts.js';
import type { RoutePluginOptions } from '../services.js';
import { errorResponses } from './common.js';

/**
 * The genesis entry an enrolment carries, checked by the project's own verifier pinned to the
 * journal id the device names; JOURNAL_REJECTED naming the failed check otherwise.
 */
export function checkGenesis(body: EnrolRequest): { genesis: StoredEntry; genesisKey: string; kind: string } {
  const genesis = parseExportLine(body.genesis, 0);
  const report = verifyEntries([genesis], { journal: body.journal });
  if (!report.ok) {
    const f = report.failure!;
    throw new BreakGlassError('JOURNAL_REJECTED', `the genesis entry does not verify: ${f.code} at seq ${f.seq} (${f.message})`, {
      seq: f.seq,
      failure: f.code,
    });
  }
  const entry = JSON.parse(Buffer.from(genesis.bytes).toString('utf8')) as { kind: string };
  return { genesis, genesisKey: report.genesisKey!, kind: entry.kind };
}

export const enrollRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, { services }) => {
  const { storage, clock, key } = services;

  app.post(
    '/api/v1/enroll',
    {
      schema: {
        summary: 'enrol a device with a one-time enrolment token (again, for a journal whose device security revoked)',
        tags: ['devices'],
        security: 'token',
        body: EnrolRequestSchema,
        response: { 201: EnrolResponseSchema, ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const now = clock();
      const token = await requireToken(request, storage, ['enroll'], now);
      const body = request.body as EnrolRequest;
      const { genesis, genesisKey, kind } = checkGenesis(body);
      const device = newDeviceCredential();
      const outcome = await storage.enrol(
        {
          tokenId: token.id,
          genesisKey,
          device: {
            id: device.id,
            journal: body.journal,
            name: body.name,
            credentialHash: device.hash,
            tokenId: token.id,
            enrolledAt: now,
            revokedAt: null,
          },
          genesis: {
            seq: 0,
            hash: b64(genesis.hash),
            sig: b64(genesis.sig),
            bytes: Buffer.from(genesis.bytes),
            epoch: 0,
            epochKey: genesisKey,
            kind,
          },
        },
        now,
      );
      if (!outcome.stored) {
        if (outcome.why === 'token-used') throw new BreakGlassError('TOKEN_USED', `enrolment token ${token.id} has been used`);
        if (outcome.why === 'token-for-another-journal') {
          throw new BreakGlassError(
            'WRONG_DEVICE',
            `enrolment token ${token.id} is for another journal than ${body.journal}; nothing was changed`,
          );
        }
        if (outcome.why === 'token-not-bound') {
          throw new BreakGlassError(
            'WRONG_ROLE',
            `journal ${body.journal} was enrolled before and its device revoked: enrolling it again takes a token issued for it ("breakglass server token create --role enroll --journal ${body.journal}"); nothing was changed`,
          );
        }
        if (outcome.why === 'genesis-differs') {
          throw new BreakGlassError(
            'ALREADY_EXISTS',
            `journal ${body.journal} is enrolled already, with another genesis entry than this one: this is not that journal's vault`,
          );
        }
        throw new BreakGlassError(
          'ALREADY_EXISTS',
          `journal ${body.journal} is enrolled already; to enrol it again, security revokes its device first`,
        );
      }
      const journal = (await storage.journal(body.journal))!;
      request.log.info(
        { device: outcome.device, journal: body.journal, token: token.id, again: outcome.stored === 'again' },
        'device enrolled',
      );
      return reply.code(201).send({
        device: outcome.device,
        credential: device.credential,
        serverKey: key.publicKey,
        journal: body.journal,
        receipt: signReceipt(key, journal, now),
      });
    },
  );
};
