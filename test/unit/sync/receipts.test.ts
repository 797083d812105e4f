/** Receipt checks and backoff of the sync client. */
import { describe, expect, it } from 'vitest';
import { RECEIPT_TAG, type Receipt } from '../../../src/core/sync-api.js';
import { readFileSync } from 'node:fs';
import { documentHash, generateSigningKeyPair, signDocument } from '../../../src/crypto/index.js';
import { backoffDelay, lineHash, verifyReceipt } from '../../../src/sync/index.js';
import { newJournal } from '../../integration/server/fixtures.js';

const server = generateSigningKeyPair();
const impostor = generateSigningKeyPair();
const journal = newJournal();
journal.commit(3);

function receipt(body: Partial<Receipt['body']> = {}, key = server): Receipt {
  const b = { journal: journal.id, size: 5, head: lineHash(journal.lines[4]!), time: 1_700_000_000_000, ...body };
  return { body: b, sig: signDocument(RECEIPT_TAG, b, key), key: key.publicKey };
}

const expectOf = (size = 5) => ({ serverKey: server.publicKey, journal: journal.id, size, lines: journal.lines });

describe('verifyReceipt', () => {
  it('accepts a receipt signed by the pinned key for this journal, size and head', () => {
    expect(() => verifyReceipt(receipt(), expectOf())).not.toThrow();
  });

  const refusals: [string, () => Receipt, number][] = [
    ['another key', () => receipt({}, impostor), 5],
    ['the pinned key named but another signing', () => ({ ...receipt({}, impostor), key: server.publicKey }), 5],
    ['a changed body', () => ({ ...receipt(), body: { ...receipt().body, time: 1 } }), 5],
    ['another journal', () => receipt({ journal: newJournal().id }), 5],
    ['another size than answered', () => receipt(), 4],
    ['a head this journal does not have', () => receipt({ head: lineHash(journal.lines[3]!) }), 5],
  ];
  for (const [name, make, size] of refusals) {
    it(`refuses ${name} with BAD_RECEIPT`, () => {
      expect(() => verifyReceipt(make(), expectOf(size))).toThrow(expect.objectContaining({ code: 'BAD_RECEIPT' }));
    });
  }
});

describe('backoffDelay', () => {
  it('draws from [0, min(max, base * 2^attempt)) with full jitter', () => {
    expect(backoffDelay(0, 100, 5000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 5000, () => 0.999)).toBe(4995);
    expect(backoffDelay(4, 100, 5000, () => 0)).toBe(0);
  });
});

describe('docs/receipt-format.md', () => {
  it('has an example that verifies under the pinned key it names', () => {
    const doc = readFileSync(new URL('../../../docs/receipt-format.md', import.meta.url), 'utf8');
    const key = /Pinned key `([A-Za-z0-9_-]{43})`/.exec(doc)![1]!;
    const body = JSON.parse(/canonical body (\{.*\})/.exec(doc)![1]!) as Receipt['body'];
    const sig = /sig {12}([A-Za-z0-9_-]{86})/.exec(doc)![1]!;
    const digest = /digest {9}([A-Za-z0-9_-]{43})/.exec(doc)![1]!;
    expect(documentHash(RECEIPT_TAG, body).toString('base64url')).toBe(digest);
    expect(() => verifyReceipt({ body, sig, key }, { serverKey: key, journal: body.journal, size: body.size, lines: [] })).not.toThrow();
  });
});
