/** Receipts: the server's Ed25519 signature over canonical {journal, size, head, time} (docs/receipt-format.md). */
import { RECEIPT_TAG, type Receipt, type ReceiptBody } from '../core/sync-api.js';
import { signDocument, type SigningKeyPair } from '../crypto/index.js';
import type { JournalRow } from './storage/index.js';

/** Signs what the server holds of `journal` at `time`. */
export function signReceipt(key: SigningKeyPair, journal: JournalRow, time: number): Receipt {
  const body: ReceiptBody = { journal: journal.id, size: journal.size, head: journal.head, time };
  return { body, sig: signDocument(RECEIPT_TAG, body, key), key: key.publicKey };
}
