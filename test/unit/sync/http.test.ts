/** callServer's failures say what happened without the request's text: no header, no token. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { callServer } from '../../../src/sync/index.js';

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

const everything = (err: unknown): string => {
  const e = err as Error & { cause?: unknown; details?: unknown };
  return JSON.stringify({ message: e.message, details: e.details, cause: String(e.cause ?? ''), stack: e.stack });
};

describe('callServer when no answer comes', () => {
  it('refused by fetch for a header with a line break, a return or a NUL: the token is in no part of the error', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    for (const auth of ['bgt_TOPSECRET\nsecondline', 'bgt_TOPSECRET\rsecondline', 'bgt_TOPSECRET\u0000secondline']) {
      const err = await callServer({ server }, 'GET', '/healthz', z.unknown(), { auth }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SERVER_UNREACHABLE', message: `the server at ${server} could not be reached` });
      expect(everything(err)).not.toContain('TOPSECRET');
      expect(everything(err)).not.toContain('Bearer');
    }
  });

  it('keeps only the system code of a refused connection', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const err = await callServer({ server }, 'GET', '/healthz', z.unknown(), { auth: 'bgt_TOPSECRET' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SERVER_UNREACHABLE',
      message: `the server at ${server} could not be reached (ECONNREFUSED)`,
      details: { cause: 'ECONNREFUSED' },
    });
    expect(everything(err)).not.toContain('TOPSECRET');
  });
});
