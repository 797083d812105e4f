/** The server's Prometheus metrics, in a registry of its own (so several servers can live in one process). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServerStorage } from './storage/index.js';

/** The metrics one server instance records. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly uploads: Counter<'outcome'>;
  readonly entriesAccepted: Counter;
  readonly entriesRejected: Counter<'code'>;
  readonly forks: Counter;
  readonly verifySeconds: Histogram;
  readonly batchSeconds: Histogram;
}

/** Creates the metrics; the journal gauges read the storage when scraped. */
export function createMetrics(storage: ServerStorage, now: () => number): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'breakglass_journals',
    help: 'journals enrolled',
    registers,
    async collect() {
      this.set((await storage.journals()).length);
    },
  });
  new Gauge({
    name: 'breakglass_journal_last_sync_age_seconds',
    help: 'seconds since each journal last synced',
    labelNames: ['journal'],
    registers,
    async collect() {
      this.reset();
      for (const j of await storage.journals()) {
        if (j.lastSyncAt !== null) this.set({ journal: j.id }, Math.max(0, (now() - j.lastSyncAt) / 1000));
      }
    },
  });
  return {
    registry,
    uploads: new Counter({ name: 'breakglass_uploads_total', help: 'upload requests by outcome', labelNames: ['outcome'], registers }),
    entriesAccepted: new Counter({ name: 'breakglass_entries_accepted_total', help: 'entries verified and stored', registers }),
    entriesRejected: new Counter({
      name: 'breakglass_entries_rejected_total',
      help: 'batches refused by verification, by failure code',
      labelNames: ['code'],
      registers,
    }),
    forks: new Counter({ name: 'breakglass_forks_total', help: 'forks detected', registers }),
    verifySeconds: new Histogram({
      name: 'breakglass_verify_seconds',
      help: 'time to verify one batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'breakglass_batch_seconds',
      help: 'latency of one upload request',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}
