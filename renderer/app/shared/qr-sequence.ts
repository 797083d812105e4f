// A text code too long for one comfortable QR code becomes a short numbered sequence
// ("BGQR:2/3:<part>"), and the reader puts the parts back together in any order. Pure: no DOM.

/** The longest part one QR code carries here: about version 20 at error correction M, easy to scan. */
export const QR_PART_CHARS = 600;

/** Splits a text code into the texts of its QR codes: the code itself when it fits in one. */
export function qrParts(code: string): string[] {
  if (code.length <= QR_PART_CHARS) return [code];
  const n = Math.ceil(code.length / QR_PART_CHARS);
  return Array.from({ length: n }, (_, i) => `BGQR:${i + 1}/${n}:${code.slice(i * QR_PART_CHARS, (i + 1) * QR_PART_CHARS)}`);
}

/** Puts decoded QR texts back into the text code, or says what is missing. */
export function joinQrParts(texts: readonly string[]): { ok: true; code: string } | { ok: false; message: string } {
  if (texts.length === 1 && !texts[0]!.startsWith('BGQR:')) return { ok: true, code: texts[0]! };
  const parts = new Map<number, string>();
  let total = 0;
  for (const t of texts) {
    const m = /^BGQR:(\d+)\/(\d+):(.*)$/s.exec(t);
    if (!m) return { ok: false, message: 'one of the images is not a Break Glass QR code' };
    const [i, n] = [Number(m[1]), Number(m[2])];
    if (total !== 0 && n !== total) return { ok: false, message: 'these QR codes belong to different sequences' };
    total = n;
    parts.set(i, m[3]!);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !parts.has(i));
  if (missing.length > 0) return { ok: false, message: `QR code ${missing.join(', ')} of ${total} is missing` };
  return { ok: true, code: Array.from({ length: total }, (_, i) => parts.get(i + 1)!).join('') };
}
