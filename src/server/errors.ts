/** HTTP statuses of the error codes, and the one error handler that writes every error body. */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { ZodError } from 'zod';
import { BreakGlassError, type ErrorCode } from '../core/errors.js';
import { MAX_BATCH_LINES, MAX_BODY_BYTES } from '../core/sync-api.js';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_INPUT: 400,
  MALFORMED_BODY: 400,
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_LINES: 413,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  TOKEN_USED: 401,
  WRONG_ROLE: 403,
  WRONG_DEVICE: 403,
  ALREADY_EXISTS: 409,
  SYNC_CONFLICT: 409,
  JOURNAL_FROZEN: 409,
  JOURNAL_FORKED: 409,
  JOURNAL_REJECTED: 422,
  SERVER_ERROR: 503,
  INTERNAL: 500,
};

/** The HTTP status a coded error is answered with. */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 400;
}

/** A request body the zod schema refused, named by its first issue. */
export function validationError(error: ZodError, part: string): BreakGlassError {
  const issue = error.issues[0];
  if (issue?.code === 'too_big' && issue.path.length === 1 && issue.path[0] === 'lines') {
    return new BreakGlassError('TOO_MANY_LINES', `a batch carries at most ${MAX_BATCH_LINES} lines`);
  }
  if (issue?.code === 'unrecognized_keys') {
    const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
    return new BreakGlassError(
      'BAD_INPUT',
      `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}${where} of the ${part}`,
    );
  }
  const where = issue && issue.path.length ? issue.path.join('.') : part;
  return new BreakGlassError('BAD_INPUT', `${where}: ${issue?.message ?? 'invalid'}`);
}

/** Fastify's own errors (body parsing, limits) mapped to the project's codes. */
function fromFastify(err: FastifyError): BreakGlassError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BreakGlassError('PAYLOAD_TOO_LARGE', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BreakGlassError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BreakGlassError('MALFORMED_BODY', 'the request body is not valid JSON');
    default:
      break;
  }
  if (err instanceof SyntaxError) return new BreakGlassError('MALFORMED_BODY', 'the request body is not valid JSON');
  if (err.statusCode === 404) return new BreakGlassError('NOT_FOUND', 'no such route');
  return null;
}

/** Installs the error and not-found handlers: every error body is `{ error: { code, message } }`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = err instanceof BreakGlassError ? err : fromFastify(err);
    if (!known) {
      // The message of an unexpected error could carry anything, so only the log sees it.
      request.log.error({ err }, 'request failed');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the server log' } });
    }
    const status = httpStatusFor(known.code);
    if (status >= 500) request.log.error({ code: known.code }, known.message);
    const details = Object.keys(known.details).length ? { details: known.details } : {};
    return reply.code(status).send({ error: { code: known.code, message: known.message, ...details } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
