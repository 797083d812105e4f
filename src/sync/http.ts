/** JSON over HTTP to the journal server, with every failure turned into a coded error. */
import type { ZodType } from 'zod';
import { BreakGlassError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { ErrorBodySchema } from '../core/sync-api.js';

/** How a request reaches the server: its base URL, a fetch, and a per-request timeout. */
export interface ServerConnection {
  readonly server: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** True for failures worth retrying after a pause (the server unreachable or failing), not refusals. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof BreakGlassError && (err.code === 'SERVER_UNREACHABLE' || err.code === 'SERVER_ERROR') && err.details['tls'] !== true
  );
}

/**
 * The system's code for why a request never got an answer (ECONNREFUSED, a certificate's code, a
 * timeout), or null. Only a code: the error's own text can quote the request, and fetch quotes a
 * header it refused whole, the bearer token with it.
 */
function failureCode(err: unknown): string | null {
  if ((err as { name?: unknown }).name === 'TimeoutError') return 'TIMEOUT';
  const code = (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code) ? code : null;
}

/** A certificate the client does not trust will not become trusted by retrying. */
const isTlsFailure = (code: string | null): boolean => code !== null && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code);

/** Sends one request and parses the answer with `schema`; a refusal becomes its own code. */
export async function callServer<T>(
  conn: ServerConnection,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  schema: ZodType<T>,
  options: { auth?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.auth) headers['authorization'] = `Bearer ${options.auth}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(conn.timeoutMs ?? 30_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  const url = `${conn.server.replace(/\/+$/, '')}${path}`;
  try {
    res = await (conn.fetch ?? fetch)(url, {
      method,
      headers,
      signal,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    text = await res.text();
  } catch (err) {
    if (options.signal?.aborted) throw err;
    // Neither the error nor its text goes with ours (see failureCode): the code says enough to act on.
    const code = failureCode(err);
    if (isTlsFailure(code)) {
      throw new BreakGlassError(
        'SERVER_UNREACHABLE',
        `the server at ${conn.server} presented a certificate this machine does not trust (${code})`,
        { tls: true, cause: code },
      );
    }
    throw new BreakGlassError(
      'SERVER_UNREACHABLE',
      `the server at ${conn.server} could not be reached${code ? ` (${code})` : ''}`,
      code ? { cause: code } : {},
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const parsed = ErrorBodySchema.safeParse(json);
    if (res.status >= 500 || !parsed.success) {
      throw new BreakGlassError(
        'SERVER_ERROR',
        `the server answered ${res.status}${parsed.success ? `: ${parsed.data.error.message}` : ''}`,
      );
    }
    const e = parsed.data.error;
    const code: ErrorCode = Object.hasOwn(ERROR_CODES, e.code) ? (e.code as ErrorCode) : 'SERVER_ERROR';
    throw new BreakGlassError(code, `the server refused: ${e.message}`, e.details ?? {});
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new BreakGlassError('SERVER_ERROR', `the server's answer to ${method} ${path} is not what this client expects`);
  return parsed.data;
}

/** Waits `ms`, or less if `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // The listener goes when the timer fires: a loop pausing on one long-lived signal adds none.
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Backoff with full jitter: a random pause up to base * 2^attempt, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}
