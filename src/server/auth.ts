/** Tokens and device credentials: random, shown once, stored only as SHA-256, checked on every request. */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { BreakGlassError } from '../core/errors.js';
import type { TokenRole } from '../core/sync-api.js';
import { isServerToken } from '../core/sync-input.js';
import type { DeviceRow, ServerStorage, TokenRow } from './storage/index.js';

const TOKEN_PREFIX = 'bgt_';
const DEVICE_PREFIX = 'bgd_';

/** The stored form of a token or credential. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new token of `role`: the secret (to hand over once) and the row to store. */
export function newToken(role: TokenRole, now: number, ttlMs: number | null, label = ''): { token: string; row: TokenRow } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row: TokenRow = {
    id: `t-${randomBytes(8).toString('hex')}`,
    hash: secretHash(token),
    role,
    label,
    createdAt: now,
    expiresAt: ttlMs === null ? null : now + ttlMs,
    revokedAt: null,
    usedAt: null,
  };
  return { token, row };
}

/** A new device credential and its stored hash. */
export function newDeviceCredential(): { credential: string; hash: string; id: string } {
  const credential = `${DEVICE_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { credential, hash: secretHash(credential), id: `d-${randomBytes(8).toString('hex')}` };
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  if (!isServerToken(token)) throw new BreakGlassError('UNAUTHENTICATED', 'this request needs "Authorization: Bearer <token>"');
  return token;
}

/** The token of the request, if it is live and has one of `roles`. */
export async function requireToken(
  request: FastifyRequest,
  storage: ServerStorage,
  roles: readonly TokenRole[],
  now: number,
): Promise<TokenRow> {
  const secret = bearer(request);
  const token = secret.startsWith(TOKEN_PREFIX) ? await storage.tokenByHash(secretHash(secret)) : null;
  if (!token) throw new BreakGlassError('UNAUTHENTICATED', 'the token is not known to this server');
  if (token.revokedAt !== null) throw new BreakGlassError('TOKEN_REVOKED', `token ${token.id} has been revoked`);
  if (token.expiresAt !== null && token.expiresAt <= now) throw new BreakGlassError('TOKEN_EXPIRED', `token ${token.id} has expired`);
  if (!roles.includes(token.role)) {
    throw new BreakGlassError('WRONG_ROLE', `token ${token.id} has role ${token.role}; this needs ${roles.join(' or ')}`);
  }
  if (token.role === 'enroll' && token.usedAt !== null)
    throw new BreakGlassError('TOKEN_USED', `enrolment token ${token.id} has been used`);
  return token;
}

/** The device of the request, which may touch only its own journal. */
export async function requireDevice(request: FastifyRequest, storage: ServerStorage, journal: string): Promise<DeviceRow> {
  const secret = bearer(request);
  const device = secret.startsWith(DEVICE_PREFIX) ? await storage.deviceByCredential(secretHash(secret)) : null;
  if (!device) throw new BreakGlassError('UNAUTHENTICATED', 'the device credential is not known to this server');
  if (device.revokedAt !== null) {
    throw new BreakGlassError(
      'UNAUTHENTICATED',
      `device ${device.id} has been revoked; the laptop syncs again once security gives it a new enrolment token (breakglass enroll --again)`,
    );
  }
  if (device.journal !== journal) throw new BreakGlassError('WRONG_DEVICE', `device ${device.id} may write only its own journal`);
  return device;
}
