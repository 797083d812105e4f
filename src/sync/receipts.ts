/** Checking a server's receipt against the pinned server key and this machine's own journal. */
import { BreakGlassError } from '../core/errors.js';
import { RECEIPT_TAG, type Receipt } from '../core/sync-api.js';
import { verifyDocument } from '../crypto/index.js';

/** The base64url hash an export line carries. */
export function lineHash(line: string): string {
  return (JSON.parse(line) as { hash: string }).hash;
}

/**
 * Throws BAD_RECEIPT unless `receipt` is signed by the pinned key, names this journal and `size`, and
 * (when this machine has that many entries) names the head this machine has at that size.
 */
export function verifyReceipt(
  receipt: Receipt,
  expect: { serverKey: string; journal: string; size: number; lines: readonly string[] },
): void {
  const fail = (why: string): never => {
    throw new BreakGlassError('BAD_RECEIPT', `the server's receipt ${why}; the server is not the one this vault pinned, or it misreports`, {
      size: receipt.body.size,
    });
  };
  if (receipt.key !== expect.serverKey) fail('is signed by another key than the pinned server key');
  if (!verifyDocument(RECEIPT_TAG, receipt.body, receipt.sig, expect.serverKey)) fail('signature does not verify');
  if (receipt.body.journal !== expect.journal) fail(`names journal ${receipt.body.journal}`);
  if (receipt.body.size !== expect.size) fail(`names size ${receipt.body.size}, not ${expect.size}`);
  const local = expect.size === 0 ? null : expect.size <= expect.lines.length ? lineHash(expect.lines[expect.size - 1]!) : undefined;
  if (local !== undefined && receipt.body.head !== local) fail(`names a head that is not this journal's entry ${expect.size - 1}`);
}
