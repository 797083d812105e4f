/**
 * Journal entries shaped like the ones the vault writes (src/vault), so sizes and parse costs are
 * realistic: request, approvals, unseal, reveal, close, review, reseal, each with its evidence.
 */
import { randomBytes } from 'node:crypto';
import type { EntryFields } from '../src/journal/index.js';

// Random text comes from one pool, so making the inputs leaves no garbage of its own: a collection
// it triggered would otherwise land inside a timed append and be charged to the journal.
const POOL = randomBytes(48 * 1024).toString('base64url');
let poolAt = 0;

/** The base64url text of `n` random-looking bytes (its length is what matters for sizes). */
function b64(n: number): string {
  const length = Math.ceil((4 * n) / 3);
  if (poolAt + length > POOL.length) poolAt = 0;
  poolAt += length;
  return POOL.slice(poolAt - length, poolAt);
}
let requests = 0;

/** An `approval.accept` entry, the commonest one-entry transaction of an activation. */
export function approvalFields(i: number, journal: string): EntryFields {
  return {
    kind: 'approval.accept',
    actor: i % 2 === 0 ? 'alice' : 'bob',
    subject: 'prod-db-root',
    data: {
      request: `req-${(requests++).toString(16).padStart(12, '0')}`,
      approval: b64(32),
      approvedAt: Date.now(),
      anchor: { journal, seq: i, hash: b64(32) },
    },
  };
}

/** The i-th domain entry of a vault-shaped journal: the kinds of one activation, in turn. */
export function activityFields(i: number, journal: string): EntryFields {
  const request = `req-${(i >> 3).toString(16).padStart(12, '0')}`;
  switch (i % 8) {
    case 0:
      return {
        kind: 'request.create',
        actor: 'dave',
        subject: 'prod-db-root',
        data: {
          request: {
            format: 'breakglass.request',
            version: 1,
            id: request,
            purpose: 'access',
            vault: 'v-0123456789abcdef',
            credential: 'prod-db-root',
            credentialVersion: 1 + (i >> 3),
            trigger: 'network-outage',
            reason: 'WAN down, IdP unreachable; on-call needs the database root account',
            incident: `INC-${i}`,
            requester: 'dave',
            ephemeralKey: b64(32),
            createdAt: Date.now(),
            expiresAt: Date.now() + 900_000,
          },
          requestHash: b64(32),
          signature: b64(64),
        },
      };
    case 1:
    case 2:
      return approvalFields(i, journal);
    case 3:
      return {
        kind: 'credential.unseal',
        actor: 'vault',
        subject: 'prod-db-root',
        data: { request, holders: ['alice', 'bob'], version: 1, nextVersion: 2, windowEndsAt: Date.now() + 1_800_000 },
      };
    case 4:
      return { kind: 'credential.reveal', actor: 'vault', subject: 'prod-db-root', data: { request } };
    case 5:
      return { kind: 'window.close', actor: 'operator', subject: 'prod-db-root', data: { request, reason: 'closed' } };
    case 6:
      return {
        kind: 'review.sign',
        actor: 'carol',
        subject: 'prod-db-root',
        data: {
          review: `rev-${i}`,
          request,
          warranted: true,
          summary: 'restored replication after the WAN outage',
          rotated: false,
          signature: b64(64),
        },
      };
    default:
      return { kind: 'credential.reseal', actor: 'vault', subject: 'prod-db-root', data: { request, version: 2, rotated: false } };
  }
}
