/** The sync loop's pause: it ends on its timer or on abort, and leaves no listener on the signal. */
import { getEventListeners } from 'node:events';
import { expect, it } from 'vitest';
import { pause } from '../../../src/sync/http.js';

it('removes its abort listener when the timer fires, so a loop on one signal does not leak', async () => {
  const controller = new AbortController();
  for (let i = 0; i < 20; i++) await pause(1, controller.signal);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

it('ends at once when the signal aborts, or has aborted already', async () => {
  const controller = new AbortController();
  const started = performance.now();
  const waiting = pause(60_000, controller.signal);
  controller.abort();
  await waiting;
  await pause(60_000, controller.signal);
  expect(performance.now() - started).toBeLessThan(5_000);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});
