/** A device's journal: its head on the server, and uploads of export lines verified before storing. */
import type { FastifyPluginAsync } from 'fastify';
import { performance } from 'node:perf_hooks';
import { BreakGlassError } from '../../core/errors.js';
import {
  HeadResponseSchema,
  JournalParamsSchema,
  UploadRequestSchema,
  UploadResponseSchema,
  type UploadRequest,
} from '../../core/sync-api.js';
import { requireDevice } from '../auth.js';
import { decideIngest, parseBatch } from '../ingest.js';
import { signReceipt } from '../receipts.js';
import type { RoutePluginOptions } from '../services.js';
import type { JournalRow } from '../storage/index.js';
import { errorResponses } from './common.js';

const headOf = (j: JournalRow): { size: number; head: string | null } => ({ size: j.size, head: j.head });

export const journalRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, { services }) => {
  const { storage, clock, key, metrics } = services;

  app.get(
    '/api/v1/journals/:id/head',
    {
      schema: {
        summary: "the size and head hash the server holds of the device's journal",
        tags: ['journals'],
        security: 'device',
        params: JournalParamsSchema,
        response: { 200: HeadResponseSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await requireDevice(request, storage, id);
      const j = (await storage.journal(id))!;
      return { journal: j.id, size: j.size, head: j.head, frozen: j.frozenAt !== null };
    },
  );

  app.post(
    '/api/v1/journals/:id/entries',
    {
      schema: {
        summary: 'upload export lines from `base`; verified in full before anything is stored, stored whole or not at all',
        tags: ['journals'],
        security: 'device',
        params: JournalParamsSchema,
        body: UploadRequestSchema,
        response: { 200: UploadResponseSchema, ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const started = performance.now();
      const { id } = request.params as { id: string };
      const device = await requireDevice(request, storage, id);
      const body = request.body as UploadRequest;
      const batch = parseBatch(body.base, body.lines);
      const now = clock();
      const { plan, journal } = await storage.ingest(id, device.credentialHash, body.base, body.lines.length, now, (snap) => {
        const t = performance.now();
        const decided = decideIngest(snap, batch);
        metrics.verifySeconds.observe((performance.now() - t) / 1000);
        return decided;
      });
      metrics.uploads.inc({ outcome: plan.kind });
      metrics.batchSeconds.observe((performance.now() - started) / 1000);
      switch (plan.kind) {
        case 'append':
        case 'noop': {
          const accepted = plan.kind === 'append' ? plan.entries.length : 0;
          metrics.entriesAccepted.inc(accepted);
          return {
            journal: id,
            accepted,
            duplicates: body.lines.length - accepted,
            size: journal.size,
            head: journal.head,
            receipt: signReceipt(key, journal, now),
          };
        }
        case 'conflict':
          throw new BreakGlassError('SYNC_CONFLICT', `${plan.reason}; ask the head and resume from it`, headOf(journal));
        case 'frozen':
          throw new BreakGlassError(
            'JOURNAL_FROZEN',
            `journal ${id} is frozen (${journal.frozenReason}); security must examine it`,
            headOf(journal),
          );
        case 'fork':
          metrics.forks.inc();
          request.log.warn({ journal: id, seq: plan.fork.seq }, 'fork detected; journal frozen');
          throw new BreakGlassError(
            'JOURNAL_FORKED',
            `a different valid entry at seq ${plan.fork.seq}: the journal has forked (an older copy in use?); both versions are kept and the journal is frozen`,
            { seq: plan.fork.seq, ...headOf(journal) },
          );
        case 'reject': {
          const r = plan.rejection;
          metrics.entriesRejected.inc({ code: r.code });
          throw new BreakGlassError('JOURNAL_REJECTED', `entry ${r.seq} fails verification: ${r.code} (${r.message}); nothing was stored`, {
            seq: r.seq,
            failure: r.code,
          });
        }
      }
    },
  );
};
