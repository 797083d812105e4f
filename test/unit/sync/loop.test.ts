/** runSyncLoop outlives its listener: a window closed mid-sync must not stop the journal's sync. */
import { describe, expect, it } from 'vitest';
import { BreakGlassError } from '../../../src/core/errors.js';
import { runSyncLoop } from '../../../src/sync/index.js';

describe('the sync loop', () => {
  it('keeps going when its listener throws, and ends when its signal aborts', async () => {
    const controller = new AbortController();
    let rounds = 0;
    let told = 0;
    const run = runSyncLoop({
      source: () => {
        rounds++;
        return Promise.reject(new BreakGlassError('IO_ERROR', 'the vault folder could not be read'));
      },
      record: () => Promise.resolve(),
      onEvent: () => {
        told++;
        throw new Error('Object has been destroyed');
      },
      signal: controller.signal,
      intervalMs: 5,
    });
    await expect.poll(() => rounds, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    controller.abort();
    await expect(run).resolves.toBeUndefined();
    expect(told).toBeGreaterThanOrEqual(3);
  });

  it('runs each round inside the caller’s lock, from source to record', async () => {
    const controller = new AbortController();
    const steps: string[] = [];
    await runSyncLoop({
      source: () => {
        steps.push('source');
        controller.abort();
        return Promise.resolve(null);
      },
      record: () => Promise.resolve(),
      onEvent: () => undefined,
      exclusive: async (round) => {
        steps.push('lock');
        try {
          return await round();
        } finally {
          steps.push('unlock');
        }
      },
      signal: controller.signal,
      intervalMs: 5,
    });
    expect(steps).toEqual(['lock', 'source', 'unlock']);
  });
});
