/** Base64url without padding, the one text encoding for binary values in files, cards and entries. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes base64url, refusing anything that does not round-trip (so no silent truncation). */
export function fromB64(text: string, what = 'value'): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (b64(bytes) !== text) throw new TypeError(`${what} is not valid base64url`);
  return bytes;
}

/** A Buffer's bytes as a fresh Uint8Array (shamir-secret-sharing refuses Buffers). */
export function toUint8(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
